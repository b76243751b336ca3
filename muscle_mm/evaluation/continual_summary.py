"""The continual-learning summary of a task x evaluation matrix (final average, forgetting, BWT).

MUSCLE reports no forgetting; the continual-learning literature does. With ``matrix[task]`` the
task's metric (higher is better) at successive evaluations (after each round, or after each task
iterate), as Avalanche and Mammoth compute them:

- ``final``: the task's metric at the last evaluation; ``final_average``: their mean;
- ``forgetting`` (Chaudhry et al. 2018): best earlier value minus final (>= 0; 0 = nothing lost);
- ``bwt`` (backward transfer, Lopez-Paz & Ranzato 2017): final minus the value at the task's
  first evaluation after it was trained (< 0 = forgetting, > 0 = later tasks helped it).
"""
from typing import Dict, List, Optional, Sequence


def continual_summary(matrix: Dict[str, Sequence[Optional[float]]],
                      first_trained: Optional[Dict[str, int]] = None) -> dict:
    """Summary of ``matrix`` (task -> metric per evaluation; None where not evaluated).

    ``first_trained[task]`` is the index of the first evaluation after the task was first
    trained (default 0: evaluations happen after whole rounds, so every task was trained before
    the first one).
    """
    per_task = {}
    for task, values in matrix.items():
        seen: List[float] = [v for v in values if v is not None]
        if not seen:
            continue
        start = (first_trained or {}).get(task, 0)
        after = [v for v in list(values)[start:] if v is not None]
        final = seen[-1]
        earlier = after[:-1]
        per_task[task] = dict(
            final=final,
            best=max(after) if after else final,
            forgetting=max(0.0, max(earlier) - final) if earlier else 0.0,
            bwt=final - after[0] if after else 0.0)
    n = len(per_task)
    return dict(
        per_task=per_task,
        final_average=sum(t['final'] for t in per_task.values()) / n if n else None,
        average_forgetting=sum(t['forgetting'] for t in per_task.values()) / n if n else None,
        average_bwt=sum(t['bwt'] for t in per_task.values()) / n if n else None)
