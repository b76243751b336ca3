# Backbone initializations compared in MUSCLE Tab. 2 and 3 (paper §3, "Experiment Setups").
# A fine-tuning config picks one as `model = dict(backbone=dict(init_cfg=_base_.init_<name>))`.
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
pretrain_work_dirs = dict(mdmoco='work_dirs/mdmoco_r{depth}',
                          muscle_minus='work_dirs/muscle_minus_r{depth}',
                          muscle='work_dirs/muscle_r{depth}')
pretrain_backbone_file = 'backbone.pth'


def _pretrained(checkpoint, prefix='backbone.'):
    return dict(type='Pretrained', checkpoint=checkpoint, prefix=prefix)


def _stage(name, depth):
    return _pretrained(pretrain_work_dirs[name].format(depth=depth) + '/' + pretrain_backbone_file)


# mmengine KaimingInit defaults: mode='fan_out', nonlinearity='relu', distribution='normal' (He
# et al. 2015), the same as torchvision's ResNet and MUSCLE's MD-MoCo init.
init_scratch = [dict(type='Kaiming', layer=['Conv2d']),
                dict(type='Constant', val=1, bias=0, layer=['_BatchNorm', 'GroupNorm'])]
# torchvision's names (conv1, bn1, layerX.Y...) are those of the mm ResNets; its fc.* is unused.
init_imagenet_r18 = _pretrained('torchvision://resnet18', prefix=None)
init_imagenet_r50 = _pretrained('torchvision://resnet50', prefix=None)
init_mdmoco_r18, init_mdmoco_r50 = _stage('mdmoco', 18), _stage('mdmoco', 50)
init_muscle_minus_r18 = _stage('muscle_minus', 18)
init_muscle_minus_r50 = _stage('muscle_minus', 50)
init_muscle_r18, init_muscle_r50 = _stage('muscle', 18), _stage('muscle', 50)
