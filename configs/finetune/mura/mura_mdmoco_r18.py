# MUSCLE Tab. 2: MURA classification, ResNet-18, init MD-MoCo (stage 1).
_base_ = ['./mura_r18.py']

model = dict(backbone=dict(init_cfg=_base_.init_mdmoco_r18))
