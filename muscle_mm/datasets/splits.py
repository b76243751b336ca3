"""Seeded, proportion-based, patient-disjoint re-splits, written once to a JSON file and reused.

MUSCLE (https://arxiv.org/abs/2310.02000, Tab. 1) re-split four datasets (Pneumonia 4,686/585/585,
MURA 32,013/3,997/3,995, lung masks 718/89/89, TBX11K 640/80/80) but published neither seeds nor
split files. We reproduce the *proportions* from a seed and write the result to a split file, so
that every later run, machine and rank reads the same images per split; the file is never
silently recomputed (a changed image set is an error telling the user to delete it).

Patient leakage between train and test inflates results, so items that share a patient id
(``group``) always land in the same split, and so do md5-identical files (:func:`join_groups`), so
no split holds one copy of an image while another holds the other. Counts are image counts, as in
the paper; with groups they match the proportions up to the size of the last patient placed.

Each split file records the version of the grouping rule it was drawn under
(``grouping_version``; files without one are version 1). A file from an older rule may put one
patient on both sides, so it is refused with a message saying what changed and how to redraw it;
it is never deleted or rewritten.
"""
import hashlib
import json
import os
import os.path as osp
import re
import tempfile
from collections import Counter
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from .base import DatasetFormatError, file_md5

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


def default_split_file(data_root: str,
                       dataset: str,
                       seed: int,
                       tag: str = '',
                       split_dir: Optional[str] = None) -> str:
    """``<split_dir or <data_root>/muscle_mm_splits>/<dataset>[_<tag>]_seed<seed>.json``."""
    name = f'{dataset}_{tag}_seed{seed}.json' if tag else f'{dataset}_seed{seed}.json'
    return osp.join(split_dir or osp.join(data_root, 'muscle_mm_splits'), name)


def _named_components(names: Sequence[str], pairs) -> List[str]:
    """Union-find over indices linked by ``pairs``; each index gets the smallest name of its
    component."""
    parent = list(range(len(names)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    best: Dict[int, str] = {}
    for i, g in enumerate(names):
        r = find(i)
        best[r] = min(best.get(r, g), g)
    return [best[find(i)] for i in range(len(names))]


def join_groups(groups: Sequence[str], *keys: Sequence[Optional[str]]) -> List[str]:
    """Merge groups linked by a shared key: items with equal ``groups[i]`` or equal
    ``keys[k][i]`` (e.g. the md5 of the file) end in one group (connected components), named
    after the smallest group name in it, so a group that nothing joins keeps its name (and a
    split drawn from it stays what it was). A key of None links nothing."""
    pairs = []
    for column in (groups, ) + keys:
        if len(column) != len(groups):
            raise ValueError(f'{len(groups)} groups but {len(column)} keys')
        first: Dict[str, int] = {}
        pairs += [(i, first.setdefault(k, i)) for i, k in enumerate(column) if k is not None]
    return _named_components(groups, pairs)


def with_duplicates_joined(groups: Sequence[str], paths: Sequence[str]) -> List[str]:
    """``groups`` with md5-identical files (``paths``) joined into one group, so a split never
    holds one copy of an image on each side (Kermany has a few dozen identical pairs)."""
    return join_groups(groups, [file_md5(p) for p in paths])


def straddling_groups(splits: Dict[str, List[str]], items: Sequence[str],
                      groups: Sequence[str]) -> Dict[str, List[str]]:
    """``{group: [split names]}`` for every group whose items lie in more than one split."""
    where = {it: n for n, members in splits.items() for it in members}
    seen: Dict[str, set] = {}
    for it, g in zip(items, groups):
        if it in where:
            seen.setdefault(g, set()).add(where[it])
    return {g: sorted(s) for g, s in sorted(seen.items()) if len(s) > 1}


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


Groups = Optional[Union[Sequence[str], Callable[[], Sequence[str]]]]


def load_or_create_split(split_file: str,
                         dataset: str,
                         items: Sequence[str],
                         groups: Groups,
                         proportions: Sequence[float],
                         seed: int,
                         grouped_by: str = 'image',
                         source: str = '',
                         grouping_version: int = 1) -> Dict[str, List[str]]:
    """Read the split from ``split_file``, or compute and write it there if it does not exist.

    An existing file is validated against the current ``items`` (and ``dataset``, ``seed``,
    ``proportions``, ``grouping_version``); any difference raises :class:`DatasetFormatError`
    telling the user how to redraw the split (move the file aside, or pass another
    ``split_file``) or to restore the images. It is never re-split silently, since that would
    move test images into training, and never deleted.

    Args:
        split_file (str): JSON path.
        dataset (str): Registered dataset name, recorded and checked.
        items (Sequence[str]): Relative paths (or other stable keys) of every sample to split.
        groups (Sequence[str] | callable, optional): Group (patient id, joined with duplicate
            files) per item; None for an image-level split. A callable returning them is called
            only when a split is drawn, or to explain a refused file (it may hash every file).
        proportions (Sequence[float]): Relative sizes of train/val/test.
        seed (int): Shuffle seed.
        grouped_by (str): What ``groups`` are, recorded in the file. Defaults to 'image'.
        source (str): What was split and what the paths are relative to, recorded in the file
            for people reading it (not validated). Defaults to ''.
        grouping_version (int): Version of the dataset's grouping rule; a file written under
            another version is refused. Defaults to 1 (files that record none).

    Returns:
        dict: ``{'train': [...], 'val': [...], 'test': [...]}`` of items.
    """
    items = list(items)
    proportions = [float(p) for p in proportions]
    if osp.isfile(split_file):
        return _validated(split_file, dataset, items, proportions, seed, grouping_version, groups,
                          grouped_by)
    if callable(groups):
        groups = list(groups())
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
            grouping_version=grouping_version,
            num_items=len(items),
            num_groups=num_groups,
            fingerprint=fingerprint(items),
            counts={
                k: len(v)
                for k, v in splits.items()
            },
            splits=splits))
    return splits


def _validated(split_file: str, dataset: str, items: List[str], proportions: List[float], seed: int,
               grouping_version: int, groups: Groups, grouped_by: str) -> Dict[str, List[str]]:
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
    saved_version = saved.get('grouping_version', 1)
    if saved_version != grouping_version:
        raise DatasetFormatError(
            _stale_rule_message(split_file, dataset, saved, saved_version, grouping_version, items,
                                groups, grouped_by))
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
        twice = sorted(it for it, c in Counter(listed).items() if c > 1)
        where = {it: [n for n in SPLIT_NAMES if it in splits[n]] for it in twice[:5]}
        raise DatasetFormatError(
            f'{split_file}: {len(twice)} item(s) listed in more than one split: ' +
            ', '.join(f'{it!r} in {"+".join(ns)}'
                      for it, ns in where.items()) + f'{", ..." if len(twice) > 5 else ""}. {hint}')
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


def _stale_rule_message(split_file: str, dataset: str, saved: dict, saved_version: int,
                        version: int, items: List[str], groups: Groups, grouped_by: str) -> str:
    """Why a split file from another grouping rule is refused, and how to redraw it."""
    msg = (f'{split_file}: this {dataset} split file was drawn under grouping rule version '
           f'{saved_version} ({saved.get("grouped_by", "?")!r}), but the current rule is version '
           f'{version} ({grouped_by!r}). Under the old rule one patient (or one image stored '
           'twice) can sit in train and in val/test, which inflates results, so it is not used.')
    if groups is not None:
        try:
            splits = {n: list(saved['splits'][n]) for n in SPLIT_NAMES}
            now = list(groups()) if callable(groups) else list(groups)
            cut = straddling_groups(splits, items, now)
        except (KeyError, TypeError, OSError):
            cut = None
        if cut is not None:
            eg = ', '.join(f'{g} ({"+".join(ns)})' for g, ns in list(cut.items())[:3])
            msg += (f' Under the current rule {len(cut)} group(s) lie on two sides of it' +
                    (f', e.g. {eg}.' if cut else '.'))
    new = osp.splitext(split_file)[0] + f'.rule{saved_version}.json'
    return (msg + f' To redraw it, move the file aside (mv {split_file} {new}; nothing is '
            'deleted) and run again, which writes a split under the current rule, or pass '
            'split_file=<another path>. Numbers obtained with the old split are not comparable '
            'with the new one.')


# --- patient ids ------------------------------------------------------------------------------

_KERMANY_PERSON = re.compile(r'^person(\d+)_', re.IGNORECASE)
_KERMANY_MENDELEY = re.compile(r'^(?:BACTERIA|VIRUS|NORMAL)-(\d+)-\d+', re.IGNORECASE)
_KERMANY_NORMAL = re.compile(r'^(NORMAL2-)?IM-(\d+)-\d+', re.IGNORECASE)
_MURA_PATIENT = re.compile(r'(?:^|/)(patient\d+)(?:/|$)')
_NLM_SAME_PATIENT = re.compile(r'same\s+(?:pt|patient)\.?\s+as\s+((?:MCUCXR|CHNCXR)_\d{4}_[01])',
                               re.IGNORECASE)


def kermany_patient_id(filename: str) -> str:
    """Patient group of a Kermany (Pneumonia) image from its file name.

    - ``person1_bacteria_1.jpeg`` -> ``person1``. Kaggle numbers persons separately in train and
      test; the same number in both folders is put in one group anyway, which can only make
      groups larger, never leak a patient across splits.
    - ``BACTERIA-1135262-0001.jpeg`` (Mendeley names) -> ``id1135262``.
    - NORMAL names ``IM-NNNN-MMMM[-KKKK].jpeg`` -> ``IM-NNNN``: the real set holds e.g.
      ``IM-0011-0001.jpeg``, ``IM-0011-0001-0001.jpeg`` and ``IM-0011-0001-0002.jpeg``, one
      child's three radiographs, so one ``IM-NNNN`` number is one patient.
      ``NORMAL2-IM-NNNN-...`` is a series numbered apart: ``NORMAL2-IM-NNNN`` (never joined with
      ``IM-NNNN``). Rule version 2; version 1 made each NORMAL image its own group.
    - Anything else is its own group, keyed by its name.
    """
    name = osp.basename(filename)
    m = _KERMANY_PERSON.match(name)
    if m:
        return f'person{int(m.group(1))}'
    m = _KERMANY_MENDELEY.match(name)
    if m:
        return f'id{int(m.group(1))}'
    m = _KERMANY_NORMAL.match(name)
    if m:
        return f'{(m.group(1) or "").upper()}IM-{int(m.group(2)):04d}'
    return f'image:{name}'


def mura_patient_id(path: str) -> Optional[str]:
    """``patientNNNNN`` from a MURA path (``.../XR_WRIST/patient11185/study1_positive/...``), or
    None if the path has no patient folder."""
    m = _MURA_PATIENT.search(path.replace('\\', '/'))
    return m.group(1) if m else None


def nlm_same_patient(reading: str) -> Optional[str]:
    """The case a Montgomery/Shenzhen clinical reading names as the same patient
    (``NO REPORT (same pt as MCUCXR_0162_1)`` -> ``MCUCXR_0162_1``), or None."""
    m = _NLM_SAME_PATIENT.search(reading)
    return m.group(1).upper() if m else None


def nlm_patient_ids(stems: Sequence[str], same_as: Dict[str, str]) -> List[str]:
    """Patient id per NLM TB-set case: cases linked by "same pt as" (``same_as``: stem ->
    referenced stem, followed transitively) share the smallest stem among them; any other case
    is its own patient (its stem)."""
    linked = sorted(set(stems) | set(same_as) | set(same_as.values()))
    index = {s: i for i, s in enumerate(linked)}
    ids = _named_components(linked, [(index[a], index[b]) for a, b in same_as.items()])
    of = dict(zip(linked, ids))
    return [of[s] for s in stems]
