"""The schedule of MUSCLE's continual stage, computed up front: which task runs at which iteration.

Rounds x tasks, each task one epoch of its own loader, in an order drawn per round from the run's
base seed (paper §2.2, "reshuffle the order of tasks in every round"). Because the whole plan is a
function of (seed, task loader lengths, rounds), every process computes the same plan, a resumed run
finds its place from the iteration count alone (after checking that it rebuilt the saved plan,
:meth:`ContinualPlan.differences`), and an LR scheduler can ask where any iteration falls (see
:class:`~muscle_mm.engine.schedulers.CyclicCosineLR`).
"""
import bisect
from typing import Dict, List, NamedTuple, Sequence, Union

import numpy as np


class Segment(NamedTuple):
    """One task iterate: ``length`` iterations of ``task`` from global iteration ``start``."""
    round: int  # 0-based
    position: int  # 0-based place of the task in its round's order
    task: str
    start: int
    length: int


class ContinualPlan:
    """Args:
        lengths (dict[str, int]): Task -> iterations of one epoch of its loader (ordered).
        rounds (int): Number of rounds (paper: 10).
        task_order (str | list[str]): 'shuffle' (a new order each round, drawn from ``seed``),
            'fixed' (the order of ``lengths`` every round), or an explicit list of task names
            used every round.
        seed (int): The run's base seed, the same on every process (``randomness.seed``; not
            mmengine's ``runner.seed``, which is seed + rank with ``diff_rank_seed=True``).
    """

    def __init__(self,
                 lengths: Dict[str, int],
                 rounds: int,
                 task_order: Union[str, Sequence[str]] = 'shuffle',
                 seed: int = 0) -> None:
        if not isinstance(rounds, int) or rounds < 1:
            raise ValueError(f'rounds must be a positive integer, got {rounds!r}')
        empty = [t for t, n in lengths.items() if n < 1]
        if empty:
            raise ValueError(f'task(s) {empty} have no training iterations (empty dataset?)')
        names = list(lengths)
        if isinstance(task_order, str) and task_order not in ('shuffle', 'fixed'):
            raise ValueError(f"task_order must be 'shuffle', 'fixed' or a list of the tasks "
                             f'{names}, got {task_order!r}')
        if not isinstance(task_order, str) and sorted(task_order) != sorted(names):
            raise ValueError(f'task_order {list(task_order)} must name each task {names} once')
        self.lengths, self.rounds, self.seed = dict(lengths), rounds, int(seed)
        self.task_order = task_order if isinstance(task_order, str) else list(task_order)
        self.orders: List[List[str]] = [self._order(r, names) for r in range(rounds)]
        self.segments: List[Segment] = []
        start = 0
        for r, order in enumerate(self.orders):
            for p, task in enumerate(order):
                self.segments.append(Segment(r, p, task, start, self.lengths[task]))
                start += self.lengths[task]
        self.total = start
        self._starts = [s.start for s in self.segments]

    def _order(self, r: int, names: List[str]) -> List[str]:
        if self.task_order == 'fixed':
            return list(names)
        if self.task_order != 'shuffle':
            return list(self.task_order)
        # numpy's legacy RandomState: its stream is frozen by numpy's compatibility policy.
        perm = np.random.RandomState([self.seed % 2**32, r]).permutation(len(names))
        return [names[i] for i in perm]

    def locate(self, it: int) -> Segment:
        """The task iterate that global iteration ``it`` (0-based) belongs to."""
        if not 0 <= it < self.total:
            raise IndexError(f'iteration {it} outside the plan (0..{self.total - 1})')
        return self.segments[bisect.bisect_right(self._starts, it) - 1]

    def round_span(self, r: int) -> tuple:
        """(first iteration, number of iterations) of round ``r``."""
        segs = [s for s in self.segments if s.round == r]
        return segs[0].start, sum(s.length for s in segs)

    def state(self) -> dict:
        """Plain data (for the message hub and checkpoints)."""
        return dict(
            lengths=self.lengths, rounds=self.rounds, seed=self.seed, task_order=self.task_order)

    def differences(self, saved: 'ContinualPlan') -> List[str]:
        """What differs from ``saved`` (e.g. the plan in a checkpoint), as 'saved -> this'."""
        out = []
        if saved.seed != self.seed:
            out.append(f'seed {saved.seed} -> {self.seed}')
        if saved.rounds != self.rounds:
            out.append(f'rounds {saved.rounds} -> {self.rounds}')
        if saved.task_order != self.task_order:
            out.append(f'task_order {saved.task_order!r} -> {self.task_order!r}')
        if list(saved.lengths) != list(self.lengths):
            out.append(f'tasks {list(saved.lengths)} -> {list(self.lengths)}')
        for task in (t for t in saved.lengths if t in self.lengths):
            if saved.lengths[task] != self.lengths[task]:
                out.append(f'{task} iterate length {saved.lengths[task]} -> '
                           f'{self.lengths[task]}: batch size, dataset or world size changed')
        for r, (a, b) in enumerate(zip(saved.orders, self.orders)):
            if a != b:
                out.append(f"task order of round {r + 1} differs: {' > '.join(a)} -> "
                           f"{' > '.join(b)}")
        return out

    @classmethod
    def from_state(cls, state: dict) -> 'ContinualPlan':
        return cls(state['lengths'], state['rounds'], state['task_order'], state['seed'])
