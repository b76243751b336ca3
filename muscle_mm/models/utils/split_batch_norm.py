"""Split-batch BatchNorm: MoCo's single-process stand-in for shuffle-BN across GPUs."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from muscle_mm.registry import MODELS


@MODELS.register_module('SplitBN')
class SplitBatchNorm(nn.BatchNorm2d):
    """BatchNorm2d whose training statistics come from ``num_splits`` disjoint sub-batches.

    MoCo (`Momentum Contrast for Unsupervised Visual Representation Learning
    <https://arxiv.org/abs/1911.05722>`_, §3.3 "Shuffling BN") computes the key encoder's BN
    statistics on a different subset of samples than the query's: otherwise the positive pair
    shares batch statistics and the encoder can "cheat" the pretext task through them.
    mmpretrain does this by shuffling keys across processes, which changes nothing on one
    process, where BN sees the whole batch. MoCo's own single-GPU recipe (the CIFAR demo of
    facebookresearch/moco) splits the batch into groups instead; with the key batch shuffled
    before the key encoder, query and key groups then hold different samples. Each group is
    normalized by its own mean/variance; the running statistics move by the mean of the
    groups' updates. Sample ``n`` belongs to group ``n % num_splits``.

    Evaluation (or ``track_running_stats=False`` off) is plain BatchNorm2d, and the state
    dict is BatchNorm2d's, so checkpoints load into configs with ``BN`` and vice versa.

    Args:
        num_features (int): Channels ``C`` of the ``N x C x H x W`` input.
        num_splits (int): Groups per training batch; the batch must be a multiple of it.
            Defaults to 8 (MoCo's single-GPU recipe; = the 8 GPUs of MoCo v2).
        eps (float): As in BatchNorm2d. Defaults to 1e-5.
        momentum (float, optional): As in BatchNorm2d. Defaults to 0.1.
        affine (bool): As in BatchNorm2d. Defaults to True.
        track_running_stats (bool): As in BatchNorm2d. Defaults to True.
    """

    def __init__(self,
                 num_features: int,
                 num_splits: int = 8,
                 eps: float = 1e-5,
                 momentum: Optional[float] = 0.1,
                 affine: bool = True,
                 track_running_stats: bool = True) -> None:
        super().__init__(
            num_features,
            eps=eps,
            momentum=momentum,
            affine=affine,
            track_running_stats=track_running_stats)
        if int(num_splits) < 1:
            raise ValueError(f'SplitBatchNorm: num_splits must be >= 1, got {num_splits}')
        self.num_splits = int(num_splits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.num_splits == 1:
            return super().forward(x)
        self._check_input_dim(x)
        n, c = x.shape[:2]
        s = self.num_splits
        if n % s:
            raise ValueError(
                f'SplitBatchNorm: batch of {n} is not a multiple of num_splits={s}; make '
                f'train_dataloader.batch_size a multiple of it, or change '
                f'model.single_process_bn_splits (MDMoCo) / norm_cfg.num_splits')
        if self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
        momentum = self.momentum
        if momentum is None:  # cumulative moving average, as nn.BatchNorm2d
            momentum = 1.0 / float(self.num_batches_tracked)
        # (N, C, H, W) -> (N/s, s*C, H, W): channel block g holds samples n with n % s == g
        grouped = x.reshape(n // s, s * c, *x.shape[2:])
        running_mean = running_var = None
        if self.track_running_stats:
            running_mean = self.running_mean.repeat(s)
            running_var = self.running_var.repeat(s)
        weight = self.weight.repeat(s) if self.affine else None
        bias = self.bias.repeat(s) if self.affine else None
        out = F.batch_norm(grouped, running_mean, running_var, weight, bias, True, momentum,
                           self.eps)
        if self.track_running_stats:
            with torch.no_grad():
                self.running_mean.copy_(running_mean.view(s, c).mean(0))
                self.running_var.copy_(running_var.view(s, c).mean(0))
        return out.view_as(x)

    @classmethod
    def convert(cls, module: nn.Module, num_splits: int) -> nn.Module:
        """Return ``module`` with every ``nn.BatchNorm2d`` replaced by a SplitBatchNorm that
        shares its parameters and buffers (the same tensor objects, so optimizers, EMA copies
        and state dicts that already refer to them keep working)."""
        out = module
        if isinstance(module, nn.BatchNorm2d) and not isinstance(module, cls):
            out = cls(module.num_features, num_splits, module.eps, module.momentum, module.affine,
                      module.track_running_stats)
            if module.affine:
                out.weight, out.bias = module.weight, module.bias
            out.running_mean, out.running_var = module.running_mean, module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.train(module.training)
        for name, child in module.named_children():
            out.add_module(name, cls.convert(child, num_splits))
        return out

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, num_splits={self.num_splits}'
