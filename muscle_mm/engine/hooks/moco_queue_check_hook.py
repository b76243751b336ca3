"""Reject, before the first iteration, a MoCo run whose global batch cannot fill the queue."""
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from muscle_mm.models.utils import check_queue_divisible


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
