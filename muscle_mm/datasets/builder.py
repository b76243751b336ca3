"""Build a muscle_mm dataset config from whichever library (mmpretrain, mmdet, mmseg) registered
it, and name the result."""
import copy
from typing import Union

from mmengine.dataset import BaseDataset as _MMEngineBaseDataset

from muscle_mm.registry import DATASETS, MMDET_DATASETS, MMSEG_DATASETS

_SCOPED_REGISTRIES = ((DATASETS, 'mmpretrain'), (MMDET_DATASETS, 'mmdet'), (MMSEG_DATASETS,
                                                                            'mmseg'))


def build_xray_dataset(cfg: Union[dict, _MMEngineBaseDataset]) -> _MMEngineBaseDataset:
    """Build a dataset config from whichever library registered it.

    muscle_mm's readers live in three registries (classification/pre-training sets in
    mmpretrain, TBX11K in mmdet, the lung-mask set in mmseg). An explicit ``_scope_`` wins;
    otherwise the type is looked up in mmpretrain, then mmdet, then mmseg and built in that scope
    (so its own sub-modules resolve there too). Built datasets are returned unchanged.
    """
    if not isinstance(cfg, dict):
        return cfg
    cfg = copy.deepcopy(dict(cfg))
    t = cfg.get('type')
    if t is None:
        raise KeyError(f'dataset config without "type": {cfg}')
    if '_scope_' not in cfg and isinstance(t, str):
        for registry, scope in _SCOPED_REGISTRIES:
            if registry.get(t) is not None:
                cfg['_scope_'] = scope
                break
        else:
            raise KeyError(f'dataset type {t!r} is not registered in mmpretrain, mmdet or mmseg '
                           '(is muscle_mm imported? custom_imports=dict(imports=["muscle_mm"]))')
    return DATASETS.build(cfg)


def dataset_label(cfg_or_dataset, dataset=None) -> str:
    """A readable name for a dataset: its type (scope stripped) plus its split when it has one."""
    if isinstance(cfg_or_dataset, dict) and isinstance(cfg_or_dataset.get('type'), str):
        name = cfg_or_dataset['type'].split('.')[-1]
    else:
        name = type(dataset if dataset is not None else cfg_or_dataset).__name__
    split = getattr(dataset if dataset is not None else cfg_or_dataset, 'split', None)
    if split is None and isinstance(cfg_or_dataset, dict):
        split = cfg_or_dataset.get('split')
    return f'{name}[{split}]' if split else name
