"""Find pre-training images that are also in a downstream val/test split.

MUSCLE pre-trains on the training sets of nine datasets; several of them share images (Montgomery
and Shenzhen CXRs reappear in TBX11K's ``imgs/extra/mc+shenzhen`` and in the Kaggle lung-mask set's
``CXR_png``). An image seen during MD-MoCo that is later used to evaluate a downstream task
inflates that task's score, so before reporting numbers the pool is checked against every
downstream evaluation split:

* by name: the file stem (all extensions stripped, case-folded), lengthened by parent folders
  until it is unique inside each of the two sets compared, so generic names such as MURA's
  ``image1`` do not match across patients (:class:`NameIndex`);
* by exact content: md5 of the file bytes;
* by near-identical content: a 256-bit difference hash of a 17x16 gray thumbnail picks candidate
  pairs (at most ``max_distance`` differing bits), and the correlation of their 32x32 gray
  thumbnails confirms them (at least ``min_correlation``). Both survive resizing (also to another
  aspect ratio), re-encoding (PNG/JPEG), 8/16-bit and RGB/gray conversion and contrast changes;
  the correlation separates a copy from a different patient's similar-looking radiograph, which
  a 256-bit hash alone cannot. For every evaluation image the best-correlated pool image is
  reported.
"""
import os
import os.path as osp
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from multiprocessing import Pool
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log

from .base import DatasetFormatError, file_md5
from .xray_pretrain_pool import build_xray_dataset, dataset_label

HASH_SIZE = 16  # 16x16 = 256 gradient bits
THUMB_SIZE = 32
IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.dcm')


def name_stem(path: str) -> str:
    """``a/b/1_IM-0001-4001.dcm.png`` -> ``1_im-0001-4001``: all extensions off, case-folded."""
    base = osp.basename(path)
    while True:
        stem, ext = osp.splitext(base)
        if not ext or ext.lower() not in IMAGE_EXTS + ('.gz', ):
            return base.lower()
        base = stem


class NameIndex:
    """File-name keys of one image set: the stem, lengthened by parent folders as far as needed
    to tell apart the set's images that share it (MURA has thousands of ``image1.png``), and as
    far as any file of the same folder needs."""

    def __init__(self, paths: Sequence[str]):
        self.paths = list(paths)
        self.parts = [osp.normpath(p).replace('\\', '/').lower().split('/') for p in self.paths]
        self.stems = [name_stem(p) for p in self.paths]
        depth = [1] * len(self.paths)
        while True:
            keys = [self.key(i, depth[i]) for i in range(len(self.paths))]
            counts = Counter(keys)
            grow = [i for i, k in enumerate(keys)
                    if counts[k] > 1 and depth[i] < len(self.parts[i])]
            if not grow:
                break
            for i in grow:
                depth[i] += 1
        # Files of one folder share a naming scheme: if ``image1`` needs its folders, so does
        # its sibling ``image2`` even when that one happens to be unique in a small set.
        folder_depth: Dict[str, int] = defaultdict(int)
        for parts, d in zip(self.parts, depth):
            folder_depth['/'.join(parts[:-1])] = max(d, folder_depth['/'.join(parts[:-1])])
        self.stem_depth: Dict[str, int] = {}
        for parts, stem in zip(self.parts, self.stems):
            d = folder_depth['/'.join(parts[:-1])]
            self.stem_depth[stem] = max(d, self.stem_depth.get(stem, 1))

    def key(self, i: int, depth: int) -> str:
        parts = self.parts[i]
        return '/'.join(parts[max(len(parts) - depth, 0):-1] + [self.stems[i]])


def name_matches(pool: NameIndex, downstream: NameIndex) -> List[Tuple[str, str]]:
    """(downstream path, pool path) pairs with the same name key. A stem is compared with as many
    parent folders as either set needs to make it unique, so a name shared by many images of
    one set never matches by accident."""

    def depth(stem):
        return max(pool.stem_depth[stem], downstream.stem_depth[stem])

    common = pool.stem_depth.keys() & downstream.stem_depth.keys()
    keys = {}
    for i, stem in enumerate(pool.stems):
        if stem in common:
            keys.setdefault(pool.key(i, depth(stem)), pool.paths[i])
    out = []
    for j, stem in enumerate(downstream.stems):
        if stem in common:
            hit = keys.get(downstream.key(j, depth(stem)))
            if hit is not None:
                out.append((downstream.paths[j], hit))
    return out


def is_dicom_file(path: str) -> bool:
    """Part-10 DICOM: ``DICM`` after the 128-byte preamble (archives often drop the extension)."""
    try:
        with open(path, 'rb') as f:
            return f.read(132)[128:] == b'DICM'
    except OSError:
        return False


def read_gray(path: str) -> np.ndarray:
    """Any 8/16-bit, gray/RGB(A) image (or DICOM) as a 2-D uint8 array; raises naming the file."""
    ext = osp.splitext(path)[1].lower()
    if ext in ('.dcm', '.dicom', '.dic') or (ext not in IMAGE_EXTS and is_dicom_file(path)):
        import pydicom
        try:
            arr = pydicom.dcmread(path).pixel_array.astype(np.float32)
        except Exception as e:  # pydicom raises many types for broken files
            raise DatasetFormatError(f'{path}: unreadable DICOM ({e})') from e
        arr = (arr - arr.min()) / max(float(arr.max() - arr.min()), 1e-6) * 255
        return arr.astype(np.uint8)
    img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise DatasetFormatError(f'{path}: missing, corrupt or not an image')
    return img


def dhash(gray: np.ndarray, size: int = HASH_SIZE) -> np.ndarray:
    """Difference hash: signs of horizontal gradients of a (size+1) x size area-averaged thumb,
    packed into ``size * size / 64`` uint64 words."""
    thumb = cv2.resize(gray, (size + 1, size), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (thumb[:, 1:] > thumb[:, :-1]).reshape(-1)
    return np.packbits(bits).view('>u8').astype(np.uint64)


def thumbnail(gray: np.ndarray, size: int = THUMB_SIZE) -> np.ndarray:
    """Area-averaged ``size`` x ``size`` uint8 thumbnail (aspect ratio not kept, on purpose)."""
    return cv2.resize(gray, (size, size), interpolation=cv2.INTER_AREA).reshape(-1)


def _unit(thumbs: np.ndarray) -> np.ndarray:
    """Zero-mean, unit-norm rows, so a dot product is the correlation coefficient."""
    t = thumbs.astype(np.float32)
    t -= t.mean(axis=-1, keepdims=True)
    return t / np.maximum(np.linalg.norm(t, axis=-1, keepdims=True), 1e-6)


def _fingerprint(path: str) -> Tuple[str, str, np.ndarray, np.ndarray]:
    gray = read_gray(path)
    return path, file_md5(path), dhash(gray), thumbnail(gray)


def fingerprints(paths: Iterable[str],
                 workers: int = 0,
                 cache_file: Optional[str] = None) -> Dict[str, tuple]:
    """(md5, dhash, thumbnail) per path. ``cache_file`` (.npz) keeps them between runs, keyed by
    path, size and mtime, because decoding 150k radiographs takes a while."""
    paths = sorted(set(paths))
    cached: Dict[str, tuple] = {}
    stamp = {p: _stamp(p) for p in paths}
    if cache_file and osp.isfile(cache_file):
        z = np.load(cache_file, allow_pickle=False)
        for p, st, md5, h, t in zip(z['paths'], z['stamps'], z['md5'], z['hashes'],
                                    z['thumbs']):
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
                np.savez(f, paths=np.array(keys), stamps=np.array([_stamp(p) for p in keys]),
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


@dataclass
class Match:
    """One downstream image found in the pool, and how."""
    eval_path: str
    pool_path: str
    how: str  # 'name', 'md5' or 'hash'
    distance: int = 0  # differing hash bits ('hash' only)
    correlation: float = 1.0  # thumbnail correlation ('hash' only)


@dataclass
class PairLeak:
    """Leakage between one pool source and one downstream evaluation split."""
    pool: str
    downstream: str
    matches: List[Match] = field(default_factory=list)

    def by(self, how: str) -> List[Match]:
        return [m for m in self.matches if m.how == how]

    @property
    def leaked_images(self) -> List[str]:
        """Downstream images found by any method, each once."""
        return sorted({m.eval_path for m in self.matches})


@dataclass
class LeakageReport:
    pool_sizes: Dict[str, int]
    downstream_sizes: Dict[str, int]
    pairs: List[PairLeak]
    checks: Tuple[str, ...]

    @property
    def has_leakage(self) -> bool:
        return any(p.matches for p in self.pairs)

    def format(self, examples: int = 3) -> str:
        lines = [f'Leakage check ({", ".join(self.checks)}): '
                 f'{sum(self.pool_sizes.values())} pool images in {len(self.pool_sizes)} '
                 f'source(s) vs {sum(self.downstream_sizes.values())} downstream images in '
                 f'{len(self.downstream_sizes)} split(s)']
        leaky = [p for p in self.pairs if p.matches]
        for p in leaky:
            n = len(p.leaked_images)
            lines.append(f'- {p.pool} -> {p.downstream}: {n}/{self.downstream_sizes[p.downstream]}'
                         f' downstream images leaked (name: {len(p.by("name"))}, md5: '
                         f'{len(p.by("md5"))}, near-duplicate: {len(p.by("hash"))})')
            for how in ('name', 'md5', 'hash'):
                for m in p.by(how)[:examples]:
                    extra = f', {m.distance} bits, r={m.correlation:.4f}' if how == 'hash' else ''
                    lines.append(f'    [{how}{extra}] {m.eval_path}  ==  {m.pool_path}')
        if not leaky:
            lines.append('No leakage found.')
        return '\n'.join(lines)


def find_leakage(pool: Dict[str, Sequence[str]],
                 downstream: Dict[str, Sequence[str]],
                 by_name: bool = True,
                 by_content: bool = True,
                 max_distance: int = 48,
                 min_correlation: float = 0.995,
                 workers: int = 0,
                 cache_file: Optional[str] = None,
                 fps: Optional[dict] = None) -> LeakageReport:
    """Compare every pool source with every downstream split.

    Args:
        pool (dict): source name -> image paths of the pre-training pool.
        downstream (dict): split name -> image paths of a downstream val/test split.
        by_name (bool): match unique file-name keys. Defaults to True.
        by_content (bool): match md5 and difference hashes. Defaults to True.
        max_distance (int): most differing hash bits (of 256) for a near-duplicate candidate.
            Defaults to 48.
        min_correlation (float): least 32x32 thumbnail correlation to confirm a candidate.
            Defaults to 0.995.
        workers (int): processes for hashing; 0 or 1 hashes in this process. Defaults to 0.
        cache_file (str, optional): .npz cache of the hashes. Defaults to None.
        fps (dict, optional): fingerprints already computed (:func:`fingerprints`) for every
            path. Defaults to None: computed here.
    """
    checks = tuple(c for c, on in (('name', by_name), ('md5', by_content),
                                   ('hash', by_content)) if on)
    if by_content and fps is None:
        allp = [p for d in (pool, downstream) for ps in d.values() for p in ps]
        fps = fingerprints(allp, workers=workers, cache_file=cache_file)
    pool_names = {s: NameIndex(ps) for s, ps in pool.items()} if by_name else {}
    pairs = []
    for dname, dpaths in downstream.items():
        dpaths = list(dpaths)
        dnames = NameIndex(dpaths) if by_name else None
        for sname, spaths in pool.items():
            pair = PairLeak(sname, dname)
            if by_name:
                pair.matches += [
                    Match(d, p, 'name') for d, p in name_matches(pool_names[sname], dnames)
                ]
            if by_content and spaths and dpaths:
                pair.matches += _content_matches(dpaths, list(spaths), fps, max_distance,
                                                 min_correlation)
            pairs.append(pair)
    return LeakageReport({k: len(v) for k, v in pool.items()},
                         {k: len(v) for k, v in downstream.items()}, pairs, checks)


def _content_matches(dpaths, spaths, fps, max_distance, min_correlation) -> List[Match]:
    out = []
    by_md5 = defaultdict(list)
    for p in spaths:
        by_md5[fps[p][0]].append(p)
    exact = set()
    for d in dpaths:
        hit = by_md5.get(fps[d][0])
        if hit:
            out.append(Match(d, hit[0], 'md5'))
            exact.add(d)
    # (words, P): one word of every pool hash at a time keeps the temporaries (c, P) instead
    # of (c, P, words), 3x faster (~9 ns per pair on one core).
    pool_h = np.ascontiguousarray(np.stack([fps[p][1] for p in spaths]).T)
    pool_t = None
    rest = [d for d in dpaths if d not in exact]
    chunk = max(1, (1 << 22) // pool_h.shape[1])  # (chunk, P) distances: ~8 MB of uint16
    for start in range(0, len(rest), chunk):
        part = rest[start:start + chunk]
        q = np.stack([fps[d][1] for d in part])
        dist = np.zeros((len(part), pool_h.shape[1]), np.uint16)
        for w in range(q.shape[1]):
            dist += np.bitwise_count(q[:, w, None] ^ pool_h[w][None, :])
        rows, cols = np.nonzero(dist <= max_distance)
        for i in np.unique(rows):
            d, cand = part[i], cols[rows == i]
            if pool_t is None:
                pool_t = np.stack([fps[p][2] for p in spaths])  # uint8, 1 KB per image
            corr = _unit(pool_t[cand]) @ _unit(fps[d][2][None])[0]
            j = int(corr.argmax())
            if corr[j] >= min_correlation:
                out.append(Match(d, spaths[cand[j]], 'hash', int(dist[i, cand[j]]),
                                 float(corr[j])))
    return out


def dataset_image_paths(dataset) -> List[str]:
    """Image paths of a built dataset (any registry), via ``get_data_info(i)['img_path']``."""
    return [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]


def image_sets_from_configs(cfgs) -> Dict[str, List[str]]:
    """Build dataset configs (list, or dict name -> config) and return name -> image paths. An
    ``XRayPretrainPool`` config is built as training builds it (de-duplicated, downstream images
    dropped if it says so) and its images are returned per source."""
    if isinstance(cfgs, dict) and 'type' in cfgs:
        if str(cfgs['type']).split('.')[-1] == 'XRayPretrainPool':
            pool = build_xray_dataset(dict(cfgs, pipeline=[]))
            out: Dict[str, List[str]] = {k: [] for k in pool.source_counts}
            for i in range(len(pool)):
                info = pool.get_data_info(i)
                out[info['source']].append(info['img_path'])
            return out
        cfgs = [(None, cfgs)]
    elif isinstance(cfgs, dict):
        cfgs = list(cfgs.items())
    else:
        cfgs = [(None, c) for c in cfgs]
    out: Dict[str, List[str]] = {}
    for name, cfg in cfgs:
        if isinstance(cfg, dict):
            cfg = dict(cfg, pipeline=[])
            cfg.setdefault('serialize_data', False)  # only paths are read
        ds = build_xray_dataset(cfg)
        name = name or dataset_label(cfg, ds)
        k, base = 2, name
        while name in out:
            name, k = f'{base}#{k}', k + 1
        out[name] = dataset_image_paths(ds)
    return out


def image_folder(folder: str) -> List[str]:
    """Every image file under ``folder`` (recursive, OS junk skipped)."""
    if not osp.isdir(folder):
        raise DatasetFormatError(f'image folder not found: {folder}')
    out = []
    for d, _, files in os.walk(folder):
        out += [osp.join(d, f) for f in files
                if not f.startswith('.') and osp.splitext(f)[1].lower() in IMAGE_EXTS]
    return sorted(out)
