"""TB detection scores as in MUSCLE Tab. 3: AP of each class at IoU 0.5 and their mean, by
pycocotools, on top of mmdet's CocoMetric."""
from typing import Dict, List, Optional

import numpy as np
from mmdet.evaluation import CocoMetric
from mmengine.logging import print_log
from pycocotools.cocoeval import COCOeval

from muscle_mm.registry import MMDET_METRICS


@MMDET_METRICS.register_module()
class ClasswiseAP50Metric(CocoMetric):
    """mmdet's COCO bbox metrics plus the unrounded AP at IoU 0.5 of every class.

    Paper: MUSCLE, https://arxiv.org/abs/2310.02000, Tab. 3 (TBX: mAP, AP_active, AP_latent,
    "all of them at the IoU threshold of 0.5"); its mAP is the mean of the two class APs
    (e.g. (56.71 + 4.72) / 2 = 30.71 for ResNet-18 from scratch).

    mmdet's ``classwise=True`` prints AP50 per class but returns only AP@[.5:.95] per class,
    rounded to 3 digits. This metric runs pycocotools' ``COCOeval`` once more at IoU 0.5 with
    mmdet's settings (same categories, images and max detections) and adds, in percent:
    ``AP50_<name>`` per class and ``mAP50``, their mean over the classes that have ground truth
    (COCO's rule, so it equals ``bbox_mAP_50``). A class without ground truth boxes has a NaN
    AP; with no predicted box at all every class with ground truth has AP 0.

    Args:
        class_aliases (dict, optional): short names for the keys, e.g.
            ``dict(ActiveTuberculosis='active', ObsoletePulmonaryTuberculosis='latent')``.
            Defaults to None (the class names).
        **kwargs: :class:`mmdet.evaluation.CocoMetric` arguments (``ann_file``, ``classwise``,
            ``proposal_nums``, ``prefix``, ...); ``metric`` must be 'bbox'.
    """
    default_prefix: Optional[str] = 'coco'

    def __init__(self, class_aliases: Optional[Dict[str, str]] = None, **kwargs) -> None:
        if kwargs.setdefault('metric', 'bbox') not in ('bbox', ['bbox'], ('bbox', )):
            raise ValueError('ClasswiseAP50Metric scores boxes only, got '
                             f'metric={kwargs["metric"]}')
        super().__init__(**kwargs)
        self.class_aliases = dict(class_aliases or {})

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        out = super().compute_metrics(results)  # sets self._coco_api, cat_ids, img_ids
        names = [self._coco_api.loadCats(c)[0]['name'] for c in self.cat_ids]
        unknown = set(self.class_aliases) - set(names)
        if unknown:
            raise ValueError(f'ClasswiseAP50Metric: class_aliases name {sorted(unknown)}, which '
                             f'are not among the evaluated classes {names}')
        aps = self.ap50_per_class([pred for _, pred in results])
        for name, ap in zip(names, aps):
            out[f'AP50_{self.class_aliases.get(name, name)}'] = 100 * ap
        valid = aps[~np.isnan(aps)]
        out['mAP50'] = 100 * float(valid.mean()) if valid.size else float('nan')
        print_log(
            'AP50 ' + ', '.join(f'{n}: {100 * a:.2f}' for n, a in zip(names, aps)),
            logger='current')
        return out

    def ap50_per_class(self, preds: List[dict]) -> np.ndarray:
        """AP at IoU 0.5 of each of ``self.cat_ids`` in [0, 1], NaN without ground truth."""
        dets = [
            dict(
                image_id=p['img_id'],
                bbox=self.xyxy2xywh(box),
                score=float(score),
                category_id=self.cat_ids[int(label)]) for p in preds
            for box, score, label in zip(p['bboxes'], p['scores'], p['labels'])
        ]
        gt_ids = self._coco_api.getAnnIds(imgIds=self.img_ids, catIds=self.cat_ids)
        has_gt = {a['category_id'] for a in self._coco_api.loadAnns(gt_ids)}
        if not dets:  # pycocotools' loadRes cannot take an empty list
            return np.array([0.0 if c in has_gt else np.nan for c in self.cat_ids])
        coco_eval = COCOeval(self._coco_api, self._coco_api.loadRes(dets), 'bbox')
        coco_eval.params.catIds = self.cat_ids
        coco_eval.params.imgIds = self.img_ids
        coco_eval.params.maxDets = list(self.proposal_nums)
        coco_eval.params.iouThrs = np.array([0.5])
        coco_eval.evaluate()
        coco_eval.accumulate()
        # precision: (IoU thresholds, recall thresholds, classes, area ranges, max detections)
        precision = coco_eval.eval['precision'][0, :, :, 0, -1]
        aps = []
        for k in range(len(self.cat_ids)):
            p = precision[:, k]
            p = p[p > -1]
            aps.append(float(p.mean()) if p.size else np.nan)
        return np.array(aps)
