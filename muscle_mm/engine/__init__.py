"""Runtime parts plugged into mmengine's Runner: hooks."""
from .hooks import MoCoQueueCheckHook

__all__ = ['MoCoQueueCheckHook']
