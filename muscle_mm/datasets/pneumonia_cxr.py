"""Kermany pediatric pneumonia chest X-rays (Kaggle "Chest X-Ray Images (Pneumonia)")."""
import logging
import os
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.logging import print_log
from mmpretrain.datasets import BaseDataset

from muscle_mm.registry import DATASETS
from .base import DatasetFormatError, check_not_empty, list_images, require_dir
from .resplit import MuscleSplitMixin
from .splits import PAPER_SPLITS, kermany_patient_id

OFFICIAL_FOLDERS = ('train', 'val', 'test')
JUNK = ('__MACOSX', )
IMG_EXTS = ('.jpeg', '.jpg', '.png')


def _subtype(label_name: str, filename: str) -> str:
    """'normal', or the pneumonia cause written in the file name ('bacteria'/'virus'/'unknown')."""
    if label_name == 'NORMAL':
        return 'normal'
    low = filename.lower()
    return 'bacteria' if 'bacteria' in low else 'virus' if 'virus' in low else 'unknown'


@DATASETS.register_module()
class PneumoniaCXR(MuscleSplitMixin, BaseDataset):
    """Kermany et al. pediatric chest X-rays, NORMAL vs PNEUMONIA.

    MUSCLE (https://arxiv.org/abs/2310.02000, Tab. 1) pools all 5,856 images and re-splits them
    4,686/585/585, because Kaggle's official val folder holds only 16 images.

    Layout under ``data_root`` (Kaggle zip or Mendeley ``ChestXRay2017.zip``, unpacked)::

        chest_xray/{train,val,test}/{NORMAL,PNEUMONIA}/*.jpeg   (val/ absent in Mendeley)

    ``data_root`` may also be that ``chest_xray/`` folder itself. The Kaggle zip repeats the whole
    tree under ``chest_xray/chest_xray/``: only one tree is read (the outer one; the inner one
    only if it is the sole copy), so no image is counted twice. ``__MACOSX/`` and dot-files
    (``.DS_Store``, ``._*``) are ignored. An unknown class folder is an error.

    Each sample keeps ``patient_id`` (see :func:`~muscle_mm.datasets.splits.kermany_patient_id`:
    ``personN`` for PNEUMONIA, the ``IM-NNNN`` series number for NORMAL), ``subtype`` ('normal',
    'bacteria', 'virus' or 'unknown', from the file name) and ``official_split`` (its Kaggle
    folder). The 'muscle' split keeps each patient, and each set of md5-identical files (a few
    dozen in the real set, one pair across Kaggle's train/test), in one split.

    Args:
        data_root (str): Dataset root. Defaults to 'data/PneumoniaCXR'.
        split (str): 'train', 'val' or 'test'. Defaults to 'train'.
        split_mode (str): 'muscle' (pool every image and re-split by ``proportions``,
            patient-disjoint, from ``seed``, saved to ``split_file``) or 'official' (Kaggle's
            folders). Defaults to 'muscle'.
        seed (int): Seed of the 'muscle' split. Defaults to 0.
        split_file (str, optional): Where the 'muscle' split is saved and read back. Defaults to
            None: ``<split_dir>/PneumoniaCXR_seed<seed>.json``.
        split_dir (str, optional): Folder of the default split file. Defaults to None:
            ``<data_root>/muscle_mm_splits``.
        proportions (Sequence[float]): train/val/test proportions. Defaults to the paper's
            (4686, 585, 585).
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset` (``pipeline``,
            ``test_mode``, ``indices``, ...).
    """

    METAINFO = dict(classes=('NORMAL', 'PNEUMONIA'))
    SPLIT_DATASET = 'PneumoniaCXR'
    GROUPING_RULE = ('patient (kermany_patient_id: personN, Mendeley id, NORMAL IM-NNNN / '
                     'NORMAL2-IM-NNNN); md5-identical files joined')

    def __init__(self,
                 data_root: str = 'data/PneumoniaCXR',
                 split: str = 'train',
                 split_mode: str = 'muscle',
                 seed: int = 0,
                 split_file: Optional[str] = None,
                 proportions: Sequence[float] = PAPER_SPLITS['PneumoniaCXR'],
                 split_dir: Optional[str] = None,
                 **kwargs) -> None:
        self.init_split(data_root, split, split_mode, seed, split_file, split_dir, proportions)
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def find_tree(self) -> str:
        """The folder holding ``train/`` and ``test/``; the Kaggle duplicate is ignored."""
        root = require_dir(self.data_root, 'PneumoniaCXR data_root')
        candidates = [
            osp.join(root, 'chest_xray'), root,
            osp.join(root, 'chest_xray', 'chest_xray')
        ]
        trees = [
            c for c in candidates
            if osp.isdir(osp.join(c, 'train')) and osp.isdir(osp.join(c, 'test'))
        ]
        if not trees:
            tried = '\n  '.join(candidates)
            raise DatasetFormatError(
                f'PneumoniaCXR: no folder with train/ and test/ found; tried:\n  {tried}')
        for other in trees[1:]:
            if osp.realpath(other) != osp.realpath(trees[0]):
                print_log(
                    f'PneumoniaCXR: reading {trees[0]}; ignoring the duplicate tree {other}',
                    logger='current')
        return trees[0]

    def scan(self, tree: str) -> List[dict]:
        """Every image of every official folder, with its label and metadata."""
        classes = self.metainfo['classes']
        samples = []
        for folder in OFFICIAL_FOLDERS:
            fdir = osp.join(tree, folder)
            if not osp.isdir(fdir):
                continue  # Mendeley has no val/
            entries = [
                e for e in sorted(os.listdir(fdir)) if not e.startswith('.') and e not in JUNK
            ]
            for e in entries:
                if osp.isdir(osp.join(fdir, e)) and e not in classes:
                    raise DatasetFormatError(
                        f'PneumoniaCXR: unknown category folder {osp.join(fdir, e)}; '
                        f'expected only {classes}')
                if osp.isfile(osp.join(fdir, e)) and osp.splitext(e)[1].lower() in IMG_EXTS:
                    raise DatasetFormatError(
                        f'PneumoniaCXR: image {osp.join(fdir, e)} lies outside the class '
                        f'folders {classes}, so it has no label')
            for label, name in enumerate(classes):
                cdir = require_dir(osp.join(fdir, name), f'PneumoniaCXR {folder} class folder')
                for fname in list_images(cdir, IMG_EXTS):
                    rel = f'{folder}/{name}/{fname}'
                    samples.append(
                        dict(
                            rel_path=rel,
                            img_path=osp.join(tree, folder, name, fname),
                            gt_label=label,
                            patient_id=kermany_patient_id(fname),
                            subtype=_subtype(name, fname),
                            official_split=folder))
        return check_not_empty(samples, 'PneumoniaCXR', tree)

    def load_data_list(self) -> List[dict]:
        tree = self.find_tree()
        samples = self.scan(tree)
        if self.split_mode == 'official':
            if self.split == 'val' and not osp.isdir(osp.join(tree, 'val')):
                raise DatasetFormatError(
                    f'PneumoniaCXR: {tree} has no val/ folder (Mendeley release); use '
                    "split_mode='muscle' or split='test'")
            chosen = [s for s in samples if s['official_split'] == self.split]
        else:
            splits = self.draw_split(
                [s['rel_path'] for s in samples], [s['patient_id'] for s in samples],
                [s['img_path'] for s in samples],
                source='every image of chest_xray/{train,val,test}/{NORMAL,PNEUMONIA}/, '
                'paths relative to chest_xray/')
            wanted = set(splits[self.split])
            chosen = [s for s in samples if s['rel_path'] in wanted]
        check_not_empty(chosen, f'PneumoniaCXR {self.split_mode} split {self.split!r}',
                        self.split_file or tree)
        counts = [sum(s['gt_label'] == i for s in chosen) for i in range(2)]
        print_log(
            f'PneumoniaCXR {self.split} ({self.split_mode}): {len(chosen)} images, '
            f'{counts[0]} NORMAL / {counts[1]} PNEUMONIA',
            logger='current',
            level=logging.INFO)
        return chosen
