# MUSCLE Tab. 2: Pneumonia classification, ResNet-50, init ImageNet (torchvision).
_base_ = ['./pneumonia_base.py']

model = dict(backbone=dict(init_cfg=_base_.init_imagenet_r50))
