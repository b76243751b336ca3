# MUSCLE Tab. 2: Pneumonia classification, ResNet-18, init ImageNet (torchvision).
_base_ = ['./pneumonia_r18.py']

model = dict(backbone=dict(init_cfg=_base_.init_imagenet_r18))
