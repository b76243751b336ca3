"""Leakage by name: file-name keys that are unique inside each image set compared.

The key is the file stem (all image extensions stripped, case-folded), lengthened by parent
folders until it is unique inside each of the two sets compared, so generic names such as MURA's
``image1`` do not match across patients.
"""
import os.path as osp
from collections import Counter, defaultdict
from typing import Dict, List, Sequence, Tuple

from ..image_reader import IMAGE_EXTS


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
            grow = [
                i for i, k in enumerate(keys) if counts[k] > 1 and depth[i] < len(self.parts[i])
            ]
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
