"""Data transforms for X-ray images; registered in mmpretrain, mmdet and mmseg."""
from .loading import LoadXRayImage
from .seg_mask import LoadXRayLungMask, binarize_mask

__all__ = ['LoadXRayImage', 'LoadXRayLungMask', 'binarize_mask']
