"""Synthetic Kaggle "Chest Xray Masks and Labels" set (tests and ``make demo``).

Writes ``<root>/Lung Segmentation/`` (or ``<root>/data/Lung Segmentation/``) with ``CXR_png/``
holding Montgomery (``MCUCXR_NNNN_<tb>.png``) and Shenzhen (``CHNCXR_NNNN_<tb>.png``) images,
``masks/`` with the naming mismatch of the real set (Montgomery masks share the image name,
Shenzhen ones end in ``_mask``), a few Shenzhen images without a mask, ``test/`` images without
masks and ``ClinicalReadings/``. Images are NLM-style phantoms (``tb_chest``: TB lesions when the
stem ends in ``_1``); masks are their true lung fields, stored 0/255 (or 3-channel / 16-bit, as
some copies are). ``montgomery_set=True`` also writes the NLM ``MontgomerySet/`` layout
(``CXR_png`` + ``ManualMask/{leftMask,rightMask}``) for the same Montgomery images plus
``montgomery_extra`` images the Kaggle set does not have.
"""
import os
import os.path as osp

import numpy as np

from .phantom import imwrite
from .shenzhen_cxr import tb_chest


def _reading(name: str, tb: int, rng: np.random.Generator) -> str:
    age = int(rng.integers(18, 80))
    finding = 'bilateral secondary PTB' if tb else 'normal'
    if name.startswith('MCUCXR'):
        return f"Patient's Sex: {'MF'[age % 2]}\nPatient's Age: {age:03d}Y\n{finding}\n"
    return f"{('male', 'female')[age % 2]} {age}yrs\n{finding}\n"


def generate(root: str,
             num: int = 16,
             seed: int = 0,
             data_prefix: bool = False,
             num_unmasked: int = 2,
             num_test: int = 2,
             mask_mode: str = 'gray',
             montgomery_set: bool = False,
             montgomery_extra: int = 2,
             height: int = 48,
             width: int = 40) -> str:
    """Write ``num`` image/mask pairs and return the ``data_root`` for ``ChestXrayMasks``.

    Args:
        root (str): Output folder (created).
        num (int): Number of image/mask pairs; about a quarter Montgomery. Defaults to 16.
        seed (int): Seed of all randomness. Defaults to 0.
        data_prefix (bool): Use the older ``data/Lung Segmentation/`` root. Defaults to False.
        num_unmasked (int): Shenzhen images in ``CXR_png/`` without a mask. Defaults to 2.
        num_test (int): Images in ``test/`` (no masks). Defaults to 2.
        mask_mode (str): 'gray' (0/255), 'rgb' (3-channel 0/255) or '16bit' (0/65535).
            Defaults to 'gray'.
        montgomery_set (bool): Also write ``<root>/MontgomerySet/`` with left/right masks.
            Defaults to False.
        montgomery_extra (int): Montgomery images only in ``MontgomerySet/``. Defaults to 2.
        height (int): Base image height (each image adds 0..7 px). Defaults to 48.
        width (int): Base image width (each image adds 0..7 px). Defaults to 40.
    """
    rng = np.random.default_rng(seed)
    base = osp.join(root, 'data', 'Lung Segmentation') if data_prefix else \
        osp.join(root, 'Lung Segmentation')
    n_mc = max(1, num // 4)
    entries = [('MCUCXR', i + 1, True) for i in range(n_mc)]
    entries += [('CHNCXR', i + 1, True) for i in range(num - n_mc)]
    entries += [('CHNCXR', num - n_mc + i + 1, False) for i in range(num_unmasked)]
    mont = osp.join(root, 'MontgomerySet')
    for prefix, no, masked in entries:
        tb = int(rng.integers(2))
        name = f'{prefix}_{no:04d}_{tb}'
        img, lung = tb_chest(rng, name, height + int(rng.integers(8)), width + int(rng.integers(8)))
        imwrite(osp.join(base, 'CXR_png', name + '.png'), img)
        os.makedirs(osp.join(base, 'ClinicalReadings'), exist_ok=True)
        with open(osp.join(base, 'ClinicalReadings', name + '.txt'), 'w') as f:
            f.write(_reading(name, tb, rng))
        if masked:
            suffix = '' if prefix == 'MCUCXR' else '_mask'
            imwrite(osp.join(base, 'masks', name + suffix + '.png'), lung * np.uint8(255),
                    mask_mode)
        if montgomery_set and prefix == 'MCUCXR':
            _write_montgomery(mont, name, img, lung)
    for i in range(num_test):
        tb = int(rng.integers(2))
        name = f'CHNCXR_{900 + i:04d}_{tb}'
        img, _ = tb_chest(rng, name, height, width)
        imwrite(osp.join(base, 'test', name + '.png'), img)
    if montgomery_set:
        for i in range(montgomery_extra):
            name = f'MCUCXR_{500 + i:04d}_0'
            img, lung = tb_chest(rng, name, height, width)
            _write_montgomery(mont, name, img, lung)
    return root


def _write_montgomery(mont: str, name: str, img: np.ndarray, lung: np.ndarray) -> None:
    """NLM layout: the image and one mask per lung (split at the image midline), 0/255."""
    imwrite(osp.join(mont, 'CXR_png', name + '.png'), img)
    half = lung.shape[1] // 2
    right, left = lung.copy(), lung.copy()  # patient's right lung is on the image's left
    right[:, half:] = 0
    left[:, :half] = 0
    imwrite(osp.join(mont, 'ManualMask', 'rightMask', name + '.png'), right * np.uint8(255))
    imwrite(osp.join(mont, 'ManualMask', 'leftMask', name + '.png'), left * np.uint8(255))
