"""Fine-tune any slice of MUSCLE's grid and write the paper's Tables 2 and 3.

    python tools/run_grid.py --tasks pneumonia lung --inits scratch mdmoco muscle --depths 18 \
        [--seeds 0 1 2] [--work-dir work_dirs/grid] [--paper] [--cfg-options k=v ...] \
        [--pretrained mdmoco_r18=PATH ...] [--launcher pytorch --gpus 8] [--figures] [--dry-run]

Each run is ``configs/finetune/<task>/<task>_<init>_r<depth>.py`` with ``randomness.seed`` set
to its seed, trained in ``<work-dir>/<task>/<task>_<init>_r<depth>/seed<N>/`` (model selection
on val), then tested with its best checkpoint (``tools/test.py --out preds_test.pkl``), which
writes ``result.json``. A run with a ``result.json`` is skipped, an interrupted one resumes from
its last checkpoint, and a folder made with another config (or not by this tool) is an error:
nothing is silently skipped or overwritten. Every pre-trained backbone the selection needs is
checked (file, ``backbone.`` keys, depth) before the first run starts; ImageNet's
``torchvision://resnet{18,50}`` must be in torch hub's cache (``$TORCH_HOME/hub/checkpoints/``,
the error names the file and its URL) or be named with ``--pretrained imagenet_r18=PATH``. Finally
muscle_mm.experiments.tables (tools/analysis_tools/paper_tables.py) writes ``table2/3.{md,csv}``
from every result in the work dir, and ``--figures`` the paper's figures of the selection
(``fig_<task>_r<depth>.png``: ROC curves, lung overlays, TB boxes;
tools/analysis_tools/paper_figures.py, first seed).
``--launcher none`` (default) runs everything in this process; ``--launcher pytorch`` runs
each step through tools/dist_train.sh / dist_test.sh on ``--gpus`` processes.
"""
import argparse
import functools
import glob
import hashlib
import json
import os
import os.path as osp
import subprocess
import sys
import time

from muscle_mm.experiments import grid
from muscle_mm.experiments.grid import DEPTHS, INITS, TASKS, run_name
from muscle_mm.experiments.tables import write_tables

TOOLS = osp.join(grid.CLONE, 'tools')  # tools/dist_train.sh, dist_test.sh

# Config keys the runner builds from: the fingerprint of a run (work_dir, launcher and the other
# tasks' variables that the shared task base brings in are not part of it).
RUN_KEYS = ('model', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
            'test_evaluator', 'optim_wrapper', 'param_scheduler', 'train_cfg', 'val_cfg',
            'test_cfg', 'auto_scale_lr', 'default_hooks', 'custom_hooks', 'randomness',
            'default_scope', 'load_from', 'model_wrapper_cfg', 'sync_bn')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--tasks', nargs='+', choices=TASKS, default=list(TASKS))
    p.add_argument('--inits', nargs='+', choices=INITS, default=list(INITS))
    p.add_argument('--depths', nargs='+', type=int, choices=DEPTHS, default=list(DEPTHS))
    p.add_argument(
        '--seeds',
        nargs='+',
        type=int,
        default=[0],
        help='repeat every cell over these seeds (mean and spread in the tables)')
    p.add_argument('--work-dir', default='work_dirs/grid')
    p.add_argument('--config-dir', default=grid.FINETUNE_CONFIGS)
    p.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='passed to every run (tools/train.py and tools/test.py)')
    p.add_argument(
        '--pretrained',
        nargs='+',
        default=[],
        metavar='INIT_rDEPTH=PATH',
        help='backbone checkpoint of a pre-training, e.g. mdmoco_r18=ckpt.pth or '
        'imagenet_r18=resnet18-f37072fd.pth (default: the path in '
        'configs/finetune/_base_/pretrain_inits.py)')
    p.add_argument('--paper', action='store_true', help="put the paper's numbers in the tables")
    p.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    p.add_argument('--gpus', type=int, default=1, help='processes per run with --launcher pytorch')
    p.add_argument(
        '--figures',
        action='store_true',
        help='also draw fig_<task>_r<depth>.png (ROC / lung overlays / TB boxes)')
    p.add_argument('--dry-run', action='store_true', help='check everything, list, run nothing')
    return p.parse_args(argv)


class GridError(RuntimeError):
    """Bad grid input: a missing or wrong checkpoint, a results folder of another config."""


def run_list(args):
    return [(t, i, d, s) for t in args.tasks for d in args.depths for i in args.inits
            for s in args.seeds]


def pretrained_options(args):
    """``--pretrained mdmoco_r18=PATH`` -> ``{('mdmoco', 18): PATH}``."""
    out = {}
    for item in args.pretrained:
        key, sep, path = item.partition('=')
        init, _, depth = key.rpartition('_r')
        if not sep or init not in INITS[1:] or not depth.isdigit() or int(depth) not in DEPTHS:
            raise GridError(f'--pretrained {item!r}: expected INIT_rDEPTH=PATH with INIT in '
                            f'{INITS[1:]} and DEPTH in {DEPTHS}, e.g. mdmoco_r18=backbone.pth')
        out[(init, int(depth))] = path
    return out


def run_options(args, init, depth, seed):
    opts = list(args.cfg_options) + [f'randomness.seed={seed}']
    path = pretrained_options(args).get((init, depth))
    return opts + [f'model.backbone.init_cfg.checkpoint={path}'] if path else opts


def load_run_config(config, options):
    """The config exactly as tools/train.py builds it (launcher none, work dir left out)."""
    from muscle_mm.cli import train as train_tool
    from muscle_mm.utils.cli_config import load_config
    args = train_tool.parse_args([config, '--cfg-options'] + options)
    return train_tool.merge_args(load_config(args), args)


def fingerprint(cfg):
    """sha256 of the run-defining config keys, and those keys (JSON-able)."""
    keys = {k: cfg.get(k) for k in RUN_KEYS}
    text = json.dumps(keys, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16], json.loads(text)


@functools.lru_cache(maxsize=None)
def _state_keys(path, mtime):
    """``{key: None}`` of a checkpoint's state dict, read once per file version."""
    from muscle_mm.utils.checkpoint_convert import get_state_dict, load_checkpoint
    return {k: None for k in get_state_dict(load_checkpoint(path))}


def check_pretrained(cfg, config, init=None):
    """A Pretrained backbone init must name an existing file with the prefix's keys whose ResNet
    depth is the config's. ``torchvision://NAME`` is checked in torch hub's cache, where mmengine
    reads it (an offline machine cannot download it); other URLs are left to mmengine."""
    from muscle_mm.utils.checkpoint_convert import extract_backbone, infer_torchvision_arch
    from muscle_mm.utils.torchvision_weights import PREFIX, torchvision_url_and_file
    init_cfg = cfg.model.backbone.get('init_cfg') or []
    for item in init_cfg if isinstance(init_cfg, list) else [init_cfg]:
        path = item.get('checkpoint') if item.get('type') == 'Pretrained' else None
        where = f'{config} (model.backbone.init_cfg)'
        if path and path.startswith(PREFIX):
            url, cached = torchvision_url_and_file(path)
            if not osp.isfile(cached):
                flag = f'{init}_r{cfg.model.backbone.depth}' if init else 'INIT_rDEPTH'
                raise GridError(
                    f'{where}: {path} is not in torch hub\'s cache, and it cannot be downloaded '
                    f'offline. Put the file there:\n  {cached}\n(from {url}; the folder is '
                    '$TORCH_HOME/hub/checkpoints), or name a local copy:\n'
                    f'  --pretrained {flag}=/path/to/{osp.basename(cached)}')
            path = cached
        if not path or '://' in path:
            continue
        if not osp.isfile(path):
            hint = ''
            last = osp.join(osp.dirname(path), 'last_checkpoint')
            if osp.isfile(last):
                src = open(last).read().strip()
                hint = (f'\nits pre-training left {src}; make the backbone file with\n'
                        f'  python tools/model_converters/extract_backbone.py {src} {path}')
            raise GridError(f'{where}: pre-trained checkpoint {path} does not exist.{hint}\n'
                            'Or name another file: --pretrained INIT_rDEPTH=PATH')
        prefix = item.get('prefix') or ''
        state = _state_keys(path, osp.getmtime(path))
        if not any(k.startswith(prefix) for k in state):
            raise GridError(f'{where}: {path} has no "{prefix}*" keys (first keys: '
                            f'{list(state)[:4]}); it is not a backbone checkpoint of stage 1/2')
        try:
            bare = extract_backbone(state, True, prefix) if prefix else state
            arch = infer_torchvision_arch(bare)
        except (ValueError, KeyError) as e:
            raise GridError(f'{where}: {path} is not a ResNet backbone: {e}') from e
        if arch != f'resnet{cfg.model.backbone.depth}':
            raise GridError(f'{where}: {path} holds a {arch}, the config a '
                            f'ResNet-{cfg.model.backbone.depth}')


def check_run_dir(run_dir, fp, keys):
    """'new', 'resume' or 'done'; a folder of another config or of another tool raises."""
    record = osp.join(run_dir, 'grid_run.json')
    if not osp.isdir(run_dir) or not os.listdir(run_dir):
        return 'new'
    if not osp.isfile(record):
        raise GridError(f'{run_dir} holds files but no grid_run.json: not made by run_grid.py. '
                        'Choose another --work-dir or move it away.')
    with open(record) as f:
        old = json.load(f)
    if old['fingerprint'] != fp:
        diff = sorted(k for k in set(keys) | set(old['keys']) if keys.get(k) != old['keys'].get(k))
        raise GridError(f'{run_dir} holds results of a different config (fingerprint '
                        f'{old["fingerprint"]}, now {fp}; differing keys: {diff}). Use another '
                        '--work-dir, or move the folder away to re-run it.')
    return 'done' if osp.isfile(osp.join(run_dir, grid.RESULT_FILE)) else 'resume'


def best_checkpoint(run_dir):
    """(path, 'best' | 'last'): the val-selected checkpoint, else the last one."""
    best = sorted(glob.glob(osp.join(run_dir, 'best_*.pth')), key=osp.getmtime)
    if best:
        return best[-1], 'best'
    last = osp.join(run_dir, 'last_checkpoint')
    if osp.isfile(last):
        return open(last).read().strip(), 'last'
    raise GridError(f'{run_dir}: training wrote no checkpoint')


def reset_mm_globals():
    """Runners leave named instances (scope, message hub, visualizer, loggers) behind; clear
    them so that the next run in this process starts clean and its log goes to its own file."""
    from mmengine.logging import MessageHub, MMLogger
    from mmengine.registry import DefaultScope
    from mmengine.visualization import Visualizer
    for cls in (DefaultScope, MessageHub, Visualizer):
        cls._instance_dict.clear()
    for logger in MMLogger._instance_dict.values():
        for handler in list(logger.handlers):
            handler.close()
            logger.removeHandler(handler)
    MMLogger._instance_dict.clear()


def train_in_process(config, run_dir, options, resume):
    from mmengine.runner import Runner

    from muscle_mm.cli import train as train_tool
    from muscle_mm.utils.cli_config import load_config
    argv = [config, '--work-dir', run_dir, '--cfg-options'
            ] + options + (['--resume'] if resume else [])
    args = train_tool.parse_args(argv)
    runner = Runner.from_cfg(train_tool.merge_args(load_config(args), args))
    log = osp.join(runner.log_dir, f'{runner.timestamp}.log')
    print(f'    log: {log}', flush=True)
    runner.train()
    return log


def run_dist(script, positional, rest, gpus, log):
    """tools/dist_train.sh / dist_test.sh on ``gpus`` processes, output appended to ``log``."""
    print(f'    log: {log}', flush=True)
    cmd = ['bash', osp.join(TOOLS, script)] + positional + [str(gpus)] + rest
    with open(log, 'a') as f:
        proc = subprocess.run(
            cmd, stdout=f, stderr=subprocess.STDOUT, env=dict(os.environ, PYTHON=sys.executable))
    if proc.returncode:
        raise GridError(f'{script} failed (exit {proc.returncode}); see {log}')
    return log


def run_one(args, task, init, depth, seed, config, fp, keys, resume):
    run_dir = grid.run_dir(args.work_dir, task, init, depth, seed)
    os.makedirs(run_dir, exist_ok=True)
    options = run_options(args, init, depth, seed)
    if not resume:
        with open(osp.join(run_dir, 'grid_run.json'), 'w') as f:
            json.dump(
                dict(
                    config=config,
                    seed=seed,
                    cfg_options=options,
                    fingerprint=fp,
                    keys=keys,
                    started=time.strftime('%Y-%m-%d %H:%M:%S')),
                f,
                indent=1)
    preds = osp.join(run_dir, grid.PREDICTIONS_FILE)
    metrics_json = osp.join(run_dir, 'test_metrics.json')
    test_argv = [
        '--work-dir', run_dir, '--out', preds, '--json-out', metrics_json, '--cfg-options'
    ] + options
    if args.launcher == 'none':
        from muscle_mm.cli import test as test_tool
        log = train_in_process(config, run_dir, options, resume)
        reset_mm_globals()
        ckpt, kind = best_checkpoint(run_dir)
        metrics = test_tool.main([config, ckpt] + test_argv)
        reset_mm_globals()
    else:
        train_argv = ['--work-dir', run_dir, '--cfg-options'] + options
        log = run_dist('dist_train.sh', [config], train_argv + (['--resume'] if resume else []),
                       args.gpus, osp.join(run_dir, 'grid_train.log'))
        ckpt, kind = best_checkpoint(run_dir)
        run_dist('dist_test.sh', [config, ckpt], test_argv, args.gpus,
                 osp.join(run_dir, 'grid_test.log'))
        with open(metrics_json) as f:
            metrics = json.load(f)['metrics']
    from muscle_mm.cli import test as test_tool
    result = dict(
        task=task,
        init=init,
        depth=depth,
        seed=seed,
        config=config,
        fingerprint=fp,
        cfg_options=options,
        checkpoint=ckpt,
        checkpoint_kind=kind,
        train_log=log,
        predictions=preds,
        metrics={
            k: test_tool._plain(v)
            for k, v in metrics.items()
        },
        finished=time.strftime('%Y-%m-%d %H:%M:%S'))
    tmp = osp.join(run_dir, grid.RESULT_FILE + '.tmp')
    with open(tmp, 'w') as f:
        json.dump(result, f, indent=1)
    os.replace(tmp, osp.join(run_dir, grid.RESULT_FILE))
    return result


def write_figures(args):
    """One figure per selected task and depth, from the first seed's test predictions."""
    from muscle_mm.cli import paper_figures
    files = []
    for task in args.tasks:
        for depth in args.depths:
            out = osp.join(args.work_dir, f'fig_{task}_r{depth}.png')
            try:
                files.append(
                    paper_figures.main([
                        grid.TASK_FIGURES[task], '--grid-dir', args.work_dir, '--task', task,
                        '--depth',
                        str(depth), '--seed',
                        str(args.seeds[0]), '--out', out
                    ]))
            except (SystemExit, ValueError) as e:  # e.g. a test split with one class: no ROC
                print(f'figure {out} not drawn: {e}', flush=True)
    return files


def main(argv=None):
    args = parse_args(argv)
    runs = run_list(args)
    pretrained_options(args)  # bad --pretrained fails before anything is loaded
    plan = []
    for task, init, depth, seed in runs:  # check everything before the first run starts
        config = grid.config_path(task, init, depth, args.config_dir)
        if not osp.isfile(config):
            raise GridError(f'config {config} not found (--config-dir {args.config_dir})')
        cfg = load_run_config(config, run_options(args, init, depth, seed))
        if int(cfg.randomness.seed) != seed:
            raise GridError(f'{config}: randomness.seed is {cfg.randomness.seed}, not {seed}')
        check_pretrained(cfg, config, init)
        fp, keys = fingerprint(cfg)
        folder = grid.run_dir(args.work_dir, task, init, depth, seed)
        plan.append((task, init, depth, seed, config, fp, keys, check_run_dir(folder, fp, keys)))
        reset_mm_globals()
    todo = [p for p in plan if p[-1] != 'done']
    print(
        f'grid: {len(plan)} runs selected, {len(plan) - len(todo)} done, {len(todo)} to do '
        f'(work dir {args.work_dir})',
        flush=True)
    for k, (task, init, depth, seed, config, fp, keys, state) in enumerate(plan, 1):
        name = f'[{k}/{len(plan)}] {run_name(task, init, depth)} seed {seed}'
        if state == 'done':
            print(f'{name}: done, skipped', flush=True)
            continue
        print(f'{name}: {"resuming" if state == "resume" else "training"} {config}', flush=True)
        if args.dry_run:
            continue
        result = run_one(args, task, init, depth, seed, config, fp, keys, state == 'resume')
        print(f'{name}: tested {result["checkpoint"]}', flush=True)
    files = [] if args.dry_run else write_tables(args.work_dir, args.paper, runs)
    for path in files:
        print(f'table: {path}', flush=True)
    if args.figures and not args.dry_run:
        files += write_figures(args)
    return files
