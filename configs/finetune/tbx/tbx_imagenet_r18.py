# MUSCLE Tab. 3: TB detection, ResNet-18, init ImageNet (torchvision).
_base_ = ['./tbx_r18.py']

model = dict(backbone=dict(init_cfg=_base_.init_imagenet_r18))
