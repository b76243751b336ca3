"""MUSCLE's continual stage: task-switching overhead, and forgetting with and without L2-SP.

    python benchmarks/continual_benchmarks.py switching   [--repeats 3]
    python benchmarks/continual_benchmarks.py forgetting  [--seeds 0 1 2] [--strengths 5e-5 ...]

Both run the real configs (configs/muscle/muscle_r18_demo.py, i.e. muscle_r18.py at demo size:
128x80 inputs, CPU) on generated X-ray layouts written to --data (default work_dirs/bench_data).

switching: the loop's training time for one round of the four tasks (task switches, loader and
    iterator creation, hooks) against the same iterations run as four single-task runs of the
    same loop, timed from before_train to after_train (model building and validation excluded),
    runs interleaved. Prints seconds and the ratio (goal <= 1.05).
forgetting: two tasks in a fixed order (pneumonia, then mura), one round, validation after each
    task iterate. Forgetting = pneumonia's val AUC after pneumonia minus after mura, with L2-SP
    (MUSCLE's settings) and without (weight decay only, MUSCLE--'s), per seed. The paper's claim is
    that L2-SP forgets less; the script prints what comes out, for MUSCLE's strength (5e-5)
    and stronger ones (--strengths) beside weight decay alone.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import muscle_mm  # noqa: E402,F401
from mmengine.config import Config  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from muscle_mm.datasets.synthetic import generate_all  # noqa: E402
from muscle_mm.registry import HOOKS  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO = osp.join(REPO, 'configs', 'muscle', 'muscle_r18_demo.py')
MINUS = osp.join(REPO, 'configs', 'muscle', 'muscle_minus_r18_demo.py')


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
    tasks = ['pneumonia', 'mura', 'lung', 'tbx']
    together, alone = [], []
    for r in range(args.repeats):
        together.append(train_seconds(config(DEMO, f'{args.work}/switch_all_{r}', tasks))[0])
        alone.append(sum(train_seconds(config(DEMO, f'{args.work}/switch_{t}_{r}', [t]))[0]
                         for t in tasks))
    a, b = statistics.median(together), statistics.median(alone)
    print(f'one round of 4 tasks in the loop: {a:.2f} s; the same iterations as 4 single-task '
          f'runs: {b:.2f} s; ratio {a / b:.3f} (goal <= 1.05; {args.repeats} repeats, median)')


def forgetting(args):
    muscle = next(h['strength'] for h in Config.fromfile(DEMO).custom_hooks
                  if h['type'] == 'L2SPHook')
    settings = [(f'L2-SP strength {lam:g}' + (' (MUSCLE)' if lam == muscle else ''), DEMO, lam)
                for lam in args.strengths] + [('weight decay (MUSCLE--)', MINUS, None)]
    rows = []
    for seed in args.seeds:
        for name, base, lam in settings:
            tag = 'wd' if lam is None else f'l2sp{lam:g}'
            cfg = config(base, f'{args.work}/forget_{seed}_{tag}', ['pneumonia', 'mura'],
                         seed=seed, validate=True)
            cfg.train_cfg.task_order = ['pneumonia', 'mura']
            cfg.train_cfg.val_after_each_task = True
            if lam is not None:
                for hook in cfg.custom_hooks:
                    if hook['type'] == 'L2SPHook':
                        hook['strength'] = lam
            if base == MINUS:
                cfg.param_scheduler = [dict(type='CyclicCosineLR', period='task', eta_min=1e-4,
                                            by_epoch=False)]  # only L2-SP differs
            _, runner = train_seconds(cfg)
            with open(osp.join(runner.work_dir, 'continual_metrics.json')) as f:
                auc = json.load(f)['matrix']['pneumonia']
            rows.append((seed, name, auc[0], auc[1], auc[0] - auc[1]))
            print(f'seed {seed}  {name:30s} pneumonia AUC after pneumonia {auc[0]:.2f}, after '
                  f'mura {auc[1]:.2f}: forgetting {auc[0] - auc[1]:+.2f}', flush=True)
    for name, _, _ in settings:
        f = [r[4] for r in rows if r[1] == name]
        after = [r[3] for r in rows if r[1] == name]
        spread = statistics.stdev(f) if len(f) > 1 else 0.0
        print(f'{name:30s} forgetting mean {statistics.mean(f):+.2f} +- {spread:.2f}, AUC after '
              f'mura {statistics.mean(after):.2f} (AUC points, {len(f)} seeds)')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('what', choices=['switching', 'forgetting'])
    p.add_argument('--data', default='work_dirs/bench_data')
    p.add_argument('--work', default='work_dirs/bench_continual')
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--num', type=int, default=80, help='images per generated dataset')
    p.add_argument('--strengths', type=float, nargs='+', default=[5e-5, 1e-3, 1e-2],
                   help="L2-SP strengths (lambda of eq. 2) to compare; 5e-5 is MUSCLE's config, "
                   "1e-2 about the L2-SP paper's scale (its alpha 0.1 / beta 0.01); "
                   'default: 5e-5 1e-3 1e-2')
    args = p.parse_args(argv)
    args.work = osp.abspath(args.work)
    if not osp.isdir(osp.join(args.data, 'data', 'TBX11K')):
        generate_all(osp.join(args.data, 'data'), num=args.num,
                     only=['PneumoniaCXR', 'MURA', 'ChestXrayMasks', 'TBX11K'])
    os.chdir(args.data)  # the configs' data roots are data/<Name>
    (switching if args.what == 'switching' else forgetting)(args)


if __name__ == '__main__':
    main()
