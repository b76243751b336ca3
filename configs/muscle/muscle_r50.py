# MUSCLE stage 2: multi-task continual learning of one ResNet-50 over the four tasks (paper §2.2,
# https://arxiv.org/abs/2310.02000). Run: python tools/train.py configs/muscle/muscle_r50.py
# Starts from the MD-MoCo checkpoint of stage 1 (change with
# --cfg-options model.backbone_checkpoint=PATH); writes work_dirs/muscle_r50/epoch_<round>.pth,
# whose backbone.* drops into any mm config (init_cfg Pretrained, prefix='backbone.').
#
# | setting          | value                                           | source                    |
# |------------------|-------------------------------------------------|---------------------------|
# | tasks / heads    | pneumonia, mura: FC; lung: DeepLabV3 (OS8);     | paper §2.2                |
# |                  | tbx: Faster R-CNN + FPN (configs/_base_/tasks)  |                           |
# | rounds           | 10, each task one epoch of its loader per round | paper §2.2                |
# | task order       | reshuffled every round, from the run's seed     | paper §2.2                |
# | LR schedule      | eq. 1, cyclic cosine, one period per task       | paper eq. 1; T: our       |
# |                  | iterate (every task starts at eta_max, dips to  | reading (eta_min indexed  |
# |                  | eta_min at its middle)                          | by task i)                |
# | eta_max /        | 0.01 / 1e-4 (the backbone, in every task        | mmseg SGD lr 0.01, PolyLR |
# | eta_min          | iterate)                                        | eta_min 1e-4 (paper:      |
# |                  |                                                 | none)                     |
# | head LR (x eta)  | each head its library's rate at its batch, by   | mmdet auto_scale_lr: 0.02 |
# |                  | the library's own scaling rule (linear,         | at 16 -> 0.005 at 4;      |
# |                  | auto_scale_lr): tbx 0.5 (0.005), pneumonia /    | mmpretrain: 0.1 at 256 -> |
# |                  | mura 1.25 (0.0125), lung 1 (0.01). No warm-up:  | 0.0125 at 32; mmseg: 0.01 |
# |                  | eq. 1 starts every task iterate at eta_max      | at batch 8 and 16 alike   |
# |                  | (mmdet's 500-iter warm-up is for its single     | (paper: one eta_max)      |
# |                  | 90k-iter run)                                   |                           |
# | optimizer        | SGD momentum 0.9; weight decay 1e-4 on the      | mmdet/mmpretrain (paper:  |
# |                  | heads only (L2-SP covers the backbone; its BN:  | none)                     |
# |                  | none)                                           |                           |
# | L2-SP (eq. 2)    | w0 = backbone at the start of each task         | paper eq. 2; L2-SP        |
# |                  | iterate; alpha 0.999, lambda 0.05:              | paper's a=0.1 (its b: new |
# |                  | 2*lambda*alpha = 0.1 on ‖w-w0‖^2/2,             | layers only); wd 1e-4:    |
# |                  | 2*lambda*(1-alpha) = wd 1e-4                    | mmpretrain                |
# | BN statistics    | per task (TaskNormStats), swapped with the      | ours (paper: one          |
# |                  | task; backbone.* = the last-trained task's;     | backbone; forgetting      |
# |                  | 'shared' is the paper-literal option            | benchmark in benchmarks/) |
# | batch per GPU    | cls 32, lung 4, tbx 4 (see xray_tasks.py)       | mmpretrain/mmseg/mmdet    |
# | init             | MD-MoCo checkpoint, all backbone tensors,       | paper §2                  |
# |                  | strict                                          |                           |
# | validation       | every round, every task (val split), matrix +   | ours (the paper reports   |
# |                  | forgetting in work_dir/continual_metrics.json   | no forgetting)            |
_base_ = ['../_base_/tasks/xray_tasks.py', 'mmpretrain::_base_/default_runtime.py']

custom_imports = dict(imports=['muscle_mm'], allow_failed_imports=False)
default_scope = 'mmpretrain'

# The four tasks of configs/_base_/tasks/xray_tasks.py (settings there), by task name.
__tasks = _base_.xray_tasks
model = dict(
    type='MultiTaskModel',
    # Returns all four stages; each task picks what its own backbone config asks for.
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        style='pytorch',
        norm_cfg=dict(type='BN', requires_grad=True)),
    backbone_checkpoint='work_dirs/mdmoco_r50/epoch_200.pth',  # stage 1's last checkpoint
    norm_stats='per_task',  # BN running statistics per task ('shared': paper-literal; table)
    tasks={
        name: task.model
        for name, task in __tasks.items()
    })
train_dataloader = {name: task.train_dataloader for name, task in __tasks.items()}
val_dataloader = {name: task.val_dataloader for name, task in __tasks.items()}
val_evaluator = {name: task.val_evaluator for name, task in __tasks.items()}
test_dataloader = {name: task.test_dataloader for name, task in __tasks.items()}
test_evaluator = {name: task.test_evaluator for name, task in __tasks.items()}
_base_.pop('xray_tasks')  # bound above

train_cfg = dict(type='MultiTaskContinualLoop', rounds=10, task_order='shuffle', val_interval=1)
val_cfg = dict(type='MultiTaskValLoop')
test_cfg = dict(type='MultiTaskTestLoop')

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(
        custom_keys={
            # L2-SP's (1 - alpha)||w||^2 already decays the backbone; L2SPHook refuses a
            # double decay.
            'backbone': dict(decay_mult=0.0),
            # Each head at its library's rate for its batch (table above).
            'tasks.pneumonia': dict(lr_mult=1.25),
            'tasks.mura': dict(lr_mult=1.25),
            'tasks.tbx': dict(lr_mult=0.5)
        }))
param_scheduler = [dict(type='CyclicCosineLR', period='task', eta_min=1e-4, by_epoch=False)]

custom_hooks = [
    dict(type='L2SPHook', alpha=0.999, strength=0.05),  # L2-SP paper's scale (table)
    dict(type='ContinualMetricsHook'),
]
# One epoch = one round: a checkpoint per round, log lines "[task k/4] Epoch(train) [round][i/n]".
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=3),
    logger=dict(type='LoggerHook', interval=50))
log_processor = dict(type='MultiTaskLogProcessor', by_epoch=True)
# The heads of the three tasks not running get no gradient in an iteration.
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
randomness = dict(seed=0)  # the task orders are drawn from it
# TensorBoard beside the stock local files where `tensorboard` is installed (muscle_mm
# OptionalTensorboardVisBackend: off, with one info line, where it is not).
visualizer = dict(
    vis_backends=[dict(type='LocalVisBackend'),
                  dict(type='OptionalTensorboardVisBackend')])
_base_.pop('vis_backends')  # the runtime's spare copy: `visualizer` is what runs
