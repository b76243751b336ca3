"""A user's own unlabeled X-rays (a folder tree of PNG, JPEG, TIFF, DICOM) for the MD-MoCo pool."""
import os
import os.path as osp
from typing import List, Sequence

from mmengine.logging import print_log
from mmpretrain.datasets import BaseDataset

from muscle_mm.registry import DATASETS
from .base import check_not_empty, require_dir
from .image_reader import IMAGE_EXTS, is_dicom_file


@DATASETS.register_module()
class XRayFolder(BaseDataset):
    """Every X-ray image under ``data_root``, recursively, without labels.

    MUSCLE (`arXiv:2310.02000 <https://arxiv.org/abs/2310.02000>`_) pre-trains on public sets;
    a hospital's own radiographs join the same pool as one more source of
    :class:`~muscle_mm.datasets.xray_pretrain_pool.XRayPretrainPool` (with its de-duplication,
    downstream check and per-source log)::

        datasets=[..., dict(type='XRayFolder', data_root='/data/my_xrays')]

    Files are taken by extension (``exts``, case-insensitive) and, with ``dicom_by_content``,
    extension-less files that carry the DICOM ``DICM`` marker (PACS exports often have no
    extension). Hidden files and folders (``.DS_Store``, ``._*`` forks, ``.git``) and
    ``__MACOSX`` are skipped; symbolic links to folders are followed. Decoding is the
    pipeline's ``LoadXRayImage`` (8/16-bit PNG/TIFF, JPEG, BMP, DICOM with its LUTs). An empty tree
    raises. Each sample: ``img_path``; the number of files skipped for their extension is logged.

    Args:
        data_root (str): the folder. Defaults to 'data/XRayFolder'.
        exts (Sequence[str]): file extensions read. Defaults to
            :data:`~muscle_mm.datasets.image_reader.IMAGE_EXTS` (PNG, JPEG, BMP, TIFF, DICOM:
            every type the loader and the leakage check read).
        dicom_by_content (bool): also read extension-less DICOM files. Defaults to True.
        split (str): only 'train' (the pool reads 'train' splits). Defaults to 'train'.
        **kwargs: passed to :class:`mmpretrain.datasets.BaseDataset` (``pipeline``, ...).
    """

    def __init__(self,
                 data_root: str = 'data/XRayFolder',
                 exts: Sequence[str] = IMAGE_EXTS,
                 dicom_by_content: bool = True,
                 split: str = 'train',
                 **kwargs) -> None:
        if split != 'train':
            raise ValueError(f"XRayFolder: unlabeled images have only split 'train', got "
                             f'{split!r}')
        self.split = split
        self.exts = tuple(e.lower() for e in exts)
        self.dicom_by_content = dicom_by_content
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        root = require_dir(self.data_root, 'XRayFolder data_root')
        found, skipped = [], 0
        for d, dirs, files in os.walk(root, followlinks=True):
            dirs[:] = sorted(x for x in dirs if not x.startswith('.') and x != '__MACOSX')
            for f in sorted(files):
                if f.startswith('.'):
                    continue
                path = osp.join(d, f)
                ext = osp.splitext(f)[1].lower()
                if ext in self.exts or (self.dicom_by_content and not ext and is_dicom_file(path)):
                    found.append(dict(img_path=path))
                else:
                    skipped += 1
        check_not_empty(found, 'XRayFolder', f'{root} (extensions {self.exts})')
        print_log(
            f'XRayFolder: {len(found)} image(s) under {root}' +
            (f'; {skipped} other file(s) skipped' if skipped else ''),
            logger='current')
        return found
