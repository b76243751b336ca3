"""Write every image of a config's training pool, decoded, gray and resized to the training size,
into a cache that training reads without decoding (muscle_mm/datasets/xray_cache.py; written by
muscle_mm/datasets/xray_cache_build.py).

    python tools/dataset_converters/build_cache.py configs/muscle/mdmoco_r50_deviceviews.py \
        --out work_dirs/xray_cache_800x500 [--workers 8] [--shard-size 1024] [--cfg-options ...]
    # then train from it (one option):
    python tools/train.py configs/muscle/mdmoco_r50_deviceviews.py \
        --cfg-options train_dataloader.dataset.pipeline.0.cache=work_dirs/xray_cache_800x500
    # verify an existing cache against the config's pool and the files on disk, write nothing:
    python tools/dataset_converters/build_cache.py CONFIG --out DIR --check

The pixels come from the config's own ``LoadResizedXRay`` step (its ``load`` and ``resize``
settings), so the cache holds exactly what the uncached pipeline produces. The manifest records
those settings, the OpenCV version and each source's path, size, mtime and original shape;
training refuses a cache built from other settings, and any image whose file has changed.
"""
import argparse
import os
import os.path as osp
import time

from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope

import muscle_mm  # noqa: F401  (registers datasets and transforms)
from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.load_resized_xray import LoadResizedXRay
from muscle_mm.datasets.xray_cache import XRayCache, source_key
from muscle_mm.datasets.xray_cache_build import build
from muscle_mm.registry import DATASETS


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='training config whose train_dataloader.dataset is the pool')
    p.add_argument('--out', help='cache directory (default: the LoadResizedXRay step\'s cache)')
    p.add_argument(
        '--workers',
        type=int,
        default=min(8,
                    os.cpu_count() or 1),
        help='decoding processes (0: in this process; default min(8, cores))')
    p.add_argument(
        '--shard-size',
        type=int,
        default=1024,
        help='images per .npy shard (default 1024, ~400 MB at 800x500)')
    p.add_argument(
        '--check',
        action='store_true',
        help='only verify the cache in --out against the pool; exit 1 on problems')
    p.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, as in tools/train.py')
    return p.parse_args(argv)


def find_loader_step(cfg: Config, config_path: str):
    """``(position, config)`` of the ``LoadResizedXRay`` step of the training pipeline."""
    pipeline = cfg.train_dataloader.dataset.get('pipeline', [])
    steps = [(i, s) for i, s in enumerate(pipeline)
             if isinstance(s, dict) and str(s.get('type', '')).split('.')[-1] == 'LoadResizedXRay']
    if len(steps) != 1:
        raise SystemExit(
            f'{config_path}: train_dataloader.dataset.pipeline has {len(steps)} LoadResizedXRay '
            'steps, the cache needs exactly one (use a device-views config, e.g. '
            'configs/muscle/mdmoco_r50_deviceviews.py)')
    return steps[0]


def pool_paths(cfg: Config) -> list:
    """Image paths of the training dataset, in order, each once."""
    ds_cfg = dict(cfg.train_dataloader.dataset, pipeline=[])
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpretrain')):
        dataset = DATASETS.build(ds_cfg)
    seen, paths = set(), []
    for i in range(len(dataset)):
        p = dataset.get_data_info(i)['img_path']
        if source_key(p) not in seen:
            seen.add(source_key(p))
            paths.append(p)
    return paths


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    pos, step = find_loader_step(cfg, args.config)
    out = args.out or step.get('cache')
    if not out:
        raise SystemExit('no cache directory: give --out DIR (or set the LoadResizedXRay '
                         'step\'s cache=DIR in the config)')
    t0 = time.perf_counter()
    paths = pool_paths(cfg)
    index_s = time.perf_counter() - t0
    if args.check:
        want = LoadResizedXRay(resize=step.get('resize'), load=step.get('load')).settings()
        try:
            problems = XRayCache(out, want).check_all(paths)
        except DatasetFormatError as e:  # other settings, not a cache, missing shard
            problems = [str(e)]
        for line in problems[:20]:
            print(line)
        print(f'{out}: {len(paths)} pool images, {len(problems)} problem(s)')
        if problems:
            raise SystemExit(1)
        return None
    t1 = time.perf_counter()
    manifest = build(
        paths,
        step,
        out,
        args.workers,
        args.shard_size,
        extra=dict(config=osp.abspath(args.config)))
    seconds = time.perf_counter() - t1
    size = sum(osp.getsize(osp.join(out, s['file'])) for s in manifest['shards'])
    size += osp.getsize(osp.join(out, 'manifest.json'))
    n = len(paths)
    print(f'cache {out}: {n} images of {manifest["shape"][0]}x{manifest["shape"][1]} uint8 in '
          f'{len(manifest["shards"])} shard(s), {size / 1e6:.1f} MB '
          f'({size / n * 1000 / 1e6:.1f} MB per 1,000 images); indexing {index_s:.1f} s, '
          f'build {seconds:.1f} s = {n / seconds:.1f} images/s with {args.workers} worker(s)')
    print(f'train from it: --cfg-options train_dataloader.dataset.pipeline.{pos}.cache={out}')
    return manifest


if __name__ == '__main__':
    main()
