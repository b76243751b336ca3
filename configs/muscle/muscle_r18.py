# MUSCLE stage 2 with ResNet-18: muscle_r50.py with the narrower backbone; each head takes the
# ResNet-18 widths (cls 512; ASPP 512 -> 128 as mmseg's deeplabv3_r18-d8; FPN 64..512).
_base_ = ['./muscle_r50.py']

model = dict(
    backbone=dict(depth=18),
    backbone_checkpoint='work_dirs/mdmoco_r18/epoch_200.pth',
    tasks=dict(
        pneumonia=dict(backbone=dict(depth=18), head=dict(in_channels=512)),
        mura=dict(backbone=dict(depth=18), head=dict(in_channels=512)),
        lung=dict(backbone=dict(depth=18), decode_head=dict(in_channels=512, channels=128)),
        tbx=dict(backbone=dict(depth=18), neck=dict(in_channels=[64, 128, 256, 512]))))
