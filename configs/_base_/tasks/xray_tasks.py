# MUSCLE's four downstream tasks (paper Tab. 1-3), defined once for the continual stage
# (configs/muscle/muscle_*.py) and for fine-tuning (configs/finetune/<task>/*), under one namespace:
#   xray_tasks.<task>.{model, train_dataloader, val_dataloader, test_dataloader, val_evaluator,
#                      test_evaluator}        <task>: pneumonia, mura, lung, tbx
# Nothing inherits this file except configs/_base_/tasks/<task>.py (one task as the standard
# top-level keys, for fine-tuning) and configs/muscle/muscle_r50.py (all four, as model.tasks.<task>
# and <split>_dataloader.<task>). Both bind what they need and then drop the namespace
# (`_base_.pop('xray_tasks')`), so a resolved config holds only the keys its run reads and
# --cfg-options reaches the copy that runs (tools/train.py refuses an override of a key that
# nothing reads). One file, because mmengine refuses a key that two sibling bases both bring in.
# Names starting with `__` are this file's shorthands: mmengine leaves them out of the config.
#
# | setting      | pneumonia / mura         | lung                      | tbx                     |
# |--------------|--------------------------|---------------------------|-------------------------|
# | data         | Kermany 4,686/585/585;   | Montgomery+Shenzhen masks | TBX11K TB images        |
# |              | MURA 32,013/3,997/3,995  | 718:89:89 (Tab. 1)        | 640/80/80, active+latent|
# | input        | 800x500 (h x w), gray x3, Z-score 122.786 / 18.390, as MD-MoCo (paper §2.1)   |
# | augmentation | horizontal flip p=0.5 only (MD-MoCo's views minus rotation; paper: none)      |
# | head         | GAP + FC, 2 classes      | DeepLabV3 ASPPHead, OS8   | Faster R-CNN + FPN      |
# |              | (paper §2.2 "FC")        | (paper [13]; mmseg d8)    | (paper [14]; mmdet 1x)  |
# | batch / GPU  | 32 (mmpretrain ResNet)   | 4 (mmseg: 2 at 512x1024,  | 4 (mmdet: 2 at 1333x800,|
# |              |                          | about the same pixels)    | about the same pixels)  |
# | metric       | Acc/Sen/Spe/AUC (95% CI) | Dice (lung), mIoU         | mAP@0.5, AP act./latent |
#
# Splits: seed / mode from xray_splits.py, shared with the MD-MoCo pool. Loaders: 4 workers, not
# persistent (the continual loop alternates four loaders; persistent pools would idle 4x).
_base_ = ['../datasets/xray_preprocess.py', '../datasets/xray_splits.py']

__load, __resize = _base_.xray_load, _base_.xray_resize
__hflip = dict(type='RandomFlip', prob=0.5, direction='horizontal')
# Loaders: one per split, the training one shuffled.
__loader = dict(num_workers=4, persistent_workers=False, pin_memory=True)
__cls_loader = dict(__loader, batch_size=32, collate_fn=dict(type='default_collate'))
__dense_loader = dict(__loader, batch_size=4, collate_fn=dict(type='pseudo_collate'))
__shuffled = dict(type='DefaultSampler', shuffle=True)
__in_order = dict(type='DefaultSampler', shuffle=False)
# The split definition of xray_splits.py (the MD-MoCo pool's too).
__split = dict(seed=_base_.xray_split_seed, split_dir=_base_.xray_split_dir)
__split_mode = _base_.xray_split_mode

# --- classification: pneumonia (NORMAL / PNEUMONIA), mura (normal / abnormal) --------------------
__cls_train_pipeline = [__load, __resize, __hflip, dict(type='PackInputs')]
__cls_test_pipeline = [__load, __resize, dict(type='PackInputs')]
__cls_model = dict(
    type='ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        num_classes=2,
        mean=_base_.xray_mean,
        std=_base_.xray_std,
        to_rgb=False),
    # Scratch is Kaiming-normal conv, BN 1/0 (paper §3). mmpretrain's ResNet would then also
    # zero the last BN of every residual block (its zero_init_residual=True default), which
    # mmdet's and mmseg's ResNets skip under an explicit init_cfg: off, so that Scratch is one
    # initialization on all four tasks (tests/test_configs/test_finetune_norm_init.py).
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch',
        zero_init_residual=False),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=2,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
__cls_evaluator = [dict(type='BinaryClsMetric', _scope_='mmpretrain')]  # positive = class 1
__pneumonia_data = dict(
    type='PneumoniaCXR',
    _scope_='mmpretrain',
    data_root='data/PneumoniaCXR',
    split_mode=__split_mode,
    **__split)
__mura_data = dict(
    type='MURA', _scope_='mmpretrain', data_root='data/MURA', split_mode=__split_mode, **__split)

# --- lung segmentation: background / lung ---------------------------------------------------------
__lung_train_pipeline = [
    __load, dict(type='LoadXRayLungMask'), __resize, __hflip,
    dict(type='PackSegInputs')
]
# As mmseg's stock test pipelines: the mask is loaded after Resize, so it is scored at full size.
__lung_test_pipeline = [__load, __resize, dict(type='LoadXRayLungMask'), dict(type='PackSegInputs')]
__lung_norm_cfg = dict(type='BN', requires_grad=True)  # mmseg's stock SyncBN needs a process group
__lung_model = dict(
    type='EncoderDecoder',
    _scope_='mmseg',
    # seg_pad_val 255 = the loss's ignore_index: padding never counts as background.
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=_base_.xray_mean,
        std=_base_.xray_std,
        bgr_to_rgb=False,
        pad_val=0,
        seg_pad_val=255,
        size_divisor=8),
    # Plain ResNet (the MD-MoCo weights fit it; mmseg's stock ResNetV1c has a deep stem) at output
    # stride 8: strides (1, 2, 1, 1), dilations (1, 1, 2, 4), as mmseg's deeplabv3_r50-d8.
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        norm_cfg=__lung_norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=False),
    # DeepLabV3 head as mmseg's deeplabv3_r50-d8 (no auxiliary FCN head: the paper names only
    # DeepLab-V3, and the continual stage trains one head per task).
    decode_head=dict(
        type='ASPPHead',
        in_channels=2048,
        in_index=3,
        channels=512,
        dilations=(1, 12, 24, 36),
        dropout_ratio=0.1,
        num_classes=2,
        norm_cfg=__lung_norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
__lung_data = dict(
    type='ChestXrayMasks', _scope_='mmseg', data_root='data/ChestXrayMasks', **__split)
# Tab. 3: Dice of the lung and mIoU over background + lung (muscle_mm DiceIoUMetric on mmseg's
# IoUMetric: seg/dice, seg/mIoU, seg/mDice).
__lung_evaluator = [dict(type='DiceIoUMetric', _scope_='mmseg', foreground_index=1)]

# --- TB detection: ActiveTuberculosis / ObsoletePulmonaryTuberculosis (latent) -------------------
__tbx_train_pipeline = [
    __load,
    dict(type='LoadAnnotations', with_bbox=True), __resize, __hflip,
    dict(type='PackDetInputs')
]
# 'instances' in the meta keys lets CocoMetric build the COCO ground truth from the split itself
# (no json path to keep in step with data_root and the split seed).
__tbx_test_pipeline = [
    __load, __resize,
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'instances'))
]
# mmdet's faster-rcnn_r50_fpn.py, with X-ray normalization, 2 classes, no frozen stem (the paper's
# backbones are not ImageNet-trained) and BN trained, statistics included (norm_eval=False), as in
# the lung and classification models: mmdet's norm_eval=True is its ImageNet recipe (it would
# keep Scratch's BN at 0/1 statistics and ImageNet's statistics on Z-scored X-rays), and mmdet's
# from-scratch configs train their norm layers (configs/scratch: GN; *-syncbn_*: SyncBN). Batch 4
# per GPU trains plain BN; multi-GPU runs can sync it with --cfg-options sync_bn=torch (mmengine
# converts BN to SyncBN only when distributed). Stage 2 (configs/muscle) uses the same model.
__tbx_model = dict(
    type='FasterRCNN',
    _scope_='mmdet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=_base_.xray_mean,
        std=_base_.xray_std,
        bgr_to_rgb=False,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch'),
    neck=dict(type='FPN', in_channels=[256, 512, 1024, 2048], out_channels=256, num_outs=5),
    rpn_head=dict(
        type='RPNHead',
        in_channels=256,
        feat_channels=256,
        anchor_generator=dict(
            type='AnchorGenerator', scales=[8], ratios=[0.5, 1.0, 2.0], strides=[4, 8, 16, 32, 64]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='StandardRoIHead',
        # mmdet's SingleRoIExtractor, its RoIAlign run in fp32 under --amp (mmcv 2.1.0 has no
        # bf16 RoIAlign kernel); identical without autocast
        bbox_roi_extractor=dict(
            type='AutocastRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(
            type='Shared2FCBBoxHead',
            in_channels=256,
            fc_out_channels=1024,
            roi_feat_size=7,
            num_classes=2,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0., 0., 0., 0.],
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.7,
                neg_iou_thr=0.3,
                min_pos_iou=0.3,
                match_low_quality=True,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=256,
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        rpn_proposal=dict(
            nms_pre=2000,
            max_per_img=1000,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.5,
                min_pos_iou=0.5,
                match_low_quality=False,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=512,
                pos_fraction=0.25,
                neg_pos_ub=-1,
                add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        rpn=dict(
            nms_pre=1000,
            max_per_img=1000,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5), max_per_img=100)))
__tbx_data = dict(
    type='TBX11K', _scope_='mmdet', data_root='data/TBX11K', split_mode=__split_mode, **__split)
# Tab. 3: AP at IoU 0.5 of active and of latent TB and their mean, by pycocotools (muscle_mm
# ClasswiseAP50Metric on mmdet's CocoMetric: coco/mAP50, coco/AP50_active, coco/AP50_latent).
__tbx_evaluator = [
    dict(
        type='ClasswiseAP50Metric',
        _scope_='mmdet',
        classwise=True,
        class_aliases=dict(ActiveTuberculosis='active', ObsoletePulmonaryTuberculosis='latent'))
]

xray_tasks = dict(
    pneumonia=dict(
        model=__cls_model,
        train_dataloader=dict(
            __cls_loader,
            sampler=__shuffled,
            dataset=dict(__pneumonia_data, split='train', pipeline=__cls_train_pipeline)),
        val_dataloader=dict(
            __cls_loader,
            sampler=__in_order,
            dataset=dict(__pneumonia_data, split='val', pipeline=__cls_test_pipeline)),
        test_dataloader=dict(
            __cls_loader,
            sampler=__in_order,
            dataset=dict(__pneumonia_data, split='test', pipeline=__cls_test_pipeline)),
        val_evaluator=__cls_evaluator,
        test_evaluator=__cls_evaluator),
    mura=dict(
        model=__cls_model,
        train_dataloader=dict(
            __cls_loader,
            sampler=__shuffled,
            dataset=dict(__mura_data, split='train', pipeline=__cls_train_pipeline)),
        val_dataloader=dict(
            __cls_loader,
            sampler=__in_order,
            dataset=dict(__mura_data, split='val', pipeline=__cls_test_pipeline)),
        test_dataloader=dict(
            __cls_loader,
            sampler=__in_order,
            dataset=dict(__mura_data, split='test', pipeline=__cls_test_pipeline)),
        val_evaluator=__cls_evaluator,
        test_evaluator=__cls_evaluator),
    lung=dict(
        model=__lung_model,
        # drop_last: a last batch of one image cannot train ASPP's image-pooling BN (1x1 map); the
        # few images left out differ every epoch (shuffled), as in mmseg's iteration-based training.
        train_dataloader=dict(
            __dense_loader,
            sampler=__shuffled,
            drop_last=True,
            dataset=dict(__lung_data, split='train', pipeline=__lung_train_pipeline)),
        val_dataloader=dict(
            __dense_loader,
            sampler=__in_order,
            dataset=dict(__lung_data, split='val', pipeline=__lung_test_pipeline)),
        test_dataloader=dict(
            __dense_loader,
            sampler=__in_order,
            dataset=dict(__lung_data, split='test', pipeline=__lung_test_pipeline)),
        val_evaluator=__lung_evaluator,
        test_evaluator=__lung_evaluator),
    tbx=dict(
        model=__tbx_model,
        # Images without a box stay in training (filter_empty_gt=False): nothing dropped silently.
        train_dataloader=dict(
            __dense_loader,
            sampler=__shuffled,
            dataset=dict(
                __tbx_data,
                split='train',
                pipeline=__tbx_train_pipeline,
                filter_cfg=dict(filter_empty_gt=False))),
        val_dataloader=dict(
            __dense_loader,
            sampler=__in_order,
            dataset=dict(__tbx_data, split='val', pipeline=__tbx_test_pipeline, test_mode=True)),
        test_dataloader=dict(
            __dense_loader,
            sampler=__in_order,
            dataset=dict(__tbx_data, split='test', pipeline=__tbx_test_pipeline, test_mode=True)),
        val_evaluator=__tbx_evaluator,
        test_evaluator=__tbx_evaluator))

# The constants of the two bases are in the definitions above; a config that inherits this file
# does not read them (change them in xray_preprocess.py / xray_splits.py).
_base_.pop('xray_mean')
_base_.pop('xray_std')
_base_.pop('xray_scale')
_base_.pop('xray_load')
_base_.pop('xray_interpolation')
_base_.pop('xray_resize')
_base_.pop('xray_split_seed')
_base_.pop('xray_split_mode')
_base_.pop('xray_split_dir')
