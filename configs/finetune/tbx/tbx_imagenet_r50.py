# MUSCLE Tab. 3: TB detection, ResNet-50, init ImageNet (torchvision).
_base_ = ['./tbx_base.py']

model = dict(backbone=dict(init_cfg=_base_.init_imagenet_r50))
