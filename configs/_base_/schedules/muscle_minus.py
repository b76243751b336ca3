# MUSCLE-- (paper §3): MUSCLE's continual stage with both continual-learning devices off.
# A config applies them over a MUSCLE config (muscle_minus_r50.py, muscle_minus_r18.py, ...):
#   train_cfg = _base_.muscle_minus_train_cfg  (and the three others below)
#
# | MUSCLE (muscle_r50.py)                     | MUSCLE-- (here)                                   |
# |--------------------------------------------|---------------------------------------------------|
# | task order reshuffled every round          | fixed: pneumonia > mura > lung > tbx every round  |
# | cyclic cosine LR (eq. 1), a period per task| ordinary cosine annealing over the 10 rounds,     |
# |                                            | stepped per round (the paper names eq. 1 "cosine  |
# |                                            | annealing"; this is it without restarts)          |
# | L2-SP towards the previous task's weights  | plain weight decay 1e-4 on every parameter        |
muscle_minus_train_cfg = dict(task_order='fixed')
muscle_minus_optim_wrapper = dict(
    _delete_=True, optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
muscle_minus_param_scheduler = [dict(type='CosineAnnealingLR', T_max=10, eta_min=1e-4,
                                     by_epoch=True, begin=0, end=10)]
muscle_minus_custom_hooks = [dict(type='ContinualMetricsHook')]  # no L2SPHook
