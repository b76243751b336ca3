# One MUSCLE downstream task, tbx, as the standard top-level keys of an mm config (model, the three
# dataloaders, the two evaluators), bound from the shared definition in xray_tasks.py (settings
# table there) for the fine-tuning configs (configs/finetune/tbx/).
_base_ = ['./xray_tasks.py']

model = _base_.xray_tasks.tbx.model
train_dataloader = _base_.xray_tasks.tbx.train_dataloader
val_dataloader = _base_.xray_tasks.tbx.val_dataloader
test_dataloader = _base_.xray_tasks.tbx.test_dataloader
val_evaluator = _base_.xray_tasks.tbx.val_evaluator
test_evaluator = _base_.xray_tasks.tbx.test_evaluator
_base_.pop('xray_tasks')  # bound above; the other three tasks are not this run's
