"""`make demo`: the whole MUSCLE pipeline on generated X-ray data, on the CPU, in one process.

    python tools/demo.py [OUT_DIR] [--size tiny|demo] [--seeds 0 [1 2 ...]] [--data-seed 0]

Stages (each the project's real configs, scaled down by their own options; nothing here is a
separate toy implementation):
  1. write the nine datasets' real layouts with X-ray phantoms (data/<Name>/);
  2. report leakage between the MD-MoCo pool and the downstream val/test splits;
  3. MD-MoCo pre-training of a ResNet-18 (configs/muscle/mdmoco_r18_demo.py), and a linear probe
     of its frozen features against a Kaiming-initialized backbone;
  4. MUSCLE and MUSCLE-- continual learning from it over the four tasks
     (configs/muscle/muscle_r18_demo.py, muscle_minus_r18_demo.py);
  5. fine-tuning of Pneumonia, MURA, Lung and TBX from Scratch, MD-MoCo, MUSCLE-- and MUSCLE
     (configs/finetune/*, through tools/run_grid.py), each tested on its test split;
  6. Tables 2 and 3, the ROC / lung / TB figures, the continual task x round matrix, the paper's
     comparisons paired by seed (tools/analysis_tools/paper_claims.py), checkpoints.
With several --seeds, stages 3-5 run once per seed on the same generated data (folders
``<stage>_r18/seed<N>/``, ``grid/<task>/<run>/seed<N>/``); the tables show mean ± sd over seeds.
Everything runs in this process (one import of torch and the mm libraries instead of twenty).
--size tiny is the smallest pipeline, for the test suite.
"""
import argparse
import json
import os
import os.path as osp
import re
import resource
import sys
import time

from muscle_mm.experiments.grid import (CLONE, INITS, TASKS, config_path, linear_probe_file,
                                        pretrain_dir)

CONFIGS = osp.join(CLONE, 'configs')
# The grid's initializations but ImageNet: its torchvision weights cannot be downloaded offline
DEMO_INITS = tuple(i for i in INITS if i != 'imagenet')

# What the demo shrinks, per size: (h, w) input, images per downstream dataset, MD-MoCo epochs,
# continual rounds, fine-tuning epochs.
SIZES = dict(
    demo=dict(
        hw=(128, 80),
        pool_num=48,
        task_num=dict(PneumoniaCXR=160, MURA=160, ChestXrayMasks=48, TBX11K=48),
        mdmoco_epochs=3,
        rounds=2,
        inits=DEMO_INITS,
        finetune_epochs=dict(pneumonia=4, mura=4, lung=4, tbx=4)),
    tiny=dict(
        hw=(64, 40),
        pool_num=None,
        task_num=dict(PneumoniaCXR=40, MURA=40, ChestXrayMasks=16, TBX11K=20),
        mdmoco_epochs=1,
        rounds=1,
        inits=('scratch', 'muscle'),
        finetune_epochs=dict(pneumonia=1, mura=1, lung=1, tbx=1)))


class Console:
    """The demo's terminal: its own progress lines, the grid's run lines and the results; the
    libraries' logs (configs, hook tables, every iteration) go to ``<out>/demo.log`` only."""
    SHOWN = re.compile(r'^(====|\[demo\]|grid:|\[\d+/\d+\] |    log: |table: |figure )')
    # with show_all (a report the demo wants seen): still no log records or pycocotools chatter
    HIDDEN = re.compile(r'^(\d\d/\d\d \d\d:\d\d:\d\d - mmengine - |loading annotations|Done '
                        r'\(t=|creating index|index created|\s*warnings.warn|.*Warning: )')

    def __init__(self, log_path, terminal):
        self.log, self.terminal = open(log_path, 'a'), terminal
        self.show_all, self._part = False, ''

    def write(self, text):
        self.log.write(text)
        self._part += text
        *lines, self._part = self._part.split('\n')
        for line in lines:
            if self.SHOWN.match(line) or self.show_all and not self.HIDDEN.match(line):
                self.terminal.write(line + '\n')
        return len(text)

    def flush(self):
        self.log.flush()
        self.terminal.flush()


class Progress:
    """Prints which stage and run the demo is at, and how long it has taken."""

    def __init__(self, stages):
        self.stages, self.k, self.t0 = stages, 0, time.time()

    def stage(self, text):
        self.k += 1
        print(
            f'\n==== [demo {self.k}/{self.stages} | {(time.time() - self.t0) / 60:.1f} min] '
            f'{text}',
            flush=True)


def shrink(config, size):
    """The config's Resize steps at the demo's input size."""
    from mmengine.config import Config

    from muscle_mm.utils.cli_config import resize_options
    return resize_options(Config.fromfile(config), *SIZES[size]['hw'])


def continual_options(config, size, backbone):
    return [f'model.backbone_checkpoint={backbone}', f'train_cfg.rounds={SIZES[size]["rounds"]}'
            ] + shrink(config, size)


def finetune_options(size, task):
    opts = [
        f'train_cfg.max_epochs={SIZES[size]["finetune_epochs"][task]}',
        'default_hooks.logger.interval=5'
    ]
    for split in ('train', 'val', 'test'):
        opts += [
            f'{split}_dataloader.num_workers=0', f'{split}_dataloader.persistent_workers=False'
        ]
    opts += shrink(config_path(task, 'scratch', 18), size)
    if task == 'tbx':
        # mmdet's 500-iteration warm-up would outlast the demo's few iterations; the RoI head at
        # the continual demo's size (configs/muscle/muscle_r18_demo.py): on a CPU, RoIAlign and
        # the 1024-wide FC over 512 sampled RoIs per image otherwise take most of the demo's time
        opts += [
            'param_scheduler.0.end=5', 'model.roi_head.bbox_head.fc_out_channels=128',
            'model.train_cfg.rcnn.sampler.num=128'
        ]
    return opts


def reset():
    from muscle_mm.cli.run_grid import reset_mm_globals
    reset_mm_globals()


def train(config, work_dir, options):
    from muscle_mm.cli import train as train_tool
    train_tool.main([config, '--work-dir', work_dir, '--cfg-options'] + options)
    with open(osp.join(work_dir, 'last_checkpoint')) as f:  # written by mmengine's CheckpointHook
        ckpt = f.read().strip()
    reset()
    return ckpt


def export_backbone(ckpt, work_dir):
    from muscle_mm.cli import extract_backbone
    dst = osp.join(work_dir, 'backbone.pth')
    extract_backbone.main([ckpt, dst])
    return dst


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('out', nargs='?', default='work_dirs/demo')
    p.add_argument('--size', choices=list(SIZES), default='demo')
    p.add_argument(
        '--seeds',
        type=int,
        nargs='+',
        default=[0],
        help='run stages 3-5 once per seed (on the same data); the tables and the '
        "paper's comparisons then give mean ± sd over seeds (default: 0)")
    p.add_argument('--data-seed', type=int, default=0, help='seed of the generated data')
    args = p.parse_args(argv)
    if len(set(args.seeds)) != len(args.seeds):
        p.error(f'--seeds repeats a seed: {args.seeds}')
    out = osp.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    terminal = sys.stdout
    console = Console(osp.join(out, 'demo.log'), terminal)
    sys.stdout = sys.stderr = console
    cwd = os.getcwd()
    try:
        return run(args, out, console)
    finally:
        os.chdir(cwd)
        sys.stdout, sys.stderr = terminal, sys.__stderr__
        console.log.close()


def pretrain(args, out, seed, console):
    """MD-MoCo with this seed, its backbone, and the linear probe against Kaiming init."""
    s, config = SIZES[args.size], osp.join(CONFIGS, 'muscle', 'mdmoco_r18_demo.py')
    work = pretrain_dir(out, 'mdmoco', 18, seed)
    ckpt = train(config, work, [
        f'train_cfg.max_epochs={s["mdmoco_epochs"]}',
        f'param_scheduler.0.T_max={s["mdmoco_epochs"]}',
        f'param_scheduler.0.end={s["mdmoco_epochs"]}', f'randomness.seed={seed}'
    ] + shrink(config, args.size))
    backbone = export_backbone(ckpt, work)
    print(
        '[demo] linear probe on PneumoniaCXR (frozen features, logistic regression): '
        'Kaiming init vs MD-MoCo',
        flush=True)
    from muscle_mm.cli import linear_probe
    console.show_all = True
    linear_probe.main([
        config, '--checkpoints', 'kaiming', backbone, '--dataset', 'PneumoniaCXR', '--seed',
        str(seed), '--out',
        linear_probe_file(out, seed)
    ])
    console.show_all = False
    reset()
    return backbone


def continual(args, out, seed, mdmoco):
    """MUSCLE and MUSCLE-- from the MD-MoCo backbone: their backbones and task x round matrices."""
    s, backbones, matrices = SIZES[args.size], {}, {}
    for init, config in (('muscle', 'muscle_r18_demo.py'), ('muscle_minus',
                                                            'muscle_minus_r18_demo.py')):
        work = pretrain_dir(out, init, 18, seed)
        print(f'[demo] {init}: {work}', flush=True)
        config = osp.join(CONFIGS, 'muscle', config)
        ckpt = train(
            config, work,
            continual_options(config, args.size, mdmoco) + [f'randomness.seed={seed}'] +
            ([f'param_scheduler.0.T_max={s["rounds"]}', f'param_scheduler.0.end={s["rounds"]}']
             if init == 'muscle_minus' else []))
        backbones[init] = export_backbone(ckpt, work)
        with open(osp.join(work, 'continual_metrics.json')) as f:
            matrices[init] = json.load(f)
    return backbones, matrices


def finetune(args, out, seed, backbones):
    """Every task from every initialization with this seed, through tools/run_grid.py."""
    from muscle_mm.cli import run_grid
    s, files = SIZES[args.size], []
    pretrained = [f'{init}_r18={path}' for init, path in backbones.items()]
    for k, task in enumerate(TASKS, 1):
        print(f'[demo] task {k}/{len(TASKS)}: {task}', flush=True)
        files += run_grid.main([
            '--tasks', task, '--inits', *s['inits'], '--depths', '18', '--seeds',
            str(seed), '--work-dir',
            osp.join(out, 'grid'), '--pretrained', *pretrained, '--cfg-options',
            *finetune_options(args.size, task)
        ] + (['--figures'] if seed == args.seeds[0] else []))
        reset()
    return files


def run(args, out, console):
    s, seeds = SIZES[args.size], args.seeds
    progress = Progress(3 + 3 * len(seeds))
    print(f'[demo] full logs: {out}/demo.log', flush=True)
    import muscle_mm  # noqa: F401
    from muscle_mm.datasets.synthetic import generate_all

    progress.stage(f'writing the nine X-ray layouts under {out}/data')
    pool_sets = ['NIHChestXray14', 'ShenzhenCXR', 'MontgomeryCXR', 'IndianaCXR', 'RSNABoneAge']
    generate_all(osp.join(out, 'data'), num=s['pool_num'], seed=args.data_seed, only=pool_sets)
    for name, num in s['task_num'].items():
        generate_all(osp.join(out, 'data'), num=num, seed=args.data_seed, only=[name])
    os.chdir(out)  # the configs' data roots are data/<Name>, relative to here

    progress.stage('leakage between the MD-MoCo pool and the downstream val/test splits')
    from muscle_mm.cli import check_leakage
    console.show_all = True
    check_leakage.main([osp.join(CONFIGS, 'muscle', 'mdmoco_r18_demo.py')])
    console.show_all = False
    reset()

    backbones, matrices, files = {}, {}, []
    for k, seed in enumerate(seeds, 1):
        of = f'seed {seed}' + (f', {k}/{len(seeds)}' if len(seeds) > 1 else '')
        progress.stage(f'MD-MoCo pre-training (ResNet-18; {of})')
        backbones[seed] = dict(mdmoco=pretrain(args, out, seed, console))
        progress.stage(f'continual learning over the four tasks: MUSCLE, then MUSCLE-- ({of})')
        b, matrices[seed] = continual(args, out, seed, backbones[seed]['mdmoco'])
        backbones[seed].update(b)
        progress.stage(f'fine-tuning {len(TASKS)} tasks x {len(s["inits"])} initializations, '
                       f'then test ({of})')
        files += finetune(args, out, seed, backbones[seed])

    progress.stage('results')
    console.show_all = True
    report(args, out, seeds, backbones, matrices, files, progress)
    return dict(backbones=backbones, files=files, matrices=matrices)


def report(args, out, seeds, backbones, matrices, files, progress):
    s, (h, w) = SIZES[args.size], SIZES[args.size]['hw']
    tables = sorted({f for f in files if f.endswith('.md')})  # the last write has every seed
    for path in tables:
        with open(path) as f:
            print(f.read())
    for seed in seeds:
        for init, m in matrices[seed].items():
            print(f'continual stage, {init}, seed {seed}: primary val metric per task after '
                  'each round')
            for task in m['tasks']:
                row = ', '.join('-' if v is None else f'{v:.2f}' for v in m['matrix'][task])
                print(f'  {m["primary_metrics"][task]:28s} {row}')
            summ = m['summary']
            shown = {
                k: 'n/a' if summ.get(k) is None else f'{summ[k]:.2f}'
                for k in ('final_average', 'average_forgetting', 'average_bwt')
            }
            print(f'  final average {shown["final_average"]}, average forgetting '
                  f'{shown["average_forgetting"]}, average BWT {shown["average_bwt"]}')
            for note in summ.get('notes', []):
                print(f'  note: {note}')
    from muscle_mm.cli import paper_claims
    print(f"\nthe paper's comparisons in miniature ({len(seeds)} seed(s); "
          f'{osp.join(out, "claims.md")}):')
    paper_claims.main([out])
    grid = osp.join(out, 'grid')
    figures = sorted({osp.basename(f) for f in files if f.endswith('.png')})
    print(f'\nfigures (in {grid}; first seed):', *figures, sep='\n  ')
    print('tables:', *tables, sep='\n  ')
    print(
        'checkpoints (backbone.*, for init_cfg=dict(type="Pretrained", prefix="backbone.")):',
        *[f'{k} (seed {seed}): {v}' for seed in seeds for k, v in backbones[seed].items()],
        sep='\n  ')
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f'\ndemo ({args.size} size: {h}x{w} inputs, {s["rounds"]} continual rounds, '
          f'{s["mdmoco_epochs"]} MD-MoCo epochs, a few fine-tuning epochs on a few hundred '
          f'images; the paper: 800x500, 10 rounds, full datasets; {len(seeds)} seed(s)) took '
          f'{(time.time() - progress.t0) / 60:.1f} min, peak memory {peak:.2f} GiB')


if __name__ == '__main__':
    main()
