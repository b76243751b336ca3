# MUSCLE stage 3: fine-tuning on TB detection (paper §2.3, Tab. 3; TBX11K, active and latent TB),
# shared by configs/finetune/tbx/tbx_<init>_r<depth>.py (ResNet-50 here).
# Data, pipeline and model come from configs/_base_/tasks/tbx.py (from xray_tasks.py).
#
# | setting          | value                                       | source                        |
# |------------------|---------------------------------------------|-------------------------------|
# | model            | Faster R-CNN + FPN, 2 classes               | paper §2.3 [14]; mmdet        |
# |                  |                                             | faster-rcnn_r50_fpn           |
# | backbone norm    | BN trained, statistics updated (norm_eval   | mmdet scratch/ and syncbn     |
# |                  | False), every init; zero_init_residual off  | recipes; ../_base_/pretrain_  |
# |                  | (sync_bn=torch for multi-GPU runs)          | inits.py has the reasons      |
# | data / input     | TB images 640/80/80, 800x500, Z-score       | paper Tab. 1, §2.1            |
# | optimizer        | SGD lr 0.005, momentum 0.9, wd 1e-4         | mmdet schedule_1x (0.02 at    |
# |                  |                                             | batch 16) scaled to batch 4   |
# | warm-up          | linear, 500 iterations from 0.001x          | mmdet schedule_1x             |
# | LR schedule      | step x0.1 at epochs 16 and 22 of 24         | mmdet schedule_2x (640 images:|
# |                  | (~3.8k iterations at batch 4)               | 1x would be ~1.9k iterations) |
# | batch            | 4 x 1 GPU; --auto-scale-lr scales the LR    | xray_tasks.py                 |
# | model selection  | best val mAP@0.5 (save_best)                | paper §3: tune on val         |
# | reported         | test: mAP, AP active, AP latent, IoU 0.5,   | paper Tab. 3 (mAP = mean of   |
# |                  | pycocotools (ClasswiseAP50Metric)           | the two APs)                  |
_base_ = [
    '../../_base_/tasks/tbx.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(imports=['muscle_mm'], allow_failed_imports=False)
default_scope = 'mmdet'

# Scratch = Kaiming conv, BN 1/0, no zero-initialized residual BN, on every task
# (../_base_/pretrain_inits.py).
model = dict(backbone=dict(zero_init_residual=False))

optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.005, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=24, milestones=[16, 22], gamma=0.1),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=24, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(base_batch_size=4)

default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', interval=1, max_keep_ckpts=1, save_best='coco/mAP50',
        rule='greater'))
randomness = dict(seed=0, deterministic=False)
# TensorBoard beside the stock local files where `tensorboard` is installed (muscle_mm
# OptionalTensorboardVisBackend: off, with one info line, where it is not).
visualizer = dict(
    vis_backends=[dict(type='LocalVisBackend'),
                  dict(type='OptionalTensorboardVisBackend')])
_base_.pop('vis_backends')  # the runtime's spare copy: `visualizer` is what runs
