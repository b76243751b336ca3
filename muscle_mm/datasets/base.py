"""Shared checks for the X-ray dataset readers.

Every reader turns a user's download into a list of samples. Anything unexpected in that download
(missing file, unknown column, empty split) raises :class:`DatasetFormatError` naming the file and
the problem, so nothing is dropped silently.
"""
import csv
import hashlib
import os
import os.path as osp
from typing import Iterable, List, Optional, Sequence


class DatasetFormatError(ValueError):
    """A dataset on disk does not match the layout its reader expects."""


def require_dir(path: str, what: str) -> str:
    """Return ``path`` if it is a directory, else raise naming ``what`` it should hold."""
    if not osp.isdir(path):
        raise DatasetFormatError(f'{what}: directory not found: {path}')
    return path


def require_file(path: str, what: str, listed_in: Optional[str] = None) -> str:
    """Return ``path`` if it is a file; else raise, naming the file that listed it."""
    if not osp.isfile(path):
        src = f' (listed in {listed_in})' if listed_in else ''
        raise DatasetFormatError(f'{what}: file not found: {path}{src}')
    return path


def first_existing(candidates: Sequence[str], what: str) -> str:
    """The first of ``candidates`` that exists; raise listing all of them otherwise."""
    for c in candidates:
        if osp.exists(c):
            return c
    tried = '\n  '.join(candidates)
    raise DatasetFormatError(f'{what}: none of these exist:\n  {tried}')


def read_csv_rows(path: str,
                  required: Iterable[str] = (),
                  alternatives: Optional[dict] = None) -> List[dict]:
    """Read a headed CSV into dicts, checking that the ``required`` columns are present.

    ``alternatives`` maps a canonical column name to other names it is known under (e.g. NIH's
    ``Patient Gender`` / ``Patient Sex``); rows are returned under the canonical name.
    """
    require_file(path, 'CSV')
    alternatives = alternatives or {}
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.DictReader(f)
        header = [h.strip() for h in (reader.fieldnames or [])]
        rename = {}
        for col in required:
            names = [col] + list(alternatives.get(col, ()))
            found = [n for n in names if n in header]
            if not found:
                raise DatasetFormatError(
                    f'{path}: missing column {col!r} (accepted names: {names}); '
                    f'header is {header}')
            rename[found[0]] = col
        rows = []
        for raw in reader:
            row = {k.strip(): v for k, v in raw.items() if k is not None}
            for old, new in rename.items():
                row[new] = row.pop(old) if old != new else row[old]
            rows.append(row)
    return rows


def check_not_empty(items: list, what: str, where: str) -> list:
    """Raise if a split resolved to no samples: an empty split is always a layout problem."""
    if not items:
        raise DatasetFormatError(f'{what}: no samples found in {where}')
    return items


def list_images(folder: str, exts=('.png', '.jpg', '.jpeg', '.dcm')) -> List[str]:
    """Sorted image files in ``folder`` (not recursive), skipping OS junk (``.DS_Store``,
    ``._*`` resource forks)."""
    names = []
    for n in sorted(os.listdir(folder)):
        if n.startswith('.') or n.startswith('._'):
            continue
        if osp.splitext(n)[1].lower() in exts and osp.isfile(osp.join(folder, n)):
            names.append(n)
    return names


def check_split(name: str, split: str, splits: Sequence[str], why: str) -> str:
    """Refuse splits a dataset does not publish, saying why, instead of inventing one."""
    if split not in splits:
        raise ValueError(f'{name}: unknown split {split!r}; choose one of {tuple(splits)} ({why})')
    return split


def check_split_mode(name: str, split_mode: str) -> str:
    """``'muscle'``: the paper's seeded re-split; ``'official'``: the publisher's split."""
    if split_mode not in ('muscle', 'official'):
        raise ValueError(f"{name}: split_mode must be 'muscle' or 'official', got {split_mode!r}")
    return split_mode


def file_md5(path: str) -> str:
    """md5 of a file's bytes: what makes two files exact copies."""
    h = hashlib.md5()
    try:
        with open(path, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                h.update(chunk)
    except OSError as e:
        raise DatasetFormatError(f'{path}: cannot read ({e.strerror or e})') from e
    return h.hexdigest()
