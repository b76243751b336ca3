"""Route each batch to the data preprocessor of the task it belongs to."""
from typing import Dict, Optional

from mmengine.model import BaseDataPreprocessor
from mmpretrain.registry import MODELS


@MODELS.register_module()
class MultiTaskDataPreprocessor(BaseDataPreprocessor):
    """Dispatch on ``data['task']`` to that task's own preprocessor.

    Each task keeps the preprocessor its library expects: mmdet's pads to a multiple of 32 and
    writes ``batch_input_shape`` into the samples, mmseg's pads ``gt_sem_seg`` with the ignore
    index, mmpretrain's stacks and normalizes. mmengine's DDP wrapper calls
    ``module.data_preprocessor(data, training)`` and then ``module(**data, mode=...)``, so the task
    name travels inside the data dict and is put back into the result for ``forward``.

    The task preprocessors stay submodules of their task models (moved with the model, saved
    once); this module only holds references to them, set by :meth:`bind`.
    """

    def __init__(self, non_blocking: Optional[bool] = False) -> None:
        super().__init__(non_blocking=non_blocking)
        self._by_task: Dict[str, BaseDataPreprocessor] = {}

    def bind(self, by_task: Dict[str, BaseDataPreprocessor]) -> None:
        object.__setattr__(self, '_by_task', dict(by_task))

    def forward(self, data: dict, training: bool = False) -> dict:
        if not isinstance(data, dict) or 'task' not in data:
            raise KeyError("MultiTaskDataPreprocessor: the batch has no 'task' key; batches come "
                           'from MultiTaskContinualLoop / MultiTaskValLoop, which add it')
        data = dict(data)
        task = data.pop('task')
        if task not in self._by_task:
            raise KeyError(f'MultiTaskDataPreprocessor: unknown task {task!r}; the model has '
                           f'{sorted(self._by_task)}')
        out = self._by_task[task](data, training)
        out = dict(out) if isinstance(out, dict) else dict(inputs=out)
        out['task'] = task
        return out
