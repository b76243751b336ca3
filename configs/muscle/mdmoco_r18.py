# MUSCLE stage 1: MD-MoCo pre-training of ResNet-18 (paper §2.1). Everything as in
# mdmoco_r50.py (settings table there) except the encoder: ResNet-18, MoCo v2 neck
# 512 -> 512 -> 128 (the neck's hidden width follows the backbone width, as in MoCo v2).
_base_ = ['./mdmoco_r50.py']

model = dict(
    backbone=dict(depth=18), neck=dict(in_channels=512, hid_channels=512, out_channels=128))
