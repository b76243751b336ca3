"""How one task sees the shared backbone: its own geometry, output levels and BN mode.

MUSCLE's four heads come from three libraries that expect different things of the same ResNet:
mmpretrain's classifier takes the last stage at output stride 32, mmdet's Faster R-CNN all four
stages with BN statistics frozen (``norm_eval``), mmseg's DeepLabV3 all four at output stride 8
(dilated stages 3-4). None of these changes a parameter shape, so one set of weights serves all:
a :class:`TaskBackboneView` records what the task's own stock backbone config asks for and applies
it around each call of the shared backbone, with the task's own BN statistics where the model
keeps them per task (:class:`TaskNormStats`).
"""
from contextlib import nullcontext
from typing import Dict, Optional, Sequence, Tuple

import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from .task_norm_stats import TaskNormStats

Geometry = Dict[str, Tuple[tuple, tuple, tuple]]  # conv name -> (stride, padding, dilation)


def conv_geometry(backbone: nn.Module) -> Geometry:
    return {
        name: (m.stride, m.padding, m.dilation)
        for name, m in backbone.named_modules() if isinstance(m, nn.Conv2d)
    }


def check_same_weights_layout(shared: nn.Module, own: nn.Module, task: str) -> None:
    """The task's stock backbone must hold exactly the shared backbone's tensors (names, shapes)."""
    mine = {k: tuple(v.shape) for k, v in own.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in shared.state_dict().items()}
    if mine != theirs:
        missing = sorted(set(theirs) - set(mine))[:5]
        extra = sorted(set(mine) - set(theirs))[:5]
        shapes = [k for k in set(mine) & set(theirs) if mine[k] != theirs[k]][:5]
        raise ValueError(
            f'task {task!r}: its backbone config does not describe the shared backbone '
            f'(e.g. another depth or stem). Missing {missing}, unexpected {extra}, other shapes '
            f'{shapes}. Give every task the same ResNet depth as model.backbone.')


class TaskBackboneView:
    """Callable stand-in for a task model's ``backbone`` (deliberately not an ``nn.Module``, so
    the shared weights are registered once, under ``backbone.``, and not again in every task).

    Args:
        shared (nn.Module): The shared backbone; must return all stages (``out_indices=(0,1,2,3)``).
        own (nn.Module): The backbone the task's stock config built (then discarded): read for its
            conv geometry, ``out_indices`` and ``norm_eval``.
        task (str): Task name, for error messages and the statistics it uses.
        norm_stats (TaskNormStats, optional): Per-task BN statistics: the call runs on this task's
            (and, in train mode without ``norm_eval``, updates them). Defaults to None: the shared
            backbone's own statistics, which every task's train-mode calls update (paper-literal).
    """

    def __init__(self,
                 shared: nn.Module,
                 own: nn.Module,
                 task: str,
                 norm_stats: Optional[TaskNormStats] = None) -> None:
        check_same_weights_layout(shared, own, task)
        self.shared = shared
        self.task = task
        base, mine = conv_geometry(shared), conv_geometry(own)
        self.geometry = {k: v for k, v in mine.items() if v != base[k]}
        self.default_geometry = {k: base[k] for k in self.geometry}
        shared_out = tuple(getattr(shared, 'out_indices', ()))
        self.out_positions = [shared_out.index(i) for i in self._indices(own, shared_out, task)]
        self.norm_eval = bool(getattr(own, 'norm_eval', False))
        if norm_stats is not None:
            norm_stats.task_stats(task)  # a task it holds statistics for
        self.norm_stats = norm_stats

    @staticmethod
    def _indices(own: nn.Module, shared_out: Sequence[int], task: str) -> Sequence[int]:
        wanted = tuple(getattr(own, 'out_indices', shared_out))
        if not set(wanted) <= set(shared_out):
            raise ValueError(f'task {task!r} wants backbone stages {wanted}; the shared backbone '
                             f'returns only {tuple(shared_out)} (set out_indices=(0, 1, 2, 3))')
        return wanted

    def _set_geometry(self, table: Geometry) -> None:
        modules = dict(self.shared.named_modules())
        for name, (stride, padding, dilation) in table.items():
            conv = modules[name]
            conv.stride, conv.padding, conv.dilation = stride, padding, dilation

    def __call__(self, inputs):
        frozen_bn = []
        if self.norm_eval and self.shared.training:
            frozen_bn = [m for m in self.shared.modules() if isinstance(m, _BatchNorm)]
            for m in frozen_bn:
                m.eval()
        self._set_geometry(self.geometry)
        trains = self.shared.training and not self.norm_eval
        stats = (
            nullcontext() if self.norm_stats is None else self.norm_stats.use(
                self.task, trains=trains))
        try:
            with stats:
                outs = self.shared(inputs)
        finally:
            self._set_geometry(self.default_geometry)
            for m in frozen_bn:
                m.train()
        return tuple(outs[i] for i in self.out_positions)
