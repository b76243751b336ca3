# MUSCLE fine-tuning, TB detection, ResNet-18: tbx_base.py (settings table there)
# with ResNet-18 widths. Base of tbx_<init>_r18.py.
_base_ = ['./tbx_base.py']

# FPN inputs as mmdet's faster-rcnn_r18_fpn
model = dict(backbone=dict(depth=18), neck=dict(in_channels=[64, 128, 256, 512]))
