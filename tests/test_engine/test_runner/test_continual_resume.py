"""MultiTaskContinualLoop resumes exactly, from the per-round checkpoints the configs write and
from inside a task iterate, training does not depend on validation, and a resume whose plan
changed is refused with what changed (tools/train.py on a 3-task config, one process)."""
import os.path as osp
import shutil
import sys

import pytest
import torch
from test_engine.test_runner.tiny_continual import ROUNDS, write_config

from _helpers import REPO

sys.path.insert(0, osp.join(REPO, 'tools'))
import train as train_tool  # noqa: E402

ITER_CKPT = ("\ncustom_hooks = [dict(type='CheckpointHook', by_epoch=False, interval=5, "
             "max_keep_ckpts=-1, save_last=False)]\n")


def weights(path):
    return torch.load(path, map_location='cpu', weights_only=False)['state_dict']


def assert_same(a, b, what):
    assert a.keys() == b.keys()
    differ = [k for k in a if not torch.equal(a[k], b[k])]
    assert not differ, f'{what}: {len(differ)} of {len(a)} tensors differ, e.g. {differ[:3]}'


def train(cfg, work, *options, resume=None):
    argv = [cfg, '--work-dir', str(work)]
    if resume:
        argv += ['--resume', str(resume)]
    if options:
        argv += ['--cfg-options'] + list(options)
    return train_tool.main(argv)


@pytest.fixture(scope='module')
def straight(tmp_path_factory):
    """3 uninterrupted rounds: epoch_1..3.pth (the configs' checkpoints) and iter_5/10/15.pth."""
    root = tmp_path_factory.mktemp('continual')
    cfg = write_config(root, ITER_CKPT)
    runner = train(cfg, root / 'straight')
    plan = runner.train_loop.plan
    assert runner.iter == plan.total == ROUNDS * (4 + 2 + 2) and runner.epoch == ROUNDS
    return cfg, root, plan


def test_resume_at_round_boundary_equals_uninterrupted(straight):
    cfg, root, _ = straight
    final = weights(root / 'straight' / f'epoch_{ROUNDS}.pth')
    work = root / 'from_epoch_1'
    work.mkdir()
    shutil.copy(root / 'straight' / 'epoch_1.pth', work)
    resumed = train(cfg, work, resume=work / 'epoch_1.pth')
    assert resumed.iter == straight[2].total
    assert_same(final, weights(work / f'epoch_{ROUNDS}.pth'), 'epoch_1 resumed')
    # rounds 2-3 moved the weights: the comparison is not vacuous
    assert not torch.equal(
        weights(root / 'straight' / 'epoch_1.pth')['backbone.conv1.weight'],
        final['backbone.conv1.weight'])


def test_resume_inside_a_task_iterate_equals_uninterrupted(straight):
    cfg, root, plan = straight
    final = weights(root / 'straight' / f'epoch_{ROUNDS}.pth')
    inside = [i for i in (5, 10, 15) if i > plan.locate(i).start]
    assert inside  # at least one checkpoint falls inside an iterate, not at its first batch
    work = root / 'from_iter'
    work.mkdir()
    shutil.copy(root / 'straight' / f'iter_{inside[-1]}.pth', work)
    train(cfg, work, resume=work / f'iter_{inside[-1]}.pth')
    assert_same(final, weights(work / f'epoch_{ROUNDS}.pth'), f'iter_{inside[-1]} resumed')


def test_validation_leaves_training_unchanged(straight):
    cfg, root, _ = straight
    work = root / 'no_val'
    train_tool.main([cfg, '--work-dir', str(work), '--no-validate'])
    assert_same(
        weights(root / 'straight' / f'epoch_{ROUNDS}.pth'), weights(work / f'epoch_{ROUNDS}.pth'),
        'without validation')


@pytest.mark.parametrize('options, matches', [
    ([
        'train_dataloader.a.batch_size=4', f'train_cfg.rounds={ROUNDS + 1}',
        "train_cfg.task_order='fixed'"
    ], [
        f'rounds {ROUNDS} -> {ROUNDS + 1}', "task_order 'shuffle' -> 'fixed'",
        'a iterate length 4 -> 2: batch size, dataset or world size changed'
    ]),
    (['randomness.seed=1'], ['seed 0 -> 1']),
    (['randomness.seed=None'], [
        'randomness.seed is not set, so this run drew ',
        'resume with --cfg-options randomness.seed=0'
    ]),
])
def test_resume_with_another_plan_is_refused(straight, options, matches):
    cfg, root, _ = straight
    ckpt = root / 'straight' / 'epoch_1.pth'
    with pytest.raises(RuntimeError, match='^cannot resume: ') as err:
        train(cfg, root / 'refused', *options, resume=ckpt)
    for text in matches:
        assert text in str(err.value), (text, str(err.value))
