"""Kaggle "Chest Xray Masks and Labels" lung segmentation (Montgomery + Shenzhen), for mmseg."""
import logging
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset

from muscle_mm.registry import MMSEG_DATASETS
from .base import DatasetFormatError, check_not_empty, list_images, require_dir
from .resplit import MuscleSplitMixin
from .splits import PAPER_SPLITS, default_split_file, nlm_patient_ids, nlm_same_patient
from .transforms.seg_mask import LoadXRayLungMask  # noqa: F401  (registers the mask loader)


def _tb_label(stem: str) -> Optional[int]:
    """TB label from the ``_0``/``_1`` stem suffix of Montgomery/Shenzhen names, or None."""
    return int(stem[-1]) if len(stem) > 2 and stem[-2] == '_' and stem[-1] in '01' else None


@MMSEG_DATASETS.register_module()
class ChestXrayMasks(MuscleSplitMixin, BaseSegDataset):
    """Lung masks of the Montgomery and Shenzhen chest X-rays, background vs lung.

    MUSCLE (https://arxiv.org/abs/2310.02000, Tab. 1) re-splits this set 718/89/89, seeded and
    saved to ``split_file``. There are no patient ids, but some Montgomery readings say
    ``NO REPORT (same pt as MCUCXR_0162_1)``: such repeat patients, read from
    ``ClinicalReadings/<stem>.txt`` (Kaggle set and ``montgomery_root``), stay in one split, and
    so do md5-identical files; every other image is its own group.

    Layout under ``data_root`` (Kaggle ``nikhilpandey360/chest-xray-masks-and-labels``)::

        Lung Segmentation/CXR_png/{MCUCXR,CHNCXR}_NNNN_<0|1>.png  (or data/Lung Segmentation/)
        Lung Segmentation/masks/MCUCXR_NNNN_<0|1>.png             Montgomery: same name
        Lung Segmentation/masks/CHNCXR_NNNN_<0|1>_mask.png        Shenzhen: '_mask' suffix
        Lung Segmentation/test/*.png                              no masks

    Images are paired with masks by stem, stripping a trailing ``_mask``. Images without a mask
    (some Shenzhen ones, and all of ``test/``) are not segmentation samples: their number is
    logged, and they remain usable for pre-training through their paths. A mask without an image
    is logged as a warning; two masks for one image are an error.

    ``montgomery_root`` adds the NLM Montgomery set (``MontgomerySet/CXR_png`` +
    ``ManualMask/{leftMask,rightMask}``, same file names): the label map is the union of the left
    and right masks. Images already in the Kaggle set are taken from there (the Kaggle mask is
    that same union), so only the others are added; with ``data_root=None`` the Montgomery set is
    used alone. A Montgomery image with only one of its two masks is an error.

    Masks are 0/255 (some copies 3-channel or 16-bit): build pipelines with
    :class:`~muscle_mm.datasets.transforms.seg_mask.LoadXRayLungMask`, which yields {0, 1} and
    checks the mask size against the image; mmseg's ``LoadAnnotations`` is refused, because it
    would read the lung (255) as ``ignore_index``. Each sample also keeps ``tb_label`` (the
    stem's last digit) and ``source`` ('kaggle' / 'montgomery').

    Args:
        data_root (str, optional): Root of the Kaggle set. Defaults to 'data/ChestXrayMasks'.
        split (str): 'train', 'val' or 'test'. Defaults to 'train'.
        seed (int): Seed of the split. Defaults to 0.
        split_file (str, optional): Where the split is saved and read back. Defaults to None:
            ``<split_dir>/ChestXrayMasks[_montgomery]_seed<seed>.json`` (``_montgomery`` when
            ``montgomery_root`` adds images).
        proportions (Sequence[float]): train/val/test proportions. Defaults to the paper's
            (718, 89, 89).
        montgomery_root (str, optional): Root of the NLM Montgomery set (the folder holding
            ``MontgomerySet/``, or ``MontgomerySet/`` itself). Defaults to None.
        split_dir (str, optional): Folder of the default split file. Defaults to None:
            ``<data_root>/muscle_mm_splits`` (``montgomery_root``'s without ``data_root``).
        split_mode (str): Only 'muscle' (the set has no official split); accepted so that all
            re-split datasets take the same split arguments. Defaults to 'muscle'.
        **kwargs: Other arguments of :class:`mmseg.datasets.BaseSegDataset` (``pipeline``,
            ``test_mode``, ...).
    """

    METAINFO = dict(classes=('background', 'lung'), palette=[[0, 0, 0], [255, 64, 64]])
    SPLIT_DATASET = 'ChestXrayMasks'
    GROUPING_RULE = ('image, Montgomery repeat patients ("same pt as" in ClinicalReadings) '
                     'joined; md5-identical files joined')

    def __init__(self,
                 data_root: Optional[str] = 'data/ChestXrayMasks',
                 split: str = 'train',
                 seed: int = 0,
                 split_file: Optional[str] = None,
                 proportions: Sequence[float] = PAPER_SPLITS['ChestXrayMasks'],
                 montgomery_root: Optional[str] = None,
                 split_dir: Optional[str] = None,
                 split_mode: str = 'muscle',
                 **kwargs) -> None:
        if split_mode != 'muscle':
            raise ValueError("ChestXrayMasks: split_mode must be 'muscle' (the set has no "
                             f'official split), got {split_mode!r}')
        # The default file depends on whether montgomery_root adds images: set in load_data_list.
        self.init_split(None, split, split_mode, seed, split_file, split_dir, proportions,
                        "the paper's 718:89:89 re-split")
        if data_root is None and montgomery_root is None:
            raise ValueError('ChestXrayMasks: give data_root, montgomery_root or both')
        self.montgomery_root = montgomery_root
        kwargs.setdefault('reduce_zero_label', False)
        super().__init__(data_root=data_root, img_suffix='.png', seg_map_suffix='.png', **kwargs)
        for t in self.pipeline.transforms:
            if type(t).__name__ == 'LoadAnnotations':
                raise ValueError(
                    'ChestXrayMasks: use LoadXRayLungMask instead of LoadAnnotations in the '
                    'pipeline (lung pixels are 255 = mmseg ignore_index; Montgomery masks are '
                    'two files)')

    def find_kaggle_root(self) -> str:
        root = require_dir(self.data_root, 'ChestXrayMasks data_root')
        candidates = [
            osp.join(root, 'Lung Segmentation'),
            osp.join(root, 'data', 'Lung Segmentation'), root
        ]
        for c in candidates:
            if osp.isdir(osp.join(c, 'CXR_png')) and osp.isdir(osp.join(c, 'masks')):
                return c
        raise DatasetFormatError('ChestXrayMasks: no folder with CXR_png/ and masks/ among: ' +
                                 ', '.join(candidates))

    def read_kaggle(self) -> Tuple[List[dict], int]:
        """Samples of the Kaggle set, and the number of its images without a mask."""
        root = self.find_kaggle_root()
        img_dir, mask_dir = osp.join(root, 'CXR_png'), osp.join(root, 'masks')
        masks: Dict[str, str] = {}
        for name in list_images(mask_dir, ('.png', )):
            stem = osp.splitext(name)[0]
            stem = stem[:-len('_mask')] if stem.endswith('_mask') else stem
            if stem in masks:
                raise DatasetFormatError(f'ChestXrayMasks: two masks for image {stem}.png: '
                                         f'{masks[stem]} and {osp.join(mask_dir, name)}')
            masks[stem] = osp.join(mask_dir, name)
        samples, unmasked = [], 0
        for name in list_images(img_dir, ('.png', )):
            stem = osp.splitext(name)[0]
            if stem not in masks:
                unmasked += 1
                continue
            samples.append(
                self._info(f'CXR_png/{name}', osp.join(img_dir, name), masks.pop(stem), stem,
                           'kaggle'))
        if masks:
            print_log(
                f'ChestXrayMasks: {len(masks)} mask(s) in {mask_dir} have no image in '
                f'{img_dir}, e.g. {sorted(masks.values())[:3]}',
                logger='current',
                level=logging.WARNING)
        test_dir = osp.join(root, 'test')
        n_test = len(list_images(test_dir, ('.png', ))) if osp.isdir(test_dir) else 0
        print_log(
            f'ChestXrayMasks: {root}: {len(samples)} image/mask pairs; {unmasked} CXR_png '
            f'image(s) without a mask and {n_test} test/ image(s) are not segmentation '
            'samples (usable for pre-training by path)',
            logger='current')
        return samples, unmasked + n_test

    def read_montgomery(self, known_stems: set) -> List[dict]:
        """Montgomery samples whose stem is not already known (left + right mask union)."""
        root = require_dir(self.montgomery_root, 'ChestXrayMasks montgomery_root')
        candidates = [osp.join(root, 'MontgomerySet'), root]
        mroot = next(
            (c for c in candidates
             if osp.isdir(osp.join(c, 'CXR_png')) and osp.isdir(osp.join(c, 'ManualMask'))), None)
        if mroot is None:
            raise DatasetFormatError('ChestXrayMasks: no folder with CXR_png/ and ManualMask/ '
                                     'among: ' + ', '.join(candidates))
        samples, unmasked, dup = [], 0, 0
        for name in list_images(osp.join(mroot, 'CXR_png'), ('.png', )):
            stem = osp.splitext(name)[0]
            halves = [
                osp.join(mroot, 'ManualMask', side, name) for side in ('leftMask', 'rightMask')
            ]
            present = [osp.isfile(h) for h in halves]
            if not any(present):
                unmasked += 1
                continue
            if not all(present):
                missing = halves[present.index(False)]
                raise DatasetFormatError(
                    f'ChestXrayMasks: {missing} is missing, but its other lung mask exists; '
                    'a single lung is not a lung mask')
            if stem in known_stems:
                dup += 1
                continue
            samples.append(
                self._info(f'MontgomerySet/CXR_png/{name}', osp.join(mroot, 'CXR_png', name),
                           halves, stem, 'montgomery'))
        print_log(
            f'ChestXrayMasks: {mroot}: {len(samples)} Montgomery image(s) added, {dup} '
            f'already in the Kaggle set, {unmasked} without masks',
            logger='current')
        return samples

    @staticmethod
    def _same_patient(folder: str, stem: str) -> Optional[str]:
        """The case ``folder/ClinicalReadings/<stem>.txt`` names as the same patient, or None."""
        path = osp.join(folder, 'ClinicalReadings', stem + '.txt')
        if not osp.isfile(path):
            return None
        with open(path, encoding='utf-8', errors='replace') as f:
            return nlm_same_patient(f.read())

    def _info(self, key: str, img: str, seg, stem: str, source: str) -> dict:
        same = self._same_patient(osp.dirname(osp.dirname(img)), stem)
        return dict(
            same_patient_as=same,
            rel_path=key,
            img_path=img,
            seg_map_path=seg,
            label_map=self.label_map,
            reduce_zero_label=self.reduce_zero_label,
            seg_fields=[],
            tb_label=_tb_label(stem),
            source=source)

    def load_data_list(self) -> List[dict]:
        samples = self.read_kaggle()[0] if self.data_root is not None else []
        extra = []
        if self.montgomery_root is not None:
            known = {osp.splitext(osp.basename(s['img_path']))[0] for s in samples}
            extra = self.read_montgomery(known)
        samples = check_not_empty(samples + extra, 'ChestXrayMasks', 'image/mask pairs')
        if self.split_file is None:
            self.split_file = default_split_file(
                self.data_root if self.data_root is not None else self.montgomery_root,
                'ChestXrayMasks',
                self.seed,
                tag='montgomery' if extra else '',
                split_dir=self.split_dir)
        stems = [osp.splitext(osp.basename(s['img_path']))[0] for s in samples]
        same = {st: s['same_patient_as'] for st, s in zip(stems, samples) if s['same_patient_as']}
        for s, pid in zip(samples, nlm_patient_ids(stems, same)):
            s['patient_id'] = pid
        if same:
            print_log(
                f'ChestXrayMasks: {len(same)} reading(s) name an earlier case as the same '
                f'patient (e.g. {next(iter(same))} = {same[next(iter(same))]}); those '
                'cases stay in one split',
                logger='current')
        # Group keys: the item itself, or for repeat patients the item of the patient's first
        # case, so that a set without repeats or duplicates splits exactly as by image.
        key_of = {st: s['rel_path'] for st, s in zip(stems, samples)}
        splits = self.draw_split([s['rel_path'] for s in samples],
                                 [key_of.get(s['patient_id'], s['patient_id']) for s in samples],
                                 [s['img_path'] for s in samples],
                                 source='image/mask pairs; CXR_png/ paths relative to Lung '
                                 'Segmentation/, MontgomerySet/ ones to montgomery_root')
        wanted = set(splits[self.split])
        chosen = [s for s in samples if s['rel_path'] in wanted]
        check_not_empty(chosen, f'ChestXrayMasks split {self.split!r}', self.split_file)
        print_log(f'ChestXrayMasks {self.split}: {len(chosen)} image/mask pairs', logger='current')
        return chosen
