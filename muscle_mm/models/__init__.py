"""Models of MUSCLE, registered in mmpretrain MODELS."""
from .continual import MultiTaskDataPreprocessor, MultiTaskModel
from .selfsup import MDMoCo

__all__ = ['MDMoCo', 'MultiTaskDataPreprocessor', 'MultiTaskModel']
