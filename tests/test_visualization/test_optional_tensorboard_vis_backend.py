"""OptionalTensorboardVisBackend: off (one info line, no error, no file) without tensorboard, and
exactly mmengine's TensorboardVisBackend with it (a stand-in SummaryWriter records the calls)."""
import glob
import os.path as osp
import sys
import types

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import VISUALIZERS, init_default_scope

from muscle_mm.visualization import optional_tensorboard_vis_backend as module
from muscle_mm.visualization.optional_tensorboard_vis_backend import (OptionalTensorboardVisBackend,
                                                                      tensorboard_available)
from _helpers import REPO

CONFIG = osp.join(REPO, 'configs', 'finetune', 'pneumonia', 'pneumonia_scratch_r18.py')


class FakeWriter:
    calls = []

    def __init__(self, log_dir):
        FakeWriter.calls.append(('init', log_dir))

    def __getattr__(self, name):
        return lambda *args, **kwargs: FakeWriter.calls.append((name, args))


@pytest.fixture
def without_tensorboard(monkeypatch):
    monkeypatch.setitem(sys.modules, 'torch.utils.tensorboard', None)  # import -> ImportError
    lines = []
    monkeypatch.setattr(module, 'print_log', lambda msg, **kw: lines.append(msg))
    return lines


@pytest.fixture
def with_tensorboard(monkeypatch):
    FakeWriter.calls = []
    monkeypatch.setitem(sys.modules, 'torch.utils.tensorboard',
                        types.SimpleNamespace(SummaryWriter=FakeWriter))
    return FakeWriter.calls


def build_config_visualizer(save_dir):
    cfg = Config.fromfile(CONFIG)  # imports muscle_mm.visualization (custom_imports)
    init_default_scope(cfg.default_scope)
    return VISUALIZERS.build(dict(cfg.visualizer, save_dir=str(save_dir), name='tb_test'))


def test_off_without_tensorboard(tmp_path, without_tensorboard):
    assert not tensorboard_available()
    vis = build_config_visualizer(tmp_path)
    backend = vis.get_backend('OptionalTensorboardVisBackend')
    assert isinstance(backend, OptionalTensorboardVisBackend) and not backend.enabled
    assert len(without_tensorboard) == 1 and 'tensorboard' in without_tensorboard[0]
    vis.add_config(Config(dict(a=1)))
    vis.add_scalars({'loss': 0.5}, step=1)
    vis.add_image('img', np.zeros((4, 4, 3), np.uint8), step=1)
    assert backend.experiment is None
    vis.close()
    local = vis.get_backend('LocalVisBackend')  # the stock backend still logs
    assert osp.isfile(osp.join(local._save_dir, 'scalars.json'))
    files = glob.glob(osp.join(str(tmp_path), '**', '*'), recursive=True)
    assert files and not [f for f in files if 'tfevents' in f]


def test_tensorboard_when_installed(tmp_path, with_tensorboard):
    assert tensorboard_available()
    backend = OptionalTensorboardVisBackend(save_dir=str(tmp_path / 'tb'))
    assert backend.enabled
    backend.add_scalars({'loss': 0.5, 'acc': 1}, step=3)
    backend.add_config(Config(dict(a=1)))
    backend.add_image('img', np.zeros((4, 4, 3), np.uint8), step=2)
    assert isinstance(backend.experiment, FakeWriter)
    backend.close()
    names = [c[0] for c in with_tensorboard]
    assert names == ['init', 'add_scalar', 'add_scalar', 'add_text', 'add_image', 'close']
    assert with_tensorboard[0][1] == str(tmp_path / 'tb')
    assert with_tensorboard[1][1] == ('loss', 0.5, 3)
