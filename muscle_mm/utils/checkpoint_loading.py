"""Load checkpoints on torch>=2.6 without unpickling arbitrary code.

torch 2.6 made ``torch.load(weights_only=True)`` the default; mmengine 0.10.7 calls ``torch.load``
without the argument, so its own runner checkpoints (which carry a ``MessageHub`` with
``HistoryBuffer`` objects and numpy arrays) can no longer be resumed. Switching ``weights_only`` off
would let any downloaded checkpoint execute code. Instead we allow-list the few plain-data classes
mmengine writes into checkpoints: everything else (``os.system``, ``eval``, arbitrary classes) is
still refused, now with an error that names the file.
"""
import os.path as osp
import pickle
from typing import Any, Callable, List

import numpy as np
import torch
from mmengine.runner.checkpoint import CheckpointLoader


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint asks to unpickle something that is not plain data."""


def _numpy_globals() -> List[Any]:
    """numpy's array/scalar reconstructors and dtype classes (data only, no code execution)."""
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [
        type(np.dtype(t))
        for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                  np.uint64, np.float16, np.float32, np.float64, np.str_)
    ]
    return [_reconstruct, scalar, np.ndarray, np.dtype] + dtype_classes


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """Stands in for ``builtins.getattr`` while unpickling.

    A pickled ``HistoryBuffer`` refers to its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``. Allow-listing ``getattr`` itself would hand a checkpoint any
    attribute of any allowed object, so only these lookups are answered.
    """
    from mmengine.logging.history_buffer import HistoryBuffer

    # The built-in statistics are registered only when the first buffer is created, so a fresh
    # process (e.g. `tools/train.py --resume`) must accept them before any buffer exists.
    allowed = {'min', 'max', 'current', 'mean'} | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint')


def mmengine_safe_globals() -> List[Any]:
    """The non-tensor globals found in mmengine runner checkpoints."""
    from mmengine.logging.history_buffer import HistoryBuffer
    return [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')] + _numpy_globals()


def register_safe_globals() -> None:
    """Allow-list mmengine's checkpoint classes for ``torch.load(weights_only=True)``."""
    torch.serialization.add_safe_globals(mmengine_safe_globals())


def safe_torch_load(filename: str, map_location: Any = None) -> Any:
    """``torch.load(weights_only=True)`` with the allow-list, and an error that names the file."""
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        raise UnsafeCheckpointError(
            f'Refused to load checkpoint {filename!r}: it contains pickled objects that are not '
            f'plain tensors/containers and could run code when loaded. torch says:\n{e}\n'
            'If you created this file yourself or trust its source, load it once with '
            '`torch.load(path, weights_only=False)`, and re-save only its tensors '
            "(e.g. `torch.save({'state_dict': ckpt['state_dict']}, new_path)`).") from e


def _load_from_local(filename: str, map_location: Any = None) -> Any:
    """Replacement for mmengine's local-file checkpoint loader."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return safe_torch_load(filename, map_location)


def install() -> None:
    """Called on ``import muscle_mm``: allow-list + mmengine's local loader replaced."""
    register_safe_globals()
    CheckpointLoader.register_scheme(prefixes='', loader=_load_from_local, force=True)


__all__: List[Callable] = [
    'UnsafeCheckpointError', 'safe_torch_load', 'install', 'register_safe_globals',
    'mmengine_safe_globals'
]
