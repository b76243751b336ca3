"""MUSCLE's multi-task continual stage: a shared backbone with stock task models."""
from .multi_task_data_preprocessor import MultiTaskDataPreprocessor
from .multi_task_model import MultiTaskModel
from .task_backbone_view import TaskBackboneView
from .task_norm_stats import TaskNormStats

__all__ = ['MultiTaskDataPreprocessor', 'MultiTaskModel', 'TaskBackboneView', 'TaskNormStats']
