"""Montgomery County tuberculosis chest X-ray set, used by MUSCLE for MD-MoCo pre-training only."""
import os.path as osp
from typing import List

from mmengine.logging import print_log
from mmpretrain.datasets import BaseDataset

from muscle_mm.registry import DATASETS
from .base import DatasetFormatError, check_split
from .shenzhen_cxr import TB_CLASSES, read_nlm_tb_set


@DATASETS.register_module()
class MontgomeryCXR(BaseDataset):
    """Montgomery County chest X-rays: 138 PNGs, 80 normal / 58 tuberculosis, with lung masks.

    Paper: `Jaeger et al., 2014 <https://pmc.ncbi.nlm.nih.gov/articles/PMC4256233/>`_; MUSCLE
    (`arXiv:2310.02000 <https://arxiv.org/abs/2310.02000>`_) uses it for MD-MoCo only.

    ``data_root`` may hold the NLM zip's ``MontgomerySet/``, the Kaggle mirror's
    ``Montgomery/MontgomerySet/``, or ``CXR_png/`` directly. Images are
    ``CXR_png/MCUCXR_NNNN_<label>.png``; the manual masks are
    ``ManualMask/leftMask/<same name>.png`` and ``ManualMask/rightMask/<same name>.png`` (no
    ``_mask`` suffix; left = the patient's left lung, on the image's right).

    Masks: if ``ManualMask/`` exists, every image must have both masks (else
    :class:`DatasetFormatError` naming the missing mask); if it is absent (e.g. images fetched one
    by one), the mask paths are None and this is logged.

    No official split; MUSCLE pre-trains on the whole set, so the only split is ``'train'``.
    Each sample: ``img_path``, ``gt_label`` (0 normal, 1 TB, from the stem), ``case_id``,
    ``reading_path``, ``left_mask_path``, ``right_mask_path``.

    Args:
        data_root (str): dataset root. Defaults to ``'data/MontgomeryCXR'``.
        split (str): only ``'train'``. Defaults to ``'train'``.
        **kwargs: passed to :class:`mmpretrain.datasets.BaseDataset`.
    """
    METAINFO = dict(classes=TB_CLASSES)
    SPLITS = ('train', )

    def __init__(self,
                 data_root: str = 'data/MontgomeryCXR',
                 split: str = 'train',
                 **kwargs) -> None:
        self.split = check_split('MontgomeryCXR', split, self.SPLITS,
                                 'no official split; MUSCLE pre-trains on the whole set')
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        base, samples = read_nlm_tb_set(self.data_root, 'MontgomeryCXR', 'MCUCXR',
                                        [('MontgomerySet', ), ('Montgomery', 'MontgomerySet')])
        mask_dir = osp.join(base, 'ManualMask')
        if not osp.isdir(mask_dir):
            print_log(
                f'MontgomeryCXR: no {mask_dir}; samples carry no lung masks', logger='current')
        for s in samples:
            name = osp.basename(s['img_path'])
            for side in ('left', 'right'):
                path = None
                if osp.isdir(mask_dir):
                    path = osp.join(mask_dir, f'{side}Mask', name)
                    if not osp.isfile(path):
                        raise DatasetFormatError(
                            f'MontgomeryCXR: {side} lung mask not found: {path} '
                            f'(for image {s["img_path"]})')
                    path = osp.abspath(path)
                s[f'{side}_mask_path'] = path
        return samples

    def extra_repr(self) -> List[str]:
        return [f'Data root: \t{self.data_root}', f'Split: \t{self.split}']
