# MUSCLE-- (paper §3) over muscle_r18_demo.py, the demo's MUSCLE-- beside MUSCLE: fixed task order,
# cosine annealing over the (3) rounds, no L2-SP (table in
# ../_base_/schedules/muscle_minus.py).
_base_ = ['./muscle_r18_demo.py', '../_base_/schedules/muscle_minus.py']

train_cfg = _base_.muscle_minus_train_cfg
param_scheduler = [dict(_base_.muscle_minus_param_scheduler[0], T_max=3, end=3)]
custom_hooks = [h for h in _base_.custom_hooks if h.type != 'L2SPHook']
_base_.pop('muscle_minus_train_cfg')  # bound above
_base_.pop('muscle_minus_param_scheduler')
