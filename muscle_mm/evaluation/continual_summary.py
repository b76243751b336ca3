r"""The continual-learning summary of a task x evaluation matrix (final average, forgetting, BWT).

MUSCLE reports no forgetting; the continual-learning literature does. ``matrix[task]`` holds the
task's metric at successive evaluations (after each round, or after each task iterate). In MUSCLE
every task is trained again in every round, so "the value after the task was learned" must be the
value after its *last* training, not its first (final minus round 1 is the task's own retraining
gain: [0.6, 0.7, 0.8, 0.9] is no backward transfer of +0.3). With :math:`R_j` the value at
evaluation :math:`j`, :math:`K` the last evaluation and :math:`s = +1` where greater is better,
:math:`-1` where lower is (so that a positive value is always good / a loss):

- ``final``: :math:`R_K`; ``final_average``: its mean over the tasks.
- ``bwt``, backward transfer (`Lopez-Paz & Ranzato 2017 <https://arxiv.org/abs/1706.08840>`_,
  :math:`R_{T,i} - R_{i,i}`): :math:`s(R_K - R_{r})`, :math:`r` the evaluation right after the
  task's last iterate (``reference``); < 0: later tasks made it forget, > 0: they helped it. The
  task trained last before :math:`K` has :math:`r = K` and BWT 0 by construction; as Lopez-Paz &
  Ranzato (who average over the :math:`T-1` earlier tasks) it is left out. Where no evaluation
  directly follows the task's last iterate (validation once per round and the task not last in
  its round: the round's later tasks trained in between) BWT is undefined, not guessed: ``None``,
  with a note (``val_after_each_task=True`` defines it for every task).
- ``forgetting`` (`Chaudhry et al. 2018 <https://arxiv.org/abs/1801.10112>`_,
  :math:`\max_{l<K} a_l - a_K`): :math:`s(\text{best}_{l<K} R_l - R_K)` over the evaluations
  :math:`l` since the task was first trained (``first_trained``); 0: at its best at the end, < 0:
  better at the end than ever before (kept: nothing is clipped).

A value that cannot be computed is ``None`` and ``notes`` says why; averages are over the tasks
that have the value, and ``notes`` names those left out.
"""
from typing import Dict, Optional, Sequence


def continual_summary(matrix: Dict[str, Sequence[Optional[float]]],
                      reference: Optional[Dict[str, Optional[int]]] = None,
                      first_trained: Optional[Dict[str, int]] = None,
                      greater_is_better: Optional[Dict[str, bool]] = None) -> dict:
    """Summary of ``matrix`` (task -> metric per evaluation; None where not evaluated).

    Args:
        matrix (dict[str, list]): Task -> its metric at each evaluation (the same number each).
        reference (dict[str, int | None], optional): Task -> index of the evaluation right after
            the task's last iterate before the last evaluation; None (or missing) where no
            evaluation directly follows it. Defaults to None: BWT undefined for every task.
        first_trained (dict[str, int], optional): Task -> index of the first evaluation after the
            task was first trained. Defaults to 0 for every task.
        greater_is_better (dict[str, bool], optional): Task -> whether a greater metric is better.
            Defaults to True for every task.
    """
    reference, first_trained = reference or {}, first_trained or {}
    greater = {t: bool((greater_is_better or {}).get(t, True)) for t in matrix}
    per_task, notes = {}, []
    for task, values in matrix.items():
        values, sign = list(values), 1.0 if greater[task] else -1.0
        best_of = max if greater[task] else min
        last = len(values) - 1
        final = values[-1] if values else None
        since = [v for v in values[first_trained.get(task, 0):] if v is not None]
        earlier = [v for v in values[first_trained.get(task, 0):last] if v is not None]
        ref = reference.get(task)
        row = dict(
            final=final,
            best=best_of(since) if since else None,
            forgetting=None,
            bwt=None,
            reference=ref)
        per_task[task] = row
        if final is None:
            notes.append(f'{task}: no value at the last evaluation: no final, forgetting or BWT')
            continue
        if earlier:
            row['forgetting'] = sign * (best_of(earlier) - final)
        else:
            notes.append(f'{task}: no earlier evaluation since it was first trained: forgetting '
                         'undefined')
        if ref is None:
            notes.append(f'{task}: no evaluation right after its last iterate (validated once '
                         'per round, later tasks of the round trained in between): BWT undefined '
                         '(val_after_each_task=True defines it)')
        elif ref == last:
            notes.append(f'{task}: trained last, BWT 0 by construction: left out')
        elif values[ref] is None:
            notes.append(f'{task}: no value at evaluation {ref}, right after its last iterate: '
                         'BWT undefined')
        else:
            row['bwt'] = sign * (final - values[ref])

    def average(key: str) -> Optional[float]:
        have = [t[key] for t in per_task.values() if t[key] is not None]
        left = [name for name, t in per_task.items() if t[key] is None]
        if have and left:
            notes.append(f'{key} averaged over {len(have)} of {len(per_task)} tasks (without '
                         f'{", ".join(left)})')
        return sum(have) / len(have) if have else None

    if len(set(greater.values())) > 1:
        notes.append('final_average mixes greater- and lower-is-better metrics (forgetting and '
                     'BWT are signed per task, so their averages do not)')
    out = dict(
        per_task=per_task,
        greater_is_better=greater,
        final_average=average('final'),
        average_forgetting=average('forgetting'),
        average_bwt=average('bwt'))
    out['notes'] = notes
    return out
