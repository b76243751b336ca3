"""MURA v1.1 musculoskeletal radiographs (Stanford ML Group), normal vs abnormal."""
import csv
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.logging import print_log
from mmpretrain.datasets import BaseDataset

from muscle_mm.registry import DATASETS
from .base import DatasetFormatError, check_not_empty, require_dir, require_file
from .resplit import MuscleSplitMixin
from .splits import PAPER_SPLITS, mura_patient_id

MURA_BODY_PARTS = ('XR_ELBOW', 'XR_FINGER', 'XR_FOREARM', 'XR_HAND', 'XR_HUMERUS', 'XR_SHOULDER',
                   'XR_WRIST')
OFFICIAL_PARTS = ('train', 'valid')
PREFIX = 'MURA-v1.1/'
_STUDY = re.compile(r'^study\d+_(positive|negative)$')


def _strip(path: str) -> str:
    """``MURA-v1.1/train/XR_X/...`` -> ``train/XR_X/...`` (no leading prefix, no trailing /)."""
    path = path.strip().replace('\\', '/')
    if path.startswith(PREFIX):
        path = path[len(PREFIX):]
    return path.strip('/')


def _rows(path: str) -> List[Tuple[int, List[str]]]:
    """Non-blank rows of a header-less CSV with their 1-based line numbers."""
    with open(require_file(path, 'MURA CSV'), newline='', encoding='utf-8-sig') as f:
        return [(i, row) for i, row in enumerate(csv.reader(f), 1) if any(c.strip() for c in row)]


@DATASETS.register_module()
class MURA(MuscleSplitMixin, BaseDataset):
    """MURA v1.1 upper-extremity radiographs; an image is abnormal if its study is.

    MUSCLE (https://arxiv.org/abs/2310.02000, Tab. 1) pools the 40,005 public images (36,808
    train + 3,197 valid) and re-splits them 32,013/3,997/3,995; here that split is also
    patient-disjoint (``patientNNNNN`` folders), since one patient's studies are correlated, and
    md5-identical files are kept in one split.

    Layout under ``data_root`` (the unpacked archive; ``data_root`` may also be ``MURA-v1.1/``)::

        MURA-v1.1/{train,valid}_image_paths.csv      header-less, one path per line
        MURA-v1.1/{train,valid}_labeled_studies.csv  header-less, '<study dir>/,<0|1>'
        MURA-v1.1/{train,valid}/XR_<PART>/patientNNNNN/studyK_<positive|negative>/imageJ.png

    CSV paths start with ``MURA-v1.1/`` and are resolved against the folder holding the CSVs
    (so a renamed top folder still works). Every listed image must exist; a missing one, a row
    with unexpected columns, an unknown body part, a study without a label or a label that
    contradicts the study folder name raises :class:`DatasetFormatError` naming the CSV and line.

    Each sample keeps ``body_part`` (e.g. 'XR_WRIST'), ``patient_id``, ``study`` (for study-level
    evaluation) and ``official_split``; ``metainfo['body_parts']`` lists the seven parts.

    Args:
        data_root (str): Dataset root. Defaults to 'data/MURA'.
        split (str): 'train', 'val' or 'test'. Defaults to 'train'.
        split_mode (str): 'muscle' (pool train+valid, re-split by ``proportions``,
            patient-disjoint, saved to ``split_file``) or 'official' (train / valid; the official
            test set is hidden, so 'test' raises). Defaults to 'muscle'.
        seed (int): Seed of the 'muscle' split. Defaults to 0.
        split_file (str, optional): Where the 'muscle' split is saved and read back. Defaults to
            None: ``<split_dir>/MURA_seed<seed>.json``.
        split_dir (str, optional): Folder of the default split file. Defaults to None:
            ``<data_root>/muscle_mm_splits``.
        proportions (Sequence[float]): train/val/test proportions. Defaults to the paper's
            (32013, 3997, 3995).
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`.
    """

    METAINFO = dict(classes=('normal', 'abnormal'), body_parts=MURA_BODY_PARTS)
    SPLIT_DATASET = 'MURA'
    GROUPING_RULE = 'patient (patientNNNNN folder); md5-identical files joined'

    def __init__(self,
                 data_root: str = 'data/MURA',
                 split: str = 'train',
                 split_mode: str = 'muscle',
                 seed: int = 0,
                 split_file: Optional[str] = None,
                 proportions: Sequence[float] = PAPER_SPLITS['MURA'],
                 split_dir: Optional[str] = None,
                 **kwargs) -> None:
        self.init_split(data_root, split, split_mode, seed, split_file, split_dir, proportions)
        if split_mode == 'official' and split == 'test':
            raise DatasetFormatError(
                "MURA: the official test set is hidden (only train/ and valid/ are public); use "
                "split_mode='official' with split='train'/'val', or split_mode='muscle'")
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def find_mura_dir(self) -> str:
        """The folder holding the CSVs: ``<data_root>/MURA-v1.1`` or ``data_root`` itself."""
        root = require_dir(self.data_root, 'MURA data_root')
        candidates = [osp.join(root, 'MURA-v1.1'), root]
        for c in candidates:
            if osp.isfile(osp.join(c, 'train_image_paths.csv')):
                return c
        raise DatasetFormatError('MURA: train_image_paths.csv not found in any of: ' +
                                 ', '.join(candidates))

    @staticmethod
    def read_study_labels(csv_path: str) -> Dict[str, int]:
        """``{study key: 0|1}`` from a header-less ``*_labeled_studies.csv``."""
        labels = {}
        for line, row in _rows(csv_path):
            if len(row) != 2 or row[1].strip() not in ('0', '1'):
                raise DatasetFormatError(
                    f'{csv_path}: line {line}: expected 2 columns "<study path>/,<0|1>" and no '
                    f'header, got {row}')
            labels[_strip(row[0])] = int(row[1])
        return labels

    def read_part(self, mura_dir: str, part: str) -> List[dict]:
        """Samples of one official part ('train' or 'valid')."""
        img_csv = osp.join(mura_dir, f'{part}_image_paths.csv')
        study_csv = osp.join(mura_dir, f'{part}_labeled_studies.csv')
        labels = self.read_study_labels(study_csv)
        samples, seen = [], set()
        for line, row in _rows(img_csv):
            where = f'{img_csv}: line {line}'
            if len(row) != 1:
                raise DatasetFormatError(
                    f'{where}: expected one column (an image path, no header), got {row}')
            rel = _strip(row[0])
            parts = rel.split('/')
            if len(parts) != 5 or parts[0] != part or not _STUDY.match(parts[3]):
                raise DatasetFormatError(
                    f'{where}: {row[0]!r} is not "MURA-v1.1/{part}/XR_<PART>/patient<N>/'
                    'study<K>_<positive|negative>/<image>" (MURA CSVs have no header)')
            body_part, study_dir = parts[1], parts[3]
            if body_part not in MURA_BODY_PARTS:
                raise DatasetFormatError(
                    f'{where}: unknown body part {body_part!r}; expected one of {MURA_BODY_PARTS}')
            patient = mura_patient_id(rel)
            if patient is None:
                raise DatasetFormatError(f'{where}: no patientNNNNN folder in {row[0]!r}')
            study = '/'.join(parts[:4])
            if study not in labels:
                raise DatasetFormatError(
                    f'{where}: study {study}/ of {row[0]!r} has no label in {study_csv}')
            label = labels[study]
            if label != int(study_dir.endswith('_positive')):
                raise DatasetFormatError(
                    f'{where}: {study_csv} labels study {study}/ as {label}, which contradicts '
                    f'its folder name {study_dir!r}')
            if rel in seen:
                raise DatasetFormatError(f'{where}: {row[0]!r} is listed twice')
            seen.add(rel)
            samples.append(
                dict(
                    rel_path=rel,
                    img_path=require_file(osp.join(mura_dir, rel), 'MURA image', listed_in=img_csv),
                    gt_label=label,
                    body_part=body_part,
                    patient_id=patient,
                    study=study,
                    official_split=part))
        return check_not_empty(samples, 'MURA', img_csv)

    def load_data_list(self) -> List[dict]:
        mura_dir = self.find_mura_dir()
        if self.split_mode == 'official':
            chosen = self.read_part(mura_dir, 'train' if self.split == 'train' else 'valid')
        else:
            samples = [s for part in OFFICIAL_PARTS for s in self.read_part(mura_dir, part)]
            splits = self.draw_split(
                [s['rel_path'] for s in samples], [s['patient_id'] for s in samples],
                [s['img_path'] for s in samples],
                source='images of {train,valid}_image_paths.csv, paths relative to MURA-v1.1/')
            wanted = set(splits[self.split])
            chosen = [s for s in samples if s['rel_path'] in wanted]
        check_not_empty(chosen, f'MURA {self.split_mode} split {self.split!r}', self.split_file
                        or mura_dir)
        abnormal = sum(s['gt_label'] for s in chosen)
        print_log(
            f'MURA {self.split} ({self.split_mode}): {len(chosen)} images, '
            f'{len(chosen) - abnormal} normal / {abnormal} abnormal, '
            f'{len({s["patient_id"] for s in chosen})} patients',
            logger='current')
        return chosen
