# MUSCLE fine-tuning, Pneumonia classification, ResNet-18: pneumonia_base.py (settings table there)
# with ResNet-18 widths. Base of pneumonia_<init>_r18.py.
_base_ = ['./pneumonia_base.py']

model = dict(backbone=dict(depth=18), head=dict(in_channels=512))
