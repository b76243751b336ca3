"""MDMoCo on one process: split-batch BN keeps one sample's features independent of the other
groups (MoCo's single-GPU shuffle-BN), or a warning names the option."""
from pathlib import Path

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from muscle_mm.models.utils.split_batch_norm import SplitBatchNorm
from muscle_mm.registry import MODELS

BATCH = 4
CONFIGS = Path(__file__).resolve().parents[3] / 'configs'


def _build(splits, seed=0):
    torch.manual_seed(seed)
    model = MODELS.build(
        dict(
            type='MDMoCo',
            queue_len=16,
            feat_dim=4,
            momentum=0.1,
            single_process_bn_splits=splits,
            backbone=dict(type='ResNet', depth=18, norm_cfg=dict(type='BN')),
            neck=dict(
                type='MoCoV2Neck',
                in_channels=512,
                hid_channels=8,
                out_channels=4,
                with_avg_pool=True),
            head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2),
            data_preprocessor=dict(
                type='SelfSupDataPreprocessor', mean=[122.786] * 3, std=[18.390] * 3,
                to_rgb=False)))
    model.init_weights()
    return model


def _norms(module):
    return [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]


def _query_features(model, x):
    model.train()
    with torch.no_grad():
        return model.neck(model.backbone(x))[0]


def test_one_process_splits_bn_in_both_encoders():
    model = _build(splits=2)
    for encoder in (model.backbone, model.encoder_k.module):
        norms = _norms(encoder)
        assert norms and all(isinstance(m, SplitBatchNorm) and m.num_splits == 2 for m in norms)
    # a train step still moves the key encoder by EMA (its tensor list survived the swap)
    batch = dict(
        inputs=[torch.rand(BATCH, 3, 64, 40) * 255 for _ in range(2)],
        data_samples=[DataSample() for _ in range(BATCH)])
    before = [p.clone() for p in model.encoder_k.module.parameters()]
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.5))
    for _ in range(2):
        losses = model.train_step(batch, wrapper)
    assert torch.isfinite(losses['loss'])
    assert any(not torch.equal(a, b) for a, b in zip(before, model.encoder_k.module.parameters()))


def test_split_bn_stops_information_flowing_between_groups():
    """Changing sample 1 (group 1) must not change sample 0's features (group 0); with one BN
    over the whole batch it does: that is the within-batch leak MoCo's shuffle-BN prevents."""
    x = torch.randn(BATCH, 3, 64, 40)
    x2 = x.clone()
    x2[1] = torch.randn(3, 64, 40) * 3 + 2
    split, plain = _build(splits=2), _build(splits=0)
    for model, leaks in ((split, False), (plain, True)):
        a, b = _query_features(model, x), _query_features(model, x2)
        assert torch.allclose(a[0], b[0], atol=1e-5) is not leaks
        assert torch.allclose(a[2], b[2], atol=1e-5) is not leaks  # group 0 too
        assert not torch.allclose(a[1], b[1], atol=1e-5)  # the changed sample itself


def test_without_the_option_one_process_warns(log_lines):
    model = _build(splits=0)
    assert not any(isinstance(m, SplitBatchNorm) for m in model.modules())
    assert any('shuffle-BN does not separate' in m and 'model.single_process_bn_splits=8' in m
               for m in log_lines)


def test_checkpoint_loads_into_a_plain_bn_model():
    split, plain = _build(splits=2, seed=1), _build(splits=0, seed=2)
    plain.load_state_dict(split.state_dict())  # strict: the same keys and shapes
    for a, b in zip(plain.state_dict().values(), split.state_dict().values()):
        assert torch.equal(a, b)


def test_configs_turn_it_on_with_a_batch_it_divides():
    # the real configs: MoCo v2's 8 GPUs; the demo (batch 16): 2 groups of 8 samples
    for name, splits in (('mdmoco_r50.py', 8), ('mdmoco_r18.py', 8), ('mdmoco_r18_demo.py', 2)):
        cfg = Config.fromfile(str(CONFIGS / 'muscle' / name))
        assert cfg.model.single_process_bn_splits == splits, name
        assert cfg.train_dataloader.batch_size % cfg.model.single_process_bn_splits == 0, name
