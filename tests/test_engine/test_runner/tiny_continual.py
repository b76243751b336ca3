"""A MUSCLE continual-stage config at test size, for the loop's resume and multi-rank tests.

The real parts (MultiTaskModel over a shared mmpretrain ResNet-18, MultiTaskContinualLoop with
reshuffled orders, CyclicCosineLR, MultiTaskValLoop, per-round checkpoints as in
configs/muscle/muscle_r50.py) on three classification tasks of 8 generated 32x32 images each.
Every source of randomness the real stage has is there: a shuffling sampler, random flips and
crops in the main process (numpy), dropout in the heads (torch) and a validation every round.
"""
from _helpers import write_tiny_cls_folder

TASKS = ('a', 'b', 'c')
BATCH = dict(a=2, b=4, c=4)  # one process: 4, 2 and 2 iterations per task epoch of 8 images
ROUNDS = 3

CONFIG = """
_base_ = ['mmpretrain::_base_/default_runtime.py']
custom_imports = dict(imports=['muscle_mm'], allow_failed_imports=False)
default_scope = 'mmpretrain'
task = dict(
    type='ImageClassifier',
    data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=2, mean=[122.786] * 3,
                           std=[18.390] * 3),
    backbone=dict(type='ResNet', depth=18, num_stages=4, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='StackedLinearClsHead', num_classes=2, in_channels=512, mid_channels=[16],
              dropout_rate=0.5, loss=dict(type='CrossEntropyLoss')))
model = dict(type='MultiTaskModel',
             backbone=dict(type='ResNet', depth=18, num_stages=4, out_indices=(0, 1, 2, 3)),
             tasks=dict(a=task, b=task, c=task))
train_pipeline = [dict(type='LoadImageFromFile'), dict(type='RandomResizedCrop', scale=32),
                  dict(type='RandomFlip', prob=0.5, direction='horizontal'),
                  dict(type='PackInputs')]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
dataset = dict(type='CustomDataset', data_root='{data}', pipeline=train_pipeline)
train_dataloader = {{
    t: dict(batch_size=b, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dataset) for t, b in {batch}.items()}}
val_dataloader = {{
    t: dict(batch_size=4, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(dataset, pipeline=test_pipeline)) for t in {tasks}}}
val_evaluator = {{t: [dict(type='Accuracy', topk=(1, ))] for t in {tasks}}}
train_cfg = dict(type='MultiTaskContinualLoop', rounds={rounds}, task_order='shuffle')
val_cfg = dict(type='MultiTaskValLoop')
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9))
param_scheduler = [dict(type='CyclicCosineLR', period='task', eta_min=1e-3, by_epoch=False)]
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=-1),
    logger=dict(type='LoggerHook', interval=1))
log_processor = dict(type='MultiTaskLogProcessor', by_epoch=True)
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
randomness = dict(seed=0)
"""


def write_config(root, extra=''):
    """Images under ``root``/data, the config at ``root``/tiny_continual.py; returns its path."""
    data = write_tiny_cls_folder(str(root / 'data'))
    path = root / 'tiny_continual.py'
    path.write_text(CONFIG.format(data=data, batch=BATCH, tasks=TASKS, rounds=ROUNDS) + extra)
    return str(path)
