"""Training hooks (registered in mmpretrain HOOKS)."""
from .moco_queue_check_hook import MoCoQueueCheckHook

__all__ = ['MoCoQueueCheckHook']
