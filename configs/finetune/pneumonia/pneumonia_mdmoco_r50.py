# MUSCLE Tab. 2: Pneumonia classification, ResNet-50, init MD-MoCo (stage 1).
_base_ = ['./pneumonia_base.py']

model = dict(backbone=dict(init_cfg=_base_.init_mdmoco_r50))
