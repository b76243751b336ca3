# MUSCLE Tab. 2: MURA classification, ResNet-50, init ImageNet (torchvision).
_base_ = ['./mura_base.py', '../_base_/pretrain_inits.py']

model = dict(backbone=dict(init_cfg=_base_.pretrain_inits.imagenet_r50))
_base_.pop('pretrain_inits')  # the other inits are not this run's
