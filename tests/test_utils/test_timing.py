"""muscle_mm.utils.timing: the benchmarks' one step timer (issue 18): the warm-up runs untimed,
the device is synchronized before the clock starts and before it is read."""
import pytest
import torch

from muscle_mm.utils import timing
from muscle_mm.utils.timing import best_rates, sync, time_per_call


@pytest.fixture
def clock(monkeypatch):
    """A fake perf_counter; ``clock.append(dt)`` lets ``dt`` seconds pass."""
    now = [0.0]
    monkeypatch.setattr(timing.time, 'perf_counter', lambda: now[-1])
    return type('Clock', (), dict(append=lambda self, dt: now.append(now[-1] + dt)))()


def test_warmup_untimed_and_device_synced_around_the_timed_calls(monkeypatch, clock):
    events = []
    monkeypatch.setattr(torch.cuda, 'synchronize', lambda *a: events.append('sync'))

    def fn():
        events.append('call')
        clock.append(0.01 if events.count('sync') else 5.0)  # a slow warm-up is not counted

    assert time_per_call(fn, steps=3, device='cuda:0', warmup=2) == pytest.approx(0.01)
    assert events == ['call', 'call', 'sync', 'call', 'call', 'call', 'sync']


def test_cpu_needs_no_sync_and_warmup_zero_is_honoured(monkeypatch):

    def no_sync(*a):
        raise AssertionError('synchronize on the CPU')

    monkeypatch.setattr(torch.cuda, 'synchronize', no_sync)
    calls = []
    time_per_call(lambda: calls.append(1), steps=4, device='cpu', warmup=0)
    sync(torch.device('cpu'))
    assert len(calls) == 4


@pytest.mark.parametrize('steps, warmup', [(0, 1), (2, -1)])
def test_bad_counts_are_refused(steps, warmup):
    with pytest.raises(ValueError, match='steps must be >= 1'):
        time_per_call(lambda: None, steps, 'cpu', warmup)


def test_best_rates_keeps_the_fastest_round(clock):
    took = iter([0.05, 0.01, 0.02, 0.04])  # round 1: a, b; round 2: a, b
    rates = best_rates(
        dict(a=lambda: clock.append(next(took)), b=lambda: clock.append(next(took))),
        num=10,
        rounds=2)
    assert rates == pytest.approx(dict(a=10 / 0.02, b=10 / 0.01))
