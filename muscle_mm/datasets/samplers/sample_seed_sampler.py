"""Per-sample augmentation seeds: the views of a sample depend on (seed, epoch, index) only."""
import random
from contextlib import contextmanager
from typing import Iterator, Tuple

import numpy as np
import torch
from mmengine.dataset import DefaultSampler

from muscle_mm.registry import DATA_SAMPLERS
from muscle_mm.utils.counter_rng import sample_seed
from muscle_mm.utils.rng_state import get_rng_state, set_rng_state

__all__ = ['SampleSeedSampler', 'sample_rng', 'sample_seed']


@contextmanager
def sample_rng(seed: int):
    """Seed ``random``, numpy and torch's CPU generator for one sample, then put back what was
    there: in the main process (``num_workers=0``) the model's own draws (MoCo's key shuffle)
    must not see the data's."""
    saved = get_rng_state()
    random.seed(seed)
    np.random.seed(seed)
    torch.default_generator.manual_seed(seed)  # CPU only: the CUDA generators stay the model's
    try:
        yield
    finally:
        set_rng_state(saved)


@DATA_SAMPLERS.register_module()
class SampleSeedSampler(DefaultSampler):
    """mmengine's ``DefaultSampler`` whose indices carry the seed of the sample's augmentation.

    With ``DefaultSampler`` a sample's random views come from the RNG of the worker that makes
    them. mmengine seeds each worker once, from (seed, rank, worker id), so

    - with ``persistent_workers=True`` a run resumed at epoch k starts fresh workers from that
      seed again and draws epoch 1's augmentation stream in epoch k+1: the resumed run is not
      the uninterrupted one;
    - with non-persistent workers every epoch replays the same stream in every worker: the
      j-th sample a worker makes gets the same flip and angle in each epoch;
    - the views of an image depend on the number of workers and ranks.

    This sampler orders and splits indices exactly as ``DefaultSampler`` (same ``seed``,
    ``epoch``, ``shuffle``, ``round_up``) and yields ``(index, sample_seed(seed, epoch,
    index))``; a dataset that takes such pairs (``takes_sample_seeds = True``, e.g.
    :class:`~muscle_mm.datasets.XRayPretrainPool`) makes the sample under :func:`sample_rng`.
    The views then depend on (seed, epoch, index) only: resume at an epoch boundary is exact
    with any workers, and world size or worker count do not change them.

    Args:
        dataset: a dataset with ``takes_sample_seeds = True``; any other is refused (it would
            get ``(index, seed)`` pairs it cannot read).
        shuffle (bool): as ``DefaultSampler``. Defaults to True.
        seed (int, optional): as ``DefaultSampler`` (None: drawn on rank 0 and broadcast).
        round_up (bool): as ``DefaultSampler``. Defaults to True.
    """

    def __init__(self, dataset, shuffle: bool = True, seed=None, round_up: bool = True) -> None:
        if not getattr(dataset, 'takes_sample_seeds', False):
            raise TypeError(
                f'SampleSeedSampler: {type(dataset).__name__} does not take (index, seed) '
                'pairs (no `takes_sample_seeds = True`); use DefaultSampler for it')
        super().__init__(dataset, shuffle=shuffle, seed=seed, round_up=round_up)

    def __iter__(self) -> Iterator[Tuple[int, int]]:
        for index in super().__iter__():
            yield index, sample_seed(self.seed, self.epoch, index)
