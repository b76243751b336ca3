"""MoCoQueueCheckHook rejects, before training, batches that cannot fill MoCo's queue."""
from types import SimpleNamespace

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from muscle_mm.engine.hooks import MoCoQueueCheckHook
from muscle_mm.engine.hooks import moco_queue_check_hook as hook_module
from muscle_mm.registry import HOOKS


def _runner(queue_len, batch_size, num_samples=64, drop_last=True):
    loader = DataLoader(
        TensorDataset(torch.zeros(num_samples, 1)), batch_size=batch_size, drop_last=drop_last)
    return SimpleNamespace(model=SimpleNamespace(queue_len=queue_len), train_dataloader=loader)


def test_registered():
    assert isinstance(HOOKS.build(dict(type='MoCoQueueCheckHook')), MoCoQueueCheckHook)


def test_valid_batch_passes():
    MoCoQueueCheckHook().before_train(_runner(queue_len=64, batch_size=16))


def test_batch_not_dividing_queue_rejected_with_numbers_and_choices():
    with pytest.raises(ValueError) as e:
        MoCoQueueCheckHook().before_train(_runner(queue_len=64, batch_size=12))
    msg = str(e.value)
    assert 'queue_len=64' in msg and 'global batch 12' in msg
    # nearest per-process batches dividing 64, and nearest queue lengths dividing by 12
    assert 'batch_size=8 (global 8) or 16 (global 16)' in msg
    assert 'queue_len=60 or 72' in msg


def test_world_size_counts(monkeypatch):
    monkeypatch.setattr(hook_module, 'get_world_size', lambda: 3)
    with pytest.raises(ValueError, match=r'global batch 48 \(batch size 16 per process x 3'):
        MoCoQueueCheckHook().before_train(_runner(queue_len=64, batch_size=16))
    monkeypatch.setattr(hook_module, 'get_world_size', lambda: 4)
    MoCoQueueCheckHook().before_train(_runner(queue_len=64, batch_size=16))


def test_short_last_batch_rejected():
    with pytest.raises(ValueError, match='drop_last=True'):
        MoCoQueueCheckHook().before_train(
            _runner(queue_len=64, batch_size=16, num_samples=40, drop_last=False))
    MoCoQueueCheckHook().before_train(
        _runner(queue_len=64, batch_size=16, num_samples=48, drop_last=False))


def test_model_without_queue_rejected():
    runner = _runner(64, 16)
    runner.model = torch.nn.Linear(1, 1)
    with pytest.raises(TypeError, match='queue_len'):
        MoCoQueueCheckHook().before_train(runner)
