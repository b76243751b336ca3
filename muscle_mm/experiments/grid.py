"""The fine-tuning grid of MUSCLE (Tab. 2-3): its tasks, initializations and depths, and where
each run's config and results live.

Every tool that walks the grid (tools/run_grid.py, tools/demo.py, the paper's tables, claims and
figures, the device check) takes the names and paths from here, so a run that one tool writes is
the run another reads.
"""
import os.path as osp
import re
from typing import Dict, Optional, Tuple, Union

#: The four downstream tasks, in the paper's order (Tab. 2: Pneumonia, MURA; Tab. 3: Lung, TBX).
TASKS: Tuple[str, ...] = ('pneumonia', 'mura', 'lung', 'tbx')
#: The five initializations of Tab. 2-3, in the paper's row order.
INITS: Tuple[str, ...] = ('scratch', 'imagenet', 'mdmoco', 'muscle_minus', 'muscle')
#: The two ResNet depths of Tab. 2-3.
DEPTHS: Tuple[int, ...] = (18, 50)
#: The tasks of each of the paper's tables: Tab. 2 the two classifications, Tab. 3 the lung
#: segmentation and TB detection.
TABLE_TASKS: Dict[int, Tuple[str, ...]] = {2: ('pneumonia', 'mura'), 3: ('lung', 'tbx')}
#: How the paper prints each initialization and task.
INIT_NAMES: Dict[str, str] = dict(
    scratch='Scratch',
    imagenet='ImageNet',
    mdmoco='MD-MoCo',
    muscle_minus='MUSCLE--',
    muscle='MUSCLE')
TASK_NAMES: Dict[str, str] = dict(pneumonia='Pneumonia', mura='MURA', lung='Lung', tbx='TBX')
#: The dataset (muscle_mm.datasets class, and data/<Name>/ folder) each task fine-tunes on.
TASK_DATASETS: Dict[str, str] = dict(
    pneumonia='PneumoniaCXR', mura='MURA', lung='ChestXrayMasks', tbx='TBX11K')
#: The paper's figure of each task (tools/analysis_tools/paper_figures.py's first argument).
TASK_FIGURES: Dict[str, str] = dict(pneumonia='roc', mura='roc', lung='lung', tbx='tbx')

#: The clone the package is installed from (editable, ``make env``): its configs/ and tools/
#: sit beside the package.
CLONE = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: The fine-tuning configs, ``configs/finetune/<task>/<run>.py``.
FINETUNE_CONFIGS = osp.join(CLONE, 'configs', 'finetune')

#: What tools/run_grid.py leaves in each :func:`run_dir`: the test metrics with the run's
#: identity (tables, claims), and every test prediction (figures).
RESULT_FILE = 'result.json'
PREDICTIONS_FILE = 'preds_test.pkl'

RUN_RE = re.compile(r'^(?P<task>[a-z]+)_(?P<init>[a-z_]+)_r(?P<depth>\d+)$')


def run_name(task: str, init: str, depth: int) -> str:
    """``pneumonia_mdmoco_r18``: the name of a run's config and of its results folder."""
    return f'{task}_{init}_r{depth}'


def parse_run_name(name: str) -> Optional[Tuple[str, str, int]]:
    """``(task, init, depth)`` of a :func:`run_name`, or None for any other name."""
    m = RUN_RE.match(name)
    return (m['task'], m['init'], int(m['depth'])) if m else None


def config_path(task: str, init: str, depth: int, config_dir: str = FINETUNE_CONFIGS) -> str:
    """``<config_dir>/<task>/<task>_<init>_r<depth>.py``."""
    return osp.join(config_dir, task, run_name(task, init, depth) + '.py')


def run_dir(work_dir: str, task: str, init: str, depth: int, seed: Union[int, str]) -> str:
    """``<work_dir>/<task>/<task>_<init>_r<depth>/seed<N>``: one run of the grid (its
    checkpoints, :data:`RESULT_FILE` and :data:`PREDICTIONS_FILE`); ``seed='*'`` gives the glob
    pattern of every seed."""
    return osp.join(work_dir, task, run_name(task, init, depth), f'seed{seed}')


def pretrain_dir(out: str, init: str, depth: int, seed: Union[int, str]) -> str:
    """``<out>/<init>_r<depth>/seed<N>``: the pre-training of an initialization (MD-MoCo, MUSCLE,
    MUSCLE--) in tools/demo.py's output, beside its ``grid/``; the paper's claims read the
    continual stage's ``continual_metrics.json`` there."""
    return osp.join(out, f'{init}_r{depth}', f'seed{seed}')


def linear_probe_file(out: str, seed: Union[int, str]) -> str:
    """``<out>/linear_probe_seed<N>.json``: tools/demo.py's linear probe of a seed."""
    return osp.join(out, f'linear_probe_seed{seed}.json')
