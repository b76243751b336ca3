# MUSCLE Tab. 2: Pneumonia classification, ResNet-18, init MUSCLE (stages 1 + 2).
_base_ = ['./pneumonia_r18.py']

model = dict(backbone=dict(init_cfg=_base_.init_muscle_r18))
