# MUSCLE fine-tuning, MURA classification, ResNet-18: mura_base.py (settings table there)
# with ResNet-18 widths. Base of mura_<init>_r18.py.
_base_ = ['./mura_base.py']

model = dict(backbone=dict(depth=18), head=dict(in_channels=512))
