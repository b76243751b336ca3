import warnings

import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample
from sklearn.metrics import confusion_matrix, roc_auc_score

from muscle_mm.evaluation import binary_metrics, bootstrap_auc_ci, format_auc_ci
from muscle_mm.registry import METRICS


def _data(n, seed=0):
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 2, n)
    return np.clip(labels * 0.3 + rng.normal(0.35, 0.2, n), 0, 1), labels


def test_binary_metrics_against_sklearn():
    scores, labels = _data(300)
    m = binary_metrics(scores, labels, num_bootstrap=0)
    tn, fp, fn, tp = confusion_matrix(labels, scores >= 0.5).ravel()
    assert m['accuracy'] == pytest.approx(100 * (tp + tn) / 300)
    assert m['sensitivity'] == pytest.approx(100 * tp / (tp + fn))
    assert m['specificity'] == pytest.approx(100 * tn / (tn + fp))
    assert m['auc'] == pytest.approx(100 * roc_auc_score(labels, scores))
    assert 'auc_ci_low' not in m


def test_bootstrap_ci_is_the_legacy_randomstate_percentile_interval():
    """Independent re-computation: numpy's frozen RandomState stream + sklearn, 2.5/97.5 %."""
    scores, labels = _data(120, seed=3)
    rng, aucs = np.random.RandomState(7), []
    while len(aucs) < 100:
        idx = rng.randint(0, 120, 120)
        if len(set(labels[idx])) == 2:
            aucs.append(roc_auc_score(labels[idx], scores[idx]))
    m = binary_metrics(scores, labels, seed=7)
    assert m['auc_ci_low'] == pytest.approx(100 * np.percentile(aucs, 2.5))
    assert m['auc_ci_high'] == pytest.approx(100 * np.percentile(aucs, 97.5))


def test_ci_brackets_auc_is_seeded_and_narrows_with_more_samples():
    scores, labels = _data(200)
    a = binary_metrics(scores, labels, seed=1)
    assert a['auc_ci_low'] < a['auc'] < a['auc_ci_high']
    assert a == binary_metrics(scores, labels, seed=1)
    assert a['auc_ci_low'] != binary_metrics(scores, labels, seed=2)['auc_ci_low']
    big_s, big_l = _data(3000)
    low, high = bootstrap_auc_ci(big_s, big_l, 100, seed=1)
    assert high - low < (a['auc_ci_high'] - a['auc_ci_low']) / 100 / 2
    wide = binary_metrics(scores, labels, seed=1, level=0.99)
    assert wide['auc_ci_low'] < a['auc_ci_low'] and wide['auc_ci_high'] > a['auc_ci_high']
    assert format_auc_ci(a).count('(') == 1


def test_one_class_gives_nan_for_what_is_undefined():
    with pytest.warns(UserWarning, match='AUC'):
        m = binary_metrics([0.2, 0.7, 0.9], [1, 1, 1])
    assert m['accuracy'] == pytest.approx(200 / 3) and m['sensitivity'] == pytest.approx(200 / 3)
    assert all(np.isnan(m[k]) for k in ('specificity', 'auc', 'auc_ci_low', 'auc_ci_high'))
    with warnings.catch_warnings(), pytest.raises(ValueError, match='0 or 1'):
        binary_metrics([0.2, 0.3], [1, 2])


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
