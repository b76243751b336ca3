# MUSCLE Tab. 2: Pneumonia classification, ResNet-18, init MD-MoCo (stage 1).
_base_ = ['./pneumonia_r18.py', '../_base_/pretrain_inits.py']

model = dict(backbone=dict(init_cfg=_base_.pretrain_inits.mdmoco_r18))
_base_.pop('pretrain_inits')  # the other inits are not this run's
