"""Write the continual stage's task x evaluation metric matrix and its forgetting summary."""
import json
import logging
import math
import os.path as osp
from typing import Dict, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log

from muscle_mm.evaluation.continual_summary import continual_summary
from muscle_mm.registry import HOOKS

# The paper's headline metric of each task (Tab. 2 and 3); override per config.
DEFAULT_PRIMARY = dict(pneumonia='binary/auc', mura='binary/auc', lung='seg/dice',
                       tbx='coco/mAP50')


def _number(value) -> Optional[float]:
    """A metric as JSON can hold it: NaN (e.g. an AUC over one class) becomes null."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


@HOOKS.register_module()
class ContinualMetricsHook(Hook):
    """After each validation of :class:`MultiTaskValLoop`, append a row to
    ``<work_dir>/continual_metrics.json``: every task's metrics at that point of the continual
    stage (after round r, or after round r's task k with ``val_after_each_task``), the task x
    evaluation matrix of each task's primary metric, and its summary (final average, forgetting and
    backward transfer per task, :func:`continual_summary`). Rows are kept across ``--resume``
    (the file is read back).

    Args:
        primary_metrics (dict[str, str], optional): Task -> metric name (without the task prefix).
            Defaults to AUC for pneumonia / mura, the lung Dice, mAP@0.5 for tbx.
        filename (str): Defaults to 'continual_metrics.json'.
    """

    priority = 'LOW'

    def __init__(self, primary_metrics: Optional[Dict[str, str]] = None,
                 filename: str = 'continual_metrics.json') -> None:
        self.primary = dict(DEFAULT_PRIMARY, **(primary_metrics or {}))
        self.filename = filename
        self.rows = []

    def before_train(self, runner) -> None:
        path = osp.join(runner.work_dir, self.filename)
        if runner._resume and osp.isfile(path):  # rows from before the interruption
            with open(path) as f:
                self.rows = [r for r in json.load(f)['evaluations'] if r['iter'] <= runner.iter]

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        loop = runner.train_loop
        segment = getattr(loop, 'segment', None)
        if not metrics or segment is None:
            return
        done = runner.iter == segment.start + segment.length
        label = f'round {segment.round + 1}' + (
            f' after {segment.task}' if loop.val_after_each_task else '')
        self.rows.append(dict(label=label, iter=runner.iter, round=segment.round + 1,
                              task=segment.task if done else None,
                              metrics={k: _number(v) for k, v in metrics.items()}))
        tasks = list(loop.plan.lengths)
        matrix, names = {}, {}
        for task in tasks:
            key = f'{task}/{self.primary.get(task, "")}'
            names[task] = key
            matrix[task] = [r['metrics'].get(key) for r in self.rows]
            if key not in metrics:
                print_log(f'ContinualMetricsHook: no {key!r} in this validation (recorded as '
                          f'null); {task} gave {sorted(k for k in metrics if k.startswith(task))}',
                          logger='current', level=logging.WARNING)
        first = self._first_trained(loop, tasks)
        out = dict(tasks=tasks, primary_metrics=names, labels=[r['label'] for r in self.rows],
                   matrix=matrix, summary=continual_summary(matrix, first),
                   evaluations=self.rows)
        if is_main_process():
            with open(osp.join(runner.work_dir, self.filename), 'w') as f:
                json.dump(out, f, indent=1)
        s = out['summary']
        if s['final_average'] is not None:
            print_log(f"continual: {label}: final average {s['final_average']:.4f}, average "
                      f"forgetting {s['average_forgetting']:.4f}, average BWT "
                      f"{s['average_bwt']:.4f}", logger='current')

    def _first_trained(self, loop, tasks) -> Dict[str, int]:
        """Index of the first row at which each task had been trained once."""
        done = {}  # task -> iteration at which its first task iterate ends
        for seg in loop.plan.segments:
            done.setdefault(seg.task, seg.start + seg.length)
        return {t: next((i for i, row in enumerate(self.rows) if row['iter'] >= done[t]),
                        len(self.rows)) for t in tasks}
