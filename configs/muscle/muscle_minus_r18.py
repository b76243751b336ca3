# MUSCLE-- (paper §3) over muscle_r18.py: fixed task order, cosine annealing
# over the rounds, no L2-SP (table in ../_base_/schedules/muscle_minus.py).
_base_ = ['./muscle_r18.py', '../_base_/schedules/muscle_minus.py']

train_cfg = _base_.muscle_minus_train_cfg
param_scheduler = _base_.muscle_minus_param_scheduler
custom_hooks = [h for h in _base_.custom_hooks if h.type != 'L2SPHook']
_base_.pop('muscle_minus_train_cfg')  # bound above
_base_.pop('muscle_minus_param_scheduler')
