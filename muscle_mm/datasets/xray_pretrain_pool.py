"""The unlabeled multi-dataset image pool that MD-MoCo pre-trains on."""
import copy
from typing import List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset as _MMEngineBaseDataset
from mmengine.logging import print_log
from mmpretrain.datasets import BaseDataset

from muscle_mm.registry import DATASETS, MMDET_DATASETS, MMSEG_DATASETS
from .base import DatasetFormatError, check_not_empty

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


@DATASETS.register_module()
class XRayPretrainPool(BaseDataset):
    """Images of several X-ray datasets pooled, without labels, for MD-MoCo.

    MUSCLE (`arXiv:2310.02000 <https://arxiv.org/abs/2310.02000>`_, Sec. 2.1) aggregates the
    training images of nine datasets (chest, hand and bone X-rays) into one unlabeled set for
    momentum contrastive pre-training. Each source is a config (built from the mmpretrain, mmdet or
    mmseg registry, see :func:`build_xray_dataset`) or an already built dataset; its image paths
    are read with ``get_data_info(i)['img_path']``, so detection and segmentation readers pool
    like classification ones. Labels are dropped; each sample keeps ``img_path`` and ``source``.

    mmengine's ``ConcatDataset`` is not used because it keeps every source's own pipeline and
    requires equal ``metainfo``; here the sources' annotations are irrelevant and one pipeline
    (the MoCo views) applies to all. Sources given as configs are built with an empty pipeline.

    After indexing, a table of images per source and the total is logged.

    Args:
        datasets (Sequence[dict | BaseDataset]): the sources.
        names (Sequence[str], optional): source names for the ``source`` field and the log,
            one per dataset. Defaults to None: ``Type[split]``, de-duplicated with ``#k``.
        pipeline (Sequence): processing pipeline. Defaults to ``()``.
        **kwargs: passed to :class:`mmpretrain.datasets.BaseDataset` (``test_mode``,
            ``indices``, ``serialize_data``, ``lazy_init``, ...).
    """

    def __init__(self,
                 datasets: Sequence[Union[dict, _MMEngineBaseDataset]],
                 names: Optional[Sequence[str]] = None,
                 pipeline: Sequence = (),
                 **kwargs) -> None:
        if not datasets:
            raise ValueError('XRayPretrainPool: `datasets` is empty')
        if names is not None and len(names) != len(datasets):
            raise ValueError(f'XRayPretrainPool: {len(names)} names for {len(datasets)} datasets')
        self._source_cfgs = list(datasets)
        self._names = list(names) if names is not None else None
        self.source_counts: dict = {}
        super().__init__(ann_file='', pipeline=pipeline, **kwargs)

    def _build_sources(self):
        built, labels = [], []
        for cfg in self._source_cfgs:
            if isinstance(cfg, dict):
                cfg = dict(cfg, pipeline=[])
            ds = build_xray_dataset(cfg)
            built.append(ds)
            labels.append(dataset_label(cfg, ds))
        if self._names is None:
            seen: dict = {}
            names = []
            for label in labels:
                seen[label] = seen.get(label, 0) + 1
                names.append(label if labels.count(label) == 1 else f'{label}#{seen[label]}')
        else:
            names = self._names
        return list(zip(names, built))

    def load_data_list(self) -> List[dict]:
        data_list = []
        for name, ds in self._build_sources():
            n = len(ds)
            for i in range(n):
                path = ds.get_data_info(i).get('img_path')
                if not path:
                    raise DatasetFormatError(
                        f'XRayPretrainPool: sample {i} of source {name} ({type(ds).__name__}) has '
                        'no img_path')
                data_list.append(dict(img_path=path, source=name))
            self.source_counts[name] = self.source_counts.get(name, 0) + n
        self._log_counts(len(data_list))
        return check_not_empty(data_list, 'XRayPretrainPool', str(list(self.source_counts)))

    def _log_counts(self, total: int) -> None:
        width = max([len('source'), len('total')] + [len(k) for k in self.source_counts])
        lines = ['XRayPretrainPool: images per source', f'{"source":<{width}}  {"images":>8}']
        lines += [f'{k:<{width}}  {v:>8d}' for k, v in self.source_counts.items()]
        lines.append(f'{"total":<{width}}  {total:>8d}')
        print_log('\n'.join(lines), logger='current')

    def get_cat_ids(self, idx: int) -> List[int]:
        raise NotImplementedError('XRayPretrainPool is unlabeled')

    def extra_repr(self) -> List[str]:
        return [f'Sources: \t{dict(self.source_counts)}']
