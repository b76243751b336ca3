# `make demo`: MD-MoCo ResNet-18 exactly as configs/muscle/mdmoco_r18.py, shrunk to run on a CPU in
# a few minutes over the generated X-ray layouts (tools/dataset_converters/generate_synthetic.py).
#
# | setting        | paper / mdmoco_r18.py        | demo                                       |
# |----------------|------------------------------|--------------------------------------------|
# | input          | 800x500 (h x w)              | 128x80 (same 1.6 aspect)                   |
# | batch x procs  | 32 x 8 = 256                 | 16 x 1                                     |
# | queue          | 65536                        | 256 (a multiple of the batch)              |
# | neck           | 512 -> 512 -> 128            | 512 -> 128 -> 64                           |
# | split-batch BN | 8 groups (one process)       | 2 groups of 8                              |
# | epochs         | 200, cosine                  | 4, cosine                                  |
# | lr             | 0.03 (SGD, batch 256)        | 0.03 (not scaled: the demo wants movement) |
# Everything else (data pool, Z-score, views without crop/blur/jitter, Kaiming init) is the real
# one.
# Data roots are the defaults, data/<Name>, relative to the directory the demo runs in.
_base_ = ['./mdmoco_r18.py']

# One process: split-batch BN in 2 groups of 8 (the real configs' 8 groups would leave 2 samples
# per group at batch 16).
model = dict(
    queue_len=256,
    feat_dim=64,
    neck=dict(hid_channels=128, out_channels=64),
    single_process_bn_splits=2)

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(pipeline=[
        dict(type='LoadXRayImage', to_gray3=False),  # as mdmoco_r18.py
        dict(_base_.xray_resize, scale=(80, 128)),  # the real resize (area), smaller
        dict(type='MultiView', num_views=2, transforms=[{{_base_.view_pipeline}}]),
        dict(type='PackInputs'),
    ]))

train_cfg = dict(max_epochs=4)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=4, by_epoch=True, begin=0, end=4)]
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=1, max_keep_ckpts=1))
env_cfg = dict(cudnn_benchmark=False)
