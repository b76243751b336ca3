"""Helpers shared by muscle_mm models (and the engine layer above them)."""
from .autocast_roi_extractor import AutocastRoIExtractor, FP32RoIAlign
from .moco_queue import check_queue_divisible
from .multi_view_data_preprocessor import MultiViewDataPreprocessor
from .split_batch_norm import SplitBatchNorm
from .xray_views import XRayViews

__all__ = [
    'AutocastRoIExtractor', 'FP32RoIAlign', 'check_queue_divisible', 'MultiViewDataPreprocessor',
    'SplitBatchNorm', 'XRayViews'
]
