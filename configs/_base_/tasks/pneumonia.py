# One MUSCLE downstream task, pneumonia, as the standard top-level keys of an mm config (model,
# the three dataloaders, the two evaluators), bound from the shared definition in xray_tasks.py
# (settings table there) for the fine-tuning configs (configs/finetune/pneumonia/).
_base_ = ['./xray_tasks.py']

model = _base_.xray_tasks.pneumonia.model
train_dataloader = _base_.xray_tasks.pneumonia.train_dataloader
val_dataloader = _base_.xray_tasks.pneumonia.val_dataloader
test_dataloader = _base_.xray_tasks.pneumonia.test_dataloader
val_evaluator = _base_.xray_tasks.pneumonia.val_evaluator
test_evaluator = _base_.xray_tasks.pneumonia.test_evaluator
_base_.pop('xray_tasks')  # bound above; the other three tasks are not this run's
