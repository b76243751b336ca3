# MUSCLE fine-tuning, lung segmentation, ResNet-18: lung_base.py (settings table there)
# with ResNet-18 widths. Base of lung_<init>_r18.py.
_base_ = ['./lung_base.py']

# ASPP widths as mmseg's deeplabv3_r18-d8 (512 input channels, 128 inside the head)
model = dict(backbone=dict(depth=18), decode_head=dict(in_channels=512, channels=128))
