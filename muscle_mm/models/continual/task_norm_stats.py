"""BatchNorm running statistics of the shared backbone, one set per task."""
from contextlib import contextmanager
from typing import Dict, Iterator, List, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmpretrain.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

STAT_NAMES = ('running_mean', 'running_var', 'num_batches_tracked')


def norm_layers(backbone: nn.Module) -> List[Tuple[str, _BatchNorm]]:
    """The backbone's BN layers that keep running statistics, in module order."""
    return [(n, m) for n, m in backbone.named_modules()
            if isinstance(m, _BatchNorm) and m.track_running_stats]


@MODELS.register_module()
class TaskNormStats(nn.Module):
    """Per-task BatchNorm statistics of a backbone shared by several tasks, swapped with the task.

    In `MUSCLE <https://arxiv.org/abs/2310.02000>`_'s continual stage one ResNet serves four tasks
    whose images differ (chest, limb). Its BN *running* statistics are not parameters: L2-SP (eq. 2)
    does not hold them, and every train-mode forward of one task moves the statistics another task
    is then evaluated with (the forgetting benchmark measures most of the forgetting there). This
    module keeps one copy of every BN layer's ``running_mean``, ``running_var`` and
    ``num_batches_tracked`` per task, as buffers (so checkpoints and ``--resume`` carry them, DDP
    broadcasts them, and neither L2-SP nor the optimizer sees them). :meth:`use` puts a task's copy
    into the backbone around that task's call and, when the call trained them, keeps the result.
    BN affine weights stay shared (they are parameters, under L2-SP).

    Rule for the backbone's own buffers (``backbone.*`` of a checkpoint, what
    tools/model_converters/extract_backbone.py exports): they hold the statistics of the task
    trained last, left there by its train-mode calls and restored after any other task's
    evaluation. Those are the only statistics estimated on the final weights (the other tasks'
    are up to three task iterates older), and they are what the paper-literal shared statistics
    export after that task iterate too. A fine-tuning config with ``norm_eval=False`` re-estimates
    them in its first iterations anyway; one with ``norm_eval=True`` (mmdet's Faster R-CNN
    default) keeps them, as it would keep the shared ones.

    Every task starts from the backbone's statistics when :meth:`reset` is called (from
    ``MultiTaskModel.init_weights``, after the MD-MoCo checkpoint is loaded). A task whose own
    config has ``norm_eval=True`` never trains its copy, so it keeps the pre-trained statistics,
    as its stock model would. A checkpoint without these buffers (one of the shared mode) loads
    with every task given the checkpoint's backbone statistics, with a warning.

    Args:
        backbone (nn.Module): The shared backbone (held, not registered: its tensors stay under
            ``backbone.``).
        tasks (Sequence[str]): Task names.
    """

    def __init__(self, backbone: nn.Module, tasks: Sequence[str]) -> None:
        super().__init__()
        if not tasks:
            raise ValueError('TaskNormStats needs at least one task')
        self._backbone = [backbone]  # a list: not a submodule
        self.layer_names = [n for n, _ in norm_layers(backbone)]
        if not self.layer_names:
            raise ValueError('TaskNormStats: the backbone has no BN layer with running statistics')
        self.tasks = list(tasks)
        for task in self.tasks:
            for key, tensor in self._backbone_stats().items():
                self.register_buffer(self._key(task, key), tensor.detach().clone())

    @staticmethod
    def _key(task: str, stat: str) -> str:
        return f'{task}.{stat}'.replace('.', '__')

    def _backbone_stats(self) -> Dict[str, torch.Tensor]:
        return {
            f'{n}.{s}': getattr(m, s)
            for n, m in norm_layers(self._backbone[0])
            for s in STAT_NAMES
        }

    def task_stats(self, task: str) -> Dict[str, torch.Tensor]:
        """Task ``task``'s statistics, by backbone buffer name (``layer1.0.bn1.running_mean``)."""
        if task not in self.tasks:
            raise KeyError(f'TaskNormStats: no statistics for task {task!r} (tasks: {self.tasks})')
        return {k: getattr(self, self._key(task, k)) for k in self._backbone_stats()}

    @torch.no_grad()
    def reset(self) -> None:
        """Give every task the backbone's current statistics (e.g. the pre-trained ones)."""
        for task in self.tasks:
            self._copy(self._backbone_stats(), self.task_stats(task))

    @staticmethod
    def _copy(src: Dict[str, torch.Tensor], dst: Dict[str, torch.Tensor]) -> None:
        for k, t in dst.items():
            t.copy_(src[k])

    @contextmanager
    def use(self, task: str, trains: bool) -> Iterator[None]:
        """Run the backbone with ``task``'s statistics; keep them if ``trains``, else restore."""
        backbone, mine = self._backbone_stats(), self.task_stats(task)
        with torch.no_grad():
            saved = None if trains else {k: t.clone() for k, t in backbone.items()}
            self._copy(mine, backbone)
        try:
            yield
        finally:
            with torch.no_grad():
                if trains:  # the backbone keeps them: the task trained last (class docstring)
                    self._copy(backbone, mine)
                else:
                    self._copy(saved, backbone)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        mine = [prefix + k for k in self._buffers]
        if not any(k in state_dict for k in mine):
            print_log(
                'TaskNormStats: the checkpoint has no per-task BN statistics (a shared-'
                "statistics run?): every task gets the checkpoint's backbone statistics",
                logger='current',
                level=30)
            self.reset()  # the backbone, registered before this module, is already loaded
            return
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
