"""SelfSupDataPreprocessor with batch augments that make the views after the batch is on the
device."""
from typing import List, Optional, Sequence, Union

import torch.nn as nn
from mmpretrain.models.utils import SelfSupDataPreprocessor

from muscle_mm.registry import MODELS


@MODELS.register_module()
class MultiViewDataPreprocessor(SelfSupDataPreprocessor):
    """mmpretrain's ``SelfSupDataPreprocessor`` plus ``batch_augments`` that create the views.

    MD-MoCo (MUSCLE, `arXiv:2310.02000 <https://arxiv.org/abs/2310.02000>`_, §2.1) needs two
    flipped + rotated views per image. With views made on the CPU (``MultiView`` in the
    dataloader) each worker rotates two 800x500 images per sample; with this preprocessor the
    workers only decode and resize, the single uint8 image goes to the device (4x fewer bytes
    than two float views), and the batch augments (e.g. :class:`XRayViews`) make the views
    there, before normalization, as mmdet's and mmpretrain's preprocessors run their
    ``batch_augments``. mmpretrain's ``SelfSupDataPreprocessor`` has no such hook.

    Batches whose ``inputs`` are already a list of views (the CPU path) pass through unchanged,
    as do batches outside training (``training=False``: one view, normalized).

    Args:
        mean, std, pad_size_divisor, pad_value, to_rgb, bgr_to_rgb, rgb_to_bgr: as in
            ``SelfSupDataPreprocessor`` (defaults None, None, 1, 0, False, False, False).
        non_blocking (bool): Copy to the device asynchronously (needs pinned memory).
            Defaults to False.
        batch_augments (list[dict], optional): Configs of modules called as
            ``inputs, data_samples = aug(inputs, data_samples)`` on float ``N x C x H x W``
            inputs in their original 0..255 range, in order; the last returns the list of
            views. Defaults to None (no views: behaves as ``SelfSupDataPreprocessor``).
    """

    def __init__(self,
                 mean: Optional[Sequence[Union[float, int]]] = None,
                 std: Optional[Sequence[Union[float, int]]] = None,
                 pad_size_divisor: int = 1,
                 pad_value: Union[float, int] = 0,
                 to_rgb: bool = False,
                 bgr_to_rgb: bool = False,
                 rgb_to_bgr: bool = False,
                 non_blocking: Optional[bool] = False,
                 batch_augments: Optional[List[dict]] = None) -> None:
        super().__init__(
            mean=mean,
            std=std,
            pad_size_divisor=pad_size_divisor,
            pad_value=pad_value,
            to_rgb=to_rgb,
            bgr_to_rgb=bgr_to_rgb,
            rgb_to_bgr=rgb_to_bgr,
            non_blocking=non_blocking)
        self.batch_augments = nn.ModuleList([MODELS.build(cfg)
                                             for cfg in batch_augments]) if batch_augments else None

    def forward(self, data: dict, training: bool = False) -> dict:
        """Move to the device, make the views (training only), then normalize each view."""
        if training and self.batch_augments is not None and not isinstance(
                data.get('inputs'), (list, tuple)):
            data = self.cast_data(data)
            inputs, data_samples = data['inputs'].float(), data.get('data_samples')
            for aug in self.batch_augments:
                inputs, data_samples = aug(inputs, data_samples)
            data = dict(inputs=inputs, data_samples=data_samples)
        return super().forward(data, training)
