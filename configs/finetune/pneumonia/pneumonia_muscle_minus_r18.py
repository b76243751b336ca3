# MUSCLE Tab. 2: Pneumonia classification, ResNet-18, init MUSCLE-- (stage 2, no cyclic LR / L2-SP).
_base_ = ['./pneumonia_r18.py']

model = dict(backbone=dict(init_cfg=_base_.init_muscle_minus_r18))
