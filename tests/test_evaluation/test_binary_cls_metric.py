import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample
from sklearn.metrics import roc_auc_score

from muscle_mm.evaluation import BinaryClsMetric, binary_metrics
from muscle_mm.registry import METRICS


def test_binary_metrics_by_hand():
    labels = [0, 0, 0, 1, 1, 1, 1]
    scores = [0.1, 0.6, 0.2, 0.9, 0.4, 0.8, 0.7]
    m = binary_metrics(scores, labels, num_bootstrap=0)
    # predictions at 0.5: 0 1 0 | 1 0 1 1 -> tp 3, fn 1, tn 2, fp 1
    assert m['accuracy'] == pytest.approx(500 / 7)
    assert m['sensitivity'] == pytest.approx(75.0) and m['specificity'] == pytest.approx(200 / 3)
    assert m['auc'] == pytest.approx(100 * roc_auc_score(labels, scores))


def test_bootstrap_ci_brackets_auc_and_is_seeded():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    scores = np.clip(labels * 0.3 + rng.normal(0.35, 0.2, 200), 0, 1)
    a = binary_metrics(scores, labels, seed=1)
    assert a['auc_ci_low'] < a['auc'] < a['auc_ci_high']
    assert a == binary_metrics(scores, labels, seed=1)
    assert a['auc_ci_low'] != binary_metrics(scores, labels, seed=2)['auc_ci_low']


def test_one_class_is_an_error():
    with pytest.raises(ValueError, match='both classes'):
        binary_metrics([0.2, 0.3], [1, 1])


def test_registered_metric_on_data_samples():
    metric = METRICS.build(dict(type='BinaryClsMetric', num_bootstrap=10))
    metric.dataset_meta = dict(classes=('NORMAL', 'PNEUMONIA'))
    samples = []
    for p, y in [(0.9, 1), (0.2, 0), (0.7, 1), (0.6, 0)]:
        s = DataSample().set_gt_label(y).set_pred_score(torch.tensor([1 - p, p]))
        samples.append(s.to_dict())
    metric.process(None, samples)
    out = metric.evaluate(4)
    assert out['binary/accuracy'] == 75.0 and out['binary/auc'] == 100.0
    assert out['binary/sensitivity'] == 100.0 and out['binary/specificity'] == 50.0
