"""Stock mmdet and mmseg configs (`mmdet::`, `mmseg::` inheritance) train and test through this
project's tools on muscle_mm's TBX11K and ChestXrayMasks, with pycocotools / IoU evaluation.

After 2 iterations the scores themselves mean nothing, so the tests check the evaluation: the
reported numbers equal an independent computation on the dumped predictions (pycocotools run
here on the split's json; IoU counted here against the mask files on disk), and the config's
evaluator gives a perfect score to the ground truth itself."""
import json
import os.path as osp

import cv2
import mmengine
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from muscle_mm.cli import test as test_tool
from muscle_mm.cli import train as train_tool
from muscle_mm.datasets.synthetic import generate_all
from muscle_mm.datasets.tbx11k import TBX11K

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
    """Train 2 iterations, test with --out; (metrics, dumped predictions, config)."""
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(text.replace('{root}', root))
    work = str(tmp_path / 'work')
    runner = train_tool.main([str(cfg), '--work-dir', work])
    assert runner.iter == 2
    out = str(tmp_path / 'preds.pkl')
    metrics = test_tool.main(
        [str(cfg), osp.join(work, 'iter_2.pth'), '--work-dir', work, '--out', out])
    return metrics, mmengine.load(out), Config.fromfile(str(cfg))


def _perfect_score(cfg, scope, to_prediction):
    """The config's test evaluator, fed the test set's own ground truth as predictions."""
    init_default_scope(scope)
    registry = __import__(f'{scope}.registry', fromlist=['DATASETS', 'METRICS'])
    dataset = registry.DATASETS.build(cfg.test_dataloader.dataset)
    metric = registry.METRICS.build(cfg.test_evaluator)
    metric.dataset_meta = dataset.metainfo
    samples = [to_prediction(dataset, i) for i in range(len(dataset))]
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def _gt_boxes_as_prediction(dataset, i):
    info = dataset.get_data_info(i)
    boxes = [inst['bbox'] for inst in info['instances']]
    return dict(
        img_id=info['img_id'],
        ori_shape=(info['height'], info['width']),
        pred_instances=dict(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            scores=torch.ones(len(boxes)),
            labels=torch.tensor([inst['bbox_label'] for inst in info['instances']],
                                dtype=torch.long)))


def _pycocotools_map(ann_file, classes, preds):
    """bbox mAP and mAP@50 of the dumped predictions, by pycocotools directly."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    gt = COCO(ann_file)
    with open(ann_file) as f:
        cat_of = {c['name']: c['id'] for c in json.load(f)['categories']}
    dets = []
    for p in preds:
        inst = p['pred_instances']
        for (x1, y1, x2, y2), score, label in zip(inst['bboxes'].tolist(), inst['scores'].tolist(),
                                                  inst['labels'].tolist()):
            dets.append(
                dict(
                    image_id=p['img_id'],
                    category_id=cat_of[classes[label]],
                    bbox=[x1, y1, x2 - x1, y2 - y1],
                    score=score))
    assert dets, 'no predictions to score (score_thr is 0, so every image has boxes)'
    ev = COCOeval(gt, gt.loadRes(dets), 'bbox')
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    return ev.stats[0], ev.stats[1]


def test_mmdet_faster_rcnn_on_tbx11k(tmp_path):
    root = generate_all(str(tmp_path / 'data'), only=['TBX11K'])['TBX11K']
    metrics, preds, cfg = _train_and_test(tmp_path, DET, root)
    assert len(preds) == len({p['img_id'] for p in preds}) > 0  # one entry per val image
    m_ap, m_ap50 = _pycocotools_map(cfg.test_evaluator.ann_file, TBX11K.METAINFO['classes'], preds)
    assert abs(metrics['coco/bbox_mAP'] - m_ap) < 1e-3  # CocoMetric rounds to 3 decimals
    assert abs(metrics['coco/bbox_mAP_50'] - m_ap50) < 1e-3
    # dataset boxes and the split's COCO json describe the same boxes: the truth scores 1.0
    perfect = _perfect_score(cfg, 'mmdet', _gt_boxes_as_prediction)
    assert perfect['coco/bbox_mAP'] == 1.0 and perfect['coco/bbox_mAP_50'] == 1.0


def _mask_on_disk(seg_map_path):
    """The lung mask as {0, 1}, read here with cv2 (a list of files: their union)."""
    paths = [seg_map_path] if isinstance(seg_map_path, str) else seg_map_path
    return np.any([cv2.imread(p, cv2.IMREAD_GRAYSCALE) > 0 for p in paths], axis=0)


def _gt_mask_as_prediction(dataset, i):
    info = dataset.get_data_info(i)
    gt = torch.from_numpy(_mask_on_disk(info['seg_map_path']).astype(np.int64))[None]
    return dict(pred_sem_seg=dict(data=gt), gt_sem_seg=dict(data=gt))


def test_mmseg_deeplabv3_on_lung_masks(tmp_path):
    root = generate_all(str(tmp_path / 'data'), only=['ChestXrayMasks'])['ChestXrayMasks']
    metrics, preds, cfg = _train_and_test(tmp_path, SEG, root)
    inter, union, area_sum = np.zeros(2), np.zeros(2), np.zeros(2)
    for p in preds:
        pred = p['pred_sem_seg']['data'][0].numpy()
        gt = _mask_on_disk(p['seg_map_path']).astype(np.int64)
        assert pred.shape == gt.shape  # predictions are scored at the mask's full size
        for c in (0, 1):
            inter[c] += np.sum((pred == c) & (gt == c))
            union[c] += np.sum((pred == c) | (gt == c))
            area_sum[c] += np.sum(pred == c) + np.sum(gt == c)
    assert union[1] > 0  # the masks hold lung pixels, read as class 1
    with np.errstate(invalid='ignore'):
        m_iou = np.nanmean(inter / union) * 100
        m_dice = np.nanmean(2 * inter / area_sum) * 100
    assert abs(metrics['mIoU'] - m_iou) < 0.011  # IoUMetric rounds to 2 decimals
    assert abs(metrics['mDice'] - m_dice) < 0.011
    perfect = _perfect_score(cfg, 'mmseg', _gt_mask_as_prediction)
    assert perfect['mIoU'] == 100.0 and perfect['mDice'] == 100.0
