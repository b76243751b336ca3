"""Seed the main process's torch generators from (seed, iteration) before each training step."""
import torch
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from muscle_mm.utils.counter_rng import step_seed


@HOOKS.register_module()
class StepSeedHook(Hook):
    """Before each training iteration, ``torch.manual_seed(step_seed(runner.seed, iter))``.

    What a training step draws from torch's global generators (CPU and CUDA), e.g. MoCo's key
    shuffle for shuffle-BN / split-batch BN, otherwise continues from wherever the main process
    left them. mmengine checkpoints hold no random state, and a resumed run's main process has
    drawn other numbers before its first step (a new dataloader iterator draws its base seed,
    with or without persistent workers): 1 + 1 resumed epochs would differ from 2. Reseeding
    per step from a counter-based hash (:func:`~muscle_mm.utils.counter_rng.step_seed`) makes
    the step's draws a function of (seed, iteration) only. ``runner.seed`` is saved in the
    checkpoint's meta and restored on resume; it is seed + rank with
    ``randomness.diff_rank_seed=True``, as each rank's own stream would be.

    The seed is the one :class:`~muscle_mm.models.utils.XRayViews` (``reseed_global=True``)
    sets after the device views, so the device-view configs, which inherit this hook, train
    as they did with that option alone. Data augmentation is not affected: the CPU views are
    seeded per sample (:class:`~muscle_mm.datasets.samplers.SampleSeedSampler`), the device
    views per sample and step.
    """

    priority = 'NORMAL'

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        torch.manual_seed(step_seed(runner.seed, runner.iter))
