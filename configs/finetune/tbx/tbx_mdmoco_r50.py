# MUSCLE Tab. 3: TB detection, ResNet-50, init MD-MoCo (stage 1).
_base_ = ['./tbx_base.py']

model = dict(backbone=dict(init_cfg=_base_.init_mdmoco_r50))
