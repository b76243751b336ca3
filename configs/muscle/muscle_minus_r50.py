# MUSCLE-- (paper §3) over muscle_r50.py: fixed task order, cosine annealing
# over the rounds, plain weight decay instead of L2-SP (table in ../_base_/schedules/muscle_minus.py).
_base_ = ['./muscle_r50.py', '../_base_/schedules/muscle_minus.py']

train_cfg = _base_.muscle_minus_train_cfg
optim_wrapper = _base_.muscle_minus_optim_wrapper
param_scheduler = _base_.muscle_minus_param_scheduler
custom_hooks = _base_.muscle_minus_custom_hooks
