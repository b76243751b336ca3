# Backbone initializations compared in MUSCLE Tab. 2 and 3 (paper §3, "Experiment Setups").
# A fine-tuning config <task>_<init>_r<depth>.py inherits this file beside its task's base, binds one
# as `model = dict(backbone=dict(init_cfg=_base_.pretrain_inits.<init>_r<depth>))` and drops the
# rest (`_base_.pop('pretrain_inits')`), so its resolved config holds only the init it uses.
# A pre-trained init is a dict, not a list: mmpretrain's ResNet skips its zero_init_residual only
# for a dict init_cfg of type Pretrained; inside a list it would zero the last BN of every block
# after loading the weights (tests/test_configs checks every loaded tensor).
#
# | init         | backbone weights                             | source                            |
# |--------------|----------------------------------------------|-----------------------------------|
# | scratch      | Kaiming-normal convs (fan_out, ReLU), BN 1/0 | paper §3 "Kaiming's random        |
# |              |                                              | initialization [24]"              |
# | imagenet     | torchvision://resnet18 / resnet50 (IMAGENET1K| paper §3 "officially-released     |
# |              | _V1 of torchvision, through mmengine)        | weights"                          |
# | mdmoco       | work_dirs/mdmoco_r{18,50}/backbone.pth       | stage 1 (configs/muscle/mdmoco_*) |
# | muscle_minus | work_dirs/muscle_minus_r{18,50}/backbone.pth | stage 2 without the cyclic LR and |
# |              |                                              | L2-SP (paper "MUSCLE--")          |
# | muscle       | work_dirs/muscle_r{18,50}/backbone.pth       | stage 2 (paper "MUSCLE")          |
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
__scratch = [dict(type='Kaiming', layer=['Conv2d']),
             dict(type='Constant', val=1, bias=0, layer=['_BatchNorm', 'GroupNorm'])]
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
