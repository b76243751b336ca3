"""Training logs of the continual stage: say which round and task, show only that task's losses."""
from mmengine.runner import LogProcessor

from muscle_mm.registry import LOG_PROCESSORS
from .continual_loop import PLAN_KEY


@LOG_PROCESSORS.register_module()
class MultiTaskLogProcessor(LogProcessor):
    """mmengine's :class:`LogProcessor` for :class:`MultiTaskContinualLoop`.

    The message hub keeps every loss key it has seen, so a plain log line during the detection
    iterate would still print the last pneumonia loss as if it were current. Here a training line
    starts with ``[tbx 2/4]`` (task, its place in the round) and holds only the current task's
    ``<task>.*`` losses, plus the task-independent ones (``loss``, ``loss_l2sp``, ``lr``, times).
    Arguments are :class:`LogProcessor`'s.
    """

    def _collect_scalars(self, custom_cfg, runner, mode, reserve_prefix=False):
        tag = super()._collect_scalars(custom_cfg, runner, mode, reserve_prefix)
        plan = runner.message_hub.get_info(PLAN_KEY)
        current = runner.message_hub.get_info('continual_task')
        if mode != 'train' or not plan or current is None:
            return tag
        others = tuple(f'{t}.' for t in plan['lengths'] if t != current)
        strip = len(f'{mode}/') if reserve_prefix else 0
        return type(tag)((k, v) for k, v in tag.items() if not k[strip:].startswith(others))

    def get_log_after_iter(self, runner, batch_idx: int, mode: str):
        tag, log_str = super().get_log_after_iter(runner, batch_idx, mode)
        loop = runner.train_loop
        segment = getattr(loop, 'segment', None)
        if mode == 'train' and segment is not None:
            n = len(loop.plan.orders[segment.round])
            log_str = f'[{segment.task} {segment.position + 1}/{n}] ' + log_str
        return tag, log_str
