# MUSCLE Tab. 2: MURA classification, ResNet-50, init ImageNet (torchvision).
_base_ = ['./mura_base.py']

model = dict(backbone=dict(init_cfg=_base_.init_imagenet_r50))
