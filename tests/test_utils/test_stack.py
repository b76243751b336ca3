"""The pinned stack works on the CPU: real mmcv ops in Faster R-CNN, DeepLabV3, MoCo v2."""
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope


def _cfg(tmp_path, text):
    path = tmp_path / 'cfg.py'
    path.write_text(text)
    return Config.fromfile(str(path))


def test_faster_rcnn_loss_and_predict(tmp_path):
    from mmdet.registry import MODELS
    from mmdet.testing import demo_mm_inputs
    cfg = _cfg(
        tmp_path, """
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'
model = dict(backbone=dict(depth=18, init_cfg=None),
             neck=dict(in_channels=[64, 128, 256, 512]),
             roi_head=dict(bbox_head=dict(num_classes=2)))
""")
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model)
    packed = demo_mm_inputs(2, [[3, 64, 64], [3, 64, 64]], num_items=[2, 1], num_classes=2)
    data = model.data_preprocessor(packed, True)
    losses = model(**data, mode='loss')
    assert {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox'} <= set(losses)
    total = sum(v.sum() if isinstance(v, torch.Tensor) else sum(v) for v in losses.values())
    assert torch.isfinite(total)
    total.backward()
    model.eval()
    with torch.no_grad():
        preds = model(**model.data_preprocessor(packed, False), mode='predict')
    assert len(preds) == 2 and hasattr(preds[0], 'pred_instances')


def test_deeplabv3_loss(tmp_path):
    from mmengine.structures import PixelData
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    cfg = _cfg(
        tmp_path, """
_base_ = 'mmseg::_base_/models/deeplabv3_r50-d8.py'
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(pretrained=None, data_preprocessor=dict(size=(64, 64)),
             backbone=dict(depth=18, norm_cfg=norm_cfg),
             decode_head=dict(in_channels=512, channels=32, num_classes=2, norm_cfg=norm_cfg),
             auxiliary_head=dict(in_channels=256, channels=16, num_classes=2, norm_cfg=norm_cfg))
""")
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    samples = []
    for _ in range(2):
        s = SegDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64)))
        s.gt_sem_seg = PixelData(data=torch.randint(0, 2, (1, 64, 64)))
        samples.append(s)
    data = model.data_preprocessor(
        dict(
            inputs=[torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)] * 2,
            data_samples=samples), True)
    losses = model(**data, mode='loss')
    assert 'decode.loss_ce' in losses and torch.isfinite(losses['decode.loss_ce'])
    losses['decode.loss_ce'].backward()


def test_mocov2_step():
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample
    init_default_scope('mmpretrain')
    model = MODELS.build(
        dict(
            type='MoCo',
            queue_len=8,
            feat_dim=4,
            momentum=0.001,
            backbone=dict(type='ResNet', depth=18, norm_cfg=dict(type='BN')),
            neck=dict(type='MoCoV2Neck', in_channels=512, hid_channels=8, out_channels=4),
            head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2)))
    views = [torch.randint(0, 255, (2, 3, 32, 32), dtype=torch.uint8).float()] * 2
    data = model.data_preprocessor(dict(inputs=views, data_samples=[DataSample()] * 2))
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss'])
    assert int(model.queue_ptr) == 2
