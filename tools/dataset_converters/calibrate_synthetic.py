"""Where a Scratch ResNet-18 lands on the four synthetic downstream tasks at a given difficulty.

    python tools/dataset_converters/calibrate_synthetic.py WORK_DIR [--difficulty D ...]
        [--tasks pneumonia mura lung tbx] [--epochs E] [--num N] [--height H] [--width W]

For each difficulty: writes the four downstream sets (plus the Shenzhen / Montgomery images they
share) with ``generate_all``, then trains ``configs/finetune/<task>/<task>_scratch_r18.py``
(the project's real configs, shrunk by ``--cfg-options``: HxW inputs, E epochs, no workers) with
``tools/train.py`` and scores the checkpoint that validation selected with ``tools/test.py`` on
the test split, all in this one process. Prints one line per run and a table at the end; the
figures in ``muscle_mm/datasets/synthetic/phantom.py`` and README "Demo" come from it.
"""
import argparse
import glob
import os.path as osp
import time

from muscle_mm.experiments.grid import TASK_DATASETS, TASKS, config_path

# images to generate per unit of --num, per task
SHARE = dict(pneumonia=1.0, mura=1.0, lung=0.4, tbx=0.5)
# test metrics to report: keys containing one of these (not the confidence bounds)
SHOWN = ('auc', 'accuracy', 'Dice', 'IoU', 'AP50')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('work_dir')
    p.add_argument(
        '--difficulty',
        type=float,
        nargs='+',
        default=[None],
        help='difficulties to measure (default: phantom.DIFFICULTY)')
    p.add_argument('--tasks', nargs='+', choices=list(TASKS), default=list(TASKS))
    p.add_argument('--epochs', type=int, default=6, help='training epochs (default 6)')
    p.add_argument(
        '--num',
        type=int,
        default=240,
        help='images of Pneumonia / MURA; ChestXrayMasks gets 0.4x, TBX11K 0.5x TB '
        'images plus as many healthy and half as many sick (default 240)')
    p.add_argument('--height', type=int, default=128, help='input height (default 128)')
    p.add_argument('--width', type=int, default=80, help='input width (default 80)')
    p.add_argument('--seed', type=int, default=0, help='data and training seed (default 0)')
    p.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='more options for every run, e.g. train_dataloader.batch_size=8')
    return p.parse_args(argv)


def _options(cfg, root, args):
    opts = {}
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        resize = [t['type'] for t in loader.dataset.pipeline].index('Resize')
        opts.update({
            f'{split}_dataloader.dataset.data_root': root,
            f'{split}_dataloader.dataset.pipeline.{resize}.scale': (args.width, args.height),
            f'{split}_dataloader.num_workers': 0,
            f'{split}_dataloader.persistent_workers': False
        })
    opts.update({
        'train_cfg.max_epochs': args.epochs,
        'randomness.seed': args.seed,
        'default_hooks.logger.interval': 10
    })
    if isinstance(cfg.param_scheduler, list):  # tbx: 500-iteration warm-up -> one epoch's worth
        opts['param_scheduler.0.end'] = 20
    return opts


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config

    from muscle_mm.cli import test as test_tool
    from muscle_mm.cli import train as train_tool
    from muscle_mm.datasets.synthetic import GENERATORS
    from muscle_mm.datasets.synthetic.phantom import DIFFICULTY
    rows = []
    for difficulty in args.difficulty:
        d = DIFFICULTY if difficulty is None else difficulty
        data = osp.join(args.work_dir, f'data_d{d:g}')
        roots = {}
        for task in args.tasks:
            name = TASK_DATASETS[task]
            n = int(round(args.num * SHARE[task]))
            kw = dict(num_health=n, num_sick=n // 2) if name == 'TBX11K' else {}
            roots[name] = GENERATORS[name](
                osp.join(data, name), num=n, seed=args.seed, difficulty=d, **kw)
        for task in args.tasks:
            name = TASK_DATASETS[task]
            config = config_path(task, 'scratch', 18)
            work = osp.join(args.work_dir, f'{task}_d{d:g}')
            opts = _options(Config.fromfile(config), roots[name], args)
            cli = (['--cfg-options'] + [f'{k}={v}'.replace(' ', '')
                                        for k, v in opts.items()] + args.cfg_options)
            start = time.time()
            train_tool.main([config, '--work-dir', work] + cli)
            ckpt = (sorted(glob.glob(osp.join(work, 'best_*.pth')))
                    or sorted(glob.glob(osp.join(work, 'epoch_*.pth'))))[-1]
            metrics = test_tool.main([config, ckpt, '--work-dir', work] + cli)
            got = {
                k: float(v)
                for k, v in metrics.items() if any(s in k for s in SHOWN) and '_ci_' not in k
            }
            rows.append((task, d, got, time.time() - start))
            print(
                f'calibrate: {task} difficulty {d:g}: {got} ({time.time() - start:.0f} s)',
                flush=True)
    print(f'\n| task | difficulty | test metrics (Scratch R18, {args.height}x{args.width}, '
          f'{args.epochs} epochs) | s |')
    for task, d, got, sec in rows:
        shown = ', '.join(f'{k} {v:.3f}' for k, v in got.items())
        print(f'| {task} | {d:g} | {shown} | {sec:.0f} |')
    return rows


if __name__ == '__main__':
    main()
