"""mmdet's RoI extractor, usable under bf16 autocast (mmcv 2.1.0's RoIAlign has no bf16 kernel)."""
from typing import List

import torch
import torch.nn as nn
from mmcv.ops import RoIAlign
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.registry import MODELS as MMDET_MODELS


class FP32RoIAlign(RoIAlign):
    """mmcv ``RoIAlign`` that computes in fp32 when its input is bf16, and returns bf16.

    mmcv 2.1.0 dispatches RoIAlign's CPU and CUDA kernels over float, double and half only
    (``AT_DISPATCH_FLOATING_TYPES_AND_HALF`` in ``roi_align.cpp`` / ``roi_align_cuda.cu``), so
    Faster R-CNN under bf16 autocast (``AmpOptimWrapper(dtype='bfloat16')``, the dtype Hopper
    GPUs train in without loss scaling) stops with ``"ROIAlign_forward" not implemented for
    'BFloat16'``. In fp32 the result is what the stock op gives; other dtypes run it unchanged.
    """

    def forward(self, input: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
        if input.dtype != torch.bfloat16 and rois.dtype != torch.bfloat16:
            return super().forward(input, rois)
        with torch.autocast(input.device.type, enabled=False):
            out = super().forward(input.float(), rois.float())
        return out.to(input.dtype)


@MMDET_MODELS.register_module()
class AutocastRoIExtractor(SingleRoIExtractor):
    """mmdet's ``SingleRoIExtractor`` whose ``RoIAlign`` layers run under bf16 autocast.

    Identical to the stock extractor (same arguments, state dict and fp32/fp16 results); only a
    ``roi_layer`` of type ``'RoIAlign'`` is built as :class:`FP32RoIAlign`, which computes bf16
    features in fp32 (the detection tasks' RoI features are few: 512 RoIs x 256 x 7 x 7).
    Other layer types are built as the stock extractor builds them.

    Args: as ``SingleRoIExtractor`` (roi_layer, out_channels, featmap_strides,
        finest_scale=56, init_cfg=None).
    """

    def build_roi_layers(self, layer_cfg, featmap_strides: List[int]) -> nn.ModuleList:
        if layer_cfg.get('type') == 'RoIAlign':
            layer_cfg = dict(layer_cfg, type=FP32RoIAlign)
        return super().build_roi_layers(layer_cfg, featmap_strides)


__all__ = ['AutocastRoIExtractor', 'FP32RoIAlign']
