"""Seeded, proportion-based, patient-disjoint re-splits, written once to a JSON file and reused.

MUSCLE (https://arxiv.org/abs/2310.02000, Tab. 1) re-split four datasets (Pneumonia 4,686/585/585,
MURA 32,013/3,997/3,995, lung masks 718/89/89, TBX11K 640/80/80) but published neither seeds nor
split files. We reproduce the *proportions* from a seed and write the result to a split file, so
that every later run, machine and rank reads the same images per split; the file is never
silently recomputed (a changed image set is an error telling the user to delete it).

Patient leakage between train and test inflates results, so items that share a patient id
(``group``) always land in the same split. Counts are image counts, as in the paper; with groups
they match the proportions up to the size of the last patient placed.
"""
import hashlib
import json
import os
import os.path as osp
import re
import tempfile
from collections import Counter
from typing import Dict, List, Optional, Sequence

import numpy as np

from .base import DatasetFormatError

SPLIT_NAMES = ('train', 'val', 'test')
SPLIT_FORMAT_VERSION = 1

#: Image counts of the paper's re-splits (MUSCLE Tab. 1), used as proportions.
PAPER_SPLITS: Dict[str, tuple] = {
    'PneumoniaCXR': (4686, 585, 585),
    'MURA': (32013, 3997, 3995),
    'ChestXrayMasks': (718, 89, 89),
    'TBX11K': (640, 80, 80),
}


def split_counts(num: int, proportions: Sequence[float]) -> List[int]:
    """Image counts per split for ``num`` items (largest-remainder rounding, sums to ``num``).

    With ``num`` equal to the paper's total the paper's counts come back exactly.
    """
    props = np.asarray(proportions, dtype=np.float64)
    if props.ndim != 1 or len(props) == 0 or (props < 0).any() or props.sum() <= 0:
        raise ValueError(f'proportions must be non-negative with a positive sum, got {proportions}')
    exact = num * props / props.sum()
    counts = np.floor(exact).astype(int)
    order = sorted(range(len(props)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[:num - int(counts.sum())]:
        counts[i] += 1
    return counts.tolist()


def group_split(items: Sequence[str],
                groups: Optional[Sequence[str]],
                proportions: Sequence[float],
                seed: int,
                names: Sequence[str] = SPLIT_NAMES) -> Dict[str, List[str]]:
    """Split ``items`` into ``names`` by ``proportions`` with every group in one split.

    Deterministic in (set of item/group pairs, proportions, seed), independent of input order:
    groups are sorted, shuffled by ``numpy.random.RandomState(seed)`` (a stream numpy keeps
    stable across versions), then each goes to the split furthest below its target image count
    (relative to the target). The shuffle makes the assignment random; the greedy fill keeps the
    image counts on the paper's proportions even when patients have several images
    (scikit-learn's ``GroupShuffleSplit`` sizes splits by number of groups, not of images).
    ``groups=None`` means one group per item (image-level split).
    """
    if len(names) != len(proportions):
        raise ValueError(f'{len(names)} split names but {len(proportions)} proportions')
    if groups is None:
        groups = items
    if len(groups) != len(items):
        raise ValueError(f'{len(items)} items but {len(groups)} groups')
    if len(set(items)) != len(items):
        dup = sorted(i for i, c in Counter(items).items() if c > 1)[:5]
        raise ValueError(f'duplicate items cannot be split: {dup}')
    members: Dict[str, List[str]] = {}
    for item, group in zip(items, groups):
        members.setdefault(group, []).append(item)
    keys = sorted(members)
    order = np.random.RandomState(seed).permutation(len(keys))
    targets = split_counts(len(items), proportions)
    out: Dict[str, List[str]] = {n: [] for n in names}
    for k in order:
        grp = members[keys[k]]
        # Largest relative deficit first; splits with a zero target never receive anything.
        deficits = [((t - len(out[n])) / t if t else -np.inf, -i)
                    for i, (n, t) in enumerate(zip(names, targets))]
        out[names[max(range(len(names)), key=lambda i: deficits[i])]].extend(grp)
    return {n: sorted(v) for n, v in out.items()}


def fingerprint(items: Sequence[str]) -> str:
    """SHA-1 of the sorted item list: a cheap check that the image set is unchanged."""
    h = hashlib.sha1()
    for it in sorted(items):
        h.update(it.encode('utf-8') + b'\n')
    return h.hexdigest()


def default_split_file(data_root: str, dataset: str, seed: int, tag: str = '') -> str:
    """``<data_root>/muscle_mm_splits/<dataset>[_<tag>]_seed<seed>.json``."""
    name = f'{dataset}_{tag}_seed{seed}.json' if tag else f'{dataset}_seed{seed}.json'
    return osp.join(data_root, 'muscle_mm_splits', name)


def atomic_write_json(path: str, obj: dict) -> None:
    """Write JSON through a temporary file + rename, so concurrent ranks never see half a file.

    Raises a clear error when the folder is not writable (e.g. a read-only dataset mount): the
    user then passes ``split_file=`` pointing somewhere writable.
    """
    folder = osp.dirname(osp.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix='.tmp_', suffix='.json', dir=folder)
    except OSError as e:
        raise DatasetFormatError(
            f'cannot write split file {path}: {e.strerror or e}. The data root is probably '
            f'read-only; pass split_file=<a writable path> to the dataset') from e
    try:
        with os.fdopen(fd, 'w') as f:
            json.dump(obj, f, indent=1)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def load_or_create_split(split_file: str,
                         dataset: str,
                         items: Sequence[str],
                         groups: Optional[Sequence[str]],
                         proportions: Sequence[float],
                         seed: int,
                         grouped_by: str = 'image',
                         source: str = '') -> Dict[str, List[str]]:
    """Read the split from ``split_file``, or compute and write it there if it does not exist.

    An existing file is validated against the current ``items`` (and ``dataset``, ``seed``,
    ``proportions``); any difference raises :class:`DatasetFormatError` telling the user to
    delete the file (to re-split) or to restore the images. It is never re-split silently, since
    that would move test images into training.

    Args:
        split_file (str): JSON path.
        dataset (str): Registered dataset name, recorded and checked.
        items (Sequence[str]): Relative paths (or other stable keys) of every sample to split.
        groups (Sequence[str], optional): Patient id per item; None for an image-level split.
        proportions (Sequence[float]): Relative sizes of train/val/test.
        seed (int): Shuffle seed.
        grouped_by (str): What ``groups`` are, recorded in the file. Defaults to 'image'.
        source (str): What was split and what the paths are relative to, recorded in the file
            for people reading it (not validated). Defaults to ''.

    Returns:
        dict: ``{'train': [...], 'val': [...], 'test': [...]}`` of items.
    """
    items = list(items)
    proportions = [float(p) for p in proportions]
    if osp.isfile(split_file):
        return _validated(split_file, dataset, items, proportions, seed)
    splits = group_split(items, groups, proportions, seed)
    num_groups = len(set(groups)) if groups is not None else len(items)
    atomic_write_json(
        split_file,
        dict(
            format_version=SPLIT_FORMAT_VERSION,
            dataset=dataset,
            source=source,
            seed=seed,
            proportions=dict(zip(SPLIT_NAMES, proportions)),
            grouped_by=grouped_by,
            num_items=len(items),
            num_groups=num_groups,
            fingerprint=fingerprint(items),
            counts={k: len(v) for k, v in splits.items()},
            splits=splits))
    return splits


def _validated(split_file: str, dataset: str, items: List[str], proportions: List[float],
               seed: int) -> Dict[str, List[str]]:
    hint = (f'Delete {split_file} to re-split (train/val/test will change), or pass '
            'split_file=<another path>.')
    try:
        with open(split_file) as f:
            saved = json.load(f)
        splits = saved['splits']
        listed = [it for n in SPLIT_NAMES for it in splits[n]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DatasetFormatError(f'{split_file}: not a valid muscle_mm split file ({e}). {hint}')
    if saved.get('dataset') != dataset:
        raise DatasetFormatError(
            f'{split_file}: split file is for dataset {saved.get("dataset")!r}, not {dataset!r}. '
            f'{hint}')
    if saved.get('seed') != seed:
        raise DatasetFormatError(
            f'{split_file}: split file was made with seed {saved.get("seed")}, but seed={seed} '
            f'was requested. {hint}')
    saved_props = [float(saved.get('proportions', {}).get(n, -1)) for n in SPLIT_NAMES]
    if saved_props != proportions:
        raise DatasetFormatError(
            f'{split_file}: split file has proportions {saved_props}, but {proportions} were '
            f'requested. {hint}')
    if len(set(listed)) != len(listed):
        raise DatasetFormatError(f'{split_file}: an item is listed in more than one split. {hint}')
    now, before = set(items), set(listed)
    if now != before:
        gone, new = sorted(before - now), sorted(now - before)
        parts = []
        if gone:
            parts.append(f'{len(gone)} listed image(s) no longer exist or are no longer '
                         f'samples, e.g. {gone[:5]}')
        if new:
            parts.append(f'{len(new)} image(s) are not in the file, e.g. {new[:5]}')
        raise DatasetFormatError(
            f'{split_file}: the image set changed since this split file was written: '
            f'{"; ".join(parts)}. {hint}')
    return {n: list(splits[n]) for n in SPLIT_NAMES}


# --- patient ids ------------------------------------------------------------------------------

_KERMANY_PERSON = re.compile(r'^person(\d+)_', re.IGNORECASE)
_KERMANY_MENDELEY = re.compile(r'^(?:BACTERIA|VIRUS|NORMAL)-(\d+)-\d+', re.IGNORECASE)
_MURA_PATIENT = re.compile(r'(?:^|/)(patient\d+)(?:/|$)')


def kermany_patient_id(filename: str) -> str:
    """Patient group of a Kermany (Pneumonia) image from its file name.

    - ``person1_bacteria_1.jpeg`` -> ``person1``. Kaggle numbers persons separately in train and
      test; the same number in both folders is put in one group anyway, which can only make
      groups larger, never leak a patient across splits.
    - ``BACTERIA-1135262-0001.jpeg`` (Mendeley names) -> ``id1135262``.
    - NORMAL names (``IM-0115-0001.jpeg``, ``NORMAL2-IM-1427-0001.jpeg``) carry no documented
      person id: each image is its own group, keyed by its name.
    """
    name = osp.basename(filename)
    m = _KERMANY_PERSON.match(name)
    if m:
        return f'person{int(m.group(1))}'
    m = _KERMANY_MENDELEY.match(name)
    if m:
        return f'id{int(m.group(1))}'
    return f'image:{name}'


def mura_patient_id(path: str) -> Optional[str]:
    """``patientNNNNN`` from a MURA path (``.../XR_WRIST/patient11185/study1_positive/...``), or
    None if the path has no patient folder."""
    m = _MURA_PATIENT.search(path.replace('\\', '/'))
    return m.group(1) if m else None
