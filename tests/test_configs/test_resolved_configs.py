"""A resolved config holds what its run reads: no task-prefixed copies, no namespaces or
shorthands left over, the TensorBoard backend beside the local one, a fine-tune dump of a few
hundred lines, and no functions defined in any config file."""
import ast
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from muscle_mm.utils.cli_config import read_keys
from _helpers import REPO

FINETUNE = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', 'finetune', '*', '*.py')) if '_base_' not in p)
CONTINUAL = sorted(glob.glob(osp.join(REPO, 'configs', 'muscle', 'muscle_*.py')))
ALL = sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True))
# Read outside the Runner: custom_imports while the file is read; tta_model by mmseg's own
# tools/test.py --tta (the lung configs inherit mmseg's runtime).
ALSO_READ = {'custom_imports', 'tta_model'}


def rel(path):
    return osp.relpath(path, osp.join(REPO, 'configs'))


@pytest.mark.parametrize('path', FINETUNE + CONTINUAL, ids=rel)
def test_every_top_level_key_is_read(path):
    cfg = Config.fromfile(path)
    unread = sorted(set(cfg) - read_keys() - ALSO_READ)
    assert not unread, f'{rel(path)}: top-level keys nothing reads: {unread}'
    backends = [b['type'] for b in cfg.visualizer.vis_backends]
    assert backends == ['LocalVisBackend', 'OptionalTensorboardVisBackend']
    assert cfg.custom_imports.imports == ['muscle_mm']  # finds the backend (lazy locations)
    if path in FINETUNE:  # a dump of a few hundred lines (1,087 with the task-prefixed copies)
        assert len(cfg.pretty_text.splitlines()) < 400


def test_the_continual_stage_binds_all_four_tasks():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'muscle', 'muscle_r50.py'))
    tasks = ['pneumonia', 'mura', 'lung', 'tbx']
    assert list(cfg.model.tasks) == tasks  # the fixed order of MUSCLE-- follows it
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
                'test_evaluator'):
        assert list(cfg[key]) == tasks, key
    # one task's override leaves its twin (the same definition) alone
    cfg.merge_from_dict({
        'model.tasks.pneumonia.head.num_classes': 3,
        'train_dataloader.pneumonia.batch_size': 2
    })
    assert cfg.model.tasks.mura.head.num_classes == 2
    assert cfg.train_dataloader.mura.batch_size == 32


@pytest.mark.parametrize('path', ALL, ids=rel)
def test_no_function_is_defined_in_a_config(path):
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read())
    defs = [
        getattr(n, 'name', 'lambda') for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef))
    ]
    assert not defs, f'{rel(path)} defines {defs}'
