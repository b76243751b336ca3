"""The unlabeled multi-dataset image pool that MD-MoCo pre-trains on."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmengine.dataset import BaseDataset as _MMEngineBaseDataset
from mmengine.logging import print_log
from mmpretrain.datasets import BaseDataset

from muscle_mm.registry import DATASETS
from .base import DatasetFormatError, check_not_empty
from .builder import build_xray_dataset, dataset_label
from .leakage import fingerprints
from .pool_content import downstream_in_pool, pool_duplicates
from .samplers.sample_seed_sampler import sample_rng

__all__ = ['XRayPretrainPool', 'build_xray_dataset', 'check_same_split_definition']


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

    Content checks (:mod:`.pool_content`, the leakage tool's matching), logged in one table of
    images per source, duplicates dropped, downstream images dropped and images kept:

    - ``dedup``: one copy of each image. Shenzhen and Montgomery images are also in the
      lung-mask set; a copy (md5, or near-identical across sources) of an earlier source's
      image is dropped. ``'md5'`` drops exact copies only (skips the near-duplicate search,
      ~2 min on the real pool); ``False`` pools every copy, as the paper did.
    - ``downstream``: the downstream val/test dataset configs (``downstream_eval`` of the
      MD-MoCo configs). First, every pool source that reads the same data as a downstream
      dataset must use the same split definition (split mode, seed, proportions, split file),
      else the pool's train images could be the task's test images: a mismatch raises. Then the
      number of downstream images the pool holds is logged at start. The paper pre-trains on
      them (every lung-mask val/test image is a Shenzhen or Montgomery image);
      ``exclude_downstream=True`` drops every pool image that matches one.

    Indices may carry the sample's augmentation seed, ``(index, seed)`` from
    :class:`~muscle_mm.datasets.samplers.SampleSeedSampler` (the MD-MoCo configs' sampler): the
    sample is then made under that seed, so its views do not depend on the worker or on how many
    epochs that worker has run (exact resume). A plain ``int`` index works as in mmengine.

    Hashing decodes every image once; ``match=dict(workers=8, cache_file=...)`` spreads it over
    processes and keeps the hashes between runs (keyed by path, size and mtime).

    Args:
        datasets (Sequence[dict | BaseDataset]): the sources.
        names (Sequence[str], optional): source names for the ``source`` field and the log,
            one per dataset. Defaults to None: ``Type[split]``, de-duplicated with ``#k``.
        pipeline (Sequence): processing pipeline. Defaults to ``()``.
        dedup (bool | str): drop copies of images already in the pool: True (exact and
            near-identical copies), 'md5' (exact copies) or False. Defaults to True.
        downstream (Sequence[dict], optional): downstream val/test dataset configs to check the
            split definitions against and count in the pool. Defaults to None (no check).
        exclude_downstream (bool): drop the pool images found in ``downstream``. Defaults to
            False (the paper's pool).
        match (dict, optional): arguments of :func:`~muscle_mm.datasets.leakage.find_leakage`
            (``by_name``, ``by_content``, ``max_distance``, ``min_correlation``, ``workers``,
            ``cache_file``). Defaults to None: its defaults.
        **kwargs: passed to :class:`mmpretrain.datasets.BaseDataset` (``test_mode``,
            ``indices``, ``serialize_data``, ``lazy_init``, ...).
    """

    takes_sample_seeds = True

    def __init__(self,
                 datasets: Sequence[Union[dict, _MMEngineBaseDataset]],
                 names: Optional[Sequence[str]] = None,
                 pipeline: Sequence = (),
                 dedup: Union[bool, str] = True,
                 downstream: Optional[Sequence[dict]] = None,
                 exclude_downstream: bool = False,
                 match: Optional[dict] = None,
                 **kwargs) -> None:
        if not datasets:
            raise ValueError('XRayPretrainPool: `datasets` is empty')
        if names is not None and len(names) != len(datasets):
            raise ValueError(f'XRayPretrainPool: {len(names)} names for {len(datasets)} datasets')
        if dedup not in (True, False, 'md5'):
            raise ValueError(f"XRayPretrainPool: dedup must be True, 'md5' or False, got {dedup!r}")
        if exclude_downstream and not downstream:
            raise ValueError('XRayPretrainPool: exclude_downstream=True needs the downstream '
                             'val/test dataset configs in `downstream`')
        self._source_cfgs = list(datasets)
        self._names = list(names) if names is not None else None
        self.dedup = dedup
        self._downstream_cfgs = list(downstream or [])
        self.exclude_downstream = exclude_downstream
        self.match = dict(match or {})
        self.source_counts: dict = {}
        self.dropped: Dict[str, Dict[str, int]] = {}
        self.downstream_found: Dict[str, int] = {}
        super().__init__(ann_file='', pipeline=pipeline, **kwargs)

    def _build(self, cfgs) -> List[Tuple[str, _MMEngineBaseDataset]]:
        built, labels = [], []
        for cfg in cfgs:
            if isinstance(cfg, dict):
                # only their paths are read: no pipeline, and no serialization (a gc pass each)
                cfg = dict(cfg, pipeline=[])
                cfg.setdefault('serialize_data', False)
            ds = build_xray_dataset(cfg)
            built.append(ds)
            labels.append(dataset_label(cfg, ds))
        seen: dict = {}
        names = []
        for label in labels:
            seen[label] = seen.get(label, 0) + 1
            names.append(label if labels.count(label) == 1 else f'{label}#{seen[label]}')
        return list(zip(names, built))

    def _build_sources(self):
        sources = self._build(self._source_cfgs)
        if self._names is not None:
            sources = [(n, ds) for n, (_, ds) in zip(self._names, sources)]
        return sources

    @staticmethod
    def _paths(name: str, ds) -> List[str]:
        paths = []
        for i in range(len(ds)):
            path = ds.get_data_info(i).get('img_path')
            if not path:
                raise DatasetFormatError(
                    f'XRayPretrainPool: sample {i} of source {name} ({type(ds).__name__}) has '
                    'no img_path')
            paths.append(path)
        return paths

    def load_data_list(self) -> List[dict]:
        sources = self._build_sources()
        paths = {name: self._paths(name, ds) for name, ds in sources}
        down = self._build(self._downstream_cfgs)
        check_same_split_definition(sources, down)
        down_paths = {name: self._paths(name, ds) for name, ds in down}
        content = self.dedup or (down and self.match.get('by_content', True))
        fps = None
        if content:
            allp = [p for d in (paths, down_paths) for ps in d.values() for p in ps]
            fps = fingerprints(
                allp, workers=self.match.get('workers', 0), cache_file=self.match.get('cache_file'))
        dups = {k: {} for k in paths}
        if self.dedup:
            limits = {
                k: v
                for k, v in self.match.items() if k in ('max_distance', 'min_correlation')
            }
            dups = pool_duplicates(paths, fps, near=self.dedup is True, **limits)
        kept = {k: [p for p in v if p not in dups[k]] for k, v in paths.items()}
        excluded = {k: [] for k in paths}
        if down:
            match = {k: v for k, v in self.match.items() if k not in ('workers', 'cache_file')}
            report, excluded = downstream_in_pool(kept, down_paths, fps, self.exclude_downstream,
                                                  **match)
            self._log_downstream(report)
            gone = {k: set(v) for k, v in excluded.items()}
            kept = {k: [p for p in v if p not in gone[k]] for k, v in kept.items()}
        data_list = [dict(img_path=p, source=k) for k, v in kept.items() for p in v]
        self.source_counts = {k: len(v) for k, v in kept.items()}
        self.dropped = {
            k: dict(duplicates=len(dups[k]), downstream=len(excluded[k]))
            for k in paths
        }
        self._log_counts({k: len(v) for k, v in paths.items()}, dups)
        return check_not_empty(data_list, 'XRayPretrainPool', str(list(self.source_counts)))

    def _log_downstream(self, report) -> None:
        by_split: Dict[str, set] = {}
        where: Dict[str, set] = {}
        for pair in report.pairs:
            if pair.matches:
                by_split.setdefault(pair.downstream, set()).update(pair.leaked_images)
                where.setdefault(pair.downstream, set()).add(pair.pool)
        self.downstream_found = {k: len(by_split.get(k, ())) for k in report.downstream_sizes}
        total = sum(self.downstream_found.values())
        parts = [
            f'{k} {n}/{report.downstream_sizes[k]}' +
            (f' (in {", ".join(sorted(where[k]))})' if n else '')
            for k, n in self.downstream_found.items()
        ]
        action = ('dropped from the pool (exclude_downstream=True)' if self.exclude_downstream else
                  'kept, as in the paper; exclude_downstream=True drops them '
                  '(configs/muscle/mdmoco_*_leakfree.py)')
        print_log(
            f'XRayPretrainPool: the pool holds {total} of '
            f'{sum(report.downstream_sizes.values())} downstream val/test images '
            f'(matched by {", ".join(report.checks)}): {"; ".join(parts)}. They are '
            f'{action}.',
            logger='current')

    def _log_counts(self, found: Dict[str, int], dups: Dict[str, Dict[str, str]]) -> None:
        width = max([len('source'), len('total')] + [len(k) for k in found])
        cols = ('images', 'duplicate', 'downstream', 'kept')
        lines = [
            'XRayPretrainPool: images per source (duplicate: a copy of an image of an '
            'earlier source, or of the same source, dropped; downstream: in a downstream '
            'val/test split, dropped)',
            f'{"source":<{width}}  ' + '  '.join(f'{c:>10}' for c in cols)
        ]
        rows = [(k, found[k], self.dropped[k]['duplicates'], self.dropped[k]['downstream'],
                 self.source_counts[k]) for k in found]
        rows.append(('total', ) + tuple(sum(r[i] for r in rows) for i in range(1, 5)))
        lines += [f'{r[0]:<{width}}  ' + '  '.join(f'{v:>10d}' for v in r[1:]) for r in rows]
        for k, d in dups.items():
            if d:
                eg = next(iter(d.items()))
                lines.append(f'{k}: {len(d)} duplicate(s) dropped, e.g. {eg[0]} == {eg[1]}')
        print_log('\n'.join(lines), logger='current')

    def __getitem__(self, idx: Union[int, Tuple[int, int]]) -> dict:
        if isinstance(idx, tuple):
            index, seed = idx
            with sample_rng(seed):
                return super().__getitem__(index)
        return super().__getitem__(idx)

    def get_cat_ids(self, idx: int) -> List[int]:
        raise NotImplementedError('XRayPretrainPool is unlabeled')

    def extra_repr(self) -> List[str]:
        return [f'Sources: \t{dict(self.source_counts)}']


#: Attributes that make up a re-split dataset's split definition.
SPLIT_DEFINITION = ('split_mode', 'seed', 'proportions', 'split_file')


def split_definition(ds) -> Optional[dict]:
    """A built dataset's split definition, or None if it has none (no ``split_mode``)."""
    if getattr(ds, 'split_mode', None) is None:
        return None
    out = {k: getattr(ds, k, None) for k in SPLIT_DEFINITION}
    if out['split_file']:
        out['split_file'] = osp.realpath(out['split_file'])
    return out


def _data_key(ds) -> Tuple[str, str]:
    root = getattr(ds, 'data_root', None)
    return type(ds).__name__, osp.realpath(root) if root else ''


def check_same_split_definition(sources, downstream) -> None:
    """Raise if a pool source and a downstream dataset read the same data (type and data root)
    under different split definitions: the pool's 'train' could then hold the task's test
    images. Both should take them from configs/_base_/datasets/xray_splits.py."""
    defs = {}
    for name, ds in downstream:
        d = split_definition(ds)
        if d is not None:
            defs.setdefault(_data_key(ds), []).append((name, d))
    for name, ds in sources:
        mine = split_definition(ds)
        for other, theirs in defs.get(_data_key(ds), []):
            if mine != theirs:
                diff = '; '.join(f'{k}: {(mine or {}).get(k)!r} vs {theirs[k]!r}'
                                 for k in SPLIT_DEFINITION if (mine or {}).get(k) != theirs[k])
                raise ValueError(
                    f'XRayPretrainPool: pool source {name} and downstream {other} read the same '
                    f'data ({_data_key(ds)[1]}) under different split definitions ({diff}), so '
                    "images the pool trains on could be the task's val/test images. Give both "
                    'the same seed / split_mode / split_dir / split_file, e.g. from '
                    'configs/_base_/datasets/xray_splits.py (xray_split_seed, xray_split_dir).')
