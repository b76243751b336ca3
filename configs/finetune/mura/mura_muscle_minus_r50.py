# MUSCLE Tab. 2: MURA classification, ResNet-50, init MUSCLE-- (stage 2, no cyclic LR / L2-SP).
_base_ = ['./mura_base.py']

model = dict(backbone=dict(init_cfg=_base_.init_muscle_minus_r50))
