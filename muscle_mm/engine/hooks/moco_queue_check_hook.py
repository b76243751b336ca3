"""Reject, before the first iteration, a MoCo run whose global batch cannot fill the queue."""
from typing import List

from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


def _nearest(values: List[int], target: int) -> List[int]:
    below = [v for v in values if v < target]
    above = [v for v in values if v > target]
    return ([max(below)] if below else []) + ([min(above)] if above else [])


def check_queue_divisible(queue_len: int, batch_size: int, world_size: int = 1) -> None:
    """Raise ValueError unless ``queue_len % (batch_size * world_size) == 0``.

    MoCo replaces ``global_batch`` queue columns per step and wraps the pointer with
    ``% queue_len``; mmpretrain's ``MoCo._dequeue_and_enqueue`` only has a bare ``assert``.
    This names the numbers and the nearest settings that work.
    """
    global_batch = batch_size * world_size
    if global_batch > 0 and queue_len % global_batch == 0:
        return
    per_proc = [b for b in range(1, queue_len // world_size + 1)
                if queue_len % (b * world_size) == 0]
    batches = ' or '.join(f'{b} (global {b * world_size})'
                          for b in _nearest(per_proc, batch_size)) or \
        f'<none for {world_size} processes>'
    queues = ' or '.join(str(q) for q in _nearest(
        [global_batch * i for i in range(1, queue_len // max(global_batch, 1) + 2)], queue_len))
    raise ValueError(
        f'MoCo queue_len={queue_len} is not a multiple of the global batch {global_batch} '
        f'(batch size {batch_size} per process x {world_size} process(es)); the queue takes '
        f'one whole global batch of keys per step. Nearest valid choices: '
        f'train_dataloader.batch_size={batches}, or model.queue_len={queues}.')


@HOOKS.register_module()
class MoCoQueueCheckHook(Hook):
    """Check ``model.queue_len`` against ``train_dataloader.batch_size x world_size``.

    Runs in ``before_train``, when the dataloader is built and the process group is up. Also
    rejects ``drop_last=False`` when the last batch of an epoch would be short: a short batch
    shifts the queue pointer off the batch grid and a later step overruns the queue end.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        queue_len = getattr(model, 'queue_len', None)
        if queue_len is None:
            raise TypeError(f'MoCoQueueCheckHook needs a model with a MoCo queue '
                            f'(`queue_len`), got {type(model).__name__}.')
        loader = runner.train_dataloader
        batch_size = loader.batch_size or getattr(loader.batch_sampler, 'batch_size', None)
        if not batch_size:
            raise ValueError('MoCoQueueCheckHook: cannot read the batch size of the train '
                             'dataloader (set train_dataloader.batch_size).')
        check_queue_divisible(queue_len, batch_size, get_world_size())
        per_proc = len(loader.sampler) if loader.batch_size else None
        if per_proc is not None and not loader.drop_last and per_proc % batch_size:
            raise ValueError(
                f'train_dataloader.drop_last=False with {per_proc} samples per process and '
                f'batch size {batch_size}: the last batch of each epoch would hold '
                f'{per_proc % batch_size} samples, which misaligns the MoCo queue pointer '
                f'(queue_len={queue_len}). Set train_dataloader.drop_last=True.')
