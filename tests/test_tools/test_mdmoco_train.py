"""MD-MoCo through tools/train.py with the real config on generated data (sizes shrunk by
--cfg-options), single process and two processes on torchrun/gloo; then export. Exact resume:
test_mdmoco_cpuviews_resume.py."""
import os.path as osp

import pytest
import torch

from muscle_mm.datasets.synthetic import generate_all
from _helpers import REPO, run_tool

CONFIG = osp.join(REPO, 'configs', 'muscle', 'mdmoco_r18.py')
TRAIN = osp.join(REPO, 'tools', 'train.py')

QUEUE = 1024  # larger than every key a run enqueues: the pointer must equal iterations x batch


def shrink(batch, queue=QUEUE, epochs=1):
    """The real config at CPU size: 16 of the pool's images, 64x40 inputs, small queue and neck,
    no worker processes, split-batch BN in 2 groups on one process (the config's 8 needs a batch
    of 8)."""
    return [
        '--cfg-options', f'train_dataloader.batch_size={batch}', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'train_dataloader.dataset.indices=16',
        'train_dataloader.dataset.pipeline.1.scale=(40,64)', f'model.queue_len={queue}',
        'model.neck.hid_channels=16', 'model.neck.out_channels=8', 'model.feat_dim=8',
        'model.single_process_bn_splits=2', f'train_cfg.max_epochs={epochs}',
        'default_hooks.logger.interval=5'
    ]


def _assert_queue_advanced(ckpt, global_batch):
    """MoCo enqueues one global batch of keys per iteration: the pointer says how many."""
    iters = ckpt['meta']['iter']
    assert 0 < iters * global_batch < QUEUE
    assert int(ckpt['state_dict']['queue_ptr']) == iters * global_batch


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
    """Generated layouts of all nine datasets under <dir>/data/<Name>, the configs' defaults."""
    root = tmp_path_factory.mktemp('mdmoco')
    generate_all(str(root / 'data'))
    return root


def _checkpoint(work):
    with open(osp.join(work, 'last_checkpoint')) as f:
        return f.read().strip()


def test_single_process_train_export(data_dir):
    work = str(data_dir / 'work_single')
    out = run_tool([TRAIN, CONFIG, '--work-dir', work] + shrink(batch=4), cwd=str(data_dir))
    for name in ('NIHChestXray14', 'TBX11K', 'ChestXrayMasks', 'MURA'):
        assert name in out  # the pool's per-source count table
    assert 'SplitBatchNorm(2 groups)' in out  # one process: MoCo's single-GPU shuffle-BN
    ckpt = torch.load(_checkpoint(work), map_location='cpu', weights_only=True)
    assert ckpt['state_dict']['queue'].shape == (8, QUEUE)
    assert ckpt['meta']['epoch'] == 1 and ckpt['meta']['iter'] == 16 // 4
    _assert_queue_advanced(ckpt, 4)
    # the backbone goes out as an mm checkpoint and as a torchvision state dict
    bb, tv = str(data_dir / 'bb.pth'), str(data_dir / 'tv.pth')
    run_tool(
        [osp.join(REPO, 'tools', 'model_converters', 'extract_backbone.py'),
         _checkpoint(work), bb])
    run_tool([
        osp.join(REPO, 'tools', 'model_converters', 'mm2torchvision.py'), bb, tv, '--arch',
        'resnet18'
    ])
    import torchvision
    missing, unexpected = torchvision.models.resnet18().load_state_dict(
        torch.load(tv, weights_only=True), strict=False)
    assert set(missing) == {'fc.weight', 'fc.bias'} and not unexpected


def test_global_batch_not_dividing_queue_refused_at_start(data_dir):
    with pytest.raises(AssertionError, match='not a multiple of the global batch 3'):
        run_tool(
            [TRAIN, CONFIG, '--work-dir', str(data_dir / 'work_bad')] + shrink(batch=3, queue=16),
            cwd=str(data_dir))


def test_two_process_gloo(data_dir):
    work = str(data_dir / 'work_dist')
    out = run_tool(
        [
            '-m', 'torch.distributed.run', '--nproc_per_node=2', '--master_port=29541', TRAIN,
            CONFIG, '--launcher', 'pytorch', '--work-dir', work
        ] + shrink(batch=2),
        cwd=str(data_dir))
    assert 'SplitBatchNorm' not in out and 'shuffle-BN does not' not in out  # real shuffle-BN
    # each step enqueues the global batch of 2 x 2 (not one process's 2); each rank's 8 images
    ckpt = torch.load(_checkpoint(work), weights_only=True)
    assert ckpt['meta']['iter'] == 16 // 2 // 2
    _assert_queue_advanced(ckpt, 4)
