"""Train a model from an mmpretrain, mmdet, mmseg or muscle_mm config.

    python tools/train.py configs/muscle/mdmoco_r50.py [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}]

Multi-GPU / multi-node: tools/dist_train.sh (torchrun).
"""
import argparse

import torch
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from muscle_mm.utils.cli_config import (add_common_args, apply_dataloader_defaults, load_config,
                                        parse)
from muscle_mm.utils.dist_teardown import destroy_process_group


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or (no value) from the latest checkpoint in '
        'the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision (AmpOptimWrapper, dynamic loss scale)')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the LR by the actual batch size / '
        'auto_scale_lr.base_batch_size')
    parser.add_argument(
        '--no-validate', action='store_true', help='do not evaluate during training')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='disable persistent dataloader workers')
    add_common_args(parser)
    return parse(parser, argv)


def merge_args(cfg, args):
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.amp:
        if not torch.cuda.is_available():
            raise SystemExit('--amp: mixed precision needs a CUDA GPU (mmengine AmpOptimWrapper); '
                             'none is visible here. Drop --amp to train in fp32 on the CPU.')
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            print_log(
                f'--amp replaces optim_wrapper type {wrapper} with AmpOptimWrapper',
                logger='current',
                level=30)
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        # bf16 where the GPU has it (no loss-scale underflow; the project's fp32 islands:
        # L2-SP penalty, MoCo queue, RoIAlign), else fp16 as mmengine's default
        cfg.optim_wrapper.setdefault('dtype',
                                     'bfloat16' if torch.cuda.is_bf16_supported() else 'float16')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise ValueError(f'--auto-scale-lr: {args.config} has no '
                             'auto_scale_lr=dict(base_batch_size=...)')
        cfg.auto_scale_lr.enable = True
    apply_dataloader_defaults(cfg, ['train_dataloader', 'val_dataloader', 'test_dataloader'],
                              args.no_pin_memory, args.no_persistent_workers)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = merge_args(load_config(args), args)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.train()
    destroy_process_group()  # torchrun: exit cleanly on every rank (utils/dist_teardown.py)
    return runner
