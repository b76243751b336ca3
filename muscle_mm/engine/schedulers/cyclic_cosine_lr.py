"""MUSCLE's cyclic cosine learning rate, paper eq. 1."""
import math
from typing import Dict, Optional, Union

from mmengine.logging import MessageHub
from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler

from muscle_mm.engine.runner.continual_loop import PLAN_KEY
from muscle_mm.engine.runner.continual_plan import ContinualPlan
from muscle_mm.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class CyclicCosineLR(LRSchedulerMixin, _ParamScheduler):
    r"""Cyclic cosine learning rate of `MUSCLE <https://arxiv.org/abs/2310.02000>`_, eq. 1:

    .. math::
        \eta_t = \eta_{\min}^i + \tfrac12(\eta_{\max} - \eta_{\min})(1 + \cos(2\pi t / T))

    implemented as printed: with :math:`2\pi` the rate starts a period at :math:`\eta_{\max}`
    (the optimizer's lr), reaches :math:`\eta_{\min}` at :math:`T/2` and is back at
    :math:`\eta_{\max}` at :math:`T`. :math:`\eta_{\min}^i` is the minimum of task :math:`i`
    (``task_eta_min``, default ``eta_min``); as printed, the amplitude uses the global
    :math:`\eta_{\min}`, so a cycle of task :math:`i` peaks at
    :math:`\eta_{\max} + \eta_{\min}^i - \eta_{\min}`.

    ``period`` says what :math:`t` and :math:`T` count:

    - ``'task'``: one task iterate, i.e. :math:`T` is that task's epoch in iterations and every
      task starts at :math:`\eta_{\max}` (the paper indexes the minimum by task, so we read a
      period as one task iterate; the default);
    - ``'round'``: one round of all tasks;
    - an integer: a fixed number of iterations, from the first.

    ``'task'`` and ``'round'`` (and ``task_eta_min``) read where an iteration falls from the
    :class:`~muscle_mm.engine.runner.ContinualPlan` that :class:`MultiTaskContinualLoop` publishes;
    the rate is a pure function of the iteration, so resuming restores it exactly.

    Args:
        optimizer (Optimizer | OptimWrapper): Wrapped optimizer.
        period (str | int): 'task', 'round' or a number of iterations. Defaults to 'task'.
        eta_min (float): :math:`\eta_{\min}`. Defaults to 0.
        task_eta_min (dict[str, float], optional): :math:`\eta_{\min}^i` per task name.
            Defaults to None (``eta_min`` for every task).
        begin (int): Defaults to 0. end (int): Defaults to INF.
        last_step (int): Defaults to -1. by_epoch (bool): must be False (per iteration).
        verbose (bool): Defaults to False.
    """

    def __init__(self,
                 optimizer,
                 period: Union[str, int] = 'task',
                 eta_min: float = 0.,
                 task_eta_min: Optional[Dict[str, float]] = None,
                 begin: int = 0,
                 end: int = INF,
                 last_step: int = -1,
                 by_epoch: bool = False,
                 verbose: bool = False) -> None:
        if by_epoch:
            raise ValueError('CyclicCosineLR changes the rate every iteration: by_epoch=False')
        if isinstance(period, bool) or not (period in ('task', 'round')
                                            or isinstance(period, int) and period > 0):
            raise ValueError(f"CyclicCosineLR period must be 'task', 'round' or a positive number "
                             f'of iterations, got {period!r}')
        self.period, self.eta_min = period, eta_min
        self.task_eta_min = dict(task_eta_min or {})
        self._plan = self._read_plan()
        if self._plan is None and (period in ('task', 'round') or self.task_eta_min):
            raise ValueError(f'CyclicCosineLR(period={period!r}, task_eta_min=...) needs the task '
                             'plan of MultiTaskContinualLoop (train_cfg type); with another loop '
                             'use an integer period and no task_eta_min')
        if self._plan is not None:
            unknown = sorted(set(self.task_eta_min) - set(self._plan.lengths))
            if unknown:
                raise KeyError(f'CyclicCosineLR task_eta_min names unknown task(s) {unknown}; '
                               f'tasks: {list(self._plan.lengths)}')
        super().__init__(
            optimizer, begin=begin, end=end, last_step=last_step, by_epoch=False, verbose=verbose)

    @staticmethod
    def _read_plan() -> Optional[ContinualPlan]:
        state = MessageHub.get_current_instance().get_info(PLAN_KEY)
        return ContinualPlan.from_state(state) if state else None

    def position(self, it: int) -> tuple:
        """(t, T, eta_min of the task) at global iteration ``it``."""
        task = None
        if self._plan is not None:
            seg = self._plan.locate(min(it, self._plan.total - 1))
            task = seg.task
        if self.period == 'task':
            t, T = it - seg.start, seg.length
        elif self.period == 'round':
            start, T = self._plan.round_span(seg.round)
            t = it - start
        else:
            t, T = it % self.period, self.period
        return t, T, self.task_eta_min.get(task, self.eta_min)

    def state_dict(self) -> dict:
        """Without the plan (rebuilt from the loop on resume; checkpoints hold plain data)."""
        state = super().state_dict()
        state.pop('_plan', None)
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        plan = self._plan
        super().load_state_dict(state_dict)
        self._plan = plan

    def _get_value(self):
        t, T, eta_min_i = self.position(self._global_step)
        cos = 1 + math.cos(2 * math.pi * t / T)
        return [eta_min_i + 0.5 * (base - self.eta_min) * cos for base in self.base_values]
