# MUSCLE stage 3: fine-tuning on lung segmentation (paper §2.3, Tab. 3, Fig. 3; Chest X-ray Masks
# and Labels), shared by configs/finetune/lung/lung_<init>_r<depth>.py (ResNet-50 here).
# Data, pipeline and model come from configs/_base_/tasks/lung.py (from xray_tasks.py).
#
# | setting          | value                                       | source                        |
# |------------------|---------------------------------------------|-------------------------------|
# | model            | DeepLabV3 (ASPPHead) on a plain ResNet at   | paper §2.3 [13]; OS8 as mmseg |
# |                  | output stride 8: strides 1,2,1,1, dilations | deeplabv3_r50-d8; plain ResNet|
# |                  | 1,1,2,4 (xray_tasks.py)                     | weights fit it as they are    |
# | backbone norm    | BN trained, statistics updated, every init; | mmseg (Sync)BN recipes;       |
# |                  | zero_init_residual off                      | ../_base_/pretrain_inits.py   |
# | data / input     | paper split 718/89/89, 800x500, Z-score     | paper Tab. 1, §2.1            |
# | optimizer        | SGD lr 0.005, momentum 0.9, wd 5e-4         | mmseg schedule_40k (0.01 at   |
# |                  |                                             | batch 8) scaled to batch 4    |
# | LR schedule      | step x0.1 at epochs 35 and 45 of 50         | paper: "step-based decay"     |
# |                  | (~9k iterations at batch 4)                 | (mmseg: poly); epochs ours    |
# | batch            | 4 x 1 GPU; --auto-scale-lr scales the LR    | xray_tasks.py                 |
# | model selection  | best val mIoU (save_best)                   | paper §3: tune on val         |
# | reported         | test split: Dice of the lung, mIoU over     | paper Tab. 3 (classes: see    |
# |                  | {background, lung} (DiceIoUMetric)          | muscle_mm/evaluation)         |
_base_ = [
    '../../_base_/tasks/lung.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['muscle_mm'], allow_failed_imports=False)
default_scope = 'mmseg'

# Scratch = Kaiming conv, BN 1/0, no zero-initialized residual BN, on every task
# (../_base_/pretrain_inits.py).
model = dict(backbone=dict(zero_init_residual=False))

optim_wrapper = dict(
    type='OptimWrapper',
    clip_grad=None,
    optimizer=dict(type='SGD', lr=0.005, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[35, 45], gamma=0.1)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(base_batch_size=4)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', interval=1, max_keep_ckpts=1, save_best='seg/mIoU', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=True)
randomness = dict(seed=0, deterministic=False)
# TensorBoard beside the stock local files where `tensorboard` is installed (muscle_mm
# OptionalTensorboardVisBackend: off, with one info line, where it is not).
visualizer = dict(
    vis_backends=[dict(type='LocalVisBackend'),
                  dict(type='OptionalTensorboardVisBackend')])
_base_.pop('vis_backends')  # the runtime's spare copy: `visualizer` is what runs
