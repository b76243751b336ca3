import pytest

from muscle_mm.evaluation.continual_summary import continual_summary


def test_summary_against_hand_computation():
    matrix = dict(a=[0.8, 0.9, 0.7], b=[0.5, 0.6, 0.65])
    s = continual_summary(matrix)
    assert s['per_task']['a'] == dict(final=0.7, best=0.9, forgetting=pytest.approx(0.2),
                                      bwt=pytest.approx(-0.1))
    assert s['per_task']['b']['forgetting'] == 0.0
    assert s['per_task']['b']['bwt'] == pytest.approx(0.15)
    assert s['final_average'] == pytest.approx((0.7 + 0.65) / 2)
    assert s['average_forgetting'] == pytest.approx(0.1)
    assert s['average_bwt'] == pytest.approx((-0.1 + 0.15) / 2)


def test_first_trained_and_missing_values():
    # task b is evaluated before it was ever trained (row 0): BWT counts from row 1
    s = continual_summary(dict(a=[0.5, 0.4], b=[0.1, 0.6, 0.5]), first_trained=dict(b=1))
    assert s['per_task']['b']['bwt'] == pytest.approx(-0.1)
    assert s['per_task']['b']['forgetting'] == pytest.approx(0.1)
    assert continual_summary(dict(a=[None]))['final_average'] is None
