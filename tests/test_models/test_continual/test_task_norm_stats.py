"""TaskNormStats: each task trains and is evaluated with its own BN statistics of the shared
backbone; the paper-literal shared statistics stay exactly stock."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.models import ResNet
from mmpretrain.structures import DataSample

from muscle_mm.models.continual import TaskBackboneView, TaskNormStats
from muscle_mm.registry import MODELS
from _helpers import REPO

DEMO = osp.join(REPO, 'configs', 'muscle', 'muscle_r18_demo.py')
BN = 'layer1.0.bn1.running_mean'


def _views(per_task=True):
    torch.manual_seed(0)
    shared = ResNet(depth=18, out_indices=(0, 1, 2, 3))
    stats = TaskNormStats(shared, ['a', 'b', 'frozen']) if per_task else None
    views = {
        t:
        TaskBackboneView(
            shared,
            ResNet(depth=18, out_indices=(3, ), norm_eval=t == 'frozen'),
            t,
            norm_stats=stats)
        for t in ('a', 'b', 'frozen')
    }
    return shared, stats, views


def _bn_stats(module):
    return {
        k: v.clone()
        for k, v in module.state_dict().items() if 'running' in k or 'batches' in k
    }


def test_each_task_trains_and_is_evaluated_with_its_own_statistics():
    shared, stats, views = _views()
    pretrained = _bn_stats(shared)
    shared.train()
    views['a'](torch.randn(4, 3, 32, 32) + 3.0)  # bright images
    views['b'](torch.randn(4, 3, 32, 32) - 3.0)  # dark images
    a, b = stats.task_stats('a'), stats.task_stats('b')
    assert not torch.allclose(a[BN], b[BN])
    assert int(a['layer1.0.bn1.num_batches_tracked']) == 1
    assert torch.equal(shared.state_dict()[BN], b[BN])  # backbone.*: the task trained last
    # Evaluating a uses a's statistics (as a stock ResNet holding them would) and leaves the
    # backbone as it was.
    shared.eval()
    x = torch.randn(2, 3, 32, 32)
    stock = copy.deepcopy(shared)
    stock.load_state_dict(dict(shared.state_dict(), **a))
    with torch.no_grad():
        assert torch.equal(views['a'](x)[0], stock(x)[-1])
    assert torch.equal(shared.state_dict()[BN], b[BN])
    # norm_eval (frozen BN) task: runs with its own, untouched pre-trained statistics.
    shared.train()
    stock.load_state_dict(dict(shared.state_dict(), **pretrained))
    stock.eval()
    with torch.no_grad():
        assert torch.equal(views['frozen'](x)[0], stock(x)[-1])
    assert all(torch.equal(t, pretrained[k]) for k, t in stats.task_stats('frozen').items())
    assert torch.equal(shared.state_dict()[BN], b[BN])


def test_shared_statistics_are_stock():
    """norm_stats=None: the view is the backbone itself, and every task's training moves the one
    set of statistics (paper-literal)."""
    shared, _, views = _views(per_task=False)
    stock = copy.deepcopy(shared)
    shared.train(), stock.train()
    for t, shift in (('a', 3.0), ('b', -3.0)):
        x = torch.randn(4, 3, 32, 32) + shift
        assert torch.equal(views[t](x)[0], stock(x)[-1])
    assert all(torch.equal(v, stock.state_dict()[k]) for k, v in shared.state_dict().items())


def test_statistics_are_buffers_saved_loaded_and_reset():
    shared, stats, views = _views()
    shared.train()
    views['a'](torch.randn(4, 3, 32, 32) + 3.0)
    assert not list(stats.parameters())  # neither L2-SP nor the optimizer sees them
    n_bn = sum(1 for m in shared.modules() if isinstance(m, torch.nn.BatchNorm2d))
    assert len(list(stats.buffers())) == 3 * 3 * n_bn
    state = stats.state_dict()
    assert 'a__layer1__0__bn1__running_mean' in state
    other_shared, other, _ = _views()
    other.load_state_dict(state)  # --resume
    assert torch.equal(other.task_stats('a')[BN], stats.task_stats('a')[BN])
    assert not torch.equal(other.task_stats('a')[BN], other_shared.state_dict()[BN])
    # A checkpoint without them (a shared-statistics run): every task gets the backbone's.
    other.load_state_dict({}, strict=True)
    assert torch.equal(other.task_stats('a')[BN], other_shared.state_dict()[BN])
    with pytest.raises(KeyError, match="'c'"):
        stats.task_stats('c')


@pytest.fixture(scope='module')
def cls_cfg():
    cfg = Config.fromfile(DEMO).model
    cfg.backbone_checkpoint = None
    cfg.tasks = {t: cfg.tasks[t] for t in ('pneumonia', 'mura')}
    return cfg


@pytest.mark.parametrize('norm_stats', ['shared', 'per_task'])
def test_training_another_task_leaves_a_task_prediction_alone(cls_cfg, norm_stats):
    """The forgetting the benchmark measured: with no weight changed, mura's train-mode forwards
    change pneumonia's predictions under shared statistics, and not under per-task ones."""
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(dict(cls_cfg, norm_stats=norm_stats))
    model.init_weights()
    assert hasattr(model, 'task_norm_stats') == (norm_stats == 'per_task')
    imgs = [torch.randint(0, 255, (3, 64, 40), dtype=torch.uint8) for _ in range(4)]

    def batch(task, scale=1.0):
        samples = [DataSample().set_gt_label(i % 2) for i in range(4)]
        return dict(
            inputs=[(i * scale).to(torch.uint8) for i in imgs], data_samples=samples, task=task)

    model.train()
    with torch.no_grad():
        model(**model.data_preprocessor(batch('pneumonia'), True), mode='loss')
    model.eval()
    before = model.val_step(batch('pneumonia'))[0].pred_score
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(**model.data_preprocessor(batch('mura', 0.3), True), mode='loss')
    model.eval()
    after = model.val_step(batch('pneumonia'))[0].pred_score
    assert torch.equal(before, after) == (norm_stats == 'per_task')
    if norm_stats == 'per_task':  # the exported backbone carries mura's, the last trained
        assert torch.equal(model.backbone.state_dict()[BN],
                           model.task_norm_stats.task_stats('mura')[BN])
        assert not any('task_norm_stats' in n for n, _ in model.named_parameters())


def test_init_weights_gives_every_task_the_checkpoint_statistics(cls_cfg, tmp_path):
    init_default_scope('mmpretrain')
    src = MODELS.build(cls_cfg)
    with torch.no_grad():
        src.backbone.layer1[0].bn1.running_mean.fill_(0.25)
    ckpt = tmp_path / 'mdmoco.pth'
    torch.save(
        dict(state_dict={
            f'backbone.{k}': v
            for k, v in src.backbone.state_dict().items()
        }), ckpt)
    model = MODELS.build(dict(cls_cfg, norm_stats='per_task', backbone_checkpoint=str(ckpt)))
    model.init_weights()
    for task in ('pneumonia', 'mura'):
        assert torch.all(model.task_norm_stats.task_stats(task)[BN] == 0.25)
    with pytest.raises(ValueError, match='norm_stats'):
        MODELS.build(dict(cls_cfg, norm_stats='per-task'))
