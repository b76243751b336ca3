"""The forty fine-tuning configs (4 tasks x 5 initializations x ResNet-18/50) load and build their
stock mm model; the ResNet-18 ones also initialize, from local stand-ins for the checkpoints."""
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS

from _helpers import REPO

TASKS = ('pneumonia', 'mura', 'lung', 'tbx')
INITS = ('scratch', 'imagenet', 'mdmoco', 'muscle_minus', 'muscle')
NAME = re.compile(r'^(%s)_(%s)_r(18|50)\.py$' % ('|'.join(TASKS), '|'.join(INITS)))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', 'finetune', '*', '*.py'))
    if NAME.match(osp.basename(p)))
MODEL_TYPE = dict(
    pneumonia='ImageClassifier', mura='ImageClassifier', lung='EncoderDecoder', tbx='FasterRCNN')
BEST = dict(pneumonia='binary/auc', mura='binary/auc', lung='seg/mIoU', tbx='coco/mAP50')
METRICS = dict(
    pneumonia={'BinaryClsMetric'},
    mura={'BinaryClsMetric', 'MURAStudyMetric'},
    lung={'DiceIoUMetric'},
    tbx={'ClasswiseAP50Metric'})


def test_there_are_forty():
    names = [osp.basename(p) for p in CONFIGS]
    assert len(names) == 40 and len(set(names)) == 40


@pytest.fixture(scope='module')
def r18_checkpoints(tmp_path_factory):
    """A random ResNet-18 as stage 1/2 write it ('backbone.' keys) and as torchvision does."""
    from mmpretrain.models import ResNet
    torch.manual_seed(0)
    state = ResNet(depth=18).state_dict()
    state = {k: v + torch.rand_like(v) if v.is_floating_point() else v for k, v in state.items()}
    d = tmp_path_factory.mktemp('ckpt')
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in state.items()}), d / 'stage.pth')
    torch.save(
        dict(state, **{
            'fc.weight': torch.zeros(1000, 512),
            'fc.bias': torch.zeros(1000)
        }), d / 'torchvision.pth')
    return state, str(d / 'stage.pth'), str(d / 'torchvision.pth')


def _load(path):
    task, init, depth = NAME.match(osp.basename(path)).groups()
    cfg = Config.fromfile(path)
    assert cfg.model.type == MODEL_TYPE[task] and cfg.model.backbone.depth == int(depth)
    assert cfg.default_hooks.checkpoint.save_best == BEST[task]
    assert {m['type'] for m in cfg.test_evaluator} == METRICS[task]
    assert cfg.randomness.seed == 0 and cfg.param_scheduler  # step schedule, seeded
    init_cfg = cfg.model.backbone.init_cfg
    if init == 'scratch':
        assert [c['type'] for c in init_cfg] == ['Kaiming', 'Constant']
    elif init == 'imagenet':
        assert init_cfg == dict(
            type='Pretrained', checkpoint=f'torchvision://resnet{depth}', prefix=None)
    else:
        assert init_cfg == dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint=f'work_dirs/{init}_r{depth}/backbone.pth')
    return task, init, cfg


@pytest.mark.parametrize('path', [p for p in CONFIGS if p.endswith('_r50.py')], ids=osp.basename)
def test_r50_config_loads_and_builds(path):
    _, _, cfg = _load(path)
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.backbone.parameters()) > 23e6  # ResNet-50 trunk


@pytest.mark.parametrize('path', [p for p in CONFIGS if p.endswith('_r18.py')], ids=osp.basename)
def test_r18_config_builds_and_initializes_every_backbone_tensor(path, r18_checkpoints):
    task, init, cfg = _load(path)
    state, stage_ckpt, tv_ckpt = r18_checkpoints
    if init != 'scratch':
        cfg.model.backbone.init_cfg.checkpoint = tv_ckpt if init == 'imagenet' else stage_ckpt
    model = MODELS.build(cfg.model)
    model.init_weights()
    got = model.backbone.state_dict()
    assert set(got) == set(state)
    if init == 'scratch':  # Kaiming normal (fan_out, ReLU) convs, BN weight 1 / bias 0
        w = got['conv1.weight']
        assert abs(w.std().item() / (2 / (64 * 7 * 7))**0.5 - 1) < 0.1
        assert torch.all(got['bn1.weight'] == 1) and torch.all(got['bn1.bias'] == 0)
    else:
        wrong = [k for k in state if not torch.equal(got[k], state[k])]
        assert not wrong, f'{len(wrong)} tensors not loaded, e.g. {wrong[:3]}'
