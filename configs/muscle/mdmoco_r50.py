# MUSCLE stage 1: MD-MoCo pre-training of ResNet-50 on the nine X-ray datasets (paper §2.1,
# https://arxiv.org/abs/2310.02000). Run: python tools/train.py configs/muscle/mdmoco_r50.py
#
# | setting               | value                                   | source                      |
# |-----------------------|-----------------------------------------|-----------------------------|
# | data                  | train splits of all 9 datasets, pooled  | paper §2.1                  |
# | input                 | 800x500 (h x w), gray x3                | paper §2.1                  |
# | normalization         | Z-score mean 122.786, std 18.390        | paper §2.1                  |
# | views                 | h-flip 0.5, rotation +-10 deg; no crop, | paper (exclusions), MoCo-CXR|
# |                       | blur, colour/gray jitter                | (flip + 10 deg rotation)    |
# | init                  | Kaiming (conv), BN 1/0                  | paper §2.1                  |
# | algorithm             | MoCo v2: MLP neck, shuffle-BN, queue    | paper ("MoCo [4,11]")       |
# | queue / dim / m / t   | 65536 / 128 / 0.999 / 0.2               | MoCo v2 (paper: none)       |
# | optimizer             | SGD lr 0.03, momentum 0.9, wd 1e-4      | MoCo v2 (paper: none)       |
# | batch                 | 256 = 8 GPUs x 32; lr scales with       | MoCo v2 (paper: none)       |
# |                       | --auto-scale-lr (base 256)              |                             |
# | schedule              | cosine, 200 epochs                      | MoCo v2 (paper: none)       |
#
# MoCo-CXR (the paper's other base) used Adam lr 1e-4, batch 16-24, 20 epochs from ImageNet
# weights, queue 24576; MUSCLE starts from Kaiming init, so we keep MoCo v2's from-scratch
# recipe. 200 epochs over ~170k pooled images is ~133k iterations at batch 256; shorten with
# --cfg-options train_cfg.max_epochs=N param_scheduler.0.T_max=N param_scheduler.0.end=N.
# The global batch (batch_size x GPUs) must divide queue_len: MoCoQueueCheckHook refuses
# other combinations before the first iteration.
_base_ = [
    '../_base_/models/mdmoco_r50.py',
    '../_base_/datasets/xray_mdmoco_views.py',
    'mmpretrain::_base_/schedules/imagenet_sgd_coslr_200e.py',  # SGD 0.03/0.9/1e-4, cos 200e
    'mmpretrain::_base_/default_runtime.py',
]

custom_imports = dict(imports=['muscle_mm'], allow_failed_imports=False)
default_scope = 'mmpretrain'

# StepSeedHook: each step's own draws (MoCo's key shuffle) from (seed, iteration), and the views
# per sample from (seed, epoch, index) (SampleSeedSampler): 1 + 1 resumed epochs equal 2, with
# persistent workers or without.
custom_hooks = [dict(type='MoCoQueueCheckHook'), dict(type='StepSeedHook')]
default_hooks = dict(checkpoint=dict(max_keep_ckpts=3))  # [v2] keep the latest 3
auto_scale_lr = dict(base_batch_size=256)  # [v2] lr 0.03 is for a global batch of 256
# Every input is 800x500: let cuDNN pick the fastest kernels once (mmpretrain default: off).
env_cfg = dict(cudnn_benchmark=True)
# TensorBoard beside the stock local files where `tensorboard` is installed (muscle_mm
# OptionalTensorboardVisBackend: off, with one info line, where it is not).
visualizer = dict(
    vis_backends=[dict(type='LocalVisBackend'),
                  dict(type='OptionalTensorboardVisBackend')])
_base_.pop('vis_backends')  # the runtime's spare copy: `visualizer` is what runs
