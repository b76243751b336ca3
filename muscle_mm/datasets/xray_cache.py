"""A one-off cache of the pre-training pool, decoded, gray and resized to the training size.

MD-MoCo reads ~170,000 images an epoch for 200 epochs; decoding a 1-5 MP PNG/JPEG and resizing it
costs ~10 ms of a CPU core, while reading 800x500 uint8 pixels that are already on disk costs a
copy. Format (no dependency beyond numpy; measured by benchmarks/xray_cache_and_device_views.py):

- ``shard_NNNNN.npy``: ``count x H x W`` uint8 arrays, opened with ``np.load(mmap_mode='r')``:
  random access is one contiguous slice per image, the OS page cache is shared by every
  dataloader worker and process on the machine, and nothing is decoded. Uncompressed on
  purpose: any compression (PNG, LMDB with zlib, litdata's chunks) brings back a decode per image.
  Fixed-size records make the position of an image its row; sharding keeps files ~400 MB.
- ``manifest.json``: what produced the pixels (the load and resize transforms' settings, the
  OpenCV version), the size and every image's source path, byte size, mtime (ns) and original
  shape. It is written last, so an interrupted build leaves no usable cache.

A cache whose settings differ from the pipeline's, or whose source file has changed since the
build, is refused with :class:`CacheMismatchError` / :class:`StaleCacheError` naming it.
"""
import json
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .base import DatasetFormatError

FORMAT = 'muscle_mm.xray_cache'
VERSION = 1
MANIFEST = 'manifest.json'
REBUILD = 'rebuild it with: python tools/dataset_converters/build_cache.py CONFIG'


class CacheMismatchError(DatasetFormatError):
    """The cache was built with other settings than the pipeline asks for, or is not a cache."""


class StaleCacheError(DatasetFormatError):
    """A source file changed after the cache was built, or the cache does not hold it."""


def source_key(path: str) -> str:
    """The key an image is stored under: its absolute, normalized path."""
    return osp.normpath(osp.abspath(path))


def source_stat(path: str) -> Tuple[int, int]:
    """``(size in bytes, mtime in ns)`` of a source file."""
    st = os.stat(path)
    return int(st.st_size), int(st.st_mtime_ns)


def settings_diff(recorded: dict, wanted: dict) -> List[str]:
    """Human-readable differences between two settings dicts."""
    keys = sorted(set(recorded) | set(wanted))
    return [
        f'{k}: cache has {recorded.get(k)!r}, pipeline wants {wanted.get(k)!r}' for k in keys
        if recorded.get(k) != wanted.get(k)
    ]


class XRayCacheWriter:
    """Writes ``num`` images of one ``shape`` into shards, then the manifest.

    Args:
        root (str): Cache directory (created; must not already hold a manifest).
        num (int): Number of images that will be added.
        shape (tuple[int, int]): ``(H, W)`` of every image.
        settings (dict): What produced the pixels (compared on read).
        shard_size (int): Images per shard file. Defaults to 1024 (~400 MB at 800x500).
        extra (dict, optional): More provenance for the manifest (config path, ...).
            Defaults to None.
    """

    def __init__(self,
                 root: str,
                 num: int,
                 shape: Tuple[int, int],
                 settings: dict,
                 shard_size: int = 1024,
                 extra: Optional[dict] = None) -> None:
        if num <= 0:
            raise ValueError(f'XRayCacheWriter: nothing to write into {root}')
        if osp.exists(osp.join(root, MANIFEST)):
            raise FileExistsError(f'{root} already holds a cache ({MANIFEST}); choose another '
                                  'directory or delete it first')
        os.makedirs(root, exist_ok=True)
        self.root, self.num, self.shape = root, int(num), tuple(int(s) for s in shape)
        self.settings, self.shard_size, self.extra = dict(settings), int(shard_size), extra or {}
        self.entries: List[Optional[list]] = [None] * self.num
        self.shards = []
        for s, start in enumerate(range(0, self.num, self.shard_size)):
            count = min(self.shard_size, self.num - start)
            name = f'shard_{s:05d}.npy'
            self.shards.append(dict(file=name, count=count))
        self._open: Dict[int, np.ndarray] = {}
        self._t0 = time.perf_counter()

    def _shard(self, s: int) -> np.ndarray:
        if s not in self._open:
            for old in list(self._open):  # rows arrive in order: keep one shard mapped
                self._open.pop(old).flush()
            self._open[s] = np.lib.format.open_memmap(
                osp.join(self.root, self.shards[s]['file']),
                mode='w+',
                dtype=np.uint8,
                shape=(self.shards[s]['count'], ) + self.shape)
        return self._open[s]

    def add(self, i: int, path: str, img: np.ndarray, stat: Tuple[int, int],
            ori_shape: Tuple[int, int]) -> None:
        """Store image ``i`` (``H x W`` uint8) decoded from ``path`` (``stat`` before reading)."""
        if img.dtype != np.uint8 or img.shape != self.shape:
            raise DatasetFormatError(
                f'{path}: the pipeline produced {img.dtype} {img.shape}, the cache holds uint8 '
                f'{self.shape}; the resize must give one fixed size (keep_ratio=False)')
        self._shard(i // self.shard_size)[i % self.shard_size] = img
        self.entries[i] = [
            source_key(path),
            int(stat[0]),
            int(stat[1]),
            int(ori_shape[0]),
            int(ori_shape[1])
        ]

    def close(self) -> dict:
        """Flush the shards and write the manifest (the cache is usable from here on)."""
        for s in list(self._open):
            self._open.pop(s).flush()
        missing = [i for i, e in enumerate(self.entries) if e is None]
        if missing:
            raise RuntimeError(f'XRayCacheWriter: {len(missing)} images never added '
                               f'(first: #{missing[0]}); no manifest written to {self.root}')
        manifest = dict(
            format=FORMAT,
            version=VERSION,
            settings=self.settings,
            shape=list(self.shape),
            shard_size=self.shard_size,
            shards=self.shards,
            created=time.strftime('%Y-%m-%dT%H:%M:%S%z'),
            build_seconds=round(time.perf_counter() - self._t0, 3),
            entries=self.entries,
            **self.extra)
        tmp = osp.join(self.root, MANIFEST + '.tmp')
        with open(tmp, 'w') as f:
            json.dump(manifest, f)
        os.replace(tmp, osp.join(self.root, MANIFEST))
        return manifest


class XRayCache:
    """Read side: validates a cache against ``settings`` and returns images by source path.

    Memory maps are opened lazily in whichever process reads (dataloader workers get a copy
    of this object without them), so forked and spawned workers both work.

    Args:
        root (str): Cache directory (with ``manifest.json``).
        settings (dict, optional): What the pipeline would produce; any difference with the
            manifest raises :class:`CacheMismatchError`. Defaults to None (not compared).
    """

    def __init__(self, root: str, settings: Optional[dict] = None) -> None:
        self.root = root
        path = osp.join(root, MANIFEST)
        if not osp.isfile(path):
            what = ('an incomplete build (shards without manifest)' if osp.isdir(root)
                    and any(n.startswith('shard_') for n in os.listdir(root)) else 'not a cache')
            raise CacheMismatchError(f'X-ray cache {root}: no {MANIFEST}: {what}; {REBUILD}')
        try:
            with open(path) as f:
                m = json.load(f)
        except ValueError as e:
            raise CacheMismatchError(f'X-ray cache {path}: unreadable manifest ({e})') from e
        if m.get('format') != FORMAT or m.get('version') != VERSION:
            raise CacheMismatchError(
                f'X-ray cache {path}: format {m.get("format")!r} version {m.get("version")!r}, '
                f'this code reads {FORMAT!r} version {VERSION}; {REBUILD}')
        if settings is not None:
            diff = settings_diff(m['settings'], settings)
            if diff:
                raise CacheMismatchError(
                    f'X-ray cache {root} was built with other settings than this pipeline: ' +
                    '; '.join(diff) + f'. {REBUILD} (into a new directory)')
        self.settings, self.shape = m['settings'], tuple(m['shape'])
        self.shard_size, self.shards = m['shard_size'], m['shards']
        self.entries = m['entries']
        self.index = {e[0]: i for i, e in enumerate(self.entries)}
        for s in self.shards:
            f = osp.join(root, s['file'])
            if not osp.isfile(f):
                raise CacheMismatchError(f'X-ray cache {root}: shard {f} is missing; {REBUILD}')
        self._maps: Dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, path: str) -> bool:
        return source_key(path) in self.index

    def __getstate__(self):
        state = self.__dict__.copy()
        state['_maps'] = {}
        return state

    def _map(self, s: int) -> np.ndarray:
        if s not in self._maps:
            f = osp.join(self.root, self.shards[s]['file'])
            arr = np.load(f, mmap_mode='r')
            want = (self.shards[s]['count'], ) + self.shape
            if arr.dtype != np.uint8 or arr.shape != want:
                raise CacheMismatchError(f'X-ray cache shard {f}: {arr.dtype} {arr.shape}, '
                                         f'manifest says uint8 {want}; {REBUILD}')
            self._maps[s] = arr
        return self._maps[s]

    def check_source(self, i: int, path: str) -> None:
        """Refuse entry ``i`` when its source file no longer has the recorded size/mtime."""
        _, size, mtime, _, _ = self.entries[i]
        try:
            now = source_stat(path)
        except FileNotFoundError as e:
            raise StaleCacheError(f'X-ray cache {self.root}: source {path} no longer exists; '
                                  f'{REBUILD}') from e
        if now != (size, mtime):
            raise StaleCacheError(
                f'X-ray cache {self.root} is stale for {path}: the file changed since the '
                f'build (size {size} -> {now[0]} bytes, mtime_ns {mtime} -> {now[1]}); {REBUILD}')

    def get(self, path: str, check_source: bool = True) -> Tuple[np.ndarray, Tuple[int, int]]:
        """``(H x W uint8 copy, original (h, w))`` of the image decoded from ``path``."""
        i = self.index.get(source_key(path))
        if i is None:
            raise StaleCacheError(f'X-ray cache {self.root} does not hold {path} (built from '
                                  f'another pool or split?); {REBUILD}')
        if check_source:
            self.check_source(i, path)
        img = np.array(self._map(i // self.shard_size)[i % self.shard_size])
        return img, (self.entries[i][3], self.entries[i][4])

    def check_all(self, paths: Sequence[str]) -> List[str]:
        """Problems (one line each) with a pool's ``paths``: missing from the cache or stale."""
        problems = []
        for p in paths:
            i = self.index.get(source_key(p))
            if i is None:
                problems.append(f'not in the cache: {p}')
                continue
            try:
                self.check_source(i, p)
            except StaleCacheError as e:
                problems.append(str(e))
        return problems
