"""Shenzhen (China) tuberculosis chest X-ray set, used by MUSCLE for MD-MoCo pre-training only."""
import os.path as osp
import re
from typing import List, Sequence, Tuple

from mmpretrain.datasets import BaseDataset

from muscle_mm.registry import DATASETS
from .base import (DatasetFormatError, check_not_empty, check_split, first_existing, list_images,
                   require_dir)

TB_CLASSES = ('normal', 'tuberculosis')


def nlm_tb_samples(cxr_dir: str, prefix: str, readings_dir: str = '') -> List[dict]:
    """Samples of an NLM TB set folder (Shenzhen ``CHNCXR_*``, Montgomery ``MCUCXR_*``).

    The label is the last digit of the stem (``_0`` normal, ``_1`` TB). Only ``*.png`` are read
    (OS junk such as ``.DS_Store``, ``._*`` and ``Thumbs.db`` is skipped); a PNG whose name does
    not follow ``<prefix>_NNNN_<0|1>.png`` raises rather than being guessed or dropped.
    """
    pattern = re.compile(rf'{prefix}_(\d{{4}})_([01])')
    samples = []
    for name in list_images(cxr_dir, exts=('.png', )):
        stem = osp.splitext(name)[0]
        m = pattern.fullmatch(stem)
        if m is None:
            raise DatasetFormatError(
                f'{osp.join(cxr_dir, name)}: unexpected file name; expected '
                f'{prefix}_NNNN_0.png (normal) or {prefix}_NNNN_1.png (tuberculosis)')
        reading = osp.join(readings_dir, stem + '.txt') if readings_dir else ''
        samples.append(
            dict(
                img_path=osp.abspath(osp.join(cxr_dir, name)),
                gt_label=int(m.group(2)),
                case_id=stem,
                reading_path=osp.abspath(reading) if reading and osp.isfile(reading) else None))
    return samples


def read_nlm_tb_set(data_root: str, name: str, prefix: str,
                    top_folders: Sequence[Sequence[str]]) -> Tuple[str, List[dict]]:
    """Find ``CXR_png/`` in an NLM TB download and read its samples.

    The archive's own top folders (``top_folders``, tried in order) are optional: ``CXR_png/``
    directly in ``data_root`` works too. Returns the folder holding ``CXR_png/`` and the samples.
    """
    root = require_dir(data_root, f'{name} data_root')
    candidates = [osp.join(root, *top, 'CXR_png') for top in top_folders]
    base = osp.dirname(
        first_existing(candidates + [osp.join(root, 'CXR_png')], f'{name} image folder'))
    cxr_dir = osp.join(base, 'CXR_png')
    samples = nlm_tb_samples(cxr_dir, prefix, osp.join(base, 'ClinicalReadings'))
    return base, check_not_empty(samples, name, cxr_dir)


@DATASETS.register_module()
class ShenzhenCXR(BaseDataset):
    """Shenzhen No.3 Hospital chest X-rays: 662 PNGs, 326 normal / 336 tuberculosis.

    Paper: `Jaeger et al., 2014 <https://pmc.ncbi.nlm.nih.gov/articles/PMC4256233/>`_; MUSCLE
    (`arXiv:2310.02000 <https://arxiv.org/abs/2310.02000>`_) uses it (as China-Set-CXR, 661
    images; which one was dropped is not said) for MD-MoCo only.

    ``data_root`` may hold the NLM zip's ``ChinaSet_AllFiles/``, the Kaggle mirror's doubled
    ``ChinaSet_AllFiles/ChinaSet_AllFiles/``, or ``CXR_png/`` directly. Images are
    ``CXR_png/CHNCXR_NNNN_<label>.png``; readings ``ClinicalReadings/<stem>.txt`` are optional.

    There is no official split, and MUSCLE pre-trains on the whole set, so the only split is
    ``'train'`` = all images. Each sample: ``img_path``, ``gt_label`` (0 normal, 1 TB, from the
    stem), ``case_id`` (stem), ``reading_path`` (or None).

    Args:
        data_root (str): dataset root. Defaults to ``'data/ShenzhenCXR'``.
        split (str): only ``'train'``. Defaults to ``'train'``.
        **kwargs: passed to :class:`mmpretrain.datasets.BaseDataset`.
    """
    METAINFO = dict(classes=TB_CLASSES)
    SPLITS = ('train', )

    def __init__(self, data_root: str = 'data/ShenzhenCXR', split: str = 'train', **kwargs) -> None:
        self.split = check_split('ShenzhenCXR', split, self.SPLITS,
                                 'no official split; MUSCLE pre-trains on the whole set')
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        _, samples = read_nlm_tb_set(self.data_root, 'ShenzhenCXR', 'CHNCXR',
                                     [('ChinaSet_AllFiles', ),
                                      ('ChinaSet_AllFiles', 'ChinaSet_AllFiles')])
        return samples

    def extra_repr(self) -> List[str]:
        return [f'Data root: \t{self.data_root}', f'Split: \t{self.split}']
