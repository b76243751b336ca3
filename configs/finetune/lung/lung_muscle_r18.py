# MUSCLE Tab. 3: lung segmentation, ResNet-18, init MUSCLE (stages 1 + 2).
_base_ = ['./lung_r18.py']

model = dict(backbone=dict(init_cfg=_base_.init_muscle_r18))
