"""Test (evaluate) a checkpoint with an mmpretrain, mmdet, mmseg or muscle_mm config.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.pkl] [--amp]
        [--json-out metrics.json] [--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}]
        [--allow-partial-checkpoint]

A checkpoint whose keys or tensor shapes do not match the model (e.g. a backbone-only file, or a
ResNet-50 in a ResNet-18 config) is refused, naming the keys, unless --allow-partial-checkpoint.

Prints the test metrics as a table and writes them as JSON (default
``<work_dir>/test_metrics.json``; NaN, e.g. an AUC over one class, is written as null) with the
config, checkpoint and seed. ``--out`` keeps every prediction (the input of
tools/analysis_tools/paper_figures.py).

Multi-GPU: tools/dist_test.sh.
"""
import argparse
import json
import math
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.evaluator import DumpResults
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from muscle_mm.utils.checkpoint_fit import check_checkpoint_fits
from muscle_mm.utils.cli_config import (add_common_args, apply_dataloader_defaults, load_config,
                                        parse)
from muscle_mm.utils.dist_teardown import destroy_process_group


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='dump the raw predictions to this pickle file')
    parser.add_argument('--amp', action='store_true', help='mixed precision inference')
    parser.add_argument(
        '--json-out',
        help='write the metrics here as JSON (default: '
        '<work_dir>/test_metrics.json)')
    parser.add_argument(
        '--allow-partial-checkpoint',
        action='store_true',
        help='score a checkpoint whose keys or shapes do not match the model '
        '(refused by default, naming the keys), with a warning')
    add_common_args(parser)
    return parse(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    if args.amp:
        cfg.test_cfg = cfg.get('test_cfg') or dict()
        cfg.test_cfg.fp16 = True
    apply_dataloader_defaults(cfg, ['test_dataloader'], args.no_pin_memory)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    check_checkpoint(runner, args.checkpoint, args.allow_partial_checkpoint)
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out must be a .pkl file, got {args.out}')
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    metrics = runner.test()
    if is_main_process():
        print_log(format_metrics(metrics), logger='current')
        write_metrics_json(
            args.json_out or osp.join(cfg.work_dir, 'test_metrics.json'),
            metrics,
            config=args.config,
            checkpoint=args.checkpoint,
            seed=runner.seed,
            cfg_options=args.cfg_options)
    destroy_process_group()  # torchrun: exit cleanly on every rank (utils/dist_teardown.py)
    return metrics


def check_checkpoint(runner, checkpoint: str, allow_partial: bool = False) -> dict:
    """mmengine loads ``load_from`` with ``strict=False`` (a head-less or wrong-depth file would be
    scored after warnings): compare keys and shapes first, refuse a misfit naming its keys."""
    from mmengine.model import is_model_wrapper
    from mmengine.runner.checkpoint import _load_checkpoint
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    return check_checkpoint_fits(model, _load_checkpoint(checkpoint, map_location='cpu'),
                                 checkpoint, allow_partial)


def _plain(value):
    """JSON-safe: numpy/torch scalars to float, NaN/inf to None."""
    if hasattr(value, 'item'):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def format_metrics(metrics: dict) -> str:
    width = max((len(k) for k in metrics), default=0)
    lines = []
    for key, value in metrics.items():
        value = _plain(value)
        lines.append(f'{key:<{width}}  {value:.4f}' if isinstance(value, float
                                                                  ) else f'{key:<{width}}  {value}')
    return 'test metrics:\n' + '\n'.join(lines)


def write_metrics_json(path: str, metrics: dict, **meta) -> str:
    """``{"metrics": {...}, "config": ..., "checkpoint": ..., "seed": ...}``, written atomically
    (a reader never sees half a file)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    payload = dict(meta, metrics={k: _plain(v) for k, v in metrics.items()})
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w') as f:
        json.dump(payload, f, indent=2, default=str)
    os.replace(tmp, path)
    print_log(f'metrics written to {path}', logger='current')
    return path
