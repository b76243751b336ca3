"""Counter-based random numbers: pure functions of (seed, step, index), so a resumed run, another
worker count or another world size draws what an uninterrupted run draws. Used for the device
views (:class:`~muscle_mm.models.utils.XRayViews`), the CPU views' per-sample seeds
(:class:`~muscle_mm.datasets.samplers.SampleSeedSampler`) and the per-step reseed of the main
process (:class:`~muscle_mm.engine.hooks.StepSeedHook`)."""
from typing import Sequence

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MASK = (1 << 64) - 1


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finalizer on uint64 arrays (wrapping arithmetic).

    A fixed integer function, so the draws are the same on every numpy/torch version and
    platform (numpy does not promise its Generator streams across versions).
    """
    x = (x + _GOLDEN).astype(np.uint64)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def counter_uniforms(seed: int, step: int, index: Sequence[int], num: int) -> np.ndarray:
    """``len(index) x num`` uniforms in [0, 1), each a pure function of (seed, step, index, k).

    Counter-based: no state to save, so a resumed run draws what an uninterrupted one draws.
    """
    with np.errstate(over='ignore'):
        key = _splitmix64(np.array([seed & _MASK], dtype=np.uint64))
        key = _splitmix64(key ^ np.uint64(step & _MASK))
        key = _splitmix64(key ^ np.asarray([i & _MASK for i in index], dtype=np.uint64))
        counters = np.arange(1, num + 1, dtype=np.uint64) * _GOLDEN
        bits = _splitmix64(key[:, None] + counters[None, :])
    return (bits >> np.uint64(11)).astype(np.float64) * 2.0**-53


def step_seed(seed: int, step: int) -> int:
    """A 63-bit seed that is a function of ``(seed, step)`` only (torch's global generators)."""
    bits = counter_uniforms(seed, step, [-1], 1)[0, 0]
    return int(bits * 2.0**53) << 10


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """A 32-bit seed (numpy's range) of sample ``index`` in ``epoch``."""
    return int(counter_uniforms(seed, epoch, [index], 1)[0, 0] * 2.0**32)
