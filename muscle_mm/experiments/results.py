"""The ``result.json`` files of a grid (tools/run_grid.py): which metrics each task's result
holds, reading them back per cell, averaging over seeds and the numbers' format.

Shared by the paper's tables, claims and figures, so that a run is read and printed the same
way by each; a result that does not match its folder, or lacks a metric, fails naming the file.
"""
import glob
import json
import math
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np

from .grid import RESULT_FILE, parse_run_name

#: Table column -> metric key written by the fine-tuning configs' evaluators
#: (muscle_mm.evaluation).
CLS_COLUMNS: Dict[str, str] = {
    'Acc.': 'binary/accuracy',
    'Sen.': 'binary/sensitivity',
    'Spe.': 'binary/specificity',
    'AUC': 'binary/auc',
    'AUC CI low': 'binary/auc_ci_low',
    'AUC CI high': 'binary/auc_ci_high'
}
#: MURA only, when present (mean probability per study).
STUDY_COLUMNS: Dict[str, str] = {
    'Study AUC': 'study/auc',
    'Study AUC CI low': 'study/auc_ci_low',
    'Study AUC CI high': 'study/auc_ci_high'
}
#: The metrics every result of a task must hold.
COLUMNS: Dict[str, Dict[str, str]] = dict(
    pneumonia=CLS_COLUMNS,
    mura=CLS_COLUMNS,
    lung={
        'Dice': 'seg/dice',
        'mIoU': 'seg/mIoU'
    },
    tbx={
        'mAP': 'coco/mAP50',
        'AP active': 'coco/AP50_active',
        'AP latent': 'coco/AP50_latent'
    })

#: What a table cell says for a run without a result.
NOT_RUN = 'not run'

Cells = Dict[Tuple[str, int, str], List[dict]]


def load_results(grid_dir: str) -> Cells:
    """``(task, depth, init) -> [result.json of each seed]``; a result that does not match its
    folder, or lacks a metric its table needs, raises naming the file."""
    cells: Cells = {}
    for path in sorted(glob.glob(osp.join(grid_dir, '*', '*', 'seed*', RESULT_FILE))):
        with open(path) as f:
            result = json.load(f)
        run = osp.basename(osp.dirname(osp.dirname(path)))
        parsed = parse_run_name(run)
        if parsed is None or parsed != (result.get('task'), result.get('init'),
                                        result.get('depth')):
            raise ValueError(f'{path}: folder {run} does not match the run it records ('
                             f"{result.get('task')}, {result.get('init')}, r{result.get('depth')})")
        task, init, depth = parsed
        missing = [k for k in COLUMNS[task].values() if k not in result['metrics']]
        if missing:
            raise KeyError(f'{path}: metrics {missing} missing (has {sorted(result["metrics"])}); '
                           f'was {result.get("config")} evaluated with the fine-tuning evaluators?')
        cells.setdefault((task, depth, init), []).append(result)
    return cells


def summarize(results: List[dict], key: str) -> Tuple[float, float, int]:
    """(mean, sample std or NaN, n) over seeds; n counts the finite values: NaN metric values
    (null in JSON) are left out of the mean, and the tables say how many."""
    values = [r['metrics'].get(key) for r in results]
    values = np.array([v for v in values if v is not None], dtype=float)
    values = values[np.isfinite(values)]
    if not values.size:
        return math.nan, math.nan, 0
    return float(values.mean()), float(values.std(ddof=1)) if values.size > 1 else math.nan, \
        int(values.size)


def fmt(mean: float, std: float = math.nan) -> str:
    """'NaN', '91.11' (one value) or '91.11 ± 0.52' (mean ± sd over seeds)."""
    if math.isnan(mean):
        return 'NaN'
    return f'{mean:.2f}' if math.isnan(std) else f'{mean:.2f} ± {std:.2f}'
