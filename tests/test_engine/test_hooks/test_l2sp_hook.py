from types import SimpleNamespace

import pytest
import torch

from muscle_mm.engine.hooks import L2SPHook


class Net(torch.nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3))
        self.head = torch.nn.Linear(3, 2)

    def parse_losses(self, losses):
        total = sum(v for k, v in losses.items() if 'loss' in k)
        return total, {k: float(v) for k, v in losses.items()}


def _runner(model, weight_decay=0.0):
    groups = [
        dict(params=list(model.backbone.parameters()), weight_decay=weight_decay),
        dict(params=list(model.head.parameters()), weight_decay=1e-4)
    ]
    return SimpleNamespace(model=model, optim_wrapper=SimpleNamespace(param_groups=groups))


def test_penalty_equals_eq2_on_known_tensors():
    torch.manual_seed(0)
    model = Net()
    hook = L2SPHook(alpha=0.3, strength=0.5)
    hook.before_train(_runner(model))
    w0 = model.backbone[0].weight.detach().clone()
    with torch.no_grad():
        model.backbone[0].weight.add_(1.0)
        model.backbone[1].weight.add_(5.0)  # BN: not covered
    w = model.backbone[0].weight.detach()
    expected = 0.5 * (0.3 * ((w - w0)**2).sum() + 0.7 * (w**2).sum())
    assert float(hook.penalty()) == pytest.approx(float(expected), rel=1e-6)
    assert [n for n, _ in hook.params] == ['0.weight']  # conv weight only: no BN, no bias
    total, logs = model.parse_losses(dict(loss_task=torch.tensor(2.0)))
    assert logs['loss_l2sp'] == pytest.approx(float(expected), rel=1e-6)
    assert float(total) == pytest.approx(2.0 + float(expected), rel=1e-6)


def test_gradient_pulls_towards_the_anchor():
    model = Net()
    hook = L2SPHook(alpha=1.0, strength=1.0)
    hook.before_train(_runner(model))
    w0 = model.backbone[0].weight.detach().clone()
    with torch.no_grad():
        model.backbone[0].weight.add_(torch.randn_like(w0))
    before = (model.backbone[0].weight - w0).norm()
    hook.penalty().backward()
    grad = model.backbone[0].weight.grad
    assert torch.allclose(grad, 2 * (model.backbone[0].weight.detach() - w0))  # d/dw ||w - w0||^2
    with torch.no_grad():
        model.backbone[0].weight.sub_(0.1 * grad)
    assert (model.backbone[0].weight - w0).norm() < before


def test_reanchor_at_each_task_and_checkpoint_round_trip():
    model = Net()
    hook = L2SPHook()
    runner = _runner(model)
    hook.before_train(runner)
    with torch.no_grad():
        model.backbone[0].weight.mul_(2)
    hook.before_train_task(runner, task='lung', round_idx=1)
    assert torch.equal(hook.anchor['0.weight'], model.backbone[0].weight)
    assert float(hook.penalty()) > 0  # the (1 - alpha)||w||^2 part remains
    ckpt = {}
    hook.before_save_checkpoint(runner, ckpt)
    restored = L2SPHook()
    restored.after_load_checkpoint(runner, ckpt)
    with torch.no_grad():
        model.backbone[0].weight.add_(3)  # weights move on; the anchor must not follow
    restored.before_train(runner)
    assert torch.equal(restored.anchor['0.weight'], hook.anchor['0.weight'])
    assert restored.anchor_tag == 'start of round 2, task lung'


def test_double_weight_decay_refused():
    with pytest.raises(ValueError, match='decay_mult=0.0'):
        L2SPHook().before_train(_runner(Net(), weight_decay=1e-4))


@pytest.mark.parametrize('kwargs, match', [(dict(alpha=1.5), 'alpha'), (dict(alpha=-0.1), 'alpha'),
                                           (dict(strength=-1), 'strength'),
                                           (dict(loss_name='l2sp'), 'loss')])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        L2SPHook(**kwargs)


def test_default_strength_is_the_l2sp_papers_scale():
    """Eq. 2's gradient 2*lambda*[alpha(w - w0) + (1 - alpha)w] at the defaults is L2-SP's
    a(w - w0) with a = 0.1 (0.0999) on pre-trained layers, plus weight decay 1e-4 (not the earlier
    9e-5 pull, which one task iterate could not feel)."""
    model = Net()
    hook = L2SPHook()
    hook.before_train(_runner(model))
    w0 = model.backbone[0].weight.detach().clone()
    with torch.no_grad():
        model.backbone[0].weight.add_(torch.randn_like(w0))
    hook.penalty().backward()
    w = model.backbone[0].weight.detach()
    assert torch.allclose(model.backbone[0].weight.grad, 0.0999 * (w - w0) + 1e-4 * w, atol=1e-6)
