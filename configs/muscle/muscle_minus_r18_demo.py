# MUSCLE-- (paper §3) over muscle_r18_demo.py, the demo's MUSCLE-- beside MUSCLE: fixed task order,
# cosine annealing over the (3) rounds, plain weight decay instead of L2-SP (table in
# ../_base_/schedules/muscle_minus.py).
_base_ = ['./muscle_r18_demo.py', '../_base_/schedules/muscle_minus.py']

train_cfg = _base_.muscle_minus_train_cfg
optim_wrapper = _base_.muscle_minus_optim_wrapper
param_scheduler = [dict(_base_.muscle_minus_param_scheduler[0], T_max=3, end=3)]
custom_hooks = _base_.muscle_minus_custom_hooks
