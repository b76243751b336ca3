"""tools/train.py and tools/test.py with the arguments OpenMMLab users know, single process."""
import os.path as osp
import pickle
import sys

import pytest
import torch

from _helpers import EVAL, REPO

sys.path.insert(0, osp.join(REPO, 'tools'))
import test as test_tool  # noqa: E402
import train as train_tool  # noqa: E402



def test_train_cfg_options_and_resume(tiny_cls_config, tmp_path):
    cfg = tiny_cls_config(iters=2)
    work = str(tmp_path / 'work')
    runner = train_tool.main([cfg, '--work-dir', work, '--cfg-options',
                              'train_dataloader.batch_size=4', 'optim_wrapper.optimizer.lr=0.05'])
    assert runner.iter == 2 and runner.train_dataloader.batch_size == 4
    assert runner.optim_wrapper.optimizer.param_groups[0]['initial_lr'] == 0.05
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
    # --resume with no value: the latest checkpoint of the work dir; continue to 4 iterations.
    runner = train_tool.main([cfg, '--work-dir', work, '--resume', '--cfg-options',
                              'train_cfg.max_iters=4', 'train_dataloader.batch_size=4'])
    assert runner.iter == 4
    # --resume PATH
    runner = train_tool.main([cfg, '--work-dir', str(tmp_path / 'other'), '--resume',
                              osp.join(work, 'iter_2.pth'), '--cfg-options',
                              'train_cfg.max_iters=3', 'train_dataloader.batch_size=4'])
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
