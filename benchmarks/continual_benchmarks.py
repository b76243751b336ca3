"""MUSCLE's continual stage: task-switching overhead, and forgetting with and without L2-SP.

    python benchmarks/continual_benchmarks.py switching   [--repeats 3]
    python benchmarks/continual_benchmarks.py forgetting  [--seeds 0 1 2] [--strengths 0 5e-5 ...]
                                                          [--norm-stats shared per_task]

Both run the real configs (configs/muscle/muscle_r18_demo.py, i.e. muscle_r18.py at demo size:
128x80 inputs, CPU) on generated X-ray layouts written to --data (default work_dirs/bench_data).

switching: the loop's training time for one round of the four tasks (task switches, loader and
    iterator creation, hooks) against the same iterations run as four single-task runs of the
    same loop, timed from before_train to after_train (model building and validation excluded),
    runs interleaved. Prints seconds and the ratio (goal <= 1.05).
forgetting: two tasks in a fixed order (pneumonia, then mura), one round, validation after each
    task iterate. Forgetting = pneumonia's val AUC after pneumonia minus after mura, per seed, for
    each BN statistics choice (model.norm_stats: 'shared', 'per_task') x backbone regularizer
    (L2-SP at each --strengths, alpha from the config; plain weight decay 1e-4 without L2-SP).
    Only those two settings differ (MUSCLE's cyclic schedule everywhere). Also prints the drift
    of the backbone's conv weights over the mura iterate, ||w - w0|| / ||w0||, and ||w|| / ||w0||,
    and a table of means +- sd over the seeds. The drift is also given paired, as the ratio to
    the drift of L2-SP lambda 0 with the same seed and BN choice (same data order and start):
    the seeds' spread in drift is larger than L2-SP's effect on one short iterate. L2-SP's pull
    on one iterate grows with its length (about lr x 2 lambda alpha per step): --num sets the
    images per dataset, so the number of steps (e.g. --num 2400: ~110 mura steps at batch 16,
    near the ~150 of muscle_r50.py's MURA iterate).
"""
import argparse
import json
import os
import os.path as osp
import statistics
import time

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import muscle_mm  # noqa: F401
from muscle_mm.datasets.synthetic import generate_all
from muscle_mm.experiments.grid import TASKS
from muscle_mm.registry import HOOKS

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO = osp.join(REPO, 'configs', 'muscle', 'muscle_r18_demo.py')


@HOOKS.register_module(force=True)
class TrainTimeHook(Hook):
    """Wall time of the training loop proper."""
    priority = 'VERY_LOW'
    seconds = None

    def before_train(self, runner):
        self._t0 = time.perf_counter()

    def after_train(self, runner):
        TrainTimeHook.seconds = time.perf_counter() - self._t0


def config(base, work, tasks, rounds=1, seed=0, validate=False):
    cfg = Config.fromfile(base)
    cfg.work_dir = work
    cfg.model.backbone_checkpoint = None
    cfg.model.tasks = {t: cfg.model.tasks[t] for t in tasks}
    for key in ('train_dataloader', 'val_dataloader', 'val_evaluator'):
        cfg[key] = {t: cfg[key][t] for t in tasks}
    cfg.train_cfg.rounds = rounds
    cfg.randomness = dict(seed=seed)
    if not validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    cfg.custom_hooks = list(cfg.custom_hooks) + [dict(type='TrainTimeHook')]
    cfg.log_level = 'WARNING'
    return cfg


def train_seconds(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    return TrainTimeHook.seconds, runner


def switching(args):
    tasks = list(TASKS)
    together, alone = [], []
    for r in range(args.repeats):
        together.append(train_seconds(config(DEMO, f'{args.work}/switch_all_{r}', tasks))[0])
        alone.append(
            sum(train_seconds(config(DEMO, f'{args.work}/switch_{t}_{r}', [t]))[0] for t in tasks))
    a, b = statistics.median(together), statistics.median(alone)
    print(f'one round of 4 tasks in the loop: {a:.2f} s; the same iterations as 4 single-task '
          f'runs: {b:.2f} s; ratio {a / b:.3f} (goal <= 1.05; {args.repeats} repeats, median)')


@HOOKS.register_module(force=True)
class DriftHook(Hook):
    """Relative drift ||w - w0|| / ||w0|| and norm ratio ||w|| / ||w0|| of the backbone tensors
    L2-SP covers (conv weights), over each task iterate (w0: the weights at its start)."""
    priority = 'VERY_LOW'
    drift = {}

    def _weights(self, runner):
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        return torch.cat(
            [p.detach().flatten() for p in model.backbone.parameters() if p.dim() >= 2])

    def before_train_task(self, runner, task, round_idx):
        self._w0 = self._weights(runner).clone()

    def after_train_task(self, runner, task, round_idx):
        w, w0 = self._weights(runner), self._w0
        DriftHook.drift[task] = (float((w - w0).norm() / w0.norm()), float(w.norm() / w0.norm()))


def forgetting_config(args, seed, bn, lam):
    """The demo config on pneumonia > mura with BN statistics ``bn`` and L2-SP strength ``lam``
    (None: no L2-SP, plain weight decay 1e-4 on the whole backbone, MUSCLE--'s before issue 15).
    Everything else is MUSCLE's (its cyclic schedule too): only these two settings differ."""
    tag = f'{bn}_' + ('wd' if lam is None else f'l2sp{lam:g}')
    cfg = config(
        DEMO, f'{args.work}/forget_{seed}_{tag}', ['pneumonia', 'mura'], seed=seed, validate=True)
    cfg.train_cfg.task_order = ['pneumonia', 'mura']
    cfg.train_cfg.val_after_each_task = True
    cfg.model.norm_stats = bn
    if lam is None:
        cfg.custom_hooks = [h for h in cfg.custom_hooks if h['type'] != 'L2SPHook']
        cfg.optim_wrapper.paramwise_cfg.custom_keys['backbone'] = dict(decay_mult=1.0)
    else:
        hooks = [h for h in cfg.custom_hooks if h['type'] == 'L2SPHook']
        assert len(hooks) == 1, f'{DEMO}: expected one L2SPHook, got {len(hooks)}'
        hooks[0]['strength'] = lam
    cfg.custom_hooks = list(cfg.custom_hooks) + [dict(type='DriftHook')]
    return cfg


def forgetting(args):
    hook = next(h for h in Config.fromfile(DEMO).custom_hooks if h['type'] == 'L2SPHook')
    default_bn = Config.fromfile(DEMO).model.get('norm_stats', 'shared')
    grid = args.settings or [
        f'{bn}:{lam}' for bn in args.norm_stats
        for lam in [f'{x:g}' for x in args.strengths] + ['wd']
    ]
    settings = []
    for item in grid:
        bn, _, reg = item.partition(':')
        if bn not in ('shared', 'per_task') or not reg:
            raise ValueError(f'--settings {item!r}: expected shared|per_task:LAMBDA|wd')
        lam = None if reg == 'wd' else float(reg)
        what = 'wd 1e-4, no L2-SP' if lam is None else f'L2-SP lambda {lam:g}'
        default = lam == hook['strength'] and bn == default_bn
        settings.append((f'{bn:8s} {what}' + (' (default)' if default else ''), bn, lam))
    print(
        f"L2-SP alpha {hook['alpha']} (from {osp.relpath(DEMO, REPO)}); drift: ||w - w0|| / "
        '||w0|| of the backbone conv weights over the mura iterate; norm: ||w|| / ||w0||',
        flush=True)
    rows = []
    for seed in args.seeds:
        for name, bn, lam in settings:
            DriftHook.drift = {}
            _, runner = train_seconds(forgetting_config(args, seed, bn, lam))
            with open(osp.join(runner.work_dir, 'continual_metrics.json')) as f:
                auc = json.load(f)['matrix']['pneumonia']
            if len(auc) != 2 or None in auc or 'mura' not in DriftHook.drift:
                raise RuntimeError(f'{runner.work_dir}: expected pneumonia AUC after each of 2 '
                                   f'tasks and the mura drift, got {auc}, {DriftHook.drift}')
            drift, norm = DriftHook.drift['mura']
            rows.append((seed, name, auc[0], auc[1], auc[0] - auc[1], drift, norm))
            print(
                f'seed {seed}  {name:38s} pneumonia AUC after pneumonia {auc[0]:.2f}, after '
                f'mura {auc[1]:.2f}: forgetting {auc[0] - auc[1]:+.2f}; drift {drift:.4e}, '
                f'norm {norm:.6f}; {runner.iter} iterations in the run',
                flush=True)
        table(settings, rows)


def paired_drift(settings, rows):
    """{(seed, setting name): drift / drift of L2-SP lambda 0 with that seed and BN choice}, for
    the settings whose lambda-0 twin ran (same data order, same start: a paired comparison)."""
    zero = {bn: n for n, bn, lam in settings if lam == 0}
    by = {(r[0], r[1]): r[5] for r in rows}
    out = {}
    for name, bn, _ in settings:
        for seed in {r[0] for r in rows}:
            base = by.get((seed, zero.get(bn)))
            if (seed, name) in by and base:
                out[(seed, name)] = by[(seed, name)] / base
    return out


def table(settings, rows):
    """Means +- sd over the seeds run so far (printed after each seed)."""
    seeds = sorted({r[0] for r in rows})
    ratio = paired_drift(settings, rows)
    print(f"\nseeds {seeds}\n| setting (BN, regularizer) | forgetting (AUC pts) | AUC after "
          f"pneumonia | AUC after mura | drift over mura | drift / drift at lambda 0 (paired) "
          f"| norm ratio | seeds |\n|{'---|' * 8}")
    for name, _, _ in settings:
        mine = [r for r in rows if r[1] == name]
        cols = []
        for i in (4, 2, 3, 5, 'ratio', 6):
            v = ([ratio[(r[0], name)] for r in mine
                  if (r[0], name) in ratio] if i == 'ratio' else [r[i] for r in mine])
            if not v:
                cols.append('n/a (no lambda-0 run)')
                continue
            sd = statistics.stdev(v) if len(v) > 1 else 0.0
            if i == 4:
                cols.append(f'{statistics.mean(v):+.2f} +- {sd:.2f}')
            elif i in (2, 3):
                cols.append(f'{statistics.mean(v):.2f} +- {sd:.2f}')
            elif i == 5:
                cols.append(f'{statistics.mean(v):.3e} +- {sd:.1e}')
            else:
                cols.append(f'{statistics.mean(v):.4f} +- {sd:.4f}')
        print(f"| {name.strip()} | {' | '.join(cols)} | {len(mine)} |", flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('what', choices=['switching', 'forgetting'])
    p.add_argument('--data', default='work_dirs/bench_data')
    p.add_argument('--work', default='work_dirs/bench_continual')
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--num', type=int, default=80, help='images per generated dataset')
    p.add_argument(
        '--strengths',
        type=float,
        nargs='+',
        default=[0, 5e-5, 0.05, 0.5],
        help="L2-SP strengths (lambda of eq. 2, at the config's alpha) to compare; "
        "0.05 is MUSCLE's config (the L2-SP paper's scale), 5e-5 the earlier default "
        '(weight-decay scale); default: 0 5e-5 0.05 0.5')
    p.add_argument(
        '--norm-stats',
        nargs='+',
        default=['shared', 'per_task'],
        choices=['shared', 'per_task'],
        help="MultiTaskModel.norm_stats settings to compare (default: both)")
    p.add_argument(
        '--settings',
        nargs='+',
        metavar='BN:LAMBDA',
        help='explicit grid instead of --norm-stats x (--strengths + wd), e.g. '
        'per_task:0.05 shared:0 shared:wd')
    args = p.parse_args(argv)
    args.work = osp.abspath(args.work)
    if not osp.isdir(osp.join(args.data, 'data', 'TBX11K')):
        generate_all(
            osp.join(args.data, 'data'),
            num=args.num,
            only=['PneumoniaCXR', 'MURA', 'ChestXrayMasks', 'TBX11K'])
    os.chdir(args.data)  # the configs' data roots are data/<Name>
    (switching if args.what == 'switching' else forgetting)(args)


if __name__ == '__main__':
    main()
