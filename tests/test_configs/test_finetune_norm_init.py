"""Every initialization of a task is fine-tuned alike: the 20 ResNet-18 task x init configs build
backbones whose norm layers train (BN statistics updated, as mmdet's from-scratch recipes do), and
Scratch is one initialization on all four tasks (Kaiming conv, BN 1/0, no zero-initialized
residual BN). ImageNet is loaded offline from torch hub's cache (TORCH_HOME)."""
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

from _helpers import REPO

TASKS = ('pneumonia', 'mura', 'lung', 'tbx')
INITS = ('scratch', 'imagenet', 'mdmoco', 'muscle_minus', 'muscle')


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory):
    """A random ResNet-18 as stage 1/2 write it, and as torchvision's file in an empty
    TORCH_HOME (where mmengine looks for torchvision://resnet18)."""
    from mmpretrain.models import ResNet
    torch.manual_seed(0)
    state = {
        k: v + torch.rand_like(v) if v.is_floating_point() else v
        for k, v in ResNet(depth=18).state_dict().items()
    }
    d = tmp_path_factory.mktemp('ckpt')
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in state.items()}), d / 'stage.pth')
    hub = d / 'torch_home' / 'hub' / 'checkpoints'
    os.makedirs(hub)
    torch.save(
        dict(state, **{
            'fc.weight': torch.zeros(1000, 512),
            'fc.bias': torch.zeros(1000)
        }), hub / 'resnet18-f37072fd.pth')
    return state, str(d / 'stage.pth'), str(d / 'torch_home')


def _backbone(task, init, stage_ckpt):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'finetune', task, f'{task}_{init}_r18.py'))
    if init not in ('scratch', 'imagenet'):
        cfg.model.backbone.init_cfg.checkpoint = stage_ckpt
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.backbone


def _norm_mode(backbone):
    """(norm types, all trainable, all in train mode after .train(), statistics updated by one
    training forward): the normalization a fine-tuning run gets."""
    norms = [m for m in backbone.modules() if isinstance(m, _BatchNorm)]
    backbone.train()
    before = [m.running_mean.clone() for m in norms]
    with torch.no_grad():
        backbone(torch.randn(2, 3, 64, 40))
    updated = all(not torch.equal(b, m.running_mean) for b, m in zip(before, norms))
    return ({type(m).__name__
             for m in norms}, all(p.requires_grad for m in norms
                                  for p in m.parameters()), all(m.training for m in norms), updated)


@pytest.mark.parametrize('task', TASKS)
def test_every_init_of_every_task_trains_its_norm_layers(task, checkpoints, monkeypatch):
    state, stage_ckpt, torch_home = checkpoints
    monkeypatch.setenv('TORCH_HOME', torch_home)
    modes = {}
    for init in INITS:
        backbone = _backbone(task, init, stage_ckpt)
        if init != 'scratch':  # the pre-trained tensors, as they are (no zero-init after them)
            got = backbone.state_dict()
            wrong = [k for k in state if not torch.equal(got[k], state[k])]
            assert not wrong, f'{task} {init}: {len(wrong)} tensors not loaded, e.g. {wrong[:3]}'
        modes[init] = _norm_mode(backbone)
    # one rule for every init of the task, and it is the same on all tasks: BN trained, with
    # statistics (tbx used to keep them frozen: norm_eval=True)
    expected = ({'BatchNorm2d'}, True, True, True)
    assert all(m == expected for m in modes.values()), modes


@pytest.mark.parametrize('task', TASKS)
def test_scratch_is_kaiming_with_bn_one_zero_on_every_task(task, checkpoints):
    backbone = _backbone(task, 'scratch', checkpoints[1])
    norms = {n: m for n, m in backbone.named_modules() if isinstance(m, _BatchNorm)}
    assert len(norms) == 20  # stem + 2 per block x 8 blocks + 3 downsample
    not_one = [
        n for n, m in norms.items() if not (torch.all(m.weight == 1) and torch.all(m.bias == 0))
    ]
    assert not not_one, f'{task}: BN not 1/0 (zero-init residual?): {not_one}'
    for name, m in backbone.named_modules():
        if isinstance(m, torch.nn.Conv2d):  # Kaiming normal, fan_out, ReLU
            fan_out = m.out_channels * m.kernel_size[0] * m.kernel_size[1]
            ratio = m.weight.std().item() / (2 / fan_out)**0.5
            assert abs(ratio - 1) < 0.15, f'{task} {name}: std ratio {ratio:.3f} to Kaiming'


def test_muscle_stage2_config_still_builds():
    """configs/muscle/muscle_r18.py shares the task models: it builds and initializes."""
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'muscle', 'muscle_r18.py'))
    cfg.model.backbone_checkpoint = None
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS

    import muscle_mm  # noqa: F401  (registers MultiTaskModel in mmpretrain's registry)
    model = PRETRAIN_MODELS.build(cfg.model)
    model.init_weights()
    assert any(isinstance(m, _BatchNorm) for m in model.modules())
