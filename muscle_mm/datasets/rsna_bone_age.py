"""RSNA Pediatric Bone Age hand radiographs, used by MUSCLE for MD-MoCo pre-training only."""
import os
import os.path as osp
from typing import List, Optional

from mmpretrain.datasets import BaseDataset

from muscle_mm.registry import DATASETS
from .base import (DatasetFormatError, check_not_empty, check_split, first_existing, read_csv_rows,
                   require_dir)

_SPLIT_NAMES = {'train': 'boneage-training-dataset', 'test': 'boneage-test-dataset'}
_TRUE, _FALSE = ('true', '1', 'm', 'male'), ('false', '0', 'f', 'female')


@DATASETS.register_module()
class RSNABoneAge(BaseDataset):
    """RSNA 2017 Pediatric Bone Age challenge: left-hand radiographs with bone age in months.

    Paper: `Halabi et al., 2019 <https://pubmed.ncbi.nlm.nih.gov/30480490/>`_; MUSCLE
    (`arXiv:2310.02000 <https://arxiv.org/abs/2310.02000>`_) uses its images (10,811 of the
    12,611 training images; the subset is not explained) for MD-MoCo only.

    Kaggle ``kmader/rsna-bone-age`` layout under ``data_root``:

    - ``'train'`` (12,611): ``boneage-training-dataset.csv`` (``id,boneage,male``) and
      ``boneage-training-dataset/boneage-training-dataset/<id>.png`` (double-nested as
      unpacked; a single level is accepted too).
    - ``'test'`` (200): ``boneage-test-dataset.csv`` (``Case ID,Sex``, no age) and
      ``boneage-test-dataset/boneage-test-dataset/<id>.png``.

    The challenge's validation set is not part of this download, so ``'val'`` is refused. Every
    CSV row must have its image (else :class:`DatasetFormatError` naming CSV and file).

    Each sample: ``img_path``, ``image_id``, ``boneage_months`` (int; None for test) and
    ``male`` (bool).

    Args:
        data_root (str): dataset root. Defaults to ``'data/RSNABoneAge'``.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        **kwargs: passed to :class:`mmpretrain.datasets.BaseDataset`.
    """
    SPLITS = ('train', 'test')

    def __init__(self, data_root: str = 'data/RSNABoneAge', split: str = 'train', **kwargs) -> None:
        self.split = check_split('RSNABoneAge', split, self.SPLITS,
                                 'the Kaggle download has no validation set')
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        root = require_dir(self.data_root, 'RSNABoneAge data_root')
        name = _SPLIT_NAMES[self.split]
        csv_path = osp.join(root, name + '.csv')
        img_dir = first_existing(
            [osp.join(root, name, name), osp.join(root, name)],
            f'RSNABoneAge {self.split} image folder')
        on_disk = {n for n in os.listdir(img_dir) if not n.startswith('.')}
        if self.split == 'train':
            rows = read_csv_rows(csv_path, required=('id', 'boneage', 'male'))
        else:
            rows = read_csv_rows(csv_path, required=('Case ID', 'Sex'))
        samples, missing = [], []
        for line, row in enumerate(rows, start=2):
            image_id = _int(row['id' if self.split == 'train' else 'Case ID'], csv_path, line)
            fname = f'{image_id}.png'
            if fname not in on_disk:
                missing.append(fname)
                continue
            if self.split == 'train':
                months: Optional[int] = _int(row['boneage'], csv_path, line)
                male = _bool(row['male'], csv_path, line)
            else:
                months, male = None, _bool(row['Sex'], csv_path, line)
            samples.append(
                dict(
                    img_path=osp.abspath(osp.join(img_dir, fname)),
                    image_id=image_id,
                    boneage_months=months,
                    male=male))
        if missing:
            shown = ', '.join(missing[:5]) + (' ...' if len(missing) > 5 else '')
            raise DatasetFormatError(f'RSNABoneAge: {len(missing)} image(s) listed in {csv_path} '
                                     f'not found in {img_dir}: {shown}')
        return check_not_empty(samples, f'RSNABoneAge split {self.split!r}', csv_path)

    def extra_repr(self) -> List[str]:
        return [f'Data root: \t{self.data_root}', f'Split: \t{self.split}']


def _int(text: str, path: str, line: int) -> int:
    try:
        return int(float(text))
    except (TypeError, ValueError):
        raise DatasetFormatError(f'{path}: line {line}: {text!r} is not a number') from None


def _bool(text: str, path: str, line: int) -> bool:
    t = (text or '').strip().lower()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise DatasetFormatError(f'{path}: line {line}: sex {text!r} is not True/False or M/F')
