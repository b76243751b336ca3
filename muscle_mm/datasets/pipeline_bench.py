"""What the data-pipeline benchmarks share: X-ray phantom files to read, and the bare decode +
resize that every pipeline is measured against.

benchmarks/data_pipeline_throughput.py, xray_cache_and_device_views.py and gpu_device_check.py
time the same images and the same floor this way.
"""
import os.path as osp
from typing import List, Sequence, Tuple

import cv2
import numpy as np

from .synthetic.phantom import chest_phantom

CV2_INTERP = {'bilinear': cv2.INTER_LINEAR, 'area': cv2.INTER_AREA}


def make_phantoms(folder: str, num: int, height: int, width: int) -> List[str]:
    """``num`` 8-bit chest phantoms of ``height`` x ``width`` as ``folder/00000.png``, ...
    (seed 0: every benchmark reads the same images)."""
    rng = np.random.default_rng(0)
    paths = []
    for i in range(num):
        img, _ = chest_phantom(rng, height, width, opacity=float(rng.random()) * 0.5)
        paths.append(osp.join(folder, f'{i:05d}.png'))
        cv2.imwrite(paths[-1], img)
    return paths


def bare(paths: Sequence[str], size: Tuple[int, int], interpolation: str = 'bilinear') -> None:
    """Decode each file gray and resize it to ``size`` (w, h): the least any pipeline does."""
    for path in paths:
        img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        cv2.resize(img, size, interpolation=CV2_INTERP[interpolation])
