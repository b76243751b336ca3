"""Synthetic Shenzhen TB set in the NLM ``ChinaSet_AllFiles`` layout (tests and ``make demo``).

``CXR_png/CHNCXR_NNNN_<tb>.png`` and ``ClinicalReadings/<stem>.txt`` (free-form sex/age line,
then the finding). TB cases (stem ending ``_1``) get upper-zone nodular lesions and mild opacity.

As in the real data, the same NLM images reappear in the Kaggle lung-mask set (``CXR_png``) and in
TBX11K's ``imgs/extra/mc+shenzhen``, so an image is a function of its case name only
(:func:`case_image`, seeded by :func:`case_rng`), never of a generator's seed: every generator
that writes ``CHNCXR_0002_1`` writes the same pixels, and the leakage check can find the copies by
content, not only by name. :func:`case_stem` gives the name of case number ``no``.
"""
import os
import os.path as osp
import zlib
from typing import Tuple

import numpy as np

from .phantom import DIFFICULTY, chest_phantom, imwrite

_SZ_AGE_FORMS = ('{sex} {age}yrs', '{sex} , {age}yrs', '{sex} {age}month', '{sex} {age}days')
# Second SeedSequence word of every case seed: keeps name-seeded streams apart from the small
# integer seeds the other generators use (``default_rng(k)`` for k < 2**32 is a one-word seed).
_NLM_SALT = 0x4E4C4D


def case_rng(stem: str) -> np.random.Generator:
    """Generator seeded by the case name alone (a stable CRC-32, not Python's salted ``hash``)."""
    return np.random.default_rng([zlib.crc32(stem.encode('utf-8')), _NLM_SALT])


def case_stem(no: int) -> str:
    """Name of Shenzhen case number ``no`` (1-based): odd numbers normal, even ones TB."""
    return f'CHNCXR_{no:04d}_{(no - 1) % 2}'


def tb_chest(rng: np.random.Generator,
             stem: str,
             height: int,
             width: int,
             difficulty: float = DIFFICULTY) -> Tuple[np.ndarray, np.ndarray]:
    """``(img, lung_mask)`` for an NLM TB-set image: TB when the stem ends in ``_1``;
    ``difficulty`` as :func:`.phantom.knobs`."""
    if not stem.endswith(('_0', '_1')):
        raise ValueError(f'{stem}: NLM TB stems end in _0 (normal) or _1 (TB)')
    lesions = []
    if stem.endswith('_1'):
        for cx in rng.permutation([0.31, 0.69])[:int(rng.integers(1, 3))]:
            bw = width * rng.uniform(0.12, 0.2)
            bh = height * rng.uniform(0.1, 0.16)
            lesions.append((cx * width - bw / 2, height * rng.uniform(0.22, 0.36), bw, bh))
    return chest_phantom(
        rng, height, width, opacity=0.2 if lesions else 0.0, lesions=lesions, difficulty=difficulty)


def case_image(stem: str,
               height: int = 64,
               width: int = 64,
               difficulty: float = DIFFICULTY) -> Tuple[np.ndarray, np.ndarray]:
    """``(img, lung_mask)`` of Shenzhen case ``stem``, ``height + 0..7`` rows (the real sizes
    vary) by ``width``; the same for the same arguments in every generator and run."""
    rng = case_rng(stem)
    return tb_chest(rng, stem, height + int(rng.integers(0, 8)), width, difficulty)


def shenzhen_reading(rng: np.random.Generator, stem: str) -> str:
    sex = ('male', 'female', 'femal')[int(rng.integers(3))]
    form = _SZ_AGE_FORMS[int(rng.integers(len(_SZ_AGE_FORMS)))]
    finding = 'bilateral secondary PTB' if stem.endswith('_1') else 'normal'
    return form.format(sex=sex, age=int(rng.integers(1, 80))) + '\n' + finding + '\n'


def write_case(base: str,
               stem: str,
               rng: np.random.Generator,
               height: int = 64,
               width: int = 64,
               reading: bool = True,
               mode: str = 'gray',
               difficulty: float = DIFFICULTY) -> np.ndarray:
    """Write one Shenzhen image ``<base>/CXR_png/<stem>.png`` (:func:`case_image`; ``height`` is
    its base height) and its reading (drawn from ``rng``), and return the lung mask. ``base`` is
    the folder holding ``CXR_png``."""
    img, lung = case_image(stem, height, width, difficulty)
    imwrite(osp.join(base, 'CXR_png', stem + '.png'), img, mode)
    if reading:
        path = osp.join(base, 'ClinicalReadings', stem + '.txt')
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(shenzhen_reading(rng, stem))
    return lung


def generate(root: str,
             num: int = 8,
             seed: int = 0,
             top_folder: bool = True,
             kaggle_nested: bool = False,
             junk: bool = False,
             rgb: bool = False,
             height: int = 64,
             width: int = 64,
             difficulty: float = DIFFICULTY) -> str:
    """Write ``num`` images (half TB) and return the ``data_root`` for ``ShenzhenCXR``.

    Args:
        root (str): output folder (created).
        num (int): number of images. Defaults to 8.
        seed (int): seed of the clinical readings; the images depend on their case names only
            (:func:`case_image`). Defaults to 0.
        top_folder (bool): keep the zip's ``ChinaSet_AllFiles/`` folder. Defaults to True.
        kaggle_nested (bool): the Kaggle mirror's ``ChinaSet_AllFiles/ChinaSet_AllFiles/``.
            Defaults to False.
        junk (bool): add ``.DS_Store``, ``._*`` and ``Thumbs.db`` to ``CXR_png``.
            Defaults to False.
        rgb (bool): store gray replicated to 3 channels, as some copies are. Defaults to False.
        height (int): base image height, plus 0..7 rows per case (the real ones are ~3000).
            Defaults to 64.
        width (int): image width. Defaults to 64.
        difficulty (float): phantom difficulty in [0, 1] (:func:`.phantom.knobs`); the sets
            that share these images must use the same. Defaults to ``phantom.DIFFICULTY``.
    """
    rng = np.random.default_rng(seed)
    base = root
    if top_folder or kaggle_nested:
        base = osp.join(root, 'ChinaSet_AllFiles')
    if kaggle_nested:
        base = osp.join(base, 'ChinaSet_AllFiles')
    for i in range(num):
        write_case(
            base,
            case_stem(i + 1),
            rng,
            height,
            width,
            mode='rgb' if rgb else 'gray',
            difficulty=difficulty)
    if junk:
        for j in ('.DS_Store', 'Thumbs.db', '._CHNCXR_0001_0.png'):
            with open(osp.join(base, 'CXR_png', j), 'wb') as f:
                f.write(b'\x00\x05\x16\x07junk')
    return root
