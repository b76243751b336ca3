"""Stock mmdet and mmseg configs (`mmdet::`, `mmseg::` inheritance) train and test through this
project's tools on muscle_mm's TBX11K and ChestXrayMasks, with pycocotools / IoU evaluation."""
import os.path as osp
import sys

from _helpers import REPO
from muscle_mm.datasets.synthetic import generate_all

sys.path.insert(0, osp.join(REPO, 'tools'))
import test as test_tool  # noqa: E402
import train as train_tool  # noqa: E402

DET = """
_base_ = ['mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py']
custom_imports = dict(imports=['muscle_mm'], allow_failed_imports=False)
model = dict(
    data_preprocessor=dict(mean=[122.786] * 3, std=[18.390] * 3),
    backbone=dict(depth=18, init_cfg=None), neck=dict(in_channels=[64, 128, 256, 512]),
    roi_head=dict(bbox_head=dict(num_classes=2)),
    # 2 iterations leave every score near the stock 0.05 threshold; keep all boxes so that
    # pycocotools always has predictions to score
    test_cfg=dict(rcnn=dict(score_thr=0.0)))
randomness = dict(seed=0)
train_pipeline = [dict(type='LoadXRayImage'), dict(type='LoadAnnotations', with_bbox=True),
                  dict(type='Resize', scale=(128, 128), keep_ratio=True),
                  dict(type='PackDetInputs')]
test_pipeline = [dict(type='LoadXRayImage'), dict(type='Resize', scale=(128, 128), keep_ratio=True),
                 dict(type='LoadAnnotations', with_bbox=True),
                 dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape',
                                                       'img_shape', 'scale_factor'))]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(
    _delete_=True, type='TBX11K', data_root='{root}', split='train',
    filter_cfg=dict(filter_empty_gt=True), pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False, dataset=dict(
    _delete_=True, type='TBX11K', data_root='{root}', split='val', test_mode=True,
    pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file='{root}/muscle_mm_splits/TBX11K_seed0_val.json', classwise=True)
test_evaluator = val_evaluator
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=2)
param_scheduler = []
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2), logger=dict(interval=1))
log_processor = dict(by_epoch=False)
"""

SEG = """
_base_ = ['mmseg::deeplabv3/deeplabv3_r50-d8_4xb2-40k_cityscapes-512x1024.py']
custom_imports = dict(imports=['muscle_mm'], allow_failed_imports=False)
norm_cfg = dict(type='BN', requires_grad=True)  # the stock SyncBN needs a process group
model = dict(
    pretrained=None,
    data_preprocessor=dict(mean=[122.786] * 3, std=[18.390] * 3, size=(64, 64)),
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    decode_head=dict(in_channels=512, channels=32, num_classes=2, norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=256, channels=16, num_classes=2, norm_cfg=norm_cfg))
train_pipeline = [dict(type='LoadXRayImage'), dict(type='LoadXRayLungMask'),
                  dict(type='Resize', scale=(64, 64), keep_ratio=False), dict(type='PackSegInputs')]
# as mmseg's stock test pipelines: the mask is loaded after Resize, so it is scored at full size
test_pipeline = [dict(type='LoadXRayImage'), dict(type='Resize', scale=(64, 64), keep_ratio=False),
                 dict(type='LoadXRayLungMask'), dict(type='PackSegInputs')]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(
    _delete_=True, type='ChestXrayMasks', data_root='{root}', split='train',
    pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False, dataset=dict(
    _delete_=True, type='ChestXrayMasks', data_root='{root}', split='val', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU', 'mDice'])
test_evaluator = val_evaluator
train_cfg = dict(max_iters=2, val_interval=2)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2), logger=dict(interval=1))
"""


def _train_and_test(tmp_path, text, root):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(text.replace('{root}', root))
    work = str(tmp_path / 'work')
    runner = train_tool.main([str(cfg), '--work-dir', work])
    assert runner.iter == 2
    return test_tool.main([str(cfg), osp.join(work, 'iter_2.pth'), '--work-dir', work])


def test_mmdet_faster_rcnn_on_tbx11k(tmp_path):
    root = generate_all(str(tmp_path / 'data'), only=['TBX11K'])['TBX11K']
    metrics = _train_and_test(tmp_path, DET, root)
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50'):
        assert 0.0 <= metrics[key] <= 1.0  # pycocotools ran on the split's COCO json


def test_mmseg_deeplabv3_on_lung_masks(tmp_path):
    root = generate_all(str(tmp_path / 'data'), only=['ChestXrayMasks'])['ChestXrayMasks']
    metrics = _train_and_test(tmp_path, SEG, root)
    assert 0.0 <= metrics['mIoU'] <= 100.0 and 0.0 <= metrics['mDice'] <= 100.0
