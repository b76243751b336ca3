"""ROC curves of several initializations on one plot, AUC (95% CI) in the legend (MUSCLE Fig. 2)."""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from sklearn.metrics import auc, roc_curve

from .figure import new_figure, save_figure

Curve = Tuple[Sequence[float], Sequence[int]]


def plot_roc_curves(curves: Dict[str, Curve],
                    out_file: str,
                    legend: Optional[Dict[str, str]] = None,
                    title: Optional[str] = None,
                    missing: Sequence[str] = ()) -> None:
    """Draw one ROC curve per entry of ``curves`` (name -> (positive-class scores, 0/1 labels))
    and write a PNG.

    As the paper's Fig. 2: false positive rate on x, true positive rate on y, the chance diagonal,
    and "name: <legend[name]>" in the legend, e.g. the caller's "AUC 99.61 (99.32-99.83)" from
    :func:`muscle_mm.evaluation.binary_metrics` (the figure computes no metric of its own; without
    ``legend`` it shows the curve's own AUC). ``missing``: initializations without predictions,
    listed in the legend as "name: no predictions (not run)" so that a reader sees they are
    absent, not hidden.
    """
    if not curves:
        raise ValueError('plot_roc_curves: no curves to draw' +
                         (f' (no predictions: {", ".join(missing)})' if missing else ''))
    fig, ax = new_figure(1, 1, size=(5.2, 5.0))
    ax = ax[0][0]
    legend = legend or {}
    for name, (scores, labels) in curves.items():
        scores, labels = np.asarray(scores, float), np.asarray(labels, int)
        if len(np.unique(labels)) != 2:
            raise ValueError(f'plot_roc_curves: {name!r} needs labels of both classes, got '
                             f'{np.unique(labels)}')
        fpr, tpr, _ = roc_curve(labels, scores)
        text = legend.get(name, f'AUC {100 * auc(fpr, tpr):.2f}')
        ax.plot(fpr, tpr, lw=1.5, label=f'{name}: {text}')
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
