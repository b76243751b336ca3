"""MUSCLE's continual stage through tools/train.py and tools/test.py on generated data: all four
task heads train, each task's loss falls, a mid-round resume continues bit for bit, the output's
backbone drops into stock mmpretrain / mmdet / mmseg models, and two gloo processes agree."""
import glob
import json
import os
import os.path as osp
import shutil
import sys
from collections import defaultdict

import pytest
import torch
from mmengine.config import Config

from muscle_mm.cli import test as test_tool
from muscle_mm.cli import train as train_tool
from muscle_mm.datasets.synthetic import generate_all
from _helpers import REPO

DEMO = osp.join(REPO, 'configs', 'muscle', 'muscle_r18_demo.py')
MINUS_DEMO = osp.join(REPO, 'configs', 'muscle', 'muscle_minus_r18_demo.py')
TASKS = ('pneumonia', 'mura', 'lung', 'tbx')
ROUNDS = 2


def options(work, extra=()):
    """The demo config at test size: 64x40 inputs, batch 16 / 4, 2 rounds, per-iteration logs,
    a checkpoint every 3 iterations."""
    from muscle_mm.utils.cli_config import resize_options
    opts = [
        'model.backbone_checkpoint=None',
        f'train_cfg.rounds={ROUNDS}',
        'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.by_epoch=False',
        'default_hooks.checkpoint.interval=3',
        'default_hooks.checkpoint.max_keep_ckpts=-1',
        # untrained boxes score near mmdet's 0.05 cut: keep them so that mAP is defined
        'model.tasks.tbx.test_cfg.rcnn.score_thr=0.0'
    ]
    for split in ('train', 'val', 'test'):
        for task, batch in zip(TASKS, (16, 16, 4, 4)):
            opts.append(f'{split}_dataloader.{task}.batch_size={batch}')
    opts += resize_options(Config.fromfile(DEMO), 64, 40)
    return ['--work-dir', work, '--cfg-options'] + opts + list(extra)


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
    """Generated layouts; 40 Pneumonia / MURA images so that each val split holds both classes."""
    root = tmp_path_factory.mktemp('muscle')
    generate_all(str(root / 'data'), num=40, only=['PneumoniaCXR', 'MURA'])
    generate_all(str(root / 'data'), only=['ChestXrayMasks', 'TBX11K'])
    return root


@pytest.fixture(scope='module')
def trained(data_dir):
    cwd = os.getcwd()
    os.chdir(data_dir)
    try:
        work = str(data_dir / 'work')
        runner = train_tool.main([DEMO] + options(work))
        return runner, work
    finally:
        os.chdir(cwd)


def _scalars(work):
    path, = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        return [json.loads(line) for line in f]


def test_every_task_trains_and_its_loss_falls(trained):
    runner, work = trained
    loop = runner.train_loop
    assert runner.iter == loop.plan.total and runner.epoch == ROUNDS
    per_round = defaultdict(lambda: defaultdict(list))
    for row in _scalars(work):
        if 'loss' not in row:
            continue
        seg = loop.plan.locate(row['iter'] - 1)
        task_keys = [k for k in row if k.startswith(f'{seg.task}.') and 'loss' in k]
        assert task_keys, row  # each logged iteration shows its own task's losses
        assert not [k for k in row if k.split('.')[0] in TASKS and not k.startswith(seg.task)]
        assert row['loss_l2sp'] > 0
        per_round[seg.task][seg.round].append(sum(row[k] for k in task_keys))
    for task in TASKS:
        first = sum(per_round[task][0]) / len(per_round[task][0])
        last = sum(per_round[task][ROUNDS - 1]) / len(per_round[task][ROUNDS - 1])
        assert last < first, (task, first, last)


def test_validation_matrix_and_forgetting_summary(trained):
    runner, work = trained
    with open(osp.join(work, 'continual_metrics.json')) as f:
        out = json.load(f)
    assert out['labels'] == [f'round {r + 1}' for r in range(ROUNDS)]
    for task, key in out['primary_metrics'].items():
        assert key.startswith(f'{task}/') and len(out['matrix'][task]) == ROUNDS
        assert all(v is not None for v in out['matrix'][task]), (task, out['matrix'])
    assert set(out['summary']['per_task']) == set(TASKS)
    metrics = out['evaluations'][-1]['metrics']
    for key in ('pneumonia/binary/auc', 'mura/binary/auc', 'lung/seg/dice', 'lung/seg/mIoU',
                'tbx/coco/mAP50', 'tbx/coco/AP50_active', 'tbx/coco/AP50_latent'):
        assert key in metrics


def test_resume_mid_round_reproduces_the_uninterrupted_run(trained, data_dir):
    runner, work = trained
    plan = runner.train_loop.plan
    # a checkpoint saved inside a task iterate of round 2 (not at a task boundary)
    k = next(
        i for i in range(3, plan.total, 3)
        if plan.locate(i).round == 1 and i > plan.locate(i).start)
    resumed = str(data_dir / 'work_resumed')
    os.makedirs(resumed)
    shutil.copy(osp.join(work, f'iter_{k}.pth'), resumed)
    cwd = os.getcwd()
    os.chdir(data_dir)
    try:
        train_tool.main([DEMO] + options(resumed) +
                        ['--resume', osp.join(resumed, f'iter_{k}.pth')])
    finally:
        os.chdir(cwd)
    final = f'iter_{plan.total}.pth'
    a = torch.load(osp.join(work, final), map_location='cpu', weights_only=False)['state_dict']
    b = torch.load(osp.join(resumed, final), map_location='cpu', weights_only=False)['state_dict']
    differ = [key for key in a if not torch.equal(a[key], b[key])]
    assert not differ, differ[:5]


def test_backbone_drops_into_stock_models(trained):
    from mmengine.registry import init_default_scope
    from mmengine.runner.checkpoint import _load_checkpoint_with_prefix

    from muscle_mm.registry import MODELS
    runner, work = trained
    ckpt = osp.join(work, f'iter_{runner.iter}.pth')
    weights = _load_checkpoint_with_prefix('backbone.', ckpt)
    cfg = Config.fromfile(DEMO)
    init_default_scope('mmpretrain')
    for task in ('pneumonia', 'lung', 'tbx'):  # mmpretrain, mmseg, mmdet
        stock = MODELS.build(cfg.model.tasks[task])
        result = stock.backbone.load_state_dict(weights, strict=True)
        assert not result.missing_keys and not result.unexpected_keys


def test_test_tool_scores_every_task(trained, data_dir):
    runner, work = trained
    cwd = os.getcwd()
    os.chdir(data_dir)
    try:
        metrics = test_tool.main([DEMO, osp.join(work, f'iter_{runner.iter}.pth')] +
                                 options(str(data_dir / 'work_test')))
    finally:
        os.chdir(cwd)
    assert {k.split('/')[0] for k in metrics} == set(TASKS)
    for key in ('pneumonia/binary/auc', 'mura/binary/auc', 'lung/seg/dice', 'tbx/coco/mAP50'):
        assert key in metrics


def test_muscle_minus_turns_the_three_parts_off():
    muscle, minus = Config.fromfile(DEMO), Config.fromfile(MINUS_DEMO)
    assert muscle.train_cfg.task_order == 'shuffle' and minus.train_cfg.task_order == 'fixed'
    assert [h.type for h in muscle.custom_hooks] == ['L2SPHook', 'ContinualMetricsHook']
    assert [h.type for h in minus.custom_hooks] == ['ContinualMetricsHook']
    assert muscle.param_scheduler[0].type == 'CyclicCosineLR'
    assert minus.param_scheduler[0].type == 'CosineAnnealingLR'
    assert minus.param_scheduler[0].by_epoch and minus.param_scheduler[0].T_max == 3  # demo rounds
    assert muscle.optim_wrapper == minus.optim_wrapper  # the fourth difference is gone
    for name in ('muscle_r50.py', 'muscle_minus_r50.py', 'muscle_r18.py', 'muscle_minus_r18.py'):
        cfg = Config.fromfile(osp.join(REPO, 'configs', 'muscle', name))
        assert cfg.train_cfg.rounds == 10 and set(cfg.model.tasks) == set(TASKS)
        assert cfg.train_cfg.task_order == ('fixed' if 'minus' in name else 'shuffle')


def test_two_gloo_processes_run_the_same_tasks(data_dir):
    import subprocess
    out_dir = data_dir / 'ddp'
    out_dir.mkdir()
    cfg = out_dir / 'probe_cfg.py'
    cfg.write_text(f"_base_ = ['{DEMO}']\n"
                   "custom_imports = dict(imports=['muscle_mm', 'rank_probe'], "
                   "allow_failed_imports=False)\n"
                   "custom_hooks = [dict(type='L2SPHook'), "
                   f"dict(type='TaskOrderProbeHook', out_dir='{out_dir}')]\n")
    args = options(str(out_dir / 'work'), ['train_cfg.rounds=1']) + ['--no-validate']
    proc = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'),
         str(cfg), '2'] + args,
        cwd=str(data_dir),
        env=dict(
            os.environ,
            PYTHON=sys.executable,
            PORT='29537',
            PYTHONPATH=osp.join(REPO, 'tests', 'test_tools')),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=900)
    assert proc.returncode == 0, proc.stdout[-6000:]
    rank0, rank1 = ((out_dir / f'rank{r}.tasks').read_text().split('\n') for r in (0, 1))
    assert rank0[0] == rank1[0] and len(rank0[0].split()) == 4  # same tasks at the same iters
    assert rank0[1] == rank1[1]  # DDP kept the replicas identical
