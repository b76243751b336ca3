"""NIH ChestX-ray14 (NIHCC), used by MUSCLE for MD-MoCo pre-training only."""
import os
import os.path as osp
import re
import time
from typing import Dict, List, Optional

from mmengine.logging import print_log
from mmpretrain.datasets import BaseDataset

from muscle_mm.registry import DATASETS
from .base import DatasetFormatError, check_not_empty, first_existing, read_csv_rows, require_dir

NIH_CLASSES = ('Atelectasis', 'Cardiomegaly', 'Consolidation', 'Edema', 'Effusion', 'Emphysema',
               'Fibrosis', 'Hernia', 'Infiltration', 'Mass', 'Nodule', 'Pleural_Thickening',
               'Pneumonia', 'Pneumothorax')
NO_FINDING = 'No Finding'
DATA_ENTRY_NAMES = ('Data_Entry_2017.csv', 'Data_Entry_2017_v2020.csv')
SPLIT_FILES = {'train': 'train_val_list.txt', 'test': 'test_list.txt'}
_KAGGLE_DIR = re.compile(r'images_\d{3}')


def nih_image_folders(data_root: str) -> List[str]:
    """Folders holding the PNGs: Box's flat ``images/`` and/or Kaggle's ``images_0NN/images/``
    (``images_0NN/`` itself when a user unpacked without the inner folder)."""
    folders = []
    flat = osp.join(data_root, 'images')
    if osp.isdir(flat):
        folders.append(flat)
    for d in sorted(os.listdir(data_root)):
        if _KAGGLE_DIR.fullmatch(d) and osp.isdir(osp.join(data_root, d)):
            inner = osp.join(data_root, d, 'images')
            folders.append(inner if osp.isdir(inner) else osp.join(data_root, d))
    if not folders:
        raise DatasetFormatError(
            f'NIHChestXray14: no image folder in {data_root}: expected images/ (NIH Box archives '
            'unpacked) or images_001/images/ ... images_012/images/ (Kaggle)')
    return folders


@DATASETS.register_module()
class NIHChestXray14(BaseDataset):
    """NIH ChestX-ray14: 112,120 frontal chest X-rays of 30,805 patients, 14 finding labels.

    Paper: `ChestX-ray8 <https://arxiv.org/abs/1705.02315>`_; MUSCLE uses it (as NIHCC) for
    MD-MoCo only, `MUSCLE <https://arxiv.org/abs/2310.02000>`_.

    Layout under ``data_root`` (either image variant, or both):

    - ``Data_Entry_2017.csv`` (or ``Data_Entry_2017_v2020.csv``); columns are read by name, so the
      2017 file's trailing comma is harmless; ``Patient Gender`` and ``Patient Sex`` are both
      accepted.
    - ``train_val_list.txt`` / ``test_list.txt``: NIH's official patient-disjoint split.
    - ``images/*.png`` (NIH Box) or ``images_001/images/*.png`` ... (Kaggle).

    Splits: ``'train'`` = ``train_val_list.txt`` (86,524 images), ``'test'`` = ``test_list.txt``
    (25,596), ``'all'`` = every row of the Data_Entry CSV (112,120, the count in MUSCLE's Tab. 1).
    NIH publishes no validation split, so ``'val'`` is refused rather than invented.

    Samples come from the CSV/list files; every listed image must exist, otherwise a
    :class:`DatasetFormatError` names the list file and the missing images. Indexing is one
    ``os.listdir`` per image folder (no per-file ``stat``) and logs progress every
    ``progress_interval`` rows.

    Each sample: ``img_path``, ``gt_label`` (indices into :data:`NIH_CLASSES`, empty for
    ``No Finding``), ``finding_labels``, ``patient_id``, ``follow_up``, ``patient_age``,
    ``patient_sex``, ``view_position``.

    Args:
        data_root (str): dataset root. Defaults to ``'data/NIHChestXray14'``.
        split (str): ``'train'``, ``'test'`` or ``'all'``. Defaults to ``'train'``.
        progress_interval (int): log indexing progress every this many rows. Defaults to 10000.
        **kwargs: passed to :class:`mmpretrain.datasets.BaseDataset` (``pipeline``,
            ``test_mode``, ``indices``, ...).
    """
    METAINFO = dict(classes=NIH_CLASSES)
    SPLITS = ('train', 'test', 'all')

    def __init__(self,
                 data_root: str = 'data/NIHChestXray14',
                 split: str = 'train',
                 progress_interval: int = 10000,
                 **kwargs) -> None:
        if split not in self.SPLITS:
            raise ValueError(
                f'NIHChestXray14: unknown split {split!r}; choose one of {self.SPLITS} '
                "(NIH publishes no validation split: 'train' is train_val_list.txt)")
        self.split = split
        self.progress_interval = max(int(progress_interval), 1)
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def _read_entries(self, csv_path: str) -> Dict[str, dict]:
        rows = read_csv_rows(
            csv_path,
            required=('Image Index', 'Finding Labels', 'Follow-up #', 'Patient ID', 'Patient Age',
                      'Patient Gender', 'View Position'),
            alternatives={'Patient Gender': ('Patient Sex', )})
        entries = {}
        for line, row in enumerate(rows, start=2):
            name = row['Image Index'].strip()
            if name in entries:
                raise DatasetFormatError(f'{csv_path}: line {line}: duplicate Image Index {name}')
            row['_line'] = line
            entries[name] = row
        return entries

    def _parse_labels(self, row: dict, csv_path: str) -> List[str]:
        text = row['Finding Labels'].strip()
        if text == NO_FINDING:
            return []
        names = [t.strip() for t in text.split('|')]
        unknown = [n for n in names if n not in NIH_CLASSES]
        if unknown:
            raise DatasetFormatError(
                f'{csv_path}: line {row["_line"]}: unknown finding label(s) {unknown} for '
                f'{row["Image Index"]}; expected {NO_FINDING!r} or names from {NIH_CLASSES}')
        return names

    def load_data_list(self) -> List[dict]:
        root = require_dir(self.data_root, 'NIHChestXray14 data_root')
        csv_path = first_existing([osp.join(root, n) for n in DATA_ENTRY_NAMES],
                                  'NIHChestXray14 Data_Entry CSV')
        entries = self._read_entries(csv_path)
        if self.split == 'all':
            names, listed_in = list(entries), csv_path
        else:
            listed_in = first_existing([osp.join(root, SPLIT_FILES[self.split])],
                                       f'NIHChestXray14 split file for {self.split!r}')
            with open(listed_in) as f:
                names = [ln.strip() for ln in f if ln.strip()]

        folders = nih_image_folders(root)
        where: Dict[str, str] = {}
        for folder in folders:
            for n in os.listdir(folder):
                if n.startswith('.') or not n.lower().endswith('.png'):
                    continue  # OS junk (.DS_Store, ._* resource forks) is not an image
                if n in where:
                    raise DatasetFormatError(
                        f'NIHChestXray14: {n} is in two image folders: {where[n]} and {folder}')
                where[n] = folder

        total, start = len(names), time.time()
        print_log(
            f'NIHChestXray14: indexing {total} entries of split {self.split!r} '
            f'from {listed_in}',
            logger='current')
        data_list, missing, seen = [], [], set()
        for i, name in enumerate(names, start=1):
            if name in seen:
                raise DatasetFormatError(f'{listed_in}: {name} is listed twice')
            seen.add(name)
            row = entries.get(name)
            if row is None:
                raise DatasetFormatError(f'{listed_in}: {name} has no row in {csv_path}')
            folder = where.get(name)
            if folder is None:
                missing.append(name)
            else:
                labels = self._parse_labels(row, csv_path)
                data_list.append(
                    dict(
                        img_path=osp.abspath(osp.join(folder, name)),
                        gt_label=[NIH_CLASSES.index(n) for n in labels],
                        finding_labels=labels,
                        patient_id=int(row['Patient ID']),
                        follow_up=int(row['Follow-up #']),
                        patient_age=_parse_age(row['Patient Age']),
                        patient_sex=row['Patient Gender'].strip(),
                        view_position=row['View Position'].strip()))
            if i % self.progress_interval == 0 or i == total:
                rate = i / max(time.time() - start, 1e-6)
                print_log(
                    f'NIHChestXray14: indexed {i}/{total} entries ({rate:.0f}/s)', logger='current')
        if missing:
            shown = ', '.join(missing[:5]) + (' ...' if len(missing) > 5 else '')
            raise DatasetFormatError(
                f'NIHChestXray14: {len(missing)} image(s) listed in {listed_in} not found in '
                f'{folders}: {shown}')
        return check_not_empty(data_list, f'NIHChestXray14 split {self.split!r}', listed_in)

    def get_cat_ids(self, idx: int) -> List[int]:
        """Multi-label: all finding indices of the sample (empty for ``No Finding``)."""
        return list(self.get_data_info(idx)['gt_label'])

    def extra_repr(self) -> List[str]:
        return [f'Data root: \t{self.data_root}', f'Split: \t{self.split}']


def _parse_age(text: str) -> Optional[int]:
    """Age in years: plain integers (2017 CSV) or ``058Y`` (older copies); None if absent."""
    m = re.match(r'\s*(\d+)', text or '')
    return int(m.group(1)) if m else None
