"""SampleSeedSampler: DefaultSampler's order with a per-sample augmentation seed, and the pool's
views made under it (issue 15: CPU-view MD-MoCo resumes exactly)."""
import os.path as osp
import random

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import DefaultSampler
from mmengine.registry import init_default_scope

import muscle_mm.datasets  # noqa: F401  (registers the datasets and the sampler)
from muscle_mm.datasets.samplers import SampleSeedSampler, sample_rng, sample_seed
from muscle_mm.datasets.synthetic import generate_all
from muscle_mm.registry import DATASETS
from _helpers import REPO

# the MD-MoCo config's own views (flip + rotation), at test size
VIEWS = [
    dict(type='LoadXRayImage', to_gray3=False),
    dict(type='Resize', scale=(40, 64), keep_ratio=False),
    dict(
        type='MultiView',
        num_views=2,
        transforms=[
            Config.fromfile(
                osp.join(REPO, 'configs', '_base_', 'datasets',
                         'xray_mdmoco_views.py')).view_pipeline
        ]),
    dict(type='PackInputs')
]


class Seeded(list):
    takes_sample_seeds = True


@pytest.fixture(scope='module')
def pool(tmp_path_factory):
    roots = generate_all(str(tmp_path_factory.mktemp('seeded')), only=('ShenzhenCXR', ))
    init_default_scope('mmpretrain')  # MultiView builds its transforms in the current scope
    return DATASETS.build(
        dict(
            type='XRayPretrainPool',
            pipeline=VIEWS,
            dedup=False,
            datasets=[dict(type='ShenzhenCXR', data_root=roots['ShenzhenCXR'])]))


@pytest.mark.parametrize('world', [1, 2, 3])
def test_order_and_split_are_default_samplers(world, monkeypatch):
    data = Seeded(range(10))
    for epoch in (0, 3):
        for rank in range(world):
            monkeypatch.setattr('mmengine.dataset.sampler.get_dist_info', lambda: (rank, world))
            ours, stock = SampleSeedSampler(data, seed=7), DefaultSampler(data, seed=7)
            ours.set_epoch(epoch), stock.set_epoch(epoch)
            pairs = list(ours)
            assert [i for i, _ in pairs] == list(stock) and len(ours) == len(stock)
            # the seed is the sample's, not the rank's or the position's
            assert all(s == sample_seed(7, epoch, i) for i, s in pairs)


def test_seeds_differ_by_epoch_index_and_seed():
    seeds = {sample_seed(s, e, i) for s in (0, 1) for e in range(4) for i in range(50)}
    assert len(seeds) == 2 * 4 * 50
    assert all(0 <= s < 2**32 for s in seeds)  # numpy's range


def test_a_dataset_that_cannot_take_seeds_is_refused():
    with pytest.raises(TypeError, match='list does not take .index, seed. pairs'):
        SampleSeedSampler(list(range(4)))


def test_views_are_a_function_of_the_seed_and_leave_the_caller_rng_alone(pool):

    def views(idx):
        return torch.stack(pool[idx]['inputs'])

    def draws():
        return torch.rand(2).tolist(), np.random.rand(2).tolist(), random.random()

    a = views((1, 1234))
    draws()  # whatever ran in between does not matter
    assert torch.equal(a, views((1, 1234)))
    assert any(not torch.equal(a, views((1, s))) for s in range(10))  # the seed matters
    # the main process's streams continue as if no sample had been made (num_workers=0)
    torch.manual_seed(3), np.random.seed(3), random.seed(3)
    expect = draws()
    torch.manual_seed(3), np.random.seed(3), random.seed(3)
    views((1, 1234))
    assert draws() == expect
    assert views(1).shape == (2, 1, 64, 40)  # a plain int index still works


def test_sample_rng_restores_every_stream():
    torch.manual_seed(0), np.random.seed(0), random.seed(0)
    expect = torch.rand(2), np.random.rand(2), random.random()
    torch.manual_seed(0), np.random.seed(0), random.seed(0)
    with sample_rng(99):
        inside = torch.rand(2), np.random.rand(2), random.random()
    got = torch.rand(2), np.random.rand(2), random.random()
    assert torch.equal(got[0], expect[0]) and np.array_equal(got[1], expect[1])
    assert got[2] == expect[2]
    with sample_rng(99):
        again = torch.rand(2), np.random.rand(2), random.random()
    assert torch.equal(inside[0], again[0]) and np.array_equal(inside[1], again[1])
