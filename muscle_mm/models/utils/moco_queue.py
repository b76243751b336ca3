"""MoCo queue arithmetic shared by the model (each enqueue) and the start-of-run hook."""
from typing import List


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
    per_proc = [
        b for b in range(1, queue_len // world_size + 1) if queue_len % (b * world_size) == 0
    ]
    batches = ' or '.join(f'{b} (global {b * world_size})'
                          for b in _nearest(per_proc, batch_size)) or \
        f'<none for {world_size} processes>'
    queues = ' or '.join(
        str(q) for q in _nearest(
            [global_batch * i for i in range(1, queue_len // max(global_batch, 1) + 2)], queue_len))
    raise ValueError(
        f'MoCo queue_len={queue_len} is not a multiple of the global batch {global_batch} '
        f'(batch size {batch_size} per process x {world_size} process(es)); the queue takes '
        f'one whole global batch of keys per step. Nearest valid choices: '
        f'train_dataloader.batch_size={batches}, or model.queue_len={queues}.')
