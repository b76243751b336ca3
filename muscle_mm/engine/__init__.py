"""Runtime parts plugged into mmengine's Runner: hooks."""
from .hooks import MoCoQueueCheckHook, check_queue_divisible

__all__ = ['MoCoQueueCheckHook', 'check_queue_divisible']
