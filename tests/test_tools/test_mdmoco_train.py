"""MD-MoCo through tools/train.py with the real config on generated data (sizes shrunk by
--cfg-options), single process and two processes on torchrun/gloo; then resume and export."""
import os.path as osp

import pytest
import torch

from _helpers import REPO, run_tool
from muscle_mm.datasets.synthetic import generate_all

CONFIG = osp.join(REPO, 'configs', 'muscle', 'mdmoco_r18.py')
TRAIN = osp.join(REPO, 'tools', 'train.py')


def shrink(batch, queue, epochs=1):
    """The real config at CPU size: 64x40 inputs, tiny queue and neck, no worker processes."""
    return ['--cfg-options', f'train_dataloader.batch_size={batch}',
            'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
            'train_dataloader.dataset.pipeline.1.scale=(40,64)', f'model.queue_len={queue}',
            'model.neck.hid_channels=16', 'model.neck.out_channels=8', 'model.feat_dim=8',
            f'train_cfg.max_epochs={epochs}', 'default_hooks.logger.interval=5']


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
    """Generated layouts of all nine datasets under <dir>/data/<Name>, the configs' defaults."""
    root = tmp_path_factory.mktemp('mdmoco')
    generate_all(str(root / 'data'))
    return root


def _checkpoint(work):
    with open(osp.join(work, 'last_checkpoint')) as f:
        return f.read().strip()


def test_single_process_train_resume_export(data_dir):
    work = str(data_dir / 'work_single')
    out = run_tool([TRAIN, CONFIG, '--work-dir', work] + shrink(batch=4, queue=16),
                   cwd=str(data_dir))
    for name in ('NIHChestXray14', 'TBX11K', 'ChestXrayMasks', 'MURA'):
        assert name in out  # the pool's per-source count table
    ckpt = torch.load(_checkpoint(work), map_location='cpu', weights_only=True)
    sd = ckpt['state_dict']
    assert sd['queue'].shape == (8, 16) and int(sd['queue_ptr']) % 4 == 0
    assert ckpt['meta']['epoch'] == 1
    # --resume in a new process continues to epoch 2 from the saved state
    out = run_tool([TRAIN, CONFIG, '--work-dir', work, '--resume'] +
                   shrink(batch=4, queue=16, epochs=2), cwd=str(data_dir))
    assert 'Resumed' in out or 'resumed' in out
    assert torch.load(_checkpoint(work), weights_only=True)['meta']['epoch'] == 2
    # the backbone goes out as an mm checkpoint and as a torchvision state dict
    bb, tv = str(data_dir / 'bb.pth'), str(data_dir / 'tv.pth')
    run_tool([osp.join(REPO, 'tools', 'model_converters', 'extract_backbone.py'),
              _checkpoint(work), bb])
    run_tool([osp.join(REPO, 'tools', 'model_converters', 'mm2torchvision.py'), bb, tv,
              '--arch', 'resnet18'])
    import torchvision
    missing, unexpected = torchvision.models.resnet18().load_state_dict(
        torch.load(tv, weights_only=True), strict=False)
    assert set(missing) == {'fc.weight', 'fc.bias'} and not unexpected


def test_global_batch_not_dividing_queue_refused_at_start(data_dir):
    with pytest.raises(AssertionError, match='not a multiple of the global batch 3'):
        run_tool([TRAIN, CONFIG, '--work-dir', str(data_dir / 'work_bad')] +
                 shrink(batch=3, queue=16), cwd=str(data_dir))


def test_two_process_gloo(data_dir):
    work = str(data_dir / 'work_dist')
    run_tool(['-m', 'torch.distributed.run', '--nproc_per_node=2', '--master_port=29541', TRAIN,
              CONFIG, '--launcher', 'pytorch', '--work-dir', work] +
             shrink(batch=2, queue=16), cwd=str(data_dir))
    sd = torch.load(_checkpoint(work), weights_only=True)['state_dict']
    assert int(sd['queue_ptr']) % 4 == 0  # each step enqueues the global batch of 2 x 2
