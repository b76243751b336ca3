"""Loops of MUSCLE's continual stage (registered in mmpretrain LOOPS)."""
from .continual_loop import MultiTaskContinualLoop
from .continual_plan import ContinualPlan, Segment
from .multi_task_log_processor import MultiTaskLogProcessor
from .multi_task_val_loop import MultiTaskTestLoop, MultiTaskValLoop

__all__ = [
    'ContinualPlan', 'MultiTaskContinualLoop', 'MultiTaskLogProcessor', 'MultiTaskTestLoop',
    'MultiTaskValLoop', 'Segment'
]
