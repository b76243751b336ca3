"""MDMoCo: MoCo's queue and key-encoder updates as defined, Kaiming init, q == k at start;
the configs and their X-ray views."""
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from muscle_mm.models import MDMoCo
from muscle_mm.registry import MODELS, TRANSFORMS

QUEUE_LEN, FEAT_DIM, BATCH = 8, 4, 2


def _cfg(**kw):
    cfg = dict(
        type='MDMoCo',
        queue_len=QUEUE_LEN,
        feat_dim=FEAT_DIM,
        momentum=0.1,  # large, so an EMA step is visible in every weight
        backbone=dict(type='ResNet', depth=18, norm_cfg=dict(type='BN'), zero_init_residual=False),
        neck=dict(
            type='MoCoV2Neck',
            in_channels=512,
            hid_channels=8,
            out_channels=FEAT_DIM,
            with_avg_pool=True),
        head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2),
        data_preprocessor=dict(
            type='SelfSupDataPreprocessor', mean=[122.786] * 3, std=[18.390] * 3, to_rgb=False))
    for k, v in kw.items():
        if isinstance(v, dict) and isinstance(cfg.get(k), dict):
            cfg[k] = {**cfg[k], **v}
        else:
            cfg[k] = v
    return cfg


def _build(seed=0, **kw) -> MDMoCo:
    torch.manual_seed(seed)
    model = MODELS.build(_cfg(**kw))
    model.init_weights()
    return model


def _batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    views = [torch.randint(0, 256, (BATCH, 3, 64, 40), generator=g).float() for _ in range(2)]
    return dict(inputs=views, data_samples=[DataSample() for _ in range(BATCH)])


def _query(model):
    return nn.Sequential(model.backbone, model.neck)


def test_key_encoder_starts_as_copy_of_initialized_query():
    model = _build()
    q, k = _query(model).state_dict(), model.encoder_k.module.state_dict()
    assert q.keys() == k.keys()
    for name in q:
        assert torch.equal(q[name], k[name]), name


def test_loss_queue_and_enqueued_keys():
    model = _build()
    model.train()
    data = model.data_preprocessor(_batch(), training=True)
    im_k = data['inputs'][1]
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss'} and torch.isfinite(losses['loss'])
    assert int(model.queue_ptr) == BATCH
    # enqueued keys = the key encoder's normalized outputs on the key view (train-mode BN
    # uses batch statistics, so the shuffle-BN permutation does not change them)
    with torch.no_grad():
        expected = nn.functional.normalize(model.encoder_k(im_k)[0], dim=1)
    torch.testing.assert_close(model.queue[:, :BATCH].t(), expected, atol=1e-5, rtol=1e-4)
    # the rest of the queue is still unit-norm random keys
    torch.testing.assert_close(model.queue.norm(dim=0), torch.ones(QUEUE_LEN))
    model(**model.data_preprocessor(_batch(1), training=True), mode='loss')
    assert int(model.queue_ptr) == 2 * BATCH


def test_key_encoder_ema_update_is_exact():
    m = 0.1
    model = _build(momentum=m)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9))
    k_params = dict(model.encoder_k.module.named_parameters())
    q_params = dict(_query(model).named_parameters())

    model.train_step(_batch(0), wrapper)  # step 1: EMA's first update copies q
    k_before = {n: p.detach().clone() for n, p in k_params.items()}
    q_before = {n: p.detach().clone() for n, p in q_params.items()}
    assert any(not torch.equal(k_before[n], q_before[n]) for n in q_before), \
        'the SGD step should have moved the query away from the key encoder'

    model.train_step(_batch(1), wrapper)  # step 2: k <- (1 - m) * k + m * q (q before step)
    for n, p in k_params.items():
        torch.testing.assert_close(p, (1 - m) * k_before[n] + m * q_before[n], atol=1e-6, rtol=0)
        assert torch.equal(p, torch.lerp(k_before[n], q_before[n], m)), n
        assert not p.requires_grad


def test_kaiming_init_applied_and_switchable():
    # backbone init_cfg=None isolates MDMoCo's init from ResNet's own default init_cfg
    on = _build(backbone=dict(init_cfg=None), kaiming_init=True)
    off = _build(backbone=dict(init_cfg=None), kaiming_init=False)
    for name, conv in on.backbone.named_modules():
        if isinstance(conv, nn.Conv2d) and conv.weight.numel() > 100_000:
            fan_out = conv.out_channels * conv.kernel_size[0] * conv.kernel_size[1]
            fan_in = conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1]
            assert conv.weight.std().item() == pytest.approx(math.sqrt(2 / fan_out), rel=0.03)
            assert abs(conv.weight.mean().item()) < 0.1 * math.sqrt(2 / fan_out)
            off_w = off.backbone.get_submodule(name).weight
            # without it: torch's default kaiming_uniform(a=sqrt(5)), std = 1/sqrt(3 fan_in)
            assert off_w.std().item() == pytest.approx(1 / math.sqrt(3 * fan_in), rel=0.03)
    for m in on.backbone.modules():
        if isinstance(m, nn.BatchNorm2d):
            assert torch.all(m.weight == 1) and torch.all(m.bias == 0)
    # still an exact copy in the key encoder after Kaiming
    for a, b in zip(_query(on).parameters(), on.encoder_k.module.parameters()):
        assert torch.equal(a, b)


def test_kaiming_keeps_zero_init_residual():
    model = _build(backbone=dict(zero_init_residual=True))
    assert torch.all(model.backbone.layer1[0].norm2.weight == 0)
    assert torch.all(model.backbone.layer1[0].norm1.weight == 1)


def test_pretrained_backbone_not_overwritten(tmp_path):
    src = _build(seed=1)
    path = tmp_path / 'r18.pth'
    torch.save({'state_dict': src.backbone.state_dict()}, path)
    model = _build(seed=2, backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=str(path))))
    for (n, a), b in zip(model.backbone.state_dict().items(), src.backbone.state_dict().values()):
        assert torch.equal(a, b), n
    for a, b in zip(model.backbone.parameters(), model.encoder_k.module[0].parameters()):
        assert torch.equal(a, b)


def test_batch_not_dividing_queue_is_a_clear_error():
    model = _build(queue_len=6)
    model.train()
    batch = _batch()
    batch['inputs'] = [v[:1].repeat(4, 1, 1, 1) for v in batch['inputs']]
    batch['data_samples'] = [DataSample() for _ in range(4)]
    with pytest.raises(ValueError, match=r'queue_len=6 .* global batch 4'):
        model(**model.data_preprocessor(batch, training=True), mode='loss')


CONFIGS = Path(__file__).resolve().parents[3] / 'configs' / 'muscle'
EXCLUDED = {
    'RandomResizedCrop', 'RandomCrop', 'GaussianBlur', 'ColorJitter', 'RandomGrayscale',
    'RandomApply', 'Solarize', 'RandomErasing'
}


def _transform_types(pipeline):
    for t in pipeline:
        yield t['type']
        for sub in t.get('transforms', []):  # MultiView: list of pipelines
            yield from _transform_types(sub if isinstance(sub, list) else [sub])


@pytest.mark.parametrize('arch,width', [('r18', 512), ('r50', 2048)])
def test_configs(arch, width):
    cfg = Config.fromfile(str(CONFIGS / f'mdmoco_{arch}.py'))
    m = cfg.model
    assert m.type == 'MDMoCo' and m.kaiming_init and m.momentum == 0.001
    assert m.backbone.depth == int(arch[1:]) and m.neck.in_channels == width
    assert m.data_preprocessor.mean == [122.786] * 3 and m.data_preprocessor.std == [18.390] * 3
    assert m.queue_len % (cfg.train_dataloader.batch_size * 8) == 0  # 8 GPUs, base batch 256
    assert {'type': 'MoCoQueueCheckHook'} in [dict(h) for h in cfg.custom_hooks]
    pool = cfg.train_dataloader.dataset
    assert pool.type == 'XRayPretrainPool' and len(pool.datasets) == 9
    # NIH: all 112,120 images (paper Tab. 1); the others: their training splits
    assert all(d.split == (
        'all' if d.type == 'NIHChestXray14' else 'train') and d.data_root == f'data/{d.type}'
               for d in pool.datasets)
    types = list(_transform_types(pool.pipeline))
    assert not EXCLUDED & set(types), f'excluded augmentations in the views: {types}'
    assert types[:2] == ['LoadXRayImage', 'Resize'] and types[-1] == 'PackInputs'
    assert {'RandomFlip', 'Rotate'} <= set(types)
    resize, multiview = pool.pipeline[1], pool.pipeline[2]
    assert tuple(resize.scale) == (500, 800) and resize.keep_ratio is False  # h 800, w 500
    rotate = next(t for t in multiview.transforms[0] if t.type == 'Rotate')
    assert max(rotate.magnitude_range) <= 10
    assert cfg.optim_wrapper.optimizer.lr == 0.03 and cfg.auto_scale_lr.base_batch_size == 256


def test_demo_config_keeps_the_method():
    """`make demo` shrinks sizes only: same pool, views, normalization and init."""
    demo = Config.fromfile(str(CONFIGS / 'mdmoco_r18_demo.py'))
    real = Config.fromfile(str(CONFIGS / 'mdmoco_r18.py'))
    assert demo.train_dataloader.dataset.datasets == real.train_dataloader.dataset.datasets
    assert demo.model.data_preprocessor == real.model.data_preprocessor
    assert demo.model.kaiming_init and demo.model.backbone == real.model.backbone
    assert demo.model.queue_len % demo.train_dataloader.batch_size == 0
    dp, rp = demo.train_dataloader.dataset.pipeline, real.train_dataloader.dataset.pipeline
    assert dp[2] == rp[2]  # the same two views
    assert not EXCLUDED & set(_transform_types(dp))


def _run_views(cfg, path, to_gray3=False, seed=0):
    """The config's view pipeline on one image, RNG seeded, then the model's preprocessor."""
    steps = [dict(t) for t in cfg.train_dataloader.dataset.pipeline]
    steps[0]['to_gray3'] = to_gray3
    pipeline = Compose([TRANSFORMS.build(t) for t in steps])
    np.random.seed(seed)
    out = pipeline(dict(img_path=path))
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    batch = preprocessor(
        dict(inputs=[v[None] for v in out['inputs']], data_samples=[out['data_samples']]))
    return out['inputs'], batch['inputs']


def test_view_pipeline_runs_on_a_gray_image(tmp_path):
    cfg = Config.fromfile(str(CONFIGS / 'mdmoco_r18.py'))
    img = np.zeros((60, 40), np.uint8)
    img[10:50, 5:20] = 200  # asymmetric, so a flip or rotation changes the view
    cv2.imwrite(str(tmp_path / 'x.png'), img)
    init_default_scope(cfg.default_scope)  # as the Runner does; MultiView builds in it
    views, model_inputs = _run_views(cfg, str(tmp_path / 'x.png'))
    assert len(views) == 2
    for view in views:  # one gray channel through the dataloader
        assert view.shape == (1, 800, 500) and view.dtype == torch.uint8
    for x in model_inputs:  # three identical normalized channels reach the backbone
        assert x.shape == (1, 3, 800, 500) and x.dtype == torch.float32
        assert torch.equal(x[:, 0], x[:, 1]) and torch.equal(x[:, 0], x[:, 2])
    # exactly what replicating to 3 channels at load time gives, for the same random views
    views3, model_inputs3 = _run_views(cfg, str(tmp_path / 'x.png'), to_gray3=True)
    assert views3[0].shape == (3, 800, 500)
    for x, x3 in zip(model_inputs, model_inputs3):
        assert torch.equal(x, x3)
    _, other = _run_views(cfg, str(tmp_path / 'x.png'), seed=1)
    assert not all(torch.equal(a, b) for a, b in zip(model_inputs, other))  # views are random
