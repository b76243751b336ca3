"""The paper's classification metrics (Tab. 2): accuracy, sensitivity, specificity and ROC AUC with
a 95% bootstrap confidence interval over 100 resamplings of the test set (MUSCLE §3)."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from sklearn.metrics import confusion_matrix, roc_auc_score

from muscle_mm.registry import METRICS


def binary_metrics(scores: Sequence[float],
                   labels: Sequence[int],
                   threshold: float = 0.5,
                   num_bootstrap: int = 100,
                   seed: int = 0) -> Dict[str, float]:
    """Acc/Sen/Spe at ``threshold`` and AUC with its percentile bootstrap 95% CI, in percent.

    ``scores`` are probabilities of the positive class (label 1: pneumonia / abnormal).
    Bootstrap resamples that draw a single class have no AUC and are redrawn.
    """
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=np.int64)
    if scores.shape != labels.shape or scores.ndim != 1:
        raise ValueError(f'scores {scores.shape} and labels {labels.shape} must be equal 1-D')
    if set(np.unique(labels)) != {0, 1}:
        raise ValueError(f'need both classes 0 and 1 among the labels, got {np.unique(labels)}')
    tn, fp, fn, tp = confusion_matrix(labels, scores >= threshold, labels=[0, 1]).ravel()
    out = dict(accuracy=100.0 * (tp + tn) / len(labels), sensitivity=100.0 * tp / (tp + fn),
               specificity=100.0 * tn / (tn + fp), auc=100.0 * roc_auc_score(labels, scores))
    if num_bootstrap:
        rng, aucs = np.random.default_rng(seed), []
        while len(aucs) < num_bootstrap:
            idx = rng.integers(0, len(labels), len(labels))
            if labels[idx].min() != labels[idx].max():
                aucs.append(roc_auc_score(labels[idx], scores[idx]))
        out['auc_ci_low'], out['auc_ci_high'] = (100.0 * q for q in np.percentile(aucs, [2.5, 97.5]))
    return out


@METRICS.register_module()
class BinaryClsMetric(BaseMetric):
    """Acc, Sen, Spe, AUC (95% CI) of a two-class classifier, as MUSCLE reports them.

    Args:
        positive_index (int): class index counted as positive. Defaults to 1.
        threshold (float): decision threshold on its probability. Defaults to 0.5.
        num_bootstrap (int): AUC bootstrap resamplings, 0 to skip. Defaults to 100 (paper).
        seed (int): bootstrap seed. Defaults to 0.
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): metric name prefix. Defaults to None.
    """
    default_prefix = 'binary'

    def __init__(self,
                 positive_index: int = 1,
                 threshold: float = 0.5,
                 num_bootstrap: int = 100,
                 seed: int = 0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.positive_index, self.threshold = positive_index, threshold
        self.num_bootstrap, self.seed = num_bootstrap, seed

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for s in data_samples:
            score = s['pred_score']
            if score.numel() != 2:
                raise ValueError(f'BinaryClsMetric needs 2-class scores, got {score.numel()}')
            self.results.append((float(score[self.positive_index]),
                                 int(int(s['gt_label'][0]) == self.positive_index)))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        scores, labels = zip(*results)
        return binary_metrics(scores, labels, self.threshold, self.num_bootstrap, self.seed)
