import math

import pytest
import torch
from mmengine.logging import MessageHub

from muscle_mm.engine.runner import ContinualPlan
from muscle_mm.engine.runner.continual_loop import PLAN_KEY
from muscle_mm.engine.schedulers import CyclicCosineLR

ETA_MAX, ETA_MIN = 0.1, 0.01


def eq1(t, T, eta_min_i=ETA_MIN):
    """Paper eq. 1, computed independently of the scheduler."""
    return eta_min_i + 0.5 * (ETA_MAX - ETA_MIN) * (1 + math.cos(t / T * 2 * math.pi))


def _optimizer():
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=ETA_MAX)


def _lrs(scheduler, optimizer, n):
    """LR used at iterations 0..n-1 (the scheduler steps after each, as mmengine's hook does)."""
    out = []
    for _ in range(n):
        out.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        scheduler.step()
    return out


@pytest.fixture
def plan():
    plan = ContinualPlan(dict(a=8, b=12, c=4), rounds=2, task_order='shuffle', seed=1)
    hub = MessageHub.get_instance('cyclic_cosine_test')
    hub.update_info(PLAN_KEY, plan.state())
    return plan


def test_fixed_period_matches_eq1_at_start_quarter_half_end():
    opt = _optimizer()
    T = 8
    lrs = _lrs(CyclicCosineLR(opt, period=T, eta_min=ETA_MIN), opt, 3 * T + 1)
    for period in range(3):
        for t in (0, T // 4, T // 2, T):
            assert lrs[period * T + t] == pytest.approx(eq1(t, T))
    assert lrs[0] == pytest.approx(ETA_MAX) and lrs[T // 2] == pytest.approx(ETA_MIN)


def test_task_period_restarts_at_each_task_with_its_own_eta_min(plan):
    opt = _optimizer()
    eta_i = dict(a=0.02, b=0.01, c=0.005)
    lrs = _lrs(
        CyclicCosineLR(opt, period='task', eta_min=ETA_MIN, task_eta_min=eta_i), opt, plan.total)
    for seg in plan.segments:
        T = seg.length
        for t in (0, T // 4, T // 2, T - 1):
            assert lrs[seg.start + t] == pytest.approx(eq1(t, T, eta_i[seg.task])), seg
        assert lrs[seg.start] == pytest.approx(ETA_MAX + eta_i[seg.task] - ETA_MIN)


def test_round_period(plan):
    opt = _optimizer()
    lrs = _lrs(CyclicCosineLR(opt, period='round', eta_min=ETA_MIN), opt, plan.total)
    start, T = plan.round_span(1)
    for t in (0, T // 4, T // 2, T - 1):
        assert lrs[start + t] == pytest.approx(eq1(t, T))


def test_resume_continues_the_same_rates(plan):
    opt = _optimizer()
    sched = CyclicCosineLR(opt, period='task', eta_min=ETA_MIN)
    full = _lrs(sched, opt, plan.total)
    opt2 = _optimizer()
    first = CyclicCosineLR(opt2, period='task', eta_min=ETA_MIN)
    head = _lrs(first, opt2, 13)
    state = first.state_dict()
    assert all(not hasattr(v, 'segments') for v in state.values())  # plain data only
    opt3 = _optimizer()
    resumed = CyclicCosineLR(opt3, period='task', eta_min=ETA_MIN)
    resumed.load_state_dict(state)
    opt3.param_groups[0]['lr'] = opt2.param_groups[0]['lr']
    assert head + _lrs(resumed, opt3, plan.total - 13) == pytest.approx(full)


@pytest.mark.parametrize('period', [0, -3, 'epoch', True])
def test_bad_period(period):
    with pytest.raises(ValueError, match='period'):
        CyclicCosineLR(_optimizer(), period=period)


def test_task_period_needs_the_continual_loop():
    MessageHub.get_instance('cyclic_cosine_no_plan')
    with pytest.raises(ValueError, match='MultiTaskContinualLoop'):
        CyclicCosineLR(_optimizer(), period='task')


def test_unknown_task_eta_min(plan):
    with pytest.raises(KeyError, match='zzz'):
        CyclicCosineLR(_optimizer(), period='task', task_eta_min=dict(zzz=0.1))
