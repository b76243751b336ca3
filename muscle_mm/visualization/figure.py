"""Headless matplotlib figures (Agg backend: no display on training machines)."""
import os
import os.path as osp
from typing import Tuple

import matplotlib

matplotlib.use('Agg', force=False)
import matplotlib.pyplot as plt  # noqa: E402


def new_figure(rows: int, cols: int, size: Tuple[float, float] = (3.0, 3.0)):
    """A figure of ``rows x cols`` axes, each ``size`` inches, axes always a 2-D list."""
    fig, axes = plt.subplots(rows, cols, figsize=(size[0] * cols, size[1] * rows), squeeze=False)
    return fig, axes


def save_figure(fig, out_file: str, dpi: int = 150) -> str:
    """Write ``fig`` as PNG (parent folders created) and close it."""
    if not out_file.lower().endswith('.png'):
        raise ValueError(f'figures are written as PNG; got {out_file}')
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    fig.tight_layout()
    fig.savefig(out_file, dpi=dpi)
    plt.close(fig)
    return out_file
