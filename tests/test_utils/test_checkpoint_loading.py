"""Checkpoints load without running pickled code; mmengine's own files still load."""
import os

import pytest
import torch
from mmengine.runner import CheckpointLoader, load_checkpoint

import muscle_mm  # noqa: F401
from muscle_mm.utils import UnsafeCheckpointError, safe_torch_load


class Exploit:
    """Unpickling this runs a shell command: what a malicious checkpoint would do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_malicious_checkpoint_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'meta': Exploit(marker)}, path)
    with pytest.raises(UnsafeCheckpointError, match='evil.pth') as e:
        CheckpointLoader.load_checkpoint(str(path))
    assert 'could run code' in str(e.value)
    with pytest.raises(UnsafeCheckpointError):
        safe_torch_load(str(path))
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint(torch.nn.Linear(1, 1), str(path))
    assert not marker.exists(), 'the pickled command ran'


def test_plain_and_numpy_checkpoints_load(tmp_path):
    import numpy as np
    path = tmp_path / 'ok.pth'
    torch.save(
        {
            'state_dict': {
                'weight': torch.ones(2, 2),
                'bias': torch.zeros(2)
            },
            'meta': {
                'epoch': 3,
                'score': np.float64(0.5),
                'hist': np.arange(3)
            }
        }, path)
    ckpt = CheckpointLoader.load_checkpoint(str(path))
    assert torch.equal(ckpt['state_dict']['weight'], torch.ones(2, 2))
    assert float(ckpt['meta']['score']) == 0.5 and ckpt['meta']['hist'].tolist() == [0, 1, 2]
    model = torch.nn.Linear(2, 2)
    load_checkpoint(model, str(path))
    assert torch.equal(model.weight.data, torch.ones(2, 2))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        CheckpointLoader.load_checkpoint(str(tmp_path / 'nope.pth'))


class GetattrProbe:
    """A pickle that asks for an attribute lookup beyond HistoryBuffer's statistics methods."""

    def __reduce__(self):
        from mmengine.logging.history_buffer import HistoryBuffer
        return (getattr, (HistoryBuffer, '__subclasses__'))


def test_getattr_limited_to_history_buffer_statistics(tmp_path):
    path = tmp_path / 'probe.pth'
    torch.save({'meta': GetattrProbe()}, path)
    with pytest.raises(UnsafeCheckpointError, match='probe.pth'):
        CheckpointLoader.load_checkpoint(str(path))


def test_message_hub_round_trip(tmp_path):
    """What a runner checkpoint carries besides tensors: the MessageHub with HistoryBuffers."""
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('ckpt_test')
    for v in (1.0, 2.0, 3.0):
        hub.update_scalar('train/loss', v)
    path = tmp_path / 'hub.pth'
    torch.save({'message_hub': hub.state_dict()}, path)
    state = CheckpointLoader.load_checkpoint(str(path))
    buf = state['message_hub']['log_scalars']['train/loss']
    assert buf.mean() == 2.0 and buf.max() == 3.0


def test_runner_checkpoint_loads_in_a_fresh_process(tmp_path):
    """A new process has created no HistoryBuffer yet (what `--resume` and the tools see)."""
    import subprocess
    import sys

    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('fresh_process')
    hub.update_scalar('train/loss', 1.5)
    path = tmp_path / 'runner_like.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'message_hub': hub.state_dict()}, path)
    code = ('import muscle_mm; from mmengine.runner import CheckpointLoader; '
            f'c = CheckpointLoader.load_checkpoint({str(path)!r}); '
            "print(c['message_hub']['log_scalars']['train/loss'].current())")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith('1.5')
