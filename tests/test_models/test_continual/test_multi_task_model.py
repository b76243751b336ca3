"""MultiTaskModel: the four stock task models of configs/_base_/tasks on one shared ResNet-18."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

from muscle_mm.registry import MODELS
from _helpers import REPO

DEMO = osp.join(REPO, 'configs', 'muscle', 'muscle_r18_demo.py')


@pytest.fixture(scope='module')
def model_cfg():
    cfg = Config.fromfile(DEMO)
    cfg.model.backbone_checkpoint = None
    return cfg.model


@pytest.fixture(scope='module')
def model(model_cfg):
    init_default_scope('mmpretrain')
    m = MODELS.build(model_cfg)
    m.init_weights()
    return m


def test_backbone_is_stored_once(model):
    keys = list(model.state_dict())
    backbone = [k for k in keys if k.startswith('backbone.')]
    assert len(backbone) == len(model.backbone.state_dict())
    assert not [k for k in keys if 'backbone' in k and not k.startswith('backbone.')]
    assert {k.split('.')[1]
            for k in keys if k.startswith('tasks.')} == {'pneumonia', 'mura', 'lung', 'tbx'}


def test_lung_runs_at_output_stride_8_on_the_shared_weights(model, model_cfg):
    from mmseg.models.backbones import ResNet as SegResNet
    init_default_scope('mmseg')
    cfg = dict(model_cfg.tasks.lung.backbone)
    cfg.pop('type')
    os8 = SegResNet(**cfg)
    os8.load_state_dict(model.backbone.state_dict())
    model.eval(), os8.eval()
    x = torch.randn(1, 3, 64, 48)
    with torch.no_grad():
        got = model.views['lung'](x)
        ref = os8(x)
        plain = model.backbone(x)
    assert got[-1].shape[-2:] == (8, 6)  # 64x48 / 8
    assert all(torch.equal(a, b) for a, b in zip(got, ref))
    assert plain[-1].shape[-2:] == (2, 2)  # the shared geometry is restored afterwards
    assert len(model.views['pneumonia'](x)) == 1  # the classifier asks for the last stage only


def test_each_task_loss_is_prefixed_and_reaches_its_head(model):
    from mmdet.testing import demo_mm_inputs
    from mmpretrain.structures import DataSample
    from mmseg.structures import SegDataSample
    model.train()
    imgs = [torch.randint(0, 255, (3, 64, 48), dtype=torch.uint8) for _ in range(2)]
    seg_samples = []
    for _ in range(2):
        s = SegDataSample(metainfo=dict(img_shape=(64, 48), ori_shape=(64, 48)))
        s.gt_sem_seg = PixelData(data=torch.randint(0, 2, (1, 64, 48)))
        seg_samples.append(s)
    det = demo_mm_inputs(
        batch_size=2, image_shapes=[(3, 64, 48)] * 2, num_items=[2, 1], num_classes=2)
    batches = dict(
        pneumonia=dict(
            inputs=imgs, data_samples=[DataSample().set_gt_label(1),
                                       DataSample().set_gt_label(0)]),
        lung=dict(inputs=imgs, data_samples=seg_samples),
        tbx=dict(inputs=det['inputs'], data_samples=det['data_samples']))
    heads = dict(pneumonia='head', lung='decode_head', tbx='roi_head')
    for task, batch in batches.items():
        model.zero_grad()
        data = model.data_preprocessor(dict(batch, task=task), True)
        losses = model(**data, mode='loss')
        assert losses and all(k.startswith(f'{task}.') for k in losses), losses.keys()
        total, _ = model.parse_losses(losses)
        total.backward()
        head = getattr(model.tasks[task], heads[task])
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in head.parameters())
        idle = [t for t in model.tasks if t != task]
        assert all(p.grad is None for t in idle for p in model.tasks[t].parameters())


def test_task_backbone_must_match_the_shared_one(model_cfg):
    cfg = model_cfg.copy()
    cfg.tasks = dict(
        pneumonia=dict(model_cfg.tasks.pneumonia, backbone=dict(type='ResNet', depth=50)))
    with pytest.raises(ValueError, match='depth'):
        MODELS.build(cfg)


def test_backbone_checkpoint_loaded_strictly(model_cfg, tmp_path):
    init_default_scope('mmpretrain')
    src = MODELS.build(model_cfg)
    good = tmp_path / 'mdmoco.pth'
    torch.save(
        dict(state_dict={
            f'backbone.{k}': v
            for k, v in src.backbone.state_dict().items()
        }
             | {'neck.fc.weight': torch.zeros(1)}), good)
    cfg = model_cfg.copy()
    cfg.backbone_checkpoint = str(good)
    m = MODELS.build(cfg)
    m.init_weights()
    assert all(
        torch.equal(a, b) for a, b in zip(m.backbone.state_dict().values(),
                                          src.backbone.state_dict().values()))
    bad = tmp_path / 'r50.pth'
    torch.save(dict(state_dict={'backbone.layer1.0.conv3.weight': torch.zeros(1)}), bad)
    cfg.backbone_checkpoint = str(bad)
    with pytest.raises(ValueError, match='r50.pth'):
        MODELS.build(cfg).init_weights()
    cfg.backbone_checkpoint = str(tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        MODELS.build(cfg).init_weights()


@pytest.mark.parametrize('config', ['muscle_r18.py', 'muscle_r18_demo.py'])
def test_every_head_starts_as_its_stock_model(config):
    """Each task's neck / heads get the tensors of its stock model built from the same config
    under the same seed (so its library's init scheme), and the shared backbone those of the
    backbone built alone: the task models' init never touches it."""
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'muscle', config)).model
    cfg.backbone_checkpoint = None
    init_default_scope('mmpretrain')
    torch.manual_seed(7)
    model = MODELS.build(cfg)
    model.init_weights()
    for task, task_cfg in cfg.tasks.items():
        torch.manual_seed(7)
        stock = MODELS.build(task_cfg)
        stock.init_weights()
        want = {k: v for k, v in stock.state_dict().items() if not k.startswith('backbone.')}
        got = model.tasks[task].state_dict()
        assert got.keys() == want.keys(), task
        differ = [k for k in want if not torch.equal(got[k], want[k])]
        assert not differ, f'{task}: {differ[:5]}'
    torch.manual_seed(7)
    alone = MODELS.build(cfg.backbone)
    alone.init_weights()
    assert all(
        torch.equal(a, b) for a, b in zip(model.backbone.state_dict().values(),
                                          alone.state_dict().values()))
    # The schemes themselves (mmdet / mmseg / mmpretrain init_cfg), not PyTorch's defaults.
    tbx, lung = model.tasks['tbx'], model.tasks['lung']
    stds = {
        'tbx fc_reg': tbx.roi_head.bbox_head.fc_reg.weight,
        'tbx rpn_cls': tbx.rpn_head.rpn_cls.weight,
        'lung conv_seg': lung.decode_head.conv_seg.weight,
        'pneumonia fc': model.tasks['pneumonia'].head.fc.weight
    }
    want_std = {
        'tbx fc_reg': 0.001,
        'tbx rpn_cls': 0.01,
        'lung conv_seg': 0.01,
        'pneumonia fc': 0.01
    }
    for k, w in stds.items():
        assert w.std().item() == pytest.approx(want_std[k], rel=0.25), k
    assert torch.count_nonzero(tbx.rpn_head.rpn_cls.bias) == 0


def test_task_backbone_pretrained_init_is_refused(model_cfg):
    cfg = model_cfg.copy()
    cfg.tasks = dict(
        pneumonia=dict(
            model_cfg.tasks.pneumonia,
            backbone=dict(
                model_cfg.tasks.pneumonia.backbone,
                init_cfg=dict(type='Pretrained', checkpoint='some.pth'))))
    with pytest.raises(ValueError, match='backbone_checkpoint'):
        MODELS.build(cfg)
