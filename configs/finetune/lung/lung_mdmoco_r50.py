# MUSCLE Tab. 3: lung segmentation, ResNet-50, init MD-MoCo (stage 1).
_base_ = ['./lung_base.py']

model = dict(backbone=dict(init_cfg=_base_.init_mdmoco_r50))
