# MUSCLE-- (paper §3): MUSCLE's continual stage "with Cross-Task Memorization and Cyclic and
# Reshuffled Learning Schedule turned off", and nothing else changed. A config applies it over a
# MUSCLE config (muscle_minus_r50.py, muscle_minus_r18.py, ...):
#   train_cfg = _base_.muscle_minus_train_cfg
#   param_scheduler = _base_.muscle_minus_param_scheduler
#   custom_hooks = [h for h in _base_.custom_hooks if h.type != 'L2SPHook']
#   _base_.pop('muscle_minus_train_cfg'); _base_.pop('muscle_minus_param_scheduler')
#
# | MUSCLE (muscle_r50.py)                     | MUSCLE-- (here)                                   |
# |--------------------------------------------|---------------------------------------------------|
# | task order reshuffled every round          | fixed: pneumonia > mura > lung > tbx every round  |
# | cyclic cosine LR (eq. 1), a period per task| ordinary cosine annealing over the 10 rounds,     |
# |                                            | stepped per round (the paper names eq. 1 "cosine  |
# |                                            | annealing"; this is it without restarts)          |
# | L2-SP (eq. 2) on the backbone's conv       | off, replaced by nothing: the backbone has no     |
# | weights, both terms                        | regularizer (eq. 2 is the device, its (1-alpha)   |
# |                                            | ||w||^2 term included)                            |
# | optimizer (SGD, per-head LR, weight decay  | the same: MUSCLE's optim_wrapper, unchanged (so   |
# | on the heads, none on the backbone)        | BN gamma/beta get no decay in either)             |
# tests/test_configs/test_muscle_minus.py asserts these three are the only differences.
muscle_minus_train_cfg = dict(task_order='fixed')
muscle_minus_param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=10, eta_min=1e-4, by_epoch=True, begin=0, end=10)
]
