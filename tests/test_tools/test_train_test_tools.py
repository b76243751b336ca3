"""tools/train.py and tools/test.py with the arguments OpenMMLab users know, single process."""
import os.path as osp
import pickle
import sys

import pytest
import torch

from muscle_mm.cli import test as test_tool
from muscle_mm.cli import train as train_tool
from _helpers import EVAL, REPO


def test_train_cfg_options_and_resume(tiny_cls_config, tmp_path):
    cfg = tiny_cls_config(iters=2)
    work = str(tmp_path / 'work')
    runner = train_tool.main([
        cfg, '--work-dir', work, '--cfg-options', 'train_dataloader.batch_size=4',
        'optim_wrapper.optimizer.lr=0.05'
    ])
    assert runner.iter == 2 and runner.train_dataloader.batch_size == 4
    assert runner.optim_wrapper.optimizer.param_groups[0]['initial_lr'] == 0.05
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
    # --resume with no value: the latest checkpoint of the work dir; continue to 4 iterations.
    runner = train_tool.main([
        cfg, '--work-dir', work, '--resume', '--cfg-options', 'train_cfg.max_iters=4',
        'train_dataloader.batch_size=4'
    ])
    assert runner.iter == 4
    # --resume PATH
    runner = train_tool.main([
        cfg, '--work-dir',
        str(tmp_path / 'other'), '--resume',
        osp.join(work, 'iter_2.pth'), '--cfg-options', 'train_cfg.max_iters=3',
        'train_dataloader.batch_size=4'
    ])
    assert runner.iter == 3


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU-only message')
def test_amp_without_gpu_is_a_clear_error(tiny_cls_config):
    with pytest.raises(SystemExit, match='needs a CUDA GPU'):
        train_tool.main([tiny_cls_config(iters=1), '--amp'])


def test_test_tool_evaluates_and_dumps(tiny_cls_config, tmp_path):
    data = str(tmp_path / 'data')
    cfg = tiny_cls_config(iters=2, extra=EVAL.replace('{data}', data))
    work = str(tmp_path / 'work')
    train_tool.main([cfg, '--work-dir', work])
    out = str(tmp_path / 'preds.pkl')
    metrics = test_tool.main([cfg, osp.join(work, 'iter_2.pth'), '--work-dir', work, '--out', out])
    assert 0.0 <= metrics['accuracy/top1'] <= 100.0
    with open(out, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 8 and 'pred_score' in preds[0]


def test_test_tool_refuses_a_checkpoint_that_does_not_fit(tiny_cls_config, tmp_path):
    """A backbone-only file and a ResNet-50 in the ResNet-18 config are refused, naming the keys
    (mmengine alone would load them with strict=False and score random tensors); a DDP-prefixed
    copy of the run's own checkpoint still loads; --allow-partial-checkpoint scores anyway."""
    import subprocess

    from mmpretrain.models import ResNet

    from muscle_mm.utils.checkpoint_fit import CheckpointMismatchError
    data = str(tmp_path / 'data')
    cfg = tiny_cls_config(iters=2, extra=EVAL.replace('{data}', data))
    work = str(tmp_path / 'work')
    train_tool.main([cfg, '--work-dir', work])
    state = torch.load(osp.join(work, 'iter_2.pth'), weights_only=False)['state_dict']
    headless, r50, ddp = (str(tmp_path / f'{n}.pth') for n in ('headless', 'r50', 'ddp'))
    torch.save(
        dict(state_dict={
            k: v
            for k, v in state.items() if k.startswith('backbone.')
        }), headless)
    r50_state = {f'backbone.{k}': v for k, v in ResNet(50).state_dict().items()}
    torch.save(
        dict(
            state_dict=dict(r50_state, **{
                k: v
                for k, v in state.items() if k.startswith('head.')
            })), r50)
    torch.save(dict(state_dict={f'module.{k}': v for k, v in state.items()}), ddp)
    with pytest.raises(
            CheckpointMismatchError,
            match=r'2 keys missing in the checkpoint: '
            r'head\.fc\.weight, head\.fc\.bias'):
        test_tool.main([cfg, headless, '--work-dir', work])
    with pytest.raises(CheckpointMismatchError) as e:
        test_tool.main([cfg, r50, '--work-dir', work])
    assert 'not in the model: backbone.layer1.0.conv3.weight' in str(e.value)
    assert 'backbone.layer1.0.conv1.weight (checkpoint [64, 64, 1, 1], model [64, 64, 3, 3])' \
        in str(e.value)
    assert 0.0 <= test_tool.main([cfg, ddp, '--work-dir', work])['accuracy/top1'] <= 100.0
    metrics = test_tool.main([cfg, headless, '--work-dir', work, '--allow-partial-checkpoint'])
    assert 'accuracy/top1' in metrics
    proc = subprocess.run(
        [sys.executable,
         osp.join(REPO, 'tools', 'test.py'), cfg, headless, '--work-dir', work],
        capture_output=True,
        text=True,
        env=dict(__import__('os').environ, PYTHONPATH=REPO))
    assert proc.returncode != 0 and 'test.py: error: checkpoint' in proc.stderr, proc.stderr[-2000:]
    assert 'head.fc.weight' in proc.stderr and 'test metrics' not in proc.stdout + proc.stderr
