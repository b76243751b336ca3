"""The paper's classification metrics (Tab. 2): accuracy, sensitivity, specificity and ROC AUC with
a 95% bootstrap confidence interval over 100 resamplings of the test set (MUSCLE §3)."""
import math
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric

from muscle_mm.registry import METRICS

NAN = float('nan')


def bootstrap_auc_ci(scores: np.ndarray,
                     labels: np.ndarray,
                     num_bootstrap: int = 100,
                     seed: int = 0,
                     level: float = 0.95) -> Tuple[float, float]:
    """Percentile bootstrap CI of the ROC AUC, in [0, 1].

    Resample indices come from numpy's legacy ``RandomState(seed).randint``, whose stream numpy
    keeps fixed across versions (``default_rng`` streams may change), so a CI is reproducible.
    A resample that draws a single class has no AUC and is redrawn (at most 100x as many draws).
    """
    from sklearn.metrics import roc_auc_score  # lazy: ~1 s for evaluation-only users
    if not 0 < level < 1:
        raise ValueError(f'CI level must lie in (0, 1), got {level}')
    rng, aucs, n = np.random.RandomState(seed), [], len(labels)
    for _ in range(100 * num_bootstrap):
        idx = rng.randint(0, n, n)
        if labels[idx].min() != labels[idx].max():
            aucs.append(roc_auc_score(labels[idx], scores[idx]))
            if len(aucs) == num_bootstrap:
                break
    else:
        raise ValueError(f'bootstrap: only {len(aucs)} of {100 * num_bootstrap} resamples of '
                         f'{n} samples hold both classes; too few of the minority class')
    tail = 100.0 * (1 - level) / 2
    low, high = np.percentile(aucs, [tail, 100.0 - tail])
    return float(low), float(high)


def binary_metrics(scores: Sequence[float],
                   labels: Sequence[int],
                   threshold: float = 0.5,
                   num_bootstrap: int = 100,
                   seed: int = 0,
                   level: float = 0.95) -> Dict[str, float]:
    """Acc/Sen/Spe at ``threshold`` and AUC with its percentile bootstrap CI, in percent.

    ``scores`` are probabilities of the positive class (label 1: pneumonia / abnormal).
    With one class only, the undefined values (AUC and its CI, and sensitivity without positives
    or specificity without negatives) are NaN, with a warning; accuracy is still defined.
    """
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=np.int64)
    if scores.shape != labels.shape or scores.ndim != 1 or not len(labels):
        raise ValueError(f'scores {scores.shape} and labels {labels.shape} must be equal, '
                         'non-empty 1-D')
    if not set(np.unique(labels)) <= {0, 1}:
        raise ValueError(f'labels must be 0 or 1, got {np.unique(labels)}')
    pred = scores >= threshold
    pos, neg = labels == 1, labels == 0
    out = dict(
        accuracy=100.0 * np.mean(pred == pos),
        sensitivity=100.0 * pred[pos].mean() if pos.any() else NAN,
        specificity=100.0 * (~pred[neg]).mean() if neg.any() else NAN,
        auc=NAN)
    both = pos.any() and neg.any()
    if both:
        from sklearn.metrics import roc_auc_score  # lazy: ~1 s for evaluation-only users
        out['auc'] = 100.0 * roc_auc_score(labels, scores)
    else:
        warnings.warn(f'binary_metrics: all {len(labels)} labels are {labels[0]}; AUC and '
                      f'{"specificity" if pos.any() else "sensitivity"} are undefined (NaN)')
    if num_bootstrap:
        ci = bootstrap_auc_ci(scores, labels, num_bootstrap, seed, level) if both else (NAN, NAN)
        out['auc_ci_low'], out['auc_ci_high'] = (100.0 * v for v in ci)
    return {k: float(v) for k, v in out.items()}


def format_auc_ci(m: Dict[str, float], digits: int = 2) -> str:
    """``'99.61 (99.32-99.83)'`` as in the paper's tables, from :func:`binary_metrics` output."""
    auc = f'{m["auc"]:.{digits}f}'
    if 'auc_ci_low' not in m or math.isnan(m['auc_ci_low']):
        return auc
    return f'{auc} ({m["auc_ci_low"]:.{digits}f}-{m["auc_ci_high"]:.{digits}f})'


@METRICS.register_module()
class BinaryClsMetric(BaseMetric):
    """Acc, Sen, Spe, AUC (95% CI) of a two-class classifier, as MUSCLE reports them.

    Paper: MUSCLE, https://arxiv.org/abs/2310.02000, §3 and Tab. 2 ("AUC values are reported with
    95% confidence intervals estimated through bootstrapping with 100 independent trials").

    Args:
        positive_index (int): class index counted as positive. Defaults to 1.
        threshold (float): decision threshold on its probability. Defaults to 0.5.
        num_bootstrap (int): AUC bootstrap resamplings, 0 to skip. Defaults to 100 (paper).
        seed (int): bootstrap seed (numpy ``RandomState``). Defaults to 0.
        ci_level (float): confidence level of the interval. Defaults to 0.95 (paper).
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): metric name prefix. Defaults to None ('binary').
    """
    default_prefix = 'binary'

    def __init__(self,
                 positive_index: int = 1,
                 threshold: float = 0.5,
                 num_bootstrap: int = 100,
                 seed: int = 0,
                 ci_level: float = 0.95,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.positive_index, self.threshold = positive_index, threshold
        self.num_bootstrap, self.seed, self.ci_level = num_bootstrap, seed, ci_level

    def sample_score_label(self, s: dict) -> Tuple[float, int]:
        """(probability of the positive class, 1 if positive) of one packed data sample."""
        score = s['pred_score']
        if score.numel() != 2:
            raise ValueError(f'{type(self).__name__} needs 2-class scores, got {score.numel()}')
        return float(score[self.positive_index]), int(int(s['gt_label'][0]) == self.positive_index)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for s in data_samples:
            self.results.append(self.sample_score_label(s))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        scores, labels = zip(*results)
        return binary_metrics(scores, labels, self.threshold, self.num_bootstrap, self.seed,
                              self.ci_level)
