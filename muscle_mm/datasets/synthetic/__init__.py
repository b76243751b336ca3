"""Small synthetic copies of the nine MUSCLE datasets, in their real on-disk layouts.

Each module writes one dataset (same file names, CSV headers and quirks as the real download)
with X-ray-like phantoms (:mod:`.phantom`) whose labels are visible in the image, and returns the
``data_root`` to give that dataset's reader. Used by the tests and by ``make demo``
(``tools/dataset_converters/generate_synthetic.py``).
"""
import inspect
import os.path as osp
from typing import Dict, Optional, Sequence

from . import (chest_xray_masks, indiana_cxr, montgomery_cxr, mura, nih_chestxray14, pneumonia_cxr,
               rsna_bone_age, shenzhen_cxr, tbx11k)

# Registered dataset name -> generate(root, num=..., seed=0, **variant_flags) -> data_root.
GENERATORS = {
    'NIHChestXray14': nih_chestxray14.generate,
    'ShenzhenCXR': shenzhen_cxr.generate,
    'MontgomeryCXR': montgomery_cxr.generate,
    'IndianaCXR': indiana_cxr.generate,
    'RSNABoneAge': rsna_bone_age.generate,
    'PneumoniaCXR': pneumonia_cxr.generate,
    'MURA': mura.generate,
    'ChestXrayMasks': chest_xray_masks.generate,
    'TBX11K': tbx11k.generate,
}

# One Shenzhen / Montgomery case by name. Its image is a function of the name only, so every set
# that holds a copy of an NLM image (ChestXrayMasks' CXR_png, TBX11K's extra/mc+shenzhen) holds
# the same pixels, as in the real data.
write_shenzhen_case = shenzhen_cxr.write_case
write_montgomery_case = montgomery_cxr.write_case
shenzhen_case_image = shenzhen_cxr.case_image
montgomery_case_image = montgomery_cxr.case_image
tb_chest = shenzhen_cxr.tb_chest


def generate_all(root: str,
                 num: Optional[int] = None,
                 seed: int = 0,
                 only: Optional[Sequence[str]] = None,
                 difficulty: Optional[float] = None) -> Dict[str, str]:
    """Write every dataset (or those in ``only``) under ``root/<Name>/``.

    Each dataset gets its own seed (``seed * 100 + its index in GENERATORS``) so that no two sets
    contain the same phantom by accident, which would read as leakage. The one overlap is real:
    a Shenzhen / Montgomery image depends on its case name only, so ChestXrayMasks and TBX11K's
    ``extra/mc+shenzhen`` hold the very ShenzhenCXR / MontgomeryCXR images of the same names,
    wherever both sets reach that case number.

    Args:
        root (str): output folder.
        num (int, optional): images per dataset; None keeps each generator's default (some need
            at least 8). Defaults to None.
        seed (int): base seed. Defaults to 0.
        only (Sequence[str], optional): dataset names to write. Defaults to None (all nine).
        difficulty (float, optional): phantom difficulty in [0, 1] (:func:`.phantom.knobs`),
            given to every generator that takes one (the four downstream sets and the Shenzhen /
            Montgomery sets whose images they share). Defaults to None: each generator's
            default, ``phantom.DIFFICULTY``.

    Returns:
        dict: name -> data_root for that dataset's reader.
    """
    names = list(only) if only else list(GENERATORS)
    unknown = [n for n in names if n not in GENERATORS]
    if unknown:
        raise KeyError(f'unknown synthetic dataset(s) {unknown}; choose from {list(GENERATORS)}')
    out = {}
    for name in names:
        kwargs = dict(seed=seed * 100 + list(GENERATORS).index(name))
        if num is not None:
            kwargs['num'] = num
        takes = inspect.signature(GENERATORS[name]).parameters
        if difficulty is not None and 'difficulty' in takes:
            kwargs['difficulty'] = difficulty
        out[name] = GENERATORS[name](osp.join(root, name), **kwargs)
    return out


__all__ = [
    'GENERATORS', 'generate_all', 'write_shenzhen_case', 'write_montgomery_case',
    'shenzhen_case_image', 'montgomery_case_image', 'tb_chest'
]
