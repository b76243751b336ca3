"""MD-MoCo: MUSCLE's multi-dataset MoCo v2 (stage 1 of https://arxiv.org/abs/2310.02000, §2.1)."""
import logging
from typing import List, Optional, Union

import torch
import torch.nn as nn
from mmengine.dist import get_world_size
from mmengine.logging import print_log
from mmengine.model.weight_init import constant_init, kaiming_init
from mmpretrain.models.backbones.resnet import BasicBlock, Bottleneck
from mmpretrain.models.selfsup import MoCo
from mmpretrain.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

from muscle_mm.models.utils import SplitBatchNorm, check_queue_divisible


def _has_pretrained(init_cfg: Optional[Union[dict, List[dict]]]) -> bool:
    cfgs = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
    return any(isinstance(c, dict) and c.get('type') == 'Pretrained' for c in cfgs)


@MODELS.register_module()
class MDMoCo(MoCo):
    """Multi-dataset momentum contrast (MD-MoCo) of MUSCLE.

    `MUSCLE: Multi-task Self-supervised Continual Learning to Pre-train Deep Models for X-ray
    Images of Multiple Body Parts <https://arxiv.org/abs/2310.02000>`_ pre-trains with MoCo v2
    (`Improved Baselines with Momentum Contrastive Learning <https://arxiv.org/abs/2003.04297>`_)
    over nine pooled X-ray datasets. The algorithm is mmpretrain's :class:`MoCo` unchanged (key
    encoder as an :class:`~mmengine.model.ExponentialMovingAverage`, queue, InfoNCE head,
    shuffle-BN across processes); what MUSCLE adds lives elsewhere (Z-score normalization and
    800x500 resize in the data pipeline and preprocessor, no crop/blur/colour views) or here:

    - Kaiming initialization of the query backbone ("for the stability of back-propagation in
      contrastive learning"), applied in :meth:`init_weights` after the modules' own
      ``init_cfg`` so the paper's initialization does not depend on the backbone config. It is
      skipped when a ``Pretrained`` ``init_cfg`` is set on the model or its backbone, so
      continuing from weights is never overwritten.
    - The key encoder is made an exact copy of the initialized query encoder (MoCo v2 copies
      at start). mmengine's EMA deep-copies the query at construction, i.e. *before*
      ``init_weights``, and would only copy again at its first update.
    - A clear error, instead of mmpretrain's bare ``assert``, when the global batch does not
      divide ``queue_len`` (checked at start by :class:`MoCoQueueCheckHook`, and at each
      enqueue, e.g. for a short last batch).
    - Shuffle-BN on one process. mmpretrain shuffles keys across processes so that query and
      key BN statistics come from different samples; on one process (one GPU, the CPU demo)
      that shuffle changes nothing and BN can leak information within the batch (MoCo §3.3).
      With ``single_process_bn_splits=S`` and a world size of 1, every ``BatchNorm2d`` of
      both encoders becomes a :class:`SplitBatchNorm` over ``S`` groups (MoCo's single-GPU
      recipe; the in-process key shuffle then gives the key encoder other groups than the
      query's). With several processes it does nothing; with one process and 0, a warning
      names this option.

    Momentum convention: mmengine's EMA computes ``k = (1 - m) * k + m * q``, so
    ``momentum=0.001`` here is MoCo's ``m = 0.999`` (mmselfsup configs wrote 0.999).

    Args:
        backbone (dict): Config of the backbone, e.g. mmpretrain ``ResNet``.
        neck (dict): Config of the projection neck, e.g. ``MoCoV2Neck``.
        head (dict): Config of the contrastive head, e.g. ``ContrastiveHead``.
        queue_len (int): Number of negative keys in the queue. Defaults to 65536
            (MoCo v2; must be a multiple of the global batch).
        feat_dim (int): Dimension of the projected features. Defaults to 128 (MoCo v2).
        momentum (float): EMA momentum of the key encoder in mmengine's convention.
            Defaults to 0.001 (= MoCo's 0.999).
        kaiming_init (bool): Kaiming-normal (fan_out, relu) init of every ``Conv2d`` of the
            query backbone, norm layers weight 1 / bias 0. Defaults to True (paper).
        single_process_bn_splits (int): BN groups per batch when the run has one process
            (0: off, warn). The per-process batch must be a multiple of it. Defaults to 0
            (mmpretrain's behaviour; the MD-MoCo configs set 8).
        pretrained (str, optional): Checkpoint to load, as in :class:`MoCo`. Defaults to None.
        data_preprocessor (dict, optional): Defaults to None (``SelfSupDataPreprocessor``).
        init_cfg (dict | list[dict], optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 momentum: float = 0.001,
                 kaiming_init: bool = True,
                 single_process_bn_splits: int = 0,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            queue_len=queue_len,
            feat_dim=feat_dim,
            momentum=momentum,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.kaiming_init = kaiming_init
        self.single_process_bn_splits = int(single_process_bn_splits)
        self._split_bn_for_one_process()

    def _split_bn_for_one_process(self) -> None:
        """Split-batch BN in both encoders when one process would make shuffle-BN a no-op.

        Runs at construction: mmengine's Runner sets up distributed training before it builds
        the model, so the world size is known here.
        """
        splits = self.single_process_bn_splits
        if get_world_size() > 1 or not any(
                isinstance(m, nn.BatchNorm2d) for m in self.backbone.modules()):
            return
        if splits < 2:
            print_log(
                'MDMoCo: one process, so shuffle-BN does not separate query and key batch '
                'statistics and BN can leak information within the batch (MoCo §3.3). Set '
                '--cfg-options model.single_process_bn_splits=8 (split-batch BN, MoCo\'s '
                'single-GPU recipe; the batch must be a multiple of it) or train on several '
                'processes.',
                logger='current',
                level=logging.WARNING)
            return
        # Same parameter/buffer objects: the EMA's list of the key encoder's tensors stays valid.
        SplitBatchNorm.convert(self.backbone, splits)
        SplitBatchNorm.convert(self.encoder_k.module, splits)
        print_log(
            f'MDMoCo: one process: BatchNorm2d -> SplitBatchNorm({splits} groups) in the '
            'query and key encoders (MoCo\'s single-GPU shuffle-BN).',
            logger='current')

    def init_weights(self) -> None:
        """Run mmengine's init flow, then Kaiming (unless pretrained), then copy q -> k."""
        if self.is_init:
            return
        super().init_weights()
        kaiming = 'off'
        if self.kaiming_init:
            if _has_pretrained(self.init_cfg) or _has_pretrained(self.backbone.init_cfg):
                kaiming = 'skipped (Pretrained init_cfg)'
            else:
                self._kaiming_init_backbone()
                kaiming = 'applied to the backbone'
        self.encoder_k.module.load_state_dict(nn.Sequential(self.backbone, self.neck).state_dict())
        # mmengine's init-info table above predates these two steps; say what they did.
        print_log(
            f'MDMoCo: Kaiming init {kaiming}; key encoder (encoder_k) set to a copy of '
            'the initialized backbone + neck.',
            logger='current')

    @torch.no_grad()
    def _kaiming_init_backbone(self) -> None:
        for m in self.backbone.modules():
            if isinstance(m, nn.Conv2d):
                kaiming_init(m, mode='fan_out', nonlinearity='relu', distribution='normal')
            elif isinstance(m, (_BatchNorm, nn.GroupNorm)):
                constant_init(m, 1, bias=0)
        # Keep mmpretrain ResNet's zero_init_residual semantics if a config asks for it.
        if getattr(self.backbone, 'zero_init_residual', False):
            for m in self.backbone.modules():
                if isinstance(m, Bottleneck):
                    constant_init(m.norm3, 0)
                elif isinstance(m, BasicBlock):
                    constant_init(m.norm2, 0)

    @torch.no_grad()
    def _dequeue_and_enqueue(self, keys: torch.Tensor) -> None:
        """MoCo's queue update, after a check that names the numbers when it cannot work."""
        check_queue_divisible(self.queue_len, keys.shape[0], get_world_size())
        super()._dequeue_and_enqueue(keys)
