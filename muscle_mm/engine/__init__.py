"""Runtime parts plugged into mmengine's Runner: loops, hooks, parameter schedulers."""
from .hooks import ContinualMetricsHook, L2SPHook, MoCoQueueCheckHook
from .runner import (ContinualPlan, MultiTaskContinualLoop, MultiTaskLogProcessor,
                     MultiTaskTestLoop, MultiTaskValLoop)
from .schedulers import CyclicCosineLR

__all__ = [
    'ContinualMetricsHook', 'ContinualPlan', 'CyclicCosineLR', 'L2SPHook', 'MoCoQueueCheckHook',
    'MultiTaskContinualLoop', 'MultiTaskLogProcessor', 'MultiTaskTestLoop', 'MultiTaskValLoop'
]
