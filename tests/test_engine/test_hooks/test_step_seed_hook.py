"""StepSeedHook: torch's generators are a function of (seed, iteration) at each step, the seed
XRayViews(reseed_global=True) sets, so the device-view configs train as before."""
from types import SimpleNamespace

import torch

from muscle_mm.engine.hooks import StepSeedHook
from muscle_mm.models.utils import XRayViews
from muscle_mm.utils.counter_rng import step_seed


def draws_after(seed, it):
    torch.rand(5)  # the stream before the step does not matter
    StepSeedHook().before_train_iter(SimpleNamespace(seed=seed, iter=it), 0)
    return torch.rand(3)


def test_each_step_draws_from_seed_and_iteration():
    assert torch.equal(draws_after(0, 7), draws_after(0, 7))
    assert not torch.equal(draws_after(0, 7), draws_after(0, 8))
    assert not torch.equal(draws_after(0, 7), draws_after(1, 7))
    torch.manual_seed(step_seed(0, 7))
    expect = torch.rand(3)
    assert torch.equal(draws_after(0, 7), expect)


def test_same_seed_as_the_device_views_reseed():
    views = XRayViews(seed=5, reseed_global=True)
    for it in (0, 1, 123):
        assert views.step_seed(it) == step_seed(5, it)
