"""Timing a step on the CPU or a GPU, as the benchmarks do it.

A CUDA step returns before the GPU has run it, so the clock is read only after the device's
queue is empty (:func:`sync`); the first calls pay for cuDNN's algorithm choice, the caching
allocator and lazy imports, so they run untimed first (an explicit ``warmup`` count, never a
hidden one).
"""
import time
from typing import Callable, Dict

import torch


def sync(device) -> None:
    """Wait until ``device`` ('cuda', 'cuda:1', a torch.device) has run its queued work; a no-op
    on the CPU."""
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()


def time_per_call(fn: Callable[[], object], steps: int, device, warmup: int) -> float:
    """Seconds per call of ``fn``, averaged over ``steps`` timed calls after ``warmup`` untimed
    ones; ``device`` is synchronized before the clock starts and before it is read."""
    if steps < 1 or warmup < 0:
        raise ValueError(f'time_per_call: steps must be >= 1 and warmup >= 0, got steps={steps}, '
                         f'warmup={warmup}')
    for _ in range(warmup):
        fn()
    sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        fn()
    sync(device)
    return (time.perf_counter() - t0) / steps


def best_rates(fns: Dict[str, Callable[[], object]], num: int, rounds: int) -> Dict[str, float]:
    """Items/s of each ``fns`` entry (one call handles ``num`` items), best of ``rounds``. The
    entries take turns within a round, so a change in machine load between rounds affects them
    all alike (CPU-side work: nothing to synchronize)."""
    best = {name: float('inf') for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return {name: num / t for name, t in best.items()}
