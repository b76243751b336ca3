# MUSCLE stage 3 for the two classification tasks, Pneumonia and MURA (paper §2.3, Tab. 2): the
# schedule, model selection and runtime that pneumonia_base.py and mura_base.py share. Data,
# pipeline, model and metrics are bound per task in those files.
#
# | setting          | value                                       | source                        |
# |------------------|---------------------------------------------|-------------------------------|
# | model            | ResNet + GAP + FC (2 classes)               | paper §2.3 ("FC layer")       |
# | backbone norm    | BN trained, statistics updated, every init; | mmpretrain ResNet; ../_base_/ |
# |                  | zero_init_residual off (xray_tasks.py)      | pretrain_inits.py             |
# | input            | 800x500, gray x3, Z-score 122.786 / 18.390  | paper §2.1 (xray_tasks.py)    |
# | optimizer        | SGD lr 0.0125, momentum 0.9, wd 1e-4        | mmpretrain ResNet recipe      |
# |                  | (0.1 x 32/256: linear scaling to batch 32)  | (imagenet_bs256: 0.1/0.9/1e-4)|
# | weight decay     | 1e-4 on all weights                         | paper: "vanilla weight decay" |
# | LR schedule      | step x0.1 at epochs 20 and 27 of 30         | paper: "step-based decay";    |
# |                  |                                             | epochs/steps ours (none given)|
# | batch            | 32 x 1 GPU; --auto-scale-lr scales the LR   | xray_tasks.py                 |
# | model selection  | best val AUC (CheckpointHook save_best)     | paper §3: tune on val         |
# | reported         | test split: Acc, Sen, Spe, AUC (95% CI)     | paper §3, Tab. 2              |
# | seed             | 0 (randomness.seed; run_grid.py sets each)  | ours                          |
_base_ = ['mmpretrain::_base_/default_runtime.py']
default_scope = 'mmpretrain'

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.0125, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[20, 27], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)

default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', interval=1, max_keep_ckpts=1, save_best='binary/auc',
        rule='greater'))
randomness = dict(seed=0, deterministic=False)
# TensorBoard beside the stock local files where `tensorboard` is installed (muscle_mm
# OptionalTensorboardVisBackend: off, with one info line, where it is not).
visualizer = dict(
    vis_backends=[dict(type='LocalVisBackend'),
                  dict(type='OptionalTensorboardVisBackend')])
_base_.pop('vis_backends')  # the runtime's spare copy: `visualizer` is what runs
