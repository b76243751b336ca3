# MUSCLE Tab. 2: MURA classification, ResNet-50, init MD-MoCo (stage 1).
_base_ = ['./mura_base.py', '../_base_/pretrain_inits.py']

model = dict(backbone=dict(init_cfg=_base_.pretrain_inits.mdmoco_r50))
_base_.pop('pretrain_inits')  # the other inits are not this run's
