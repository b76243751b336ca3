# MUSCLE Tab. 3: lung segmentation, ResNet-50, init MUSCLE-- (stage 2, no cyclic LR / L2-SP).
_base_ = ['./lung_base.py']

model = dict(backbone=dict(init_cfg=_base_.init_muscle_minus_r50))
