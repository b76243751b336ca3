"""The paper's figures: ROC curves (Fig. 2), lung overlays (Fig. 3) and TB boxes, as PNG; the
optional TensorBoard backend of the configs' visualizer."""
from .optional_tensorboard_vis_backend import OptionalTensorboardVisBackend
from .overlays import draw_lung_overlays, draw_tb_boxes, select_boxes
from .roc import plot_roc_curves

__all__ = [
    'plot_roc_curves', 'draw_lung_overlays', 'draw_tb_boxes', 'select_boxes',
    'OptionalTensorboardVisBackend'
]
