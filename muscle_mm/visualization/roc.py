"""ROC curves of several initializations on one plot, AUC (95% CI) in the legend (MUSCLE Fig. 2)."""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from sklearn.metrics import roc_curve

from muscle_mm.evaluation.binary_cls_metric import binary_metrics, format_auc_ci
from .figure import new_figure, save_figure

Curve = Tuple[Sequence[float], Sequence[int]]


def plot_roc_curves(curves: Dict[str, Curve],
                    out_file: str,
                    title: Optional[str] = None,
                    num_bootstrap: int = 100,
                    seed: int = 0,
                    missing: Sequence[str] = ()) -> Dict[str, Dict[str, float]]:
    """Draw one ROC curve per entry of ``curves`` (name -> (positive-class scores, 0/1 labels))
    and write a PNG; return each curve's :func:`binary_metrics` (the legend's numbers).

    As the paper's Fig. 2: false positive rate on x, true positive rate on y, the chance diagonal,
    and "name: AUC 99.61 (99.32-99.83)" in the legend, the CI from ``num_bootstrap`` seeded
    resamples (0: no CI). ``missing``: initializations without predictions, listed in the legend
    as "name: no predictions (not run)" so that a reader sees they are absent, not hidden.
    """
    if not curves:
        raise ValueError('plot_roc_curves: no curves to draw' +
                         (f' (no predictions: {", ".join(missing)})' if missing else ''))
    fig, ax = new_figure(1, 1, size=(5.2, 5.0))
    ax = ax[0][0]
    metrics = {}
    for name, (scores, labels) in curves.items():
        scores, labels = np.asarray(scores, float), np.asarray(labels, int)
        if len(np.unique(labels)) != 2:
            raise ValueError(f'plot_roc_curves: {name!r} needs labels of both classes, got '
                             f'{np.unique(labels)}')
        metrics[name] = binary_metrics(scores, labels, num_bootstrap=num_bootstrap, seed=seed)
        fpr, tpr, _ = roc_curve(labels, scores)
        ax.plot(fpr, tpr, lw=1.5, label=f'{name}: AUC {format_auc_ci(metrics[name])}')
    for name in missing:  # a legend entry without a line
        ax.plot([], [], ls='none', label=f'{name}: no predictions (not run)')
    ax.plot([0, 1], [0, 1], ls='--', lw=0.8, color='grey')
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1.01),
        xlabel='False positive rate (1 - specificity)',
        ylabel='True positive rate (sensitivity)',
        title=title or 'ROC')
    ax.legend(loc='lower right', fontsize=8)
    save_figure(fig, out_file)
    return metrics
