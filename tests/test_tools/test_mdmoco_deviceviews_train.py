"""MD-MoCo with the views on the device, through tools/train.py on generated data: training from
decoded images and from the pre-resized cache, and exact resume (issue 7): 2 epochs run as 1 + 1
resumed equal 2 uninterrupted, bit for bit, with persistent workers and with no workers."""
import os.path as osp
import sys

import pytest
import torch

from muscle_mm.cli import train as train_tool
from muscle_mm.datasets.synthetic import generate_all
from muscle_mm.models.utils import MultiViewDataPreprocessor, XRayViews
from _helpers import REPO, assert_same_state, epoch_state

sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
import build_cache  # noqa: E402  (a tool of its own)

CONFIG = osp.join(REPO, 'configs', 'muscle', 'mdmoco_r18_deviceviews.py')


def shrink(epochs=1, workers=0, persistent=False, images=16):
    """The real config at CPU size: 16 pool images, 64x40, batch 8 (a multiple of the
    single-process split-BN groups), tiny queue and neck: 2 steps an epoch."""
    return [
        '--cfg-options', 'train_dataloader.batch_size=8', f'train_dataloader.num_workers={workers}',
        f'train_dataloader.persistent_workers={persistent}',
        f'train_dataloader.dataset.indices={images}',
        'train_dataloader.dataset.pipeline.0.resize.scale=(40,64)', 'model.queue_len=32',
        'model.neck.hid_channels=16', 'model.neck.out_channels=8', 'model.feat_dim=8',
        f'train_cfg.max_epochs={epochs}', 'randomness.seed=0', 'default_hooks.logger.interval=1'
    ]


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
    """The nine generated layouts under <dir>/data/<Name> (the configs' relative roots)."""
    root = tmp_path_factory.mktemp('mdmoco_dev')
    generate_all(str(root / 'data'))
    return root


def train(work, argv):
    return train_tool.main([CONFIG, '--work-dir', str(work)] + argv)


@pytest.fixture(scope='module')
def straight(data_dir):
    """2 uninterrupted epochs decoding the images, 2 persistent workers."""
    work = data_dir / 'straight'
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(data_dir)
        runner = train(work, shrink(2, workers=2, persistent=True))
    pre = runner.model.data_preprocessor
    assert isinstance(pre, MultiViewDataPreprocessor)
    assert isinstance(pre.batch_augments[0], XRayViews)
    assert runner.iter == 4 and runner.train_dataloader.dataset[0]['inputs'].shape == (1, 64, 40)
    return work


def test_resume_with_persistent_workers_reproduces_uninterrupted_run(straight, data_dir,
                                                                     monkeypatch):
    monkeypatch.chdir(data_dir)
    sd = epoch_state(straight, 2)
    assert int(sd['queue_ptr']) == 0  # four steps of 8 keys went round the 32-key queue
    assert int(sd['data_preprocessor.batch_augments.0.seed']) == 0  # randomness.seed
    split = data_dir / 'split_w2'
    train(split, shrink(1, workers=2, persistent=True))
    resumed = train(split, ['--resume'] + shrink(2, workers=2, persistent=True))
    assert resumed.epoch == 2
    assert_same_state(sd, epoch_state(split, 2), '1 + 1 resumed vs 2 epochs')
    # training moved the weights in epoch 2, so the comparison is not vacuous
    assert not torch.equal(
        epoch_state(straight, 1)['backbone.conv1.weight'], sd['backbone.conv1.weight'])


def test_cache_without_workers_trains_and_resumes_as_decoding(straight, data_dir, monkeypatch):
    """From the pre-resized cache, no worker processes, 1 + 1 resumed epochs: the same weights
    as decoding with 2 persistent workers for 2 epochs (same pixels, views and shuffle)."""
    monkeypatch.chdir(data_dir)
    cache = str(data_dir / 'cache')
    build_cache.main([
        CONFIG,
        '--out',
        cache,
        '--workers',
        '0',
        '--cfg-options',
        'train_dataloader.dataset.indices=16',  # the pool and size of training
        'train_dataloader.dataset.pipeline.0.resize.scale=(40,64)'
    ])
    from_cache = shrink(1) + [f'train_dataloader.dataset.pipeline.0.cache={cache}']
    split = data_dir / 'split_cache_w0'
    runner = train(split, from_cache)
    assert runner.train_dataloader.dataset.pipeline.transforms[0].cache is not None
    assert_same_state(epoch_state(straight, 1), epoch_state(split, 1), 'cache vs decoding, epoch 1')
    from_cache[from_cache.index('train_cfg.max_epochs=1')] = 'train_cfg.max_epochs=2'
    train(split, ['--resume'] + from_cache)
    assert_same_state(
        epoch_state(straight, 2), epoch_state(split, 2), 'cache, no workers, 1 + 1 resumed')
