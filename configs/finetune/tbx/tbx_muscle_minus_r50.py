# MUSCLE Tab. 3: TB detection, ResNet-50, init MUSCLE-- (stage 2, no cyclic LR / L2-SP).
_base_ = ['./tbx_base.py']

model = dict(backbone=dict(init_cfg=_base_.init_muscle_minus_r50))
