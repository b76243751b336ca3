"""bf16 autocast through the project's own model code, on the CPU (mmengine's AmpOptimWrapper
refuses a CPU; torch.autocast('cpu', bfloat16) runs the same forward and loss): the views, the
split-batch BN, the MoCo queue, the L2-SP penalty and Faster R-CNN's RoI extraction."""
import copy

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

import muscle_mm  # noqa: F401
from muscle_mm.engine.hooks import L2SPHook
from muscle_mm.models.utils import AutocastRoIExtractor, SplitBatchNorm, XRayViews
from muscle_mm.registry import MODELS


def bf16():
    return torch.autocast('cpu', dtype=torch.bfloat16)


def test_xray_views_sample_bf16_inputs_on_an_fp32_grid():
    """A bf16 batch gets the fp32 views of its values, rounded to bf16: not a bf16 grid's (on
    an 800-pixel axis bf16 coordinates misplace samples by pixels), and no dtype error
    (grid_sample needs input and grid of one dtype; CPU autocast does not cast them)."""
    MessageHub.get_instance('amp_views').update_info('iter', 5)
    x = (torch.rand(2, 1, 800, 500) * 255).bfloat16()
    want = XRayViews(seed=1)(x.float())[0]
    for ctx in (torch.autocast('cpu', enabled=False), bf16()):
        with ctx:
            got = XRayViews(seed=1)(x)[0]
        for g, w in zip(got, want):
            assert g.dtype == torch.bfloat16 and torch.equal(g, w.bfloat16())


def test_split_batch_norm_under_autocast_matches_fp32():
    torch.manual_seed(0)
    bn = SplitBatchNorm(8, num_splits=4).train()
    x = torch.randn(8, 8, 6, 5)
    ref = bn(x)
    bn.running_mean.zero_(), bn.running_var.fill_(1), bn.num_batches_tracked.zero_()
    with bf16():
        got = bn(x.bfloat16())
    assert bn.running_mean.dtype == torch.float32  # statistics stay fp32
    assert torch.allclose(got.float(), ref, atol=5e-2)


@pytest.fixture
def moco():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='MDMoCo',
            queue_len=32,
            feat_dim=8,
            momentum=0.1,
            single_process_bn_splits=2,
            backbone=dict(type='ResNet', depth=18, norm_cfg=dict(type='BN')),
            neck=dict(
                type='MoCoV2Neck',
                in_channels=512,
                hid_channels=16,
                out_channels=8,
                with_avg_pool=True),
            head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2),
            data_preprocessor=dict(
                type='MultiViewDataPreprocessor',
                mean=[122.786] * 3,
                std=[18.390] * 3,
                batch_augments=[dict(type='XRayViews', seed=0)])))
    model.init_weights()
    return model.train()


def test_mdmoco_loss_under_bf16_autocast(moco):
    """Device views + split-batch BN + InfoNCE in bf16: finite loss close to fp32's, and the
    queue keeps fp32 keys (the bf16 keys are written into it, not the queue made bf16)."""
    MessageHub.get_instance('amp_moco').update_info('iter', 0)
    batch = dict(
        inputs=torch.randint(0, 256, (4, 1, 64, 40), dtype=torch.uint8),
        data_samples=[DataSample(metainfo=dict(sample_idx=i)) for i in range(4)])
    queue = moco.queue.clone()
    twin = copy.deepcopy(moco)  # each loss call moves the key encoder (EMA) and the queue
    torch.manual_seed(1)  # the same key shuffle for both
    with torch.no_grad():
        ref = twin(**twin.data_preprocessor(batch, True), mode='loss')['loss']
    torch.manual_seed(1)
    with bf16():
        loss = moco(**moco.data_preprocessor(batch, True), mode='loss')['loss']
    assert torch.isfinite(loss)
    assert abs(loss.item() - ref.item()) < 0.05 * abs(ref.item())
    assert moco.queue.dtype == torch.float32
    assert not torch.equal(moco.queue[:, :4], queue[:, :4])  # enqueued
    loss.backward()
    grads = [p.grad for p in moco.backbone.parameters() if p.grad is not None]
    assert grads and all(g.dtype == torch.float32 and torch.isfinite(g).all() for g in grads)


def test_l2sp_penalty_stays_fp32_under_autocast():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Linear(4, 2))
    hook = L2SPHook(alpha=0.9, strength=5e-5)
    hook.params = [(n, p) for n, p in net.named_parameters() if p.dim() >= 2]
    hook.set_anchor('test')
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.01)
    ref = hook.penalty()
    with bf16():
        got = hook.penalty()
    assert got.dtype == torch.float32 and torch.equal(got, ref)


def _extractors():
    init_default_scope('mmdet')
    cfg = dict(
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
        out_channels=8,
        featmap_strides=[4, 8])
    stock = MODELS.build(dict(cfg, type='SingleRoIExtractor', _scope_='mmdet'))
    ours = MODELS.build(dict(cfg, type='AutocastRoIExtractor', _scope_='mmdet'))
    feats = [torch.randn(2, 8, 16, 10), torch.randn(2, 8, 8, 5)]
    rois = torch.tensor([[0, 2., 3., 30., 40.], [1, 0., 0., 39., 63.], [0, 5., 5., 12., 9.]])
    return stock, ours, feats, rois


def test_autocast_roi_extractor_is_stock_in_fp32_and_runs_bf16():
    """mmcv 2.1.0's RoIAlign has no bf16 kernel (the stock extractor stops under bf16
    autocast, on the GPU too: roi_align_cuda.cu dispatches float/double/half); ours gives the
    stock fp32 result for fp32 and its bf16 rounding for bf16."""
    stock, ours, feats, rois = _extractors()
    assert isinstance(ours, AutocastRoIExtractor)
    assert not list(ours.state_dict()) and not list(stock.state_dict())
    ref = stock(feats, rois)
    assert torch.equal(ours(feats, rois), ref)
    low = [f.bfloat16() for f in feats]
    with pytest.raises((NotImplementedError, RuntimeError), match='BFloat16'):
        stock(low, rois.bfloat16())
    with bf16():
        got = ours(low, rois.bfloat16())
    assert got.dtype == torch.bfloat16
    assert torch.allclose(got.float(), stock([f.float() for f in low], rois), atol=2e-2)
