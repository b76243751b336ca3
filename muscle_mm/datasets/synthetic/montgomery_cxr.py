"""Synthetic Montgomery TB set in the NLM ``MontgomerySet`` layout (tests and ``make demo``).

``CXR_png/MCUCXR_NNNN_<tb>.png`` (portrait and landscape, like the real 4020x4892 / 4892x4020),
``ClinicalReadings/<stem>.txt`` (``Patient's Sex: F`` / ``Patient's Age: 027Y`` / finding, with
the real ``O`` sex and ``NO REPORT (same pt as ...)`` quirks; :func:`repeat_of` says which cases
are repeat patients) and
``ManualMask/{leftMask,rightMask}/<same name>.png`` (0/255, no ``_mask`` suffix; the patient's
left lung is on the image's right). :func:`write_case` writes one such case anywhere.

As for Shenzhen, an image is a function of its case name only (:func:`case_image`), because the
same Montgomery images reappear in the Kaggle lung-mask set and in TBX11K's extras.
"""
import os
import os.path as osp
from typing import Optional, Tuple

import numpy as np

from .phantom import DIFFICULTY, imwrite
from .shenzhen_cxr import case_rng, tb_chest


def case_stem(no: int) -> str:
    """Name of Montgomery case number ``no`` (1-based): 2 of every 5 TB (58/138 in the real set)."""
    return f'MCUCXR_{no:04d}_{int((no - 1) % 5 in (1, 3))}'


def repeat_of(no: int) -> Optional[str]:
    """The earlier case that case number ``no`` is a repeat radiograph of, or None: case 4, 14,
    24, ... reads ``NO REPORT (same pt as <case no - 2>)`` (both TB), like the real set's
    ``same pt as MCUCXR_0162_1``; the same in every generator that writes Montgomery readings."""
    return case_stem(no - 2) if no % 10 == 4 else None


def case_image(stem: str,
               height: int = 72,
               width: int = 60,
               difficulty: float = DIFFICULTY) -> Tuple[np.ndarray, np.ndarray]:
    """``(img, lung_mask)`` of Montgomery case ``stem``: portrait ``height`` x ``width``, but
    every third case number landscape (like 4020x4892 / 4892x4020); the same for the same
    arguments in every generator and run."""
    parts = stem.split('_')
    if len(parts) != 3 or not parts[1].isdigit():
        raise ValueError(f'{stem}: Montgomery stems look like MCUCXR_0001_0')
    no = int(parts[1])
    h, w = (width, height) if (no - 1) % 3 == 2 else (height, width)
    return tb_chest(case_rng(stem), stem, h, w, difficulty)


def montgomery_reading(rng: np.random.Generator, stem: str, same_as: str = '') -> str:
    sex = 'FMO'[int(rng.integers(3))]
    finding = 'bilateral upper lobe infiltrates, TB' if stem.endswith('_1') else 'normal'
    if same_as:
        finding = f'NO REPORT (same pt as {same_as})'
    return f"Patient's Sex: {sex}\nPatient's Age: {int(rng.integers(5, 90)):03d}Y\n{finding}\n"


def write_case(base: str,
               stem: str,
               rng: np.random.Generator,
               height: int = 72,
               width: int = 60,
               masks: bool = True,
               reading: bool = True,
               same_as: str = '',
               difficulty: float = DIFFICULTY) -> np.ndarray:
    """Write one Montgomery case under ``base`` (the folder holding ``CXR_png``): the image
    (:func:`case_image`, ``height`` x ``width`` the portrait size), and optionally its left/right
    masks and reading (drawn from ``rng``). Returns the full lung mask (uint8 0/1)."""
    img, lung = case_image(stem, height, width, difficulty)
    imwrite(osp.join(base, 'CXR_png', stem + '.png'), img)
    if masks:
        half = lung.shape[1] // 2
        left, right = lung.copy(), lung.copy()
        left[:, :half] = 0  # patient's left lung = image right
        right[:, half:] = 0
        imwrite(osp.join(base, 'ManualMask', 'leftMask', stem + '.png'), left * np.uint8(255))
        imwrite(osp.join(base, 'ManualMask', 'rightMask', stem + '.png'), right * np.uint8(255))
    if reading:
        path = osp.join(base, 'ClinicalReadings', stem + '.txt')
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(montgomery_reading(rng, stem, same_as))
    return lung


def generate(root: str,
             num: int = 6,
             seed: int = 0,
             top_folder: bool = True,
             kaggle_nested: bool = False,
             masks: bool = True,
             height: int = 72,
             width: int = 60,
             difficulty: float = DIFFICULTY) -> str:
    """Write ``num`` cases (about 40% TB, as 58/138) and return the ``data_root`` for
    ``MontgomeryCXR``.

    Args:
        root (str): output folder (created).
        num (int): number of images. Defaults to 6.
        seed (int): seed of the clinical readings; the images depend on their case names only
            (:func:`case_image`). Defaults to 0.
        top_folder (bool): keep the zip's ``MontgomerySet/`` folder. Defaults to True.
        kaggle_nested (bool): the Kaggle mirror's ``Montgomery/MontgomerySet/``.
            Defaults to False.
        masks (bool): write ``ManualMask/{leftMask,rightMask}``. Defaults to True.
        height (int): portrait image height; every third image is landscape. Defaults to 72.
        width (int): portrait image width. Defaults to 60.
        difficulty (float): phantom difficulty in [0, 1] (:func:`.phantom.knobs`); the sets
            that share these images must use the same. Defaults to ``phantom.DIFFICULTY``.
    """
    rng = np.random.default_rng(seed)
    base = root
    if kaggle_nested:
        base = osp.join(root, 'Montgomery', 'MontgomerySet')
    elif top_folder:
        base = osp.join(root, 'MontgomerySet')
    os.makedirs(base, exist_ok=True)
    for i in range(num):
        write_case(
            base,
            case_stem(i + 1),
            rng,
            height,
            width,
            masks=masks,
            same_as=repeat_of(i + 1) or '',
            difficulty=difficulty)
    return root
