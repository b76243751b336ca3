"""MD-MoCo's data path with views on the device and the pre-resized cache (issue 11), side by side.

Per CPU core (one thread, as inside one dataloader worker), on the same files:

(a) bare:     cv2.imread (gray) + cv2.resize to 500x800 (the config's interpolation)
(b) today:    the CPU-views train_pipeline of configs/_base_/datasets/xray_mdmoco_views.py
              (LoadXRayImage, Resize, MultiView 2 x (flip, rotation), PackInputs)
(c) decode:   the device-views pipeline of configs/muscle/mdmoco_r50_deviceviews.py
              (LoadResizedXRay = load + resize, PackInputs); the views run on the device
(d) cache:    (c) reading the cache built as tools/dataset_converters/build_cache.py builds it

Goals: (d)/(b) >= 5 and (c)/(a) >= 0.9. Then the views on the device (MultiViewDataPreprocessor
with XRayViews: host-to-device copy of a uint8 batch, two views, Z-score) against one MD-MoCo train
step at the same size with synthetic inputs, and the cache's size per 1,000 images and build
rate. With ``--device cuda --amp --arch r50`` it also runs the loader end to end (cache path,
``--workers`` processes, pinned memory) against the model step alone and prints the fraction of
the loader-free rate the real pipeline reaches (not run yet: no GPU was available).

    python benchmarks/xray_cache_and_device_views.py                       # CPU, R18 step
    python benchmarks/xray_cache_and_device_views.py --device cuda --amp --arch r50 --batch 32
"""
import argparse
import os
import os.path as osp
import tempfile
import time

import cv2
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmengine.logging import MessageHub
from mmengine.registry import DefaultScope

import muscle_mm  # noqa: F401
from muscle_mm.datasets.base import list_images
from muscle_mm.datasets.pipeline_bench import bare, make_phantoms
from muscle_mm.datasets.xray_cache_build import build as build_cache
from muscle_mm.registry import MODELS
from muscle_mm.utils.timing import best_rates, sync, time_per_call

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

CPU_VIEWS = osp.join(ROOT, 'configs/_base_/datasets/xray_mdmoco_views.py')
DEVICE_VIEWS = osp.join(ROOT, 'configs/muscle/mdmoco_{arch}_deviceviews.py')


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', help='folder of PNG/JPEG images; default: generated phantoms')
    p.add_argument('--num', type=int, default=32, help='images (default 32)')
    p.add_argument('--size', type=int, default=1024, help='generated phantom side (1024)')
    p.add_argument('--rounds', type=int, default=3, help='timed rounds, best kept (3)')
    p.add_argument('--arch', choices=['r18', 'r50'], default='r18', help='model (r18)')
    p.add_argument('--batch', type=int, default=8, help='batch of the model step (8)')
    p.add_argument('--steps', type=int, default=2, help='timed model steps (2)')
    p.add_argument('--device', default='cpu', help='cpu or cuda (cpu)')
    p.add_argument('--amp', action='store_true', help='bf16 autocast for the model step (cuda)')
    p.add_argument('--threads', type=int, default=1, help='torch threads on the CPU (1)')
    p.add_argument('--build-workers', type=int, default=0, help='cache build processes (0)')
    p.add_argument('--workers', type=int, default=4, help='loader workers, end to end (4)')
    p.add_argument('--data-only', action='store_true', help='skip the model step parts')
    p.add_argument(
        '--end-to-end',
        action='store_true',
        help='also time loader -> views -> step (always with a cuda device)')
    return p.parse_args()


def per_core_rates(paths, pipes, size, interp, rounds):
    """images/s of bare decode + resize and of each pipeline (data_pipeline_throughput's timing:
    the paths take turns in every round, best round kept)."""

    def run(pipe):
        return lambda: [pipe(dict(img_path=p, sample_idx=i)) for i, p in enumerate(paths)]

    fns = dict(bare=lambda: bare(paths, size, interp), **{k: run(p) for k, p in pipes.items()})
    for fn in fns.values():  # warm the page cache and lazy imports
        fn()
    return best_rates(fns, len(paths), rounds)


def model_and_batch(cfg, batch, device):
    model = MODELS.build(cfg.model).to(device)
    model.init_weights()
    model.train()
    optim = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9, weight_decay=1e-4)
    h, w = cfg.xray_scale[1], cfg.xray_scale[0]
    from mmpretrain.structures import DataSample
    data = dict(
        inputs=torch.randint(0, 256, (batch, 1, h, w), dtype=torch.uint8),
        data_samples=[DataSample(metainfo=dict(sample_idx=i)) for i in range(batch)])
    return model, optim, data


def step(model, optim, views, amp, device):
    with torch.autocast(device.split(':')[0], dtype=torch.bfloat16, enabled=amp):
        loss = model.loss(views, None)['loss']
    optim.zero_grad(set_to_none=True)
    loss.backward()
    optim.step()


def views_vs_step(cfg, args):
    model, optim, data = model_and_batch(cfg, args.batch, args.device)
    pre = model.data_preprocessor
    MessageHub.get_instance('bench').update_info('iter', 0)
    views = pre(data, training=True)['inputs']
    # one untimed call each: cuDNN's algorithm choice, the allocator
    t_views = time_per_call(
        lambda: pre(data, training=True), max(args.steps, 5), args.device, warmup=1)
    t_step = time_per_call(
        lambda: step(model, optim, views, args.amp, args.device), args.steps, args.device, warmup=1)
    return t_views, t_step, (model, optim, pre)


class PathSet(torch.utils.data.Dataset):

    def __init__(self, paths, pipe):
        self.paths, self.pipe = paths, pipe

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.pipe(dict(img_path=self.paths[i], sample_idx=i))


def end_to_end(paths, pipe, parts, args):
    """images/s of loader -> views -> step over ``paths`` (cycled) with real workers."""
    model, optim, pre = parts
    loader = torch.utils.data.DataLoader(
        PathSet(paths, pipe),
        batch_size=args.batch,
        shuffle=True,
        drop_last=True,
        num_workers=args.workers,
        pin_memory=True,
        persistent_workers=args.workers > 0,
        prefetch_factor=4 if args.workers else None,
        collate_fn=default_collate)

    def batches():
        while True:  # cycle over the files, epoch after epoch
            yield from loader

    stream = batches()
    next(stream)  # worker start-up and the first decode are not counted
    sync(args.device)
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step(model, optim, pre(next(stream), training=True)['inputs'], args.amp, args.device)
    sync(args.device)
    return args.steps * args.batch / (time.perf_counter() - t0)


def main():
    args = parse_args()
    cv2.setNumThreads(1)
    torch.set_num_threads(args.threads)
    cfg = Config.fromfile(DEVICE_VIEWS.format(arch=args.arch))
    size = tuple(cfg.xray_scale)
    step_cfg = cfg.train_dataloader.dataset.pipeline[0]
    with tempfile.TemporaryDirectory() as tmp:
        if args.data:
            paths = [osp.join(args.data, n) for n in list_images(args.data)][:args.num]
            source = f'{len(paths)} files from {args.data}'
        else:
            paths = make_phantoms(tmp, args.num, args.size, args.size)
            source = f'{len(paths)} generated {args.size}x{args.size} 8-bit PNG phantoms'
        cache = osp.join(tmp, 'cache')
        t0 = time.perf_counter()
        manifest = build_cache(paths, step_cfg, cache, args.build_workers, 1024, {})
        build_s = time.perf_counter() - t0
        cache_bytes = sum(osp.getsize(osp.join(cache, f)) for f in os.listdir(cache))
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            cpu_pipe = Compose(Config.fromfile(CPU_VIEWS).train_pipeline)
            dev_pipe = Compose(cfg.train_dataloader.dataset.pipeline)
            cache_pipe = Compose([dict(step_cfg, cache=cache)] +
                                 list(cfg.train_dataloader.dataset.pipeline[1:]))
        interp = step_cfg.resize.get('interpolation', 'bilinear')
        r = per_core_rates(paths, dict(today=cpu_pipe, decode=dev_pipe, cache=cache_pipe), size,
                           interp, args.rounds)
        torch.set_num_threads(args.threads)
        if not args.data_only:
            t_views, t_step, parts = views_vs_step(cfg, args)
        e2e = (
            end_to_end(paths, cache_pipe, parts, args) if not args.data_only and
            (args.end_to_end or args.device.startswith('cuda')) else None)

    print(f'data: {source}; cv2 1 thread; best of {args.rounds}; os.cpu_count()={os.cpu_count()}')
    print(f'{"path (dataloader side, per core)":<66}{"images/s":>10}{"ms/image":>10}')
    labels = dict(
        bare=f'(a) bare: cv2.imread + cv2.resize ({interp}) to 500x800',
        today='(b) today: CPU views (load, resize, 2 x flip+rotate, pack)',
        decode='(c) decode + resize only, views on the device',
        cache='(d) the cache (memory-mapped uint8 shards), views on the device')
    for k, label in labels.items():
        print(f'{label:<66}{r[k]:>10.1f}{1000 / r[k]:>10.2f}')
    print(f'ratios: (d)/(b) = {r["cache"] / r["today"]:.2f} (goal >= 5); '
          f'(c)/(a) = {r["decode"] / r["bare"]:.2f} (goal >= 0.9); '
          f'(c)/(b) = {r["decode"] / r["today"]:.2f}; (d)/(a) = {r["cache"] / r["bare"]:.2f}')
    h, w = size[1], size[0]
    if not args.data_only:
        print(f'device views ({args.device}, {args.threads} thread(s)): batch {args.batch} x '
              f'{h}x{w}: {t_views * 1000:.1f} ms/batch vs MD-MoCo {args.arch.upper()} train '
              f'step {t_step * 1000:.1f} ms ({"bf16 autocast" if args.amp else "fp32"}): '
              f'views = {100 * t_views / t_step:.2f}% of the step')
    n = len(manifest['entries'])
    print(f'cache: {cache_bytes / n * 1000 / 1e6:.1f} MB per 1,000 images at {h}x{w} '
          f'(uint8, uncompressed; {n} images in {cache_bytes / 1e6:.1f} MB); build '
          f'{n / build_s:.1f} images/s with {args.build_workers} worker process(es)')
    if e2e is not None:
        alone = args.batch / t_step
        print(f'end to end ({args.workers} workers, cache, pinned): {e2e:.1f} images/s vs model '
              f'step alone {alone:.1f} images/s: {100 * e2e / alone:.1f}% of the loader-free rate')


if __name__ == '__main__':
    main()
