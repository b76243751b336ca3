"""Train-step time of MDMoCo against mmpretrain's own MoCo v2, side by side in one process.

    python benchmarks/mdmoco_vs_mocov2.py                       # CPU: R18, 64x40, batch 4
    python benchmarks/mdmoco_vs_mocov2.py --device cuda --amp   # GPU: R50, 800x500, batch 32

Both models get the same backbone, neck, head, queue, input size, batch, data and SGD; each
step is ``model.train_step`` (data preprocessor, query forward/backward, key-encoder EMA,
shuffle-BN key forward, enqueue, optimizer step), timed with the device synchronized, the
two models interleaved (AB, BA, AB, ...) after warm-up so drift hits both equally. The data
is a fixed uint8 batch already on the device: data loading and host-to-device copies are
excluded. Prints ms/step (median) and images/s for each and the ratio MDMoCo / MoCo (goal
<= 1.0), then the FLOPs of one MDMoCo train step counted by
``torch.utils.flop_counter.FlopCounterMode`` (convolutions and matmuls, forward + backward)
and the achieved FLOP/s; on a GPU also as a fraction of ``--peak-tflops`` (default 989:
H100/H200 SXM dense bf16/fp16) and the peak memory.
"""
import argparse
import statistics
import time

import torch
from mmengine.logging import MMLogger
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmpretrain.structures import DataSample
from torch.utils.flop_counter import FlopCounterMode

import muscle_mm  # noqa: F401  (registers MDMoCo)
from muscle_mm.registry import MODELS
from muscle_mm.utils.timing import sync

GPU_DEFAULTS = dict(depth=50, height=800, width=500, batch=32, queue_len=65536, steps=20, warmup=5)
CPU_DEFAULTS = dict(depth=18, height=64, width=40, batch=4, queue_len=64, steps=10, warmup=2)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    p.add_argument('--amp', action='store_true', help='AmpOptimWrapper (autocast), as --amp')
    p.add_argument('--amp-dtype', default='bfloat16', choices=['bfloat16', 'float16'])
    p.add_argument('--channels-last', action='store_true', help='NHWC memory format')
    for k in CPU_DEFAULTS:
        p.add_argument(
            '--' + k.replace('_', '-'),
            type=int,
            default=None,
            help=f'default {CPU_DEFAULTS[k]} (cpu) / {GPU_DEFAULTS[k]} (cuda)')
    p.add_argument('--peak-tflops', type=float, default=989.0)
    args = p.parse_args(argv)
    if args.amp and args.device != 'cuda':
        p.error('--amp needs --device cuda (mmengine AmpOptimWrapper is GPU-only)')
    defaults = GPU_DEFAULTS if args.device == 'cuda' else CPU_DEFAULTS
    for k, v in defaults.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    return args


def model_cfg(args, type_):
    width = 512 if args.depth < 50 else 2048
    return dict(
        type=type_,
        queue_len=args.queue_len,
        feat_dim=128,
        momentum=0.001,
        data_preprocessor=dict(
            type='SelfSupDataPreprocessor', mean=[122.786] * 3, std=[18.390] * 3, to_rgb=False),
        backbone=dict(
            type='ResNet', depth=args.depth, norm_cfg=dict(type='BN'), zero_init_residual=False),
        neck=dict(
            type='MoCoV2Neck',
            in_channels=width,
            hid_channels=width,
            out_channels=128,
            with_avg_pool=True),
        head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2))


def build(args, type_):
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(args, type_))
    model.init_weights()
    model.to(args.device).train()
    if args.channels_last:
        model.to(memory_format=torch.channels_last)
    optim = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9, weight_decay=1e-4)
    wrapper = (
        AmpOptimWrapper(optimizer=optim, dtype=args.amp_dtype) if args.amp else OptimWrapper(
            optimizer=optim))
    return model, wrapper


def make_batch(args):
    g = torch.Generator().manual_seed(0)
    views = []
    for _ in range(2):
        v = torch.randint(
            0, 256, (args.batch, 3, args.height, args.width), generator=g,
            dtype=torch.uint8).to(args.device)
        views.append(v.contiguous(memory_format=torch.channels_last) if args.channels_last else v)
    return dict(inputs=views, data_samples=[DataSample() for _ in range(args.batch)])


def timed_step(model, wrapper, data, device):
    sync(device)
    t0 = time.perf_counter()
    model.train_step(data, optim_wrapper=wrapper)
    sync(device)
    return time.perf_counter() - t0


def main(argv=None):
    args = parse_args(argv)
    MMLogger.get_instance('mdmoco_vs_mocov2', log_level='WARNING')  # no init-info tables
    if args.device == 'cuda':
        torch.backends.cudnn.benchmark = True  # fixed input size, as the configs set
    data = make_batch(args)
    models = {'MoCo (mmpretrain)': build(args, 'MoCo'), 'MDMoCo': build(args, 'MDMoCo')}
    for model, wrapper in models.values():
        for _ in range(args.warmup):
            model.train_step(data, optim_wrapper=wrapper)
    times = {name: [] for name in models}
    names = list(models)
    for i in range(args.steps):
        for name in (names if i % 2 == 0 else names[::-1]):
            times[name].append(timed_step(*models[name], data, args.device))

    amp = f'AMP {args.amp_dtype}' if args.amp else 'fp32'
    print(f'device={args.device} {amp} ResNet-{args.depth} input {args.height}x{args.width} '
          f'batch {args.batch} queue {args.queue_len}, {args.steps} timed steps each '
          f'(after {args.warmup} warm-up), interleaved')
    med = {name: statistics.median(t) * 1e3 for name, t in times.items()}
    for name in names:
        print(f'  {name:18s} {med[name]:9.2f} ms/step (median; min {min(times[name]) * 1e3:.2f})'
              f'  {args.batch / med[name] * 1e3:8.1f} img/s')
    print(f'  ratio MDMoCo / MoCo = {med["MDMoCo"] / med[names[0]]:.3f} (goal <= 1.0)')

    model, wrapper = models['MDMoCo']
    with FlopCounterMode(display=False) as counter:
        model.train_step(data, optim_wrapper=wrapper)
    flops = counter.get_total_flops()
    achieved = flops / (med['MDMoCo'] / 1e3)
    line = f'  MDMoCo train step: {flops / 1e12:.4f} TFLOP, {achieved / 1e12:.3f} TFLOP/s'
    if args.device == 'cuda':
        line += (f' = {achieved / (args.peak_tflops * 1e12):.1%} of {args.peak_tflops:.0f} '
                 f'TFLOP/s peak; {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB peak '
                 'memory (both models)')
    print(line)


if __name__ == '__main__':
    main()
