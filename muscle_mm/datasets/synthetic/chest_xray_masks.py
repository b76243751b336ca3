"""Synthetic Kaggle "Chest Xray Masks and Labels" set (tests and ``make demo``).

Writes ``<root>/Lung Segmentation/`` (or ``<root>/data/Lung Segmentation/``) with ``CXR_png/``
holding Montgomery (``MCUCXR_NNNN_<tb>.png``) and Shenzhen (``CHNCXR_NNNN_<tb>.png``) images,
``masks/`` with the naming mismatch of the real set (Montgomery masks share the image name,
Shenzhen ones end in ``_mask``), a few Shenzhen images without a mask, ``test/`` images without
masks and ``ClinicalReadings/`` (Montgomery repeat patients read ``NO REPORT (same pt as ...)``,
:func:`.montgomery_cxr.repeat_of`). As in the real set, whose ``CXR_png`` holds the Shenzhen and
Montgomery images themselves, case ``n`` is named and drawn like case ``n`` of
:mod:`.shenzhen_cxr` / :mod:`.montgomery_cxr` (``case_stem``, ``case_image``: a function of the
name only), so with the default sizes its pixels equal those of the generated ShenzhenCXR /
MontgomeryCXR image of the same name, and the leakage check finds the copies by content. Masks
are the true lung fields of those images, stored 0/255 (or 3-channel / 16-bit, as some copies
are). ``montgomery_set=True`` also writes the NLM ``MontgomerySet/`` layout (``CXR_png`` +
``ManualMask/{leftMask,rightMask}``) for the same Montgomery images plus ``montgomery_extra``
images the Kaggle set does not have.
"""
import os
import os.path as osp
from typing import Optional

import numpy as np

from . import montgomery_cxr, shenzhen_cxr
from .phantom import DIFFICULTY, imwrite


def _reading(name: str, tb: int, rng: np.random.Generator) -> str:
    age = int(rng.integers(18, 80))
    finding = 'bilateral secondary PTB' if tb else 'normal'
    if name.startswith('MCUCXR'):
        same = montgomery_cxr.repeat_of(int(name.split('_')[1]))
        finding = f'NO REPORT (same pt as {same})' if same else finding
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
             height: Optional[int] = None,
             width: Optional[int] = None,
             difficulty: float = DIFFICULTY) -> str:
    """Write ``num`` image/mask pairs and return the ``data_root`` for ``ChestXrayMasks``.

    Args:
        root (str): Output folder (created).
        num (int): Number of image/mask pairs; about a quarter Montgomery. Defaults to 16.
        seed (int): Seed of the clinical readings; the images depend on their case names only.
            Defaults to 0.
        data_prefix (bool): Use the older ``data/Lung Segmentation/`` root. Defaults to False.
        num_unmasked (int): Shenzhen images in ``CXR_png/`` without a mask. Defaults to 2.
        num_test (int): Images in ``test/`` (no masks). Defaults to 2.
        mask_mode (str): 'gray' (0/255), 'rgb' (3-channel 0/255) or '16bit' (0/65535).
            Defaults to 'gray'.
        montgomery_set (bool): Also write ``<root>/MontgomerySet/`` with left/right masks.
            Defaults to False.
        montgomery_extra (int): Montgomery images only in ``MontgomerySet/``. Defaults to 2.
        height (int, optional): Base image height of every case, given to the NLM generators'
            ``case_image``. Defaults to None: each NLM generator's default (Shenzhen 64 + 0..7,
            Montgomery 72 portrait), so the images equal the generated NLM sets' ones.
        width (int, optional): Base image width, likewise. Defaults to None (64 / 60).
        difficulty (float): phantom difficulty in [0, 1] (:func:`.phantom.knobs`: lung /
            soft-tissue gap, clutter, noise, anatomical variation), given to the NLM
            ``case_image``; the same as the ShenzhenCXR / MontgomeryCXR sets' keeps the copies
            identical. Defaults to ``phantom.DIFFICULTY``.
    """
    rng = np.random.default_rng(seed)
    size = {k: v for k, v in (('height', height), ('width', width)) if v is not None}
    size['difficulty'] = difficulty
    nlm = {'MCUCXR': montgomery_cxr, 'CHNCXR': shenzhen_cxr}
    base = osp.join(root, 'data', 'Lung Segmentation') if data_prefix else \
        osp.join(root, 'Lung Segmentation')
    n_mc = max(1, num // 4)
    entries = [('MCUCXR', i + 1, True) for i in range(n_mc)]
    entries += [('CHNCXR', i + 1, True) for i in range(num - n_mc)]
    entries += [('CHNCXR', num - n_mc + i + 1, False) for i in range(num_unmasked)]
    mont = osp.join(root, 'MontgomerySet')
    for prefix, no, masked in entries:
        name = nlm[prefix].case_stem(no)
        tb = int(name[-1])
        img, lung = nlm[prefix].case_image(name, **size)
        imwrite(osp.join(base, 'CXR_png', name + '.png'), img)
        os.makedirs(osp.join(base, 'ClinicalReadings'), exist_ok=True)
        with open(osp.join(base, 'ClinicalReadings', name + '.txt'), 'w') as f:
            f.write(_reading(name, tb, rng))
        if masked:
            suffix = '' if prefix == 'MCUCXR' else '_mask'
            imwrite(
                osp.join(base, 'masks', name + suffix + '.png'), lung * np.uint8(255), mask_mode)
        if montgomery_set and prefix == 'MCUCXR':
            montgomery_cxr.write_case(mont, name, rng, reading=False, **size)
    for i in range(num_test):
        name = shenzhen_cxr.case_stem(900 + i)
        imwrite(osp.join(base, 'test', name + '.png'), shenzhen_cxr.case_image(name, **size)[0])
    if montgomery_set:
        for i in range(montgomery_extra):
            montgomery_cxr.write_case(
                mont, montgomery_cxr.case_stem(500 + i), rng, reading=False, **size)
    return root
