"""MD-MoCo with the views made in the dataloader workers (configs/muscle/mdmoco_r*.py), through
tools/train.py on generated data: exact resume at an epoch boundary (issue 15). 2 epochs run as
1 + 1 resumed equal 2 uninterrupted, bit for bit, with 2 persistent workers; without workers
the weights are the same again (the views do not depend on which process made them)."""
import os.path as osp

import pytest
import torch

from muscle_mm.cli import train as train_tool
from muscle_mm.datasets.synthetic import generate_all
from _helpers import REPO, assert_same_state, epoch_state

CONFIG = osp.join(REPO, 'configs', 'muscle', 'mdmoco_r18.py')  # = mdmoco_r50.py with ResNet-18


def shrink(epochs=1, workers=0, persistent=False, images=16):
    """The real config at CPU size: 16 pool images, 64x40, batch 8, tiny queue and neck: 2 steps
    an epoch. BN in 2 groups of 4 (the config's 8 groups would be 1 sample each at batch 8, and
    MoCo's key shuffle would then change nothing): the main process's shuffle counts too."""
    return [
        '--cfg-options', 'train_dataloader.batch_size=8', f'train_dataloader.num_workers={workers}',
        f'train_dataloader.persistent_workers={persistent}',
        f'train_dataloader.dataset.indices={images}',
        'train_dataloader.dataset.pipeline.1.scale=(40,64)', 'model.queue_len=32',
        'model.neck.hid_channels=16', 'model.neck.out_channels=8', 'model.feat_dim=8',
        'model.single_process_bn_splits=2', f'train_cfg.max_epochs={epochs}', 'randomness.seed=0',
        'default_hooks.logger.interval=1'
    ]


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
    """The nine generated layouts under <dir>/data/<Name> (the configs' relative roots)."""
    root = tmp_path_factory.mktemp('mdmoco_cpu')
    generate_all(str(root / 'data'))
    return root


def train(work, argv):
    return train_tool.main([CONFIG, '--work-dir', str(work)] + argv)


@pytest.fixture(scope='module')
def straight(data_dir):
    """2 uninterrupted epochs, views in 2 persistent workers."""
    work = data_dir / 'straight'
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(data_dir)
        runner = train(work, shrink(2, workers=2, persistent=True))
    assert runner.iter == 4
    views = runner.train_dataloader.dataset[0]['inputs']  # a plain int index still works
    assert len(views) == 2 and views[0].shape == (1, 64, 40)
    return work


def test_resume_with_persistent_workers_reproduces_uninterrupted_run(straight, data_dir,
                                                                     monkeypatch):
    monkeypatch.chdir(data_dir)
    sd = epoch_state(straight, 2)
    assert int(sd['queue_ptr']) == 0  # four steps of 8 keys went round the 32-key queue
    split = data_dir / 'split_w2'
    train(split, shrink(1, workers=2, persistent=True))
    resumed = train(split, ['--resume'] + shrink(2, workers=2, persistent=True))
    assert resumed.epoch == 2
    assert_same_state(sd, epoch_state(split, 2), '1 + 1 resumed vs 2 epochs')
    # training moved the weights in epoch 2, so the comparison is not vacuous
    assert not torch.equal(
        epoch_state(straight, 1)['backbone.conv1.weight'], sd['backbone.conv1.weight'])


def test_no_workers_gives_the_weights_of_two_workers(straight, data_dir, monkeypatch):
    """The views of a sample come from (seed, epoch, index), not from the process that made
    them: in the main process (no workers, not persistent) the 2 epochs end the same."""
    monkeypatch.chdir(data_dir)
    work = data_dir / 'w0'
    train(work, shrink(2, workers=0, persistent=False))
    assert_same_state(
        epoch_state(straight, 2), epoch_state(work, 2), 'no workers vs 2 persistent workers')
