# MUSCLE Tab. 3: TB detection, ResNet-50, init Scratch (Kaiming).
_base_ = ['./tbx_base.py', '../_base_/pretrain_inits.py']

model = dict(backbone=dict(init_cfg=_base_.pretrain_inits.scratch_r50))
_base_.pop('pretrain_inits')  # the other inits are not this run's
