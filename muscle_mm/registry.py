"""Where muscle_mm's modules are registered.

Each module goes to the registry of the library whose configs use it, so that stock configs find it
under their own ``default_scope``: classification and self-supervised parts in mmpretrain, detection
datasets in mmdet, segmentation datasets in mmseg. Modules every task pipeline needs (e.g. the X-ray
loader) are registered in all three.
"""
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmpretrain.registry import (DATA_SAMPLERS, DATASETS, HOOKS, LOG_PROCESSORS, LOOPS, METRICS,
                                 MODELS, PARAM_SCHEDULERS, TRANSFORMS)
from mmseg.registry import DATASETS as MMSEG_DATASETS
from mmseg.registry import METRICS as MMSEG_METRICS
from mmseg.registry import TRANSFORMS as MMSEG_TRANSFORMS

ALL_TRANSFORMS = (TRANSFORMS, MMDET_TRANSFORMS, MMSEG_TRANSFORMS)


def register_transform_everywhere(cls):
    """Class decorator: register a data transform in mmpretrain, mmdet and mmseg."""
    for registry in ALL_TRANSFORMS:
        registry.register_module(module=cls)
    return cls


__all__ = [
    'DATA_SAMPLERS', 'DATASETS', 'HOOKS', 'LOG_PROCESSORS', 'LOOPS', 'METRICS', 'MODELS',
    'PARAM_SCHEDULERS', 'TRANSFORMS', 'MMDET_DATASETS', 'MMSEG_DATASETS', 'MMDET_TRANSFORMS',
    'MMSEG_TRANSFORMS', 'MMDET_METRICS', 'MMSEG_METRICS', 'register_transform_everywhere'
]
