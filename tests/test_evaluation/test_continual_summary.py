import pytest

from muscle_mm.evaluation.continual_summary import continual_summary


def test_retrained_task_gain_is_not_backward_transfer():
    # A task trained again every round and improving each time: final minus round 1 (+0.30) is
    # its own retraining gain. Validated once per round, it was trained last before the last
    # evaluation (reference = 3) or not last in its round (no reference): BWT 0 / undefined.
    for ref in (3, None):
        s = continual_summary(dict(a=[0.6, 0.7, 0.8, 0.9]), reference=dict(a=ref))
        assert s['per_task']['a']['bwt'] is None and s['average_bwt'] is None
        assert any(n.startswith('a: ') and 'BWT' in n for n in s['notes'])
    # validated after each task iterate: its last iterate ended at evaluation 2, then another
    # task trained and it went from 0.8 to 0.9: BWT +0.1 (Lopez-Paz & Ranzato: R_K,i - R_i,i)
    s = continual_summary(
        dict(a=[0.6, 0.7, 0.8, 0.9], b=[0.1, 0.2, 0.3, 0.5]), reference=dict(a=2, b=3))
    assert s['per_task']['a']['bwt'] == pytest.approx(0.1)
    assert s['per_task']['b']['bwt'] is None  # trained last: left out, as the T-th task
    assert s['average_bwt'] == pytest.approx(0.1)
    assert 'bwt averaged over 1 of 2 tasks (without b)' in s['notes']


def test_forgetting_is_best_earlier_minus_final_unclipped():
    s = continual_summary(dict(a=[0.8, 0.9, 0.7], b=[0.5, 0.6, 0.65]), reference=dict(a=1))
    a, b = s['per_task']['a'], s['per_task']['b']
    assert (a['final'], a['best']) == (0.7, 0.9)
    assert a['forgetting'] == pytest.approx(0.2)
    assert a['bwt'] == pytest.approx(-0.2)
    # b is better at the end than ever before: -0.05, not clipped to 0
    assert b['forgetting'] == pytest.approx(-0.05)
    assert s['average_forgetting'] == pytest.approx((0.2 - 0.05) / 2)
    assert s['final_average'] == pytest.approx((0.7 + 0.65) / 2)


def test_lower_is_better():
    # a loss: best earlier 0.3, final 0.4 -> forgetting +0.1; after its last iterate 0.3 -> BWT -0.1
    s = continual_summary(
        dict(loss=[0.5, 0.3, 0.4]), reference=dict(loss=1), greater_is_better=dict(loss=False))
    t = s['per_task']['loss']
    assert t['best'] == 0.3
    assert t['forgetting'] == pytest.approx(0.1)
    assert t['bwt'] == pytest.approx(-0.1)
    assert s['greater_is_better'] == dict(loss=False)
    # read as greater-is-better the same numbers would say the opposite
    g = continual_summary(dict(loss=[0.5, 0.3, 0.4]), reference=dict(loss=1))['per_task']['loss']
    assert g['forgetting'] == pytest.approx(0.1) and g['bwt'] == pytest.approx(0.1)


def test_first_trained_and_missing_values():
    # task b is evaluated before it was ever trained (row 0): forgetting counts from row 1
    s = continual_summary(dict(a=[0.5, 0.4, 0.4], b=[0.9, 0.6, 0.5]), first_trained=dict(b=1))
    assert s['per_task']['b']['forgetting'] == pytest.approx(0.1)
    assert s['per_task']['b']['best'] == 0.6
    # a value missing at the last evaluation: no final, said so, not an older value
    s = continual_summary(dict(a=[0.5, None], b=[0.2, 0.3]))
    assert s['per_task']['a']['final'] is None and s['final_average'] == 0.3
    assert any('a: no value at the last evaluation' in n for n in s['notes'])
    # one evaluation only: nothing earlier to forget from
    s = continual_summary(dict(a=[0.5]))
    assert s['per_task']['a']['forgetting'] is None and s['average_forgetting'] is None
    assert continual_summary(dict(a=[None]))['final_average'] is None
