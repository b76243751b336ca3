"""Leakage by content: md5 of the bytes, a difference hash and a thumbnail, with their cache.

* exact content: md5 of the file bytes;
* near-identical content: a 256-bit difference hash of a 17x16 gray thumbnail picks candidate
  pairs, and the correlation of their 32x32 gray thumbnails confirms them
  (:func:`~.report.content_matches`). Both survive resizing (also to another aspect ratio),
  re-encoding (PNG/JPEG), 8/16-bit and RGB/gray conversion and contrast changes.

Images are decoded by :mod:`muscle_mm.datasets.image_reader`, as ``LoadXRayImage`` decodes them
for training (DICOM with its modality/VOI LUTs and MONOCHROME1 inversion, 16-bit by the full
range).
"""
import hashlib
import os
import os.path as osp
import tempfile
from multiprocessing import Pool
from typing import Dict, Iterable, Optional, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log

from ..base import DatasetFormatError
from ..image_reader import decode_gray, read_bytes

HASH_SIZE = 16  # 16x16 = 256 gradient bits
THUMB_SIZE = 32
#: Version of the hashes in a cache file. 2: images decoded by ``image_reader`` (before, a
#: second decoder: cv2 gray conversion, DICOM min-max without LUTs or MONOCHROME1 inversion).
#: Raise it whenever the decoder or the hashes change: older caches are then recomputed.
CACHE_VERSION = 2


def dhash(gray: np.ndarray, size: int = HASH_SIZE) -> np.ndarray:
    """Difference hash: signs of horizontal gradients of a (size+1) x size area-averaged thumb,
    packed into ``size * size / 64`` uint64 words."""
    thumb = cv2.resize(gray, (size + 1, size), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (thumb[:, 1:] > thumb[:, :-1]).reshape(-1)
    return np.packbits(bits).view('>u8').astype(np.uint64)


def thumbnail(gray: np.ndarray, size: int = THUMB_SIZE) -> np.ndarray:
    """Area-averaged ``size`` x ``size`` uint8 thumbnail (aspect ratio not kept, on purpose)."""
    return cv2.resize(gray, (size, size), interpolation=cv2.INTER_AREA).reshape(-1)


def unit_rows(thumbs: np.ndarray) -> np.ndarray:
    """Zero-mean, unit-norm rows, so a dot product is the correlation coefficient."""
    t = thumbs.astype(np.float32)
    t -= t.mean(axis=-1, keepdims=True)
    return t / np.maximum(np.linalg.norm(t, axis=-1, keepdims=True), 1e-6)


def _fingerprint(path: str) -> Tuple[str, str, np.ndarray, np.ndarray]:
    """One read of the file: md5 of its bytes, and the hashes of its decoded gray image."""
    try:
        data = read_bytes(path)
    except FileNotFoundError as e:
        raise DatasetFormatError(f'{path}: image file not found') from e
    gray = decode_gray(data, path)
    return path, hashlib.md5(data).hexdigest(), dhash(gray), thumbnail(gray)


def fingerprints(paths: Iterable[str],
                 workers: int = 0,
                 cache_file: Optional[str] = None) -> Dict[str, tuple]:
    """(md5, dhash, thumbnail) per path. ``cache_file`` (.npz) keeps them between runs, keyed by
    path, size and mtime, because decoding 150k radiographs takes a while; a cache written by
    another :data:`CACHE_VERSION` (another decoder or hash) is not used, and is rewritten."""
    paths = sorted(set(paths))
    cached: Dict[str, tuple] = {}
    stamp = {p: _stamp(p) for p in paths}
    if cache_file and osp.isfile(cache_file):
        z = np.load(cache_file, allow_pickle=False)
        if 'version' not in z or int(z['version']) != CACHE_VERSION:
            print_log(
                f'leakage: {cache_file} holds hashes of another decoder or hash '
                f'(version {int(z["version"]) if "version" in z else 1}, now '
                f'{CACHE_VERSION}): not used, rewritten',
                logger='current')
            z = dict(paths=[], stamps=[], md5=[], hashes=[], thumbs=[])
        for p, st, md5, h, t in zip(z['paths'], z['stamps'], z['md5'], z['hashes'], z['thumbs']):
            if stamp.get(p) == st:
                cached[p] = (str(md5), h, t)
    todo = [p for p in paths if p not in cached]
    if todo:
        print_log(f'leakage: hashing {len(todo)} images ({len(cached)} cached)', logger='current')
        step = max(len(todo) // 10, 1000)
        if workers > 1:
            with Pool(workers) as pool:
                results = pool.imap_unordered(_fingerprint, todo, chunksize=64)
                for k, (p, *fp) in enumerate(results, 1):
                    cached[p] = tuple(fp)
                    _progress(k, len(todo), step)
        else:
            for k, p in enumerate(todo, 1):
                cached[p] = _fingerprint(p)[1:]
                _progress(k, len(todo), step)
    if cache_file and todo:
        keys = sorted(cached)
        folder = osp.dirname(osp.abspath(cache_file))
        os.makedirs(folder, exist_ok=True)
        # temporary file + rename: ranks hashing the same pool never read a half-written cache
        fd, tmp = tempfile.mkstemp(prefix='.tmp_', suffix='.npz', dir=folder)
        try:
            with os.fdopen(fd, 'wb') as f:
                np.savez(
                    f,
                    version=np.array(CACHE_VERSION),
                    paths=np.array(keys),
                    stamps=np.array([_stamp(p) for p in keys]),
                    md5=np.array([cached[p][0] for p in keys]),
                    hashes=np.stack([cached[p][1] for p in keys]),
                    thumbs=np.stack([cached[p][2] for p in keys]))
            os.replace(tmp, cache_file)
        except BaseException:
            if osp.exists(tmp):
                os.remove(tmp)
            raise
    return {p: cached[p] for p in paths}


def _stamp(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        raise DatasetFormatError(f'{path}: image file not found') from None
    return f'{st.st_size}:{st.st_mtime_ns}'


def _progress(k: int, total: int, step: int) -> None:
    if k % step == 0 or k == total:
        print_log(f'leakage: hashed {k}/{total}', logger='current')
