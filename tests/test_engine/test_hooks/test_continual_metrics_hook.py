"""ContinualMetricsHook: the BWT reference of each task comes from the schedule."""
import json
import os.path as osp
from types import SimpleNamespace

import pytest

from muscle_mm.engine.hooks import ContinualMetricsHook
from muscle_mm.engine.runner.continual_plan import ContinualPlan


def run(tmp_path, per_task, values):
    """Two tasks a (2 iterations), b (3), two rounds, fixed order; ``values[task]`` its metric at
    each validation (after every task iterate, or after every round)."""
    plan = ContinualPlan(dict(a=2, b=3), rounds=2, task_order='fixed')
    loop = SimpleNamespace(plan=plan, val_after_each_task=per_task, segment=None)
    runner = SimpleNamespace(work_dir=str(tmp_path), train_loop=loop, iter=0, _resume=False)
    hook = ContinualMetricsHook(primary_metrics=dict(a='acc', b='loss'))
    hook.before_train(runner)
    ends = [s.start + s.length for s in plan.segments]
    if not per_task:
        ends = [e for s, e in zip(plan.segments, ends) if s.position == 1]
    for k, end in enumerate(ends):
        runner.iter, loop.segment = end, plan.locate(end - 1)
        hook.after_val_epoch(runner, {'a/acc': values['a'][k], 'b/loss': values['b'][k]})
    with open(osp.join(tmp_path, 'continual_metrics.json')) as f:
        return json.load(f)


def test_after_each_task_iterate(tmp_path):
    # a: 0.6 after round 1's a, ..., 0.8 right after its last iterate, 0.9 after b trained
    out = run(tmp_path, True, dict(a=[0.6, 0.7, 0.8, 0.9], b=[0.5, 0.4, 0.45, 0.3]))
    assert out['labels'] == [
        'round 1 after a', 'round 1 after b', 'round 2 after a', 'round 2 after b'
    ]
    assert out['greater_is_better'] == dict(a=True, b=False)  # 'loss': lower is better
    s = out['summary']
    assert s['per_task']['a']['reference'] == 2
    assert s['per_task']['a']['bwt'] == pytest.approx(0.1)  # not 0.9 - 0.6
    assert s['per_task']['b']['bwt'] is None  # trained last
    assert s['average_bwt'] == pytest.approx(0.1)
    # forgetting, lower is better: b's final 0.3 is its best: -0.1 (unclipped)
    assert s['per_task']['b']['forgetting'] == pytest.approx(-0.1)
    assert s['per_task']['a']['forgetting'] == pytest.approx(-0.1)
    assert s['average_forgetting'] == pytest.approx(-0.1)
    # the keys tools/demo.py and tools/analysis_tools/paper_claims.py read
    assert {'tasks', 'primary_metrics', 'matrix', 'summary'} <= set(out)
    assert {'final_average', 'average_forgetting', 'average_bwt'} <= set(s)


def test_once_per_round(tmp_path):
    out = run(tmp_path, False, dict(a=[0.6, 0.9], b=[0.5, 0.6]))
    assert out['labels'] == ['round 1', 'round 2']
    s = out['summary']
    # a: round 2's b trained after its last iterate, before the validation: BWT undefined;
    # b: trained last. No BWT at all, said so.
    assert s['per_task']['a']['reference'] is None and s['per_task']['a']['bwt'] is None
    assert s['per_task']['b']['reference'] == 1 and s['per_task']['b']['bwt'] is None
    assert s['average_bwt'] is None
    assert any(n.startswith('a: no evaluation right after its last iterate') for n in s['notes'])
    assert s['per_task']['a']['forgetting'] == pytest.approx(-0.3)  # 0.6 - 0.9
    assert s['per_task']['b']['forgetting'] == pytest.approx(0.1)  # loss 0.5 -> 0.6
    assert s['final_average'] == pytest.approx(0.75)
