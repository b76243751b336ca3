# MD-MoCo ResNet-18 (as configs/muscle/mdmoco_r18.py) with the views on the device (as
# configs/muscle/mdmoco_r50_deviceviews.py, which explains the settings).
_base_ = ['./mdmoco_r50_deviceviews.py']

model = dict(
    backbone=dict(depth=18), neck=dict(in_channels=512, hid_channels=512, out_channels=128))
