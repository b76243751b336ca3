"""Training hooks (registered in mmpretrain HOOKS)."""
from .moco_queue_check_hook import MoCoQueueCheckHook, check_queue_divisible

__all__ = ['MoCoQueueCheckHook', 'check_queue_divisible']
