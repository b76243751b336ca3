"""X-ray datasets as users download them (see docs in each module) and their transforms.

Importing the modules registers the readers and transforms in the mmpretrain, mmdet and mmseg
registries.
"""
from . import (chest_xray_masks, indiana_cxr, montgomery_cxr, mura, nih_chestxray14, pneumonia_cxr,
               rsna_bone_age, samplers, shenzhen_cxr, splits, tbx11k, transforms, xray_folder,
               xray_pretrain_pool)
from .base import DatasetFormatError
from .load_resized_xray import LoadResizedXRay  # noqa: F401  (registers the transform)

__all__ = ['DatasetFormatError']
