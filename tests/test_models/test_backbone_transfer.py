"""An MD-MoCo checkpoint drops into stock mmpretrain / mmdet / mmseg configs and torchvision.

Every backbone parameter and buffer is compared with the checkpoint tensor by tensor (log
messages are not trusted). The checkpoint's tensors are first made distinct from any fresh
initialization (perturbed weights, trained BN statistics), so a skipped load cannot pass.
"""
import pytest
import torch
import torch.nn as nn
import torchvision
from mmengine.config import Config
from mmengine.registry import init_default_scope

from muscle_mm.registry import MODELS
from muscle_mm.utils.checkpoint_convert import mm_resnet_to_torchvision

PREFIX = 'backbone.'


@pytest.fixture(scope='module')
def mdmoco(tmp_path_factory):
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='MDMoCo',
            queue_len=8,
            feat_dim=4,
            backbone=dict(type='ResNet', depth=18, zero_init_residual=False),
            neck=dict(type='MoCoV2Neck', in_channels=512, hid_channels=8, out_channels=4),
            head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2)))
    model.init_weights()
    with torch.no_grad():
        for p in model.backbone.parameters():
            p.add_(0.1 * torch.randn_like(p))
        model.train()
        for _ in range(2):  # BN running stats and num_batches_tracked away from defaults
            model.backbone(torch.randn(4, 3, 64, 40))
    path = tmp_path_factory.mktemp('ckpt') / 'mdmoco_r18.pth'
    torch.save({'meta': {'epoch': 1, 'iter': 2}, 'state_dict': model.state_dict()}, path)
    return model, str(path)


def _build(tmp_path, base, scope, overrides):
    cfg_file = tmp_path / f'{scope}_transfer.py'
    cfg_file.write_text(f'_base_ = {base!r}\n{overrides}\n')
    cfg = Config.fromfile(str(cfg_file))
    init_default_scope(scope)
    return MODELS.build(cfg.model)


def _assert_backbone_loaded(model, ckpt_path):
    ckpt = torch.load(ckpt_path, map_location='cpu')['state_dict']
    expected = {k[len(PREFIX):]: v for k, v in ckpt.items() if k.startswith(PREFIX)}
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    assert before.keys() == expected.keys(), set(before) ^ set(expected)
    differs = [k for k in before if not torch.equal(before[k], expected[k])]
    assert len(differs) == len(before), 'fresh model already equals the checkpoint'
    model.init_weights()
    after = model.backbone.state_dict()
    wrong = [k for k in expected if not torch.equal(after[k], expected[k])]
    assert not wrong, f'{len(wrong)}/{len(expected)} backbone tensors not loaded: {wrong[:5]}'


def _pretrained(path):
    return f"dict(type='Pretrained', checkpoint={path!r}, prefix={PREFIX!r})"


def test_mmpretrain_resnet18_classifier(mdmoco, tmp_path):
    _, ckpt = mdmoco
    model = _build(tmp_path, 'mmpretrain::resnet/resnet18_8xb32_in1k.py', 'mmpretrain',
                   f'model = dict(backbone=dict(init_cfg={_pretrained(ckpt)}))')
    assert type(model).__name__ == 'ImageClassifier'
    _assert_backbone_loaded(model, ckpt)


def test_mmdet_faster_rcnn(mdmoco, tmp_path):
    _, ckpt = mdmoco
    model = _build(
        tmp_path, 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py', 'mmdet',
        f'model = dict(backbone=dict(depth=18, init_cfg={_pretrained(ckpt)}),\n'
        '             neck=dict(in_channels=[64, 128, 256, 512]))')
    assert type(model).__name__ == 'FasterRCNN'
    _assert_backbone_loaded(model, ckpt)


def test_mmseg_deeplabv3(mdmoco, tmp_path):
    # The stock backbone is ResNetV1c: its deep stem (stem.*) has no counterpart in a plain
    # ResNet, so the MD-MoCo weights fit mmseg's plain ResNet (same dilations/strides).
    _, ckpt = mdmoco
    model = _build(
        tmp_path, 'mmseg::deeplabv3/deeplabv3_r50-d8_4xb2-40k_cityscapes-512x1024.py', 'mmseg',
        "bn = dict(type='BN', requires_grad=True)\n"
        'model = dict(\n'
        '    pretrained=None,\n'
        f"    backbone=dict(type='ResNet', depth=18, norm_cfg=bn, init_cfg={_pretrained(ckpt)}),\n"
        '    decode_head=dict(in_channels=512, channels=64, norm_cfg=bn),\n'
        '    auxiliary_head=dict(in_channels=256, channels=32, norm_cfg=bn))')
    assert type(model).__name__ == 'EncoderDecoder'
    assert type(model.backbone).__module__.startswith('mmseg')
    _assert_backbone_loaded(model, ckpt)


def test_torchvision_export_same_features(mdmoco):
    model, ckpt = mdmoco
    state_dict, arch = mm_resnet_to_torchvision(torch.load(ckpt)['state_dict'])
    assert arch == 'resnet18'
    tv = torchvision.models.resnet18()
    missing, unexpected = tv.load_state_dict(state_dict, strict=False)
    assert set(missing) == {'fc.weight', 'fc.bias'} and not unexpected
    trunk = nn.Sequential(*list(tv.children())[:-2]).eval()  # up to layer4, before avgpool
    backbone = model.backbone
    backbone.eval()  # mmpretrain's ResNet.train() returns None
    x = torch.randn(2, 3, 64, 40)
    with torch.no_grad():
        torch.testing.assert_close(trunk(x), backbone(x)[-1], atol=1e-5, rtol=1e-5)
