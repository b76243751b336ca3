"""Validate / test every task of a multi-task model with its own loader and metrics."""
from typing import Dict, List, Union

import torch
from mmengine.evaluator import Evaluator
from mmengine.runner.amp import autocast
from mmengine.runner.base_loop import BaseLoop
from torch.utils.data import DataLoader

from muscle_mm.registry import LOOPS
from .continual_loop import build_task_loaders, unwrap


@LOOPS.register_module()
class MultiTaskValLoop(BaseLoop):
    """Run each task's val split through the model and its own evaluator.

    Metric names are prefixed by the task (``pneumonia/binary/auc``, ``lung/mIoU``,
    ``tbx/coco/bbox_mAP_50``), so the metrics of four tasks live in one dict that
    ``after_val_epoch`` hooks (logger, ``CheckpointHook(save_best=...)``,
    :class:`ContinualMetricsHook`) read as usual.

    Args:
        runner (Runner): The runner.
        dataloader (dict[str, dict | DataLoader]): Task name -> loader (``val_dataloader``).
        evaluator (dict[str, dict | list]): Task name -> metric config(s) (``val_evaluator``).
        fp16 (bool): Run the forward under autocast. Defaults to False.
    """
    stage = 'val'

    def __init__(self,
                 runner,
                 dataloader: Dict[str, Union[dict, DataLoader]],
                 evaluator: Dict[str, Union[dict, List[dict], Evaluator]],
                 fp16: bool = False) -> None:
        self._runner = runner
        tasks = getattr(unwrap(runner.model), 'task_names', None)
        if not tasks:
            raise TypeError(f'{type(self).__name__} needs a multi-task model (MultiTaskModel)')
        what = f'{self.stage}_dataloader'
        self.dataloaders = build_task_loaders(runner, dataloader, tasks, what)
        if not isinstance(evaluator, dict) or set(evaluator) != set(tasks):
            got = sorted(evaluator) if isinstance(evaluator, dict) else type(evaluator).__name__
            raise KeyError(f'{self.stage}_evaluator must give the metrics of each task '
                           f'{list(tasks)} (dict task -> metric configs), got {got}')
        self.evaluators = {}
        for task in tasks:
            ev = evaluator[task]
            ev = ev if isinstance(ev, Evaluator) else runner.build_evaluator(ev)
            ev.dataset_meta = self.dataloaders[task].dataset.metainfo
            self.evaluators[task] = ev
        self.fp16 = fp16
        self.task = tasks[0]

    @property
    def dataloader(self) -> DataLoader:
        return self.dataloaders[self.task]

    @property
    def evaluator(self):
        raise AttributeError(f'{type(self).__name__} has one evaluator per task: use '
                             f'.evaluators[task] (tasks: {list(self.evaluators)})')

    def run(self) -> dict:
        stage = self.stage
        self.runner.call_hook(f'before_{stage}')
        self.runner.call_hook(f'before_{stage}_epoch')
        self.runner.model.eval()
        metrics = {}
        for task, loader in self.dataloaders.items():
            self.task = task
            self.runner.visualizer.dataset_meta = loader.dataset.metainfo
            for idx, data_batch in enumerate(loader):
                self.run_iter(idx, dict(data_batch, task=task))
            result = self.evaluators[task].evaluate(len(loader.dataset))
            metrics.update({f'{task}/{k}': v for k, v in result.items()})
        self.runner.call_hook(f'after_{stage}_epoch', metrics=metrics)
        self.runner.call_hook(f'after_{stage}')
        return metrics

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: dict) -> None:
        stage = self.stage
        self.runner.call_hook(f'before_{stage}_iter', batch_idx=idx, data_batch=data_batch)
        with autocast(enabled=self.fp16):
            step = self.runner.model.val_step if stage == 'val' else self.runner.model.test_step
            outputs = step(data_batch)
        self.evaluators[self.task].process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook(
            f'after_{stage}_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)


@LOOPS.register_module()
class MultiTaskTestLoop(MultiTaskValLoop):
    """:class:`MultiTaskValLoop` on the test splits (``tools/test.py CONFIG CHECKPOINT``)."""
    stage = 'test'
