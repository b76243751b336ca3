"""Metrics as the MUSCLE paper reports them (Tab. 2 and 3), registered where each task's configs
look: classification in mmpretrain, segmentation in mmseg, detection in mmdet."""
from .binary_cls_metric import BinaryClsMetric, binary_metrics, bootstrap_auc_ci, format_auc_ci
from .classwise_ap50_metric import ClasswiseAP50Metric
from .continual_summary import continual_summary
from .dice_iou_metric import DiceIoUMetric
from .mura_study_metric import MURAStudyMetric

__all__ = [
    'BinaryClsMetric', 'MURAStudyMetric', 'DiceIoUMetric', 'ClasswiseAP50Metric', 'binary_metrics',
    'bootstrap_auc_ci', 'format_auc_ci', 'continual_summary'
]
