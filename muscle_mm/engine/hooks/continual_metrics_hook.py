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
DEFAULT_PRIMARY = dict(pneumonia='binary/auc', mura='binary/auc', lung='seg/dice', tbx='coco/mAP50')
# A primary metric whose name holds one of these is taken as lower-is-better (unless told).
LOWER_IS_BETTER = ('loss', 'error', 'distance', 'hausdorff', 'hd95')


def _number(value) -> Optional[float]:
    """A metric as JSON can hold it: NaN (e.g. an AUC over one class) becomes null."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _fmt(value: Optional[float]) -> str:
    return 'n/a' if value is None else f'{value:.4f}'


@HOOKS.register_module()
class ContinualMetricsHook(Hook):
    """After each validation of :class:`MultiTaskValLoop`, append a row to
    ``<work_dir>/continual_metrics.json``: every task's metrics at that point of the continual
    stage (after round r, or after round r's task k with ``val_after_each_task``), the task x
    evaluation matrix of each task's primary metric, and its summary (final average, forgetting and
    backward transfer per task, :func:`continual_summary`, which states the definitions). Rows are
    kept across ``--resume`` (the file is read back).

    The schedule fixes the references: a task's BWT is taken against the evaluation right after
    its latest iterate (a row at the iteration that iterate ended; with one validation per round
    only the round's last task has one, so the others' BWT is ``null``, with a note), its
    forgetting over the rows since its first iterate ended.

    Args:
        primary_metrics (dict[str, str], optional): Task -> metric name (without the task prefix).
            Defaults to AUC for pneumonia / mura, the lung Dice, mAP@0.5 for tbx.
        greater_is_better (dict[str, bool], optional): Task -> whether its primary metric is
            better when greater. Defaults to True, except for metrics whose name holds one of
            ``LOWER_IS_BETTER`` ('loss', 'error', ...); the JSON records what was used.
        filename (str): Defaults to 'continual_metrics.json'.
    """

    priority = 'LOW'

    def __init__(self,
                 primary_metrics: Optional[Dict[str, str]] = None,
                 greater_is_better: Optional[Dict[str, bool]] = None,
                 filename: str = 'continual_metrics.json') -> None:
        self.primary = dict(DEFAULT_PRIMARY, **(primary_metrics or {}))
        self.greater_is_better = dict(greater_is_better or {})
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
        label = f'round {segment.round + 1}' + (f' after {segment.task}'
                                                if loop.val_after_each_task else '')
        self.rows.append(
            dict(
                label=label,
                iter=runner.iter,
                round=segment.round + 1,
                task=segment.task if done else None,
                metrics={
                    k: _number(v)
                    for k, v in metrics.items()
                }))
        tasks = list(loop.plan.lengths)
        matrix, names = {}, {}
        for task in tasks:
            key = f'{task}/{self.primary.get(task, "")}'
            names[task] = key
            matrix[task] = [r['metrics'].get(key) for r in self.rows]
            if key not in metrics:
                print_log(
                    f'ContinualMetricsHook: no {key!r} in this validation (recorded as '
                    f'null); {task} gave {sorted(k for k in metrics if k.startswith(task))}',
                    logger='current',
                    level=logging.WARNING)
        first, reference = self._references(loop, tasks)
        greater = {
            t:
            self.greater_is_better.get(
                t, not any(w in self.primary.get(t, '').lower() for w in LOWER_IS_BETTER))
            for t in tasks
        }
        out = dict(
            tasks=tasks,
            primary_metrics=names,
            greater_is_better=greater,
            labels=[r['label'] for r in self.rows],
            matrix=matrix,
            summary=continual_summary(matrix, reference, first, greater),
            evaluations=self.rows)
        if is_main_process():
            with open(osp.join(runner.work_dir, self.filename), 'w') as f:
                json.dump(out, f, indent=1)
        s = out['summary']
        if s['final_average'] is not None:
            notes = s['notes'] if runner.iter == loop.plan.total else []  # once, at the end
            print_log(
                f"continual: {label}: final average {_fmt(s['final_average'])}, average "
                f"forgetting {_fmt(s['average_forgetting'])}, average BWT "
                f"{_fmt(s['average_bwt'])}" + ''.join(f'\n  {n}' for n in notes),
                logger='current')

    def _references(self, loop, tasks):
        """Per task: the first row after its first iterate ended, and the row right after the
        latest iterate it had finished by the last row (None where no row is at that iteration)."""
        ends = {t: [s.start + s.length for s in loop.plan.segments if s.task == t] for t in tasks}
        now = self.rows[-1]['iter']
        first = {
            t: next((i for i, row in enumerate(self.rows) if row['iter'] >= ends[t][0]),
                    len(self.rows))
            for t in tasks
        }
        reference = {}
        for t in tasks:
            done = [e for e in ends[t] if e <= now]
            reference[t] = next(
                (i for i, row in enumerate(self.rows) if done and row['iter'] == done[-1]), None)
        return first, reference
