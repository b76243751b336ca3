"""Qualitative figures: lung masks (MUSCLE Fig. 3) and TB boxes, one column per initialization."""
from typing import Dict, List, Optional, Sequence

import numpy as np

from .figure import new_figure, save_figure

GT_COLOR, PRED_COLOR = 'lime', 'red'


def _gray(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    return image[..., :3].mean(axis=2) if image.ndim == 3 else image


def _show(ax, image: np.ndarray) -> None:
    """The X-ray in gray; 8-bit images keep their own contrast (no per-image stretch)."""
    limits = dict(vmin=0, vmax=255) if np.asarray(image).dtype == np.uint8 else {}
    ax.imshow(_gray(image), cmap='gray', **limits)


def draw_lung_overlays(
    images: Sequence[np.ndarray],
    gt_masks: Sequence[np.ndarray],
    pred_masks: Dict[str, Sequence[np.ndarray]],
    out_file: str,
    row_titles: Optional[Sequence[str]] = None,
    missing: Sequence[str] = ()) -> str:
    """One row per image, one column per initialization: the X-ray in gray, the predicted lung
    filled in red, the ground-truth outline in green (as the paper's Fig. 3).

    Args:
        images: ``H x W`` (or ``H x W x C``) images.
        gt_masks: ``H x W`` label maps, lung > 0.
        pred_masks: initialization name -> one ``H x W`` prediction per image.
        out_file: PNG path.
        row_titles: optional name of each image (e.g. its file name).
        missing: initializations without predictions, named in the figure's title.
    """
    names = list(pred_masks)
    if not names or not len(images):
        raise ValueError('draw_lung_overlays: need at least one image and one initialization')
    fig, axes = new_figure(len(images), len(names))
    for r, (image, gt) in enumerate(zip(images, gt_masks)):
        for c, name in enumerate(names):
            pred = np.asarray(pred_masks[name][r]) > 0
            gt_b = np.asarray(gt) > 0
            if pred.shape != gt_b.shape or pred.shape != _gray(image).shape:
                raise ValueError(f'draw_lung_overlays: image {r} is {_gray(image).shape}, its '
                                 f'ground truth {gt_b.shape} and the {name!r} prediction '
                                 f'{pred.shape}; they must match')
            ax = axes[r][c]
            _show(ax, image)
            fill = np.zeros(pred.shape + (4, ))
            fill[pred] = (1.0, 0.0, 0.0, 0.45)  # red, 45% opaque
            ax.imshow(fill)
            if gt_b.any() and not gt_b.all():
                ax.contour(gt_b.astype(float), levels=[0.5], colors=GT_COLOR, linewidths=1.2)
            ax.set_axis_off()
            if r == 0:
                ax.set_title(name, fontsize=10)
        if row_titles:
            axes[r][0].text(
                0, -0.02, row_titles[r], transform=axes[r][0].transAxes, va='top', fontsize=6)
    if missing:
        fig.suptitle(f'no predictions (not run): {", ".join(missing)}', fontsize=8)
    return save_figure(fig, out_file)


def _iou(box: tuple, others: np.ndarray) -> np.ndarray:
    x1, y1 = np.maximum(box[0], others[:, 0]), np.maximum(box[1], others[:, 1])
    x2, y2 = np.minimum(box[2], others[:, 2]), np.minimum(box[3], others[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def select_boxes(boxes: Sequence[tuple],
                 score_thr: float = 0.3,
                 nms_iou: float = 0.5,
                 top_k: int = 5) -> List[tuple]:
    """The predictions a reader can read: score >= ``score_thr``, then class-agnostic NMS at
    ``nms_iou`` (mmdet's NMS is per class: an active and a latent box on one lesion both stay),
    then the ``top_k`` highest scores. Boxes are ``(x1, y1, x2, y2, label, score)``."""
    kept: List[tuple] = []
    for box in sorted((b for b in boxes if b[5] >= score_thr), key=lambda b: -b[5]):
        if len(kept) == top_k:
            break
        if not kept or _iou(box, np.array([k[:4] for k in kept], float)).max() <= nms_iou:
            kept.append(box)
    return kept


def draw_tb_boxes(images: Sequence[np.ndarray],
                  gt_boxes: Sequence[List[tuple]],
                  pred_boxes: Dict[str, Sequence[List[tuple]]],
                  out_file: str,
                  class_names: Sequence[str] = ('active', 'latent'),
                  score_thr: float = 0.3,
                  nms_iou: float = 0.5,
                  top_k: int = 5,
                  missing: Sequence[str] = ()) -> str:
    """One row per image, one column per initialization: ground-truth boxes in green, predicted
    boxes in red, each labelled with its class (and score). Only :func:`select_boxes` of each
    image's predictions are drawn (score >= ``score_thr``, class-agnostic NMS at ``nms_iou``,
    the ``top_k`` best); the figure's title says so, and each panel how many of its boxes it
    shows. ``missing``: initializations without predictions, named in the title.

    Boxes are ``(x1, y1, x2, y2, label)`` for ground truth and ``(x1, y1, x2, y2, label,
    score)`` for predictions, in the image's pixel coordinates.
    """
    from matplotlib.patches import Rectangle
    names = list(pred_boxes)
    if not names or not len(images):
        raise ValueError('draw_tb_boxes: need at least one image and one initialization')
    fig, axes = new_figure(len(images), len(names))
    for r, image in enumerate(images):
        for c, name in enumerate(names):
            ax = axes[r][c]
            _show(ax, image)
            drawn = select_boxes(pred_boxes[name][r], score_thr, nms_iou, top_k)
            # ground-truth names above their box, predictions below theirs
            shown = [(b, GT_COLOR, class_names[int(b[4])], True) for b in gt_boxes[r]]
            shown += [(b, PRED_COLOR, f'{class_names[int(b[4])]} {b[5]:.2f}', False) for b in drawn]
            for (x1, y1, x2, y2, *_), color, text, above in shown:
                ax.add_patch(
                    Rectangle((x1, y1),
                              x2 - x1,
                              y2 - y1,
                              fill=False,
                              edgecolor=color,
                              linewidth=1.2))
                ax.text(
                    x1,
                    y1 if above else y2,
                    text,
                    color=color,
                    fontsize=6,
                    va='bottom' if above else 'top')
            ax.text(
                0.99,
                0.01,
                f'{len(drawn)} of {len(pred_boxes[name][r])} boxes',
                transform=ax.transAxes,
                ha='right',
                va='bottom',
                fontsize=6,
                color='white')
            ax.set_axis_off()
            if r == 0:
                ax.set_title(f'{name} (green GT, red pred)', fontsize=9)
    title = (f'red: predictions with score >= {score_thr:g}, after class-agnostic NMS (IoU '
             f'{nms_iou:g}), top {top_k} per image')
    if missing:
        title += f'\nno predictions (not run): {", ".join(missing)}'
    fig.suptitle(title, fontsize=8)
    return save_figure(fig, out_file)
