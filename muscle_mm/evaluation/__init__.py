"""Metrics as the MUSCLE paper reports them."""
from .binary_cls_metric import BinaryClsMetric, binary_metrics

__all__ = ['BinaryClsMetric', 'binary_metrics']
