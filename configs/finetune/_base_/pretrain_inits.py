# Backbone initializations compared in MUSCLE Tab. 2 and 3 (paper §3, "Experiment Setups").
# A fine-tuning config <task>_<init>_r<depth>.py inherits this file beside its task's base, binds
# one as `model = dict(backbone=dict(init_cfg=_base_.pretrain_inits.<init>_r<depth>))` and drops the
# rest (`_base_.pop('pretrain_inits')`), so its resolved config holds only the init it uses.
# A pre-trained init is a dict, not a list: mmpretrain's ResNet skips its zero_init_residual only
# for a dict init_cfg of type Pretrained; inside a list it would zero the last BN of every block
# after loading the weights (tests/test_configs checks every loaded tensor).
#
# | init         | backbone weights                             | source                          |
# |--------------|----------------------------------------------|---------------------------------|
# | scratch      | Kaiming-normal convs (fan_out, ReLU), BN 1/0 | paper §3 "Kaiming's random      |
# |              |                                              | initialization [24]"            |
# | imagenet     | torchvision://resnet18 / resnet50            | paper §3 "officially-released   |
# |              | (IMAGENET1K_V1 of torchvision, via mmengine) | weights"                        |
# | mdmoco       | work_dirs/mdmoco_r{18,50}/backbone.pth       | stage 1 (configs/muscle/mdmoco) |
# | muscle_minus | work_dirs/muscle_minus_r{18,50}/backbone.pth | stage 2 without the cyclic LR   |
# |              |                                              | and L2-SP (paper "MUSCLE--")    |
# | muscle       | work_dirs/muscle_r{18,50}/backbone.pth       | stage 2 (paper "MUSCLE")        |
#
# One rule per task for every init, so that Tab. 2/3 compare initializations only
# (tests/test_configs/test_finetune_norm_init.py builds all 20 task x init models and checks it):
#
# | task      | backbone norm            | BN statistics       | why                              |
# |-----------|--------------------------|---------------------|----------------------------------|
# | pneumonia,| BN, trained              | updated (norm_eval  | mmpretrain ResNet default; batch |
# | mura      |                          | False)              | 32 per GPU                       |
# | lung      | BN, trained              | updated             | mmseg trains (Sync)BN; batch 4   |
# | tbx       | BN, trained              | updated (was frozen:| mmdet's from-scratch recipes     |
# |           |                          | mmdet's ImageNet    | train norm layers (scratch/: GN, |
# |           |                          | norm_eval=True)     | *-syncbn_*: SyncBN); batch 4     |
#
# Frozen statistics would keep Scratch's BN at 0/1 (features far from unit scale) and ImageNet's
# on Z-scored X-rays: neither init is then fine-tuned like the X-ray-pre-trained ones. Plain BN at
# batch 4 per GPU trains its statistics; on several GPUs mmdet and mmseg sync them: add
# --cfg-options sync_bn=torch (mmengine's Runner converts BN to SyncBN only when distributed; it
# is not the default because SyncBN cannot run on CPU processes).
# Scratch is the same on all four tasks: Kaiming conv, BN 1/0, and no zero-initialized last BN
# of a residual block (zero_init_residual=False: mmpretrain's ResNet would zero it under a list
# init_cfg, mmdet's / mmseg's would not; pre-trained inits are loaded as they are).
#
# ImageNet offline: mmengine reads torchvision://resnet18 from torch hub's cache,
#   $TORCH_HOME/hub/checkpoints/resnet18-f37072fd.pth (resnet50: resnet50-0676ba61.pth)
# (TORCH_HOME defaults to ~/.cache/torch), downloading it from download.pytorch.org/models/ only
# when missing; tools/run_grid.py checks it before the first run and takes a local copy with
#   --pretrained imagenet_r18=/path/to/resnet18-f37072fd.pth
#
# backbone.pth is the stable file name these configs expect in each pre-training work dir: make
# it from the checkpoint you want (usually the last) with
#   python tools/model_converters/extract_backbone.py work_dirs/mdmoco_r50/epoch_200.pth \
#       work_dirs/mdmoco_r50/backbone.pth
# (keys keep 'backbone.', hence prefix='backbone.'; the full training checkpoint works too).
# Point a config elsewhere with
#   --cfg-options model.backbone.init_cfg.checkpoint=/path/to/ckpt.pth
# tools/run_grid.py checks each file before it trains: it must exist, hold 'backbone.*' keys and
# match the config's depth.
# Work dirs: mdmoco -> work_dirs/mdmoco_r{18,50}, muscle_minus -> work_dirs/muscle_minus_r{18,50},
# muscle -> work_dirs/muscle_r{18,50}; each holds backbone.pth (above).
# mmengine KaimingInit defaults: mode='fan_out', nonlinearity='relu', distribution='normal' (He
# et al. 2015), the same as torchvision's ResNet and MUSCLE's MD-MoCo init.
__scratch = [
    dict(type='Kaiming', layer=['Conv2d']),
    dict(type='Constant', val=1, bias=0, layer=['_BatchNorm', 'GroupNorm'])
]
__stage = dict(type='Pretrained', prefix='backbone.')
pretrain_inits = dict(
    scratch_r18=__scratch,
    scratch_r50=__scratch,
    # torchvision's names (conv1, bn1, layerX.Y...) are those of the mm ResNets; its fc.* is unused.
    imagenet_r18=dict(type='Pretrained', checkpoint='torchvision://resnet18', prefix=None),
    imagenet_r50=dict(type='Pretrained', checkpoint='torchvision://resnet50', prefix=None),
    mdmoco_r18=dict(__stage, checkpoint='work_dirs/mdmoco_r18/backbone.pth'),
    mdmoco_r50=dict(__stage, checkpoint='work_dirs/mdmoco_r50/backbone.pth'),
    muscle_minus_r18=dict(__stage, checkpoint='work_dirs/muscle_minus_r18/backbone.pth'),
    muscle_minus_r50=dict(__stage, checkpoint='work_dirs/muscle_minus_r50/backbone.pth'),
    muscle_r18=dict(__stage, checkpoint='work_dirs/muscle_r18/backbone.pth'),
    muscle_r50=dict(__stage, checkpoint='work_dirs/muscle_r50/backbone.pth'))
