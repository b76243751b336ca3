# MUSCLE Tab. 3: TB detection, ResNet-18, init MUSCLE-- (stage 2, no cyclic LR / L2-SP).
_base_ = ['./tbx_r18.py', '../_base_/pretrain_inits.py']

model = dict(backbone=dict(init_cfg=_base_.pretrain_inits.muscle_minus_r18))
_base_.pop('pretrain_inits')  # the other inits are not this run's
