"""Writing an :class:`~muscle_mm.datasets.xray_cache.XRayCache`: each image decoded by a
``LoadResizedXRay`` step's own settings, in worker processes.

tools/dataset_converters/build_cache.py builds a config's pool with it, and the benchmarks
(benchmarks/xray_cache_and_device_views.py, gpu_device_check.py) their phantoms, so that what
they time is the cache training reads.
"""
import multiprocessing as mp
from typing import List

from .load_resized_xray import LoadResizedXRay
from .xray_cache import XRayCacheWriter, source_stat

_TRANSFORM = None


def _init_worker(step: dict) -> None:
    global _TRANSFORM
    _TRANSFORM = LoadResizedXRay(resize=step.get('resize'), load=step.get('load'))


def _decode(job):
    """``(i, path) -> (i, path, H x W uint8, stat, original shape)``; the file must not change
    while it is read."""
    i, path = job
    before = source_stat(path)
    results = _TRANSFORM.decode(dict(img_path=path))
    if source_stat(path) != before:
        raise RuntimeError(f'{path} changed while the cache was being built; run again')
    return i, path, results['img'], before, tuple(results['ori_shape'])


def build(paths: List[str], step: dict, out: str, workers: int, shard_size: int,
          extra: dict) -> dict:
    """Decode ``paths`` with ``step``'s settings into a cache at ``out``; returns the manifest."""
    _init_worker(step)
    first = _decode((0, paths[0]))
    writer = XRayCacheWriter(
        out, len(paths), first[2].shape, _TRANSFORM.settings(), shard_size=shard_size, extra=extra)
    writer.add(*first)
    jobs = list(enumerate(paths))[1:]
    if workers > 0 and jobs:
        ctx = mp.get_context('fork' if 'fork' in mp.get_all_start_methods() else 'spawn')
        with ctx.Pool(workers, initializer=_init_worker, initargs=(step, )) as pool:
            for res in pool.imap(_decode, jobs, chunksize=16):
                writer.add(*res)
    else:
        for job in jobs:
            writer.add(*_decode(job))
    return writer.close()
