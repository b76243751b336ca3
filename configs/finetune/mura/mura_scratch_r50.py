# MUSCLE Tab. 2: MURA classification, ResNet-50, init Scratch (Kaiming).
_base_ = ['./mura_base.py']

model = dict(backbone=dict(init_cfg=_base_.init_scratch))
