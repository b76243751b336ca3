"""MUSCLE-- is MUSCLE with the paper's three devices off (§3), and nothing else changed; the
continual stage's per-parameter learning rates and weight decay."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from torch.nn.modules.batchnorm import _BatchNorm

from muscle_mm.registry import MODELS
from _helpers import REPO

CONFIGS = osp.join(REPO, 'configs', 'muscle')
# Names the MUSCLE-- schedule file defines for its configs to pick (not settings themselves).
HELPERS = set(
    Config.fromfile(osp.join(REPO, 'configs', '_base_', 'schedules', 'muscle_minus.py')).to_dict())


def resolved(name):
    return Config.fromfile(osp.join(CONFIGS, name)).to_dict()


@pytest.mark.parametrize('depth', ['r18', 'r50', 'r18_demo'])
def test_only_the_three_devices_differ(depth):
    muscle, minus = resolved(f'muscle_{depth}.py'), resolved(f'muscle_minus_{depth}.py')
    assert HELPERS and all(k.startswith('muscle_minus_') for k in HELPERS)
    minus = {k: v for k, v in minus.items() if k not in HELPERS}
    differ = sorted(k for k in muscle.keys() | minus.keys() if muscle.get(k) != minus.get(k))
    assert differ == ['custom_hooks', 'param_scheduler', 'train_cfg']
    # 1. reshuffled order -> fixed; the loop otherwise the same
    assert (muscle['train_cfg']['task_order'], minus['train_cfg']['task_order']) == ('shuffle',
                                                                                     'fixed')
    assert dict(muscle['train_cfg'], task_order=None) == dict(minus['train_cfg'], task_order=None)
    # 2. cyclic cosine (eq. 1) -> plain cosine annealing over the rounds
    assert [s['type'] for s in muscle['param_scheduler']] == ['CyclicCosineLR']
    assert [s['type'] for s in minus['param_scheduler']] == ['CosineAnnealingLR']
    assert minus['param_scheduler'][0]['T_max'] == muscle['train_cfg']['rounds']
    assert minus['param_scheduler'][0]['eta_min'] == muscle['param_scheduler'][0]['eta_min']
    # 3. L2-SP off: its hook gone, every other hook kept; the optimizer exactly MUSCLE's
    assert [h for h in muscle['custom_hooks'] if h['type'] != 'L2SPHook'] == minus['custom_hooks']
    assert [h['type'] for h in muscle['custom_hooks']].count('L2SPHook') == 1
    assert muscle['optim_wrapper'] == minus['optim_wrapper']


def param_groups(name):
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    cfg.model.backbone_checkpoint = None
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    by_param = {
        id(p): (g['lr'], g['weight_decay'])
        for g in wrapper.param_groups
        for p in g['params']
    }
    names = dict(model.named_parameters())
    bn = {
        f'backbone.{n}.{k}'
        for n, m in model.backbone.named_modules() if isinstance(m, _BatchNorm)
        for k, _ in m.named_parameters()
    }
    return {n: by_param[id(p)] for n, p in names.items()}, bn


def test_per_parameter_lr_and_decay_are_the_same_in_both():
    muscle, bn = param_groups('muscle_r18_demo.py')
    minus, _ = param_groups('muscle_minus_r18_demo.py')
    assert muscle == minus
    assert bn and {muscle[n] for n in bn} == {(0.01, 0.0)}  # backbone BN: no decay in either


def test_each_head_gets_its_library_rate():
    """mmdet 0.02 at batch 16 -> 0.005 at 4; mmpretrain 0.1 at 256 -> 0.0125 at 32; mmseg 0.01;
    the backbone eta_max 0.01 without decay (L2-SP's); the heads weight decay 1e-4."""
    groups, _ = param_groups('muscle_r18.py')
    want = dict(backbone=0.01, pneumonia=0.0125, mura=0.0125, lung=0.01, tbx=0.005)
    for name, (lr, wd) in groups.items():
        part = 'backbone' if name.startswith('backbone.') else name.split('.')[1]
        assert lr == pytest.approx(want[part]), name
        assert wd == (0.0 if part == 'backbone' else 1e-4), name
    assert {n.split('.')[1] for n in groups if n.startswith('tasks.')} == set(want) - {'backbone'}
