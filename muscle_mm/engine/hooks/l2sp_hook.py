"""L2-SP cross-task memorization of MUSCLE (paper eq. 2)."""
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from muscle_mm.registry import HOOKS

ANCHOR_KEY = 'l2sp_anchor'


@HOOKS.register_module()
class L2SPHook(Hook):
    r"""Pull the backbone towards the weights the previous task left, paper eq. 2.

    `MUSCLE <https://arxiv.org/abs/2310.02000>`_ adds to every task iterate's loss the
    `L2-SP <https://arxiv.org/abs/1802.01483>`_ penalty
    :math:`\lambda[\alpha\|w - w^0\|^2 + (1-\alpha)\|w\|^2]`, where :math:`w^0` are the backbone
    weights at the start of the task iterate. This hook

    - sets :math:`w^0` at ``before_train_task`` (fired by :class:`MultiTaskContinualLoop`), and at
      ``before_train`` if nothing has set it yet (another loop: the pre-trained weights, as L2-SP);
    - adds the penalty to the model's losses as ``loss_l2sp`` (so it is logged, summed into the
      total, scaled with the loss under ``--amp`` and reduced by DDP like any loss: the model's
      ``parse_losses`` is wrapped, which mmengine's DDP wrapper also calls);
    - saves :math:`w^0` in checkpoints and restores it on resume.

    Which parameters: both terms cover the backbone's conv (and any linear) *weights*, the tensors
    with 2 or more dimensions, as the L2-SP paper regularizes; BN weights and biases are not
    penalized. The optimizer must not also decay the covered tensors (that would apply the plain
    :math:`\|w\|^2` pull twice): give the backbone ``decay_mult=0`` in ``paramwise_cfg``; a covered
    tensor whose param group has weight decay is refused before the first iteration. Heads keep
    the optimizer's weight decay (L2-SP's :math:`b` term on new layers, at the libraries' 1e-4).

    Scale: L2-SP's own form is :math:`\frac{a}{2}\|w - w^0\|^2 + \frac{b}{2}\|w_{new}\|^2`
    with :math:`a` = 0.1 on the pre-trained layers and :math:`b` = 0.01 on the *new* layers only
    (its authors' recommended values). Eq. 2's convex form has the gradient
    :math:`2\lambda\alpha(w - w^0) + 2\lambda(1-\alpha)w`, both on the shared backbone, so
    L2-SP's pull is :math:`2\lambda\alpha = a` = 0.1, and the :math:`\|w\|^2` term, which
    L2-SP does not put on pre-trained layers, is kept at the plain weight decay the backbone would
    otherwise get, :math:`2\lambda(1-\alpha)` = 1e-4 (mmpretrain / mmdet ResNet). Hence
    :math:`\lambda` = 0.05, :math:`\alpha` = 0.999: the gradient is :math:`0.1(w - 0.999w^0)`.
    (Reading L2-SP's :math:`b` as a backbone term, :math:`\alpha` = 0.9, would pull towards
    :math:`0.9w^0` at 0.11, shrinking the backbone by several percent every task iterate.)

    Args:
        alpha (float): :math:`\alpha \in [0, 1]`. Defaults to 0.999 (above:
            :math:`2\lambda(1-\alpha)` = weight decay 1e-4).
        strength (float): :math:`\lambda`. Defaults to 0.05 (above: :math:`2\lambda\alpha`
            = L2-SP's :math:`a` = 0.1, with momentum 0.9 and eq. 1's mean LR 0.005 about half of
            a task iterate's drift from :math:`w^0` is pulled back, against 0.06% at the earlier
            5e-5).
        module (str): Attribute of the model to regularize. Defaults to 'backbone'.
        loss_name (str): Key of the penalty among the losses (must contain 'loss').
            Defaults to 'loss_l2sp'.
    """

    priority = 'NORMAL'

    def __init__(self,
                 alpha: float = 0.999,
                 strength: float = 0.05,
                 module: str = 'backbone',
                 loss_name: str = 'loss_l2sp') -> None:
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f'L2SPHook: alpha must be in [0, 1], got {alpha}')
        if strength < 0:
            raise ValueError(f'L2SPHook: strength must be >= 0, got {strength}')
        if 'loss' not in loss_name:
            raise ValueError(f"L2SPHook: loss_name {loss_name!r} must contain 'loss' "
                             '(mmengine sums only such keys into the total)')
        self.alpha, self.strength = float(alpha), float(strength)
        self.module, self.loss_name = module, loss_name
        self.params: List[Tuple[str, torch.nn.Parameter]] = []
        self.anchor: Optional[Dict[str, torch.Tensor]] = None
        self.anchor_tag: Optional[str] = None
        self._loaded: Optional[dict] = None

    # --- the penalty ------------------------------------------------------------------------
    def penalty(self) -> torch.Tensor:
        """:math:`\\lambda[\\alpha\\|w - w^0\\|^2 + (1-\\alpha)\\|w\\|^2]` over the covered
        tensors."""
        drift = sum((p - self.anchor[n]).pow(2).sum() for n, p in self.params)
        norm = sum(p.pow(2).sum() for _, p in self.params)
        return self.strength * (self.alpha * drift + (1.0 - self.alpha) * norm)

    def set_anchor(self, tag: str) -> None:
        self.anchor = {n: p.detach().clone() for n, p in self.params}
        self.anchor_tag = tag

    # --- hook points ------------------------------------------------------------------------
    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        target = getattr(model, self.module, None)
        if not isinstance(target, torch.nn.Module):
            raise AttributeError(f'L2SPHook: the model has no module {self.module!r}')
        self.params = [(n, p) for n, p in target.named_parameters()
                       if p.requires_grad and p.dim() >= 2]
        self._check_no_double_decay(runner, model)
        if self._loaded is not None:
            state, self._loaded = self._loaded, None
            device = self.params[0][1].device
            self.anchor = {n: t.to(device) for n, t in state['weights'].items()}
            self.anchor_tag = state['tag']
            if set(self.anchor) != {n for n, _ in self.params}:
                raise KeyError('L2SPHook: the checkpoint\'s anchor does not match the '
                               f'{self.module} parameters of this model')
        elif self.anchor is None:
            self.set_anchor('start of training')
        self._wrap_parse_losses(model)
        print_log(
            f'L2SPHook: alpha={self.alpha}, lambda={self.strength}, over {len(self.params)} '
            f'{self.module} weight tensors; anchor: {self.anchor_tag}',
            logger='current')

    def before_train_task(self, runner, task: str, round_idx: int) -> None:
        self.set_anchor(f'start of round {round_idx + 1}, task {task}')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.anchor is not None:
            checkpoint[ANCHOR_KEY] = dict(
                tag=self.anchor_tag, weights={
                    n: t.cpu()
                    for n, t in self.anchor.items()
                })

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if ANCHOR_KEY in checkpoint:
            self._loaded = checkpoint[ANCHOR_KEY]

    # --- helpers ----------------------------------------------------------------------------
    def _wrap_parse_losses(self, model) -> None:
        if getattr(model.parse_losses, '_l2sp_hook', None) is self:
            return
        original = model.parse_losses

        def parse_losses(losses):
            losses = dict(losses)
            losses[self.loss_name] = self.penalty()
            return original(losses)

        parse_losses._l2sp_hook = self
        model.parse_losses = parse_losses

    def _check_no_double_decay(self, runner, model) -> None:
        groups = getattr(runner.optim_wrapper, 'param_groups', None) or []
        covered = {id(p): n for n, p in self.params}
        decayed = [
            covered[id(p)] for g in groups if g.get('weight_decay', 0) > 0 for p in g['params']
            if id(p) in covered
        ]
        if decayed:
            raise ValueError(
                f'L2SPHook: the optimizer also applies weight decay to {len(decayed)} tensors the '
                f'L2-SP penalty covers (e.g. {self.module}.{decayed[0]}), which would pull them to '
                f'zero twice. Set optim_wrapper.paramwise_cfg=dict(custom_keys={{'
                f"'{self.module}': dict(decay_mult=0.0)}}).")
