"""Indiana University chest X-rays (Open-i / IU-Xray), used by MUSCLE for MD-MoCo only."""
import os
import os.path as osp
import re
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional, Sequence

from mmengine.logging import print_log
from mmpretrain.datasets import BaseDataset

from muscle_mm.registry import DATASETS
from .base import (DatasetFormatError, check_not_empty, check_split, first_existing, list_images,
                   read_csv_rows, require_dir)

PROJECTIONS = ('Frontal', 'Lateral')
_KAGGLE_UID = re.compile(r'(\d+)_')
_OFFICIAL_UID = re.compile(r'CXR(\d+)_')


@DATASETS.register_module()
class IndianaCXR(BaseDataset):
    """Indiana University chest X-ray collection: 7,470 images of 3,955 reports.

    Paper: `Demner-Fushman et al., 2016 <https://pubmed.ncbi.nlm.nih.gov/26133894/>`_; MUSCLE
    (`arXiv:2310.02000 <https://arxiv.org/abs/2310.02000>`_) uses it for MD-MoCo only.

    Two layouts under ``data_root`` (``layout='auto'`` takes Kaggle when its CSV exists):

    - Kaggle ``raddar/chest-xrays-indiana-university``: ``images/images_normalized/*.png``,
      ``indiana_projections.csv`` (``uid,filename,projection``) and optionally
      ``indiana_reports.csv`` (``uid,MeSH,Problems,...``).
    - Official Open-i: ``NLMCXR_png/*.png`` (or the PNGs in ``data_root`` itself), optionally
      ``ecgen-radiology/*.xml`` whose ``<parentImage id>`` name the PNGs.

    Every image listed by a CSV row or XML report must exist (else :class:`DatasetFormatError`
    naming the list and the file). Images on disk that no CSV/XML lists are kept (it is an
    unlabeled pre-training set) with ``projection=None``, and their number is logged. Reports
    without images (104 in the official XMLs) are normal and ignored.

    No official split; MUSCLE pre-trains on the whole set, so the only split is ``'train'``.
    Each sample: ``img_path``, ``uid`` (int report id, ``1`` = ``CXR1``), ``projection``
    (``'Frontal'``/``'Lateral'`` from the Kaggle CSV, else None) and ``problems`` (Kaggle
    ``Problems`` terms, or the XML ``MeSH/major`` terms; None when no report was read).

    Args:
        data_root (str): dataset root. Defaults to ``'data/IndianaCXR'``.
        split (str): only ``'train'``. Defaults to ``'train'``.
        layout (str): ``'auto'``, ``'kaggle'`` or ``'official'``. Defaults to ``'auto'``.
        projections (Sequence[str], optional): keep only these projections, e.g.
            ``('Frontal',)``; needs the Kaggle CSV. Defaults to None (all images).
        **kwargs: passed to :class:`mmpretrain.datasets.BaseDataset`.
    """
    SPLITS = ('train', )
    KAGGLE_CSV = 'indiana_projections.csv'
    REPORTS_CSV = 'indiana_reports.csv'

    def __init__(self,
                 data_root: str = 'data/IndianaCXR',
                 split: str = 'train',
                 layout: str = 'auto',
                 projections: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        self.split = check_split('IndianaCXR', split, self.SPLITS,
                                 'no official split; MUSCLE pre-trains on the whole set')
        if layout not in ('auto', 'kaggle', 'official'):
            raise ValueError(f"IndianaCXR: layout must be 'auto', 'kaggle' or 'official', "
                             f'got {layout!r}')
        bad = [p for p in (projections or ()) if p not in PROJECTIONS]
        if bad:
            raise ValueError(f'IndianaCXR: unknown projection(s) {bad}; expected {PROJECTIONS}')
        self.layout = layout
        self.projections = tuple(projections) if projections else None
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        root = require_dir(self.data_root, 'IndianaCXR data_root')
        layout = self.layout
        if layout == 'auto':
            layout = 'kaggle' if osp.isfile(osp.join(root, self.KAGGLE_CSV)) else 'official'
        if layout == 'kaggle':
            samples, where = self._load_kaggle(root)
        else:
            if self.projections:
                raise ValueError('IndianaCXR: projections need the Kaggle indiana_projections.csv;'
                                 f' {root} has the official layout, which does not record them')
            samples, where = self._load_official(root)
        if self.projections:
            samples = [s for s in samples if s['projection'] in self.projections]
            print_log(
                f'IndianaCXR: kept {len(samples)} images with projection in '
                f'{self.projections}',
                logger='current')
        return check_not_empty(samples, 'IndianaCXR', where)

    def _load_kaggle(self, root: str):
        img_dir = first_existing([osp.join(root, 'images', 'images_normalized')],
                                 'IndianaCXR Kaggle image folder')
        csv_path = osp.join(root, self.KAGGLE_CSV)
        rows = read_csv_rows(csv_path, required=('uid', 'filename', 'projection'))
        problems = self._kaggle_problems(root)
        on_disk = set(list_images(img_dir, exts=('.png', )))
        samples, listed, missing = [], set(), []
        for line, row in enumerate(rows, start=2):
            name, proj = row['filename'].strip(), row['projection'].strip()
            if proj not in PROJECTIONS:
                raise DatasetFormatError(f'{csv_path}: line {line}: projection {proj!r} is not '
                                         f'one of {PROJECTIONS}')
            if name not in on_disk:
                missing.append(name)
                continue
            if name in listed:
                continue  # a repeated row names the same image; it is indexed once
            listed.add(name)
            uid = _int(row['uid'], csv_path, line)
            samples.append(self._sample(img_dir, name, uid, proj, problems.get(uid)))
        _raise_missing(missing, csv_path, img_dir)
        for name in sorted(on_disk - listed):
            m = _KAGGLE_UID.match(name)
            uid = int(m.group(1)) if m else None
            samples.append(self._sample(img_dir, name, uid, None, problems.get(uid)))
        _log_unlisted(len(on_disk - listed), img_dir, csv_path)
        return samples, img_dir

    def _kaggle_problems(self, root: str) -> Dict[int, List[str]]:
        path = osp.join(root, self.REPORTS_CSV)
        if not osp.isfile(path):
            return {}
        out = {}
        for line, row in enumerate(read_csv_rows(path, required=('uid', 'Problems')), start=2):
            out[_int(row['uid'], path,
                     line)] = [p.strip() for p in row['Problems'].split(';') if p.strip()]
        return out

    def _load_official(self, root: str):
        img_dir = osp.join(root, 'NLMCXR_png')
        if not osp.isdir(img_dir):
            img_dir = root
        on_disk = set(list_images(img_dir, exts=('.png', )))
        xml_dir = osp.join(root, 'ecgen-radiology')
        listed = set()
        samples = []
        if osp.isdir(xml_dir):
            for xml_name in sorted(
                    n for n in os.listdir(xml_dir) if n.endswith('.xml') and not n.startswith('.')):
                xml_path = osp.join(xml_dir, xml_name)
                uid, image_ids, mesh = _parse_report(xml_path)
                missing = [i + '.png' for i in image_ids if i + '.png' not in on_disk]
                _raise_missing(missing, xml_path, img_dir)
                for i in image_ids:
                    if i + '.png' in listed:
                        continue  # an image shared by two reports is indexed once
                    listed.add(i + '.png')
                    samples.append(self._sample(img_dir, i + '.png', uid, None, mesh))
        for name in sorted(on_disk - listed):
            m = _OFFICIAL_UID.match(name)
            samples.append(self._sample(img_dir, name, int(m.group(1)) if m else None, None, None))
        if osp.isdir(xml_dir):
            _log_unlisted(len(on_disk - listed), img_dir, xml_dir)
        return samples, img_dir

    @staticmethod
    def _sample(img_dir, name, uid, projection, problems) -> dict:
        return dict(
            img_path=osp.abspath(osp.join(img_dir, name)),
            uid=uid,
            projection=projection,
            problems=problems)

    def extra_repr(self) -> List[str]:
        return [f'Data root: \t{self.data_root}', f'Layout: \t{self.layout}']


def _parse_report(xml_path: str):
    """(uid, image ids, MeSH major terms) of one ``ecgen-radiology`` report."""
    try:
        tree = ET.parse(xml_path).getroot()
    except ET.ParseError as e:
        raise DatasetFormatError(f'{xml_path}: not a readable XML report ({e})') from e
    uid_el = tree.find('.//uId')
    m = re.fullmatch(r'CXR(\d+)', uid_el.get('id', '')) if uid_el is not None else None
    if m is None:
        raise DatasetFormatError(f'{xml_path}: no <uId id="CXR<n>"> element')
    ids = [el.get('id') for el in tree.iter('parentImage') if el.get('id')]
    mesh = [el.text.strip() for el in tree.iter('major') if el.text and el.text.strip()]
    return int(m.group(1)), ids, mesh


def _int(text: str, path: str, line: int) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        raise DatasetFormatError(f'{path}: line {line}: uid {text!r} is not an integer') from None


def _raise_missing(missing: List[str], listed_in: str, img_dir: str) -> None:
    if missing:
        shown = ', '.join(missing[:5]) + (' ...' if len(missing) > 5 else '')
        raise DatasetFormatError(f'IndianaCXR: {len(missing)} image(s) listed in {listed_in} '
                                 f'not found in {img_dir}: {shown}')


def _log_unlisted(n: int, img_dir: str, lists: str) -> None:
    if n:
        print_log(
            f'IndianaCXR: {n} image(s) in {img_dir} are not listed in {lists}; kept '
            'without projection/report metadata',
            logger='current')
