"""Training hooks (registered in mmpretrain HOOKS)."""
from .continual_metrics_hook import ContinualMetricsHook
from .l2sp_hook import L2SPHook
from .moco_queue_check_hook import MoCoQueueCheckHook
from .step_seed_hook import StepSeedHook

__all__ = ['ContinualMetricsHook', 'L2SPHook', 'MoCoQueueCheckHook', 'StepSeedHook']
