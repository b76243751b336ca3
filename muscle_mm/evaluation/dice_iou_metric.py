"""Lung segmentation scores as in MUSCLE Tab. 3: Dice of the lung and mIoU over lung and
background, from mmseg's per-image areas."""
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.logging import print_log
from mmseg.evaluation import IoUMetric

from muscle_mm.registry import MMSEG_METRICS


def dice_iou_from_areas(intersect: np.ndarray, union: np.ndarray, pred: np.ndarray,
                        label: np.ndarray) -> Dict[str, np.ndarray]:
    """Per-class IoU = I / U and Dice = 2I / (|P| + |G|), in [0, 1]; NaN where a class is in
    neither prediction nor ground truth (0 / 0), as mmseg does."""
    with np.errstate(divide='ignore', invalid='ignore'):
        return dict(iou=intersect / union, dice=2 * intersect / (pred + label))


def nanmean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float('nan')


@MMSEG_METRICS.register_module()
class DiceIoUMetric(IoUMetric):
    """Dice of one class (the lung) and mIoU / mDice over all classes, pixel counts summed over
    the whole split (mmseg's convention), in percent.

    Paper: MUSCLE, https://arxiv.org/abs/2310.02000, Tab. 3 (Lung: Dice, mIoU). The paper does
    not name the classes; its numbers fit Dice of the lung and mIoU over {background, lung}:
    e.g. Dice 95.24 gives a lung IoU of 90.9, and mIoU 94.00 then needs a background IoU of 97.1,
    typical of chest films, while no pair of per-class Dice averaging 95.24 can give an mIoU of
    94 (IoU = Dice / (2 - Dice) is at most 91.3 on average then).

    Output keys: ``dice`` (class ``foreground_index``), ``mIoU``, ``mDice``, ``aAcc`` and
    ``IoU.<class>`` / ``Dice.<class>`` for each class. A class absent from both prediction and
    ground truth has NaN scores and is left out of the means (as in mmseg).

    Args:
        foreground_index (int): the class whose Dice is ``dice``. Defaults to 1 (lung).
        ignore_index (int): label ignored in both maps. Defaults to 255 (mmseg).
        **kwargs: other :class:`mmseg.evaluation.IoUMetric` arguments (``collect_device``,
            ``prefix``, ``output_dir``, ``format_only``).
    """
    default_prefix: Optional[str] = 'seg'

    def __init__(self, foreground_index: int = 1, ignore_index: int = 255, **kwargs) -> None:
        kwargs.pop('iou_metrics', None)  # fixed: this metric always reports IoU and Dice
        super().__init__(ignore_index=ignore_index, iou_metrics=['mIoU', 'mDice'], **kwargs)
        self.foreground_index = foreground_index

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        areas = [
            torch.stack([torch.as_tensor(a) for a in column]).sum(0).double().cpu().numpy()
            for column in zip(*results)
        ]
        intersect, union, pred, label = areas
        classes = self.dataset_meta['classes']
        if not 0 <= self.foreground_index < len(classes):
            raise ValueError(f'DiceIoUMetric: foreground_index {self.foreground_index} is not '
                             f'a class index of {classes}')
        per_class = dice_iou_from_areas(intersect, union, pred, label)
        out = dict(
            dice=100 * float(per_class['dice'][self.foreground_index]),
            mIoU=100 * nanmean(per_class['iou']),
            mDice=100 * nanmean(per_class['dice']),
            aAcc=100 * float(intersect.sum() / max(label.sum(), 1)))
        for name, iou, dice in zip(classes, per_class['iou'], per_class['dice']):
            out[f'IoU.{name}'], out[f'Dice.{name}'] = 100 * float(iou), 100 * float(dice)
        print_log(
            'per class ' +
            ', '.join(f'{n}: IoU {100 * i:.2f} Dice {100 * d:.2f}'
                      for n, i, d in zip(classes, per_class['iou'], per_class['dice'])),
            logger='current')
        return out
