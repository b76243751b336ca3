import json

import numpy as np
import pytest
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from muscle_mm.registry import MMDET_METRICS

CLASSES = ('ActiveTuberculosis', 'ObsoletePulmonaryTuberculosis')


def _scene(seed=0, n_img=6):
    """GT boxes per image and noisy predictions around them (some missed, some false)."""
    rng = np.random.RandomState(seed)
    gts, preds = [], []
    for i in range(n_img):
        g = [(rng.uniform(0, 60), rng.uniform(0, 60), rng.randint(0, 2)) for _ in range(2)]
        boxes = [[x, y, x + 30, y + 25, c] for x, y, c in g]
        det = [[
            x1 + rng.normal(0, 4), y1 + rng.normal(0, 4), x2 + rng.normal(0, 4),
            y2 + rng.normal(0, 4), c,
            rng.uniform(0.2, 1)
        ] for x1, y1, x2, y2, c in boxes if rng.rand() > 0.2]
        det += [[rng.uniform(0, 60), rng.uniform(0, 60), 0, 0, rng.randint(0, 2), rng.uniform()]]
        det[-1][2], det[-1][3] = det[-1][0] + 20, det[-1][1] + 20
        gts.append(boxes)
        preds.append(det)
    return gts, preds


def _samples(gts, preds):
    out = []
    for i, (g, p) in enumerate(zip(gts, preds)):
        p = np.array(p, dtype=np.float64).reshape(-1, 6)
        out.append(
            dict(
                img_id=i,
                ori_shape=(100, 100),
                instances=[dict(bbox=b[:4], bbox_label=b[4], ignore_flag=0) for b in g],
                pred_instances=dict(
                    bboxes=torch.as_tensor(p[:, :4]),
                    scores=torch.as_tensor(p[:, 5]),
                    labels=torch.as_tensor(p[:, 4]).long())))
    return out


def _evaluate(samples, **kw):
    kw.setdefault('class_aliases',
                  dict(ActiveTuberculosis='active', ObsoletePulmonaryTuberculosis='latent'))
    metric = MMDET_METRICS.build(dict(type='ClasswiseAP50Metric', classwise=True, **kw))
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process(None, samples)
    return metric.evaluate(len(samples))


def _pycocotools_ap50(tmp_path, gts, preds):
    """AP@0.5 per class, one COCOeval per category, straight from pycocotools."""
    images = [dict(id=i, width=100, height=100, file_name=f'{i}.png') for i in range(len(gts))]
    anns = [
        dict(
            id=len(images) * 10 + k * 10 + j,
            image_id=k,
            category_id=int(b[4]) + 1,
            bbox=[b[0], b[1], b[2] - b[0], b[3] - b[1]],
            area=(b[2] - b[0]) * (b[3] - b[1]),
            iscrowd=0) for k, g in enumerate(gts) for j, b in enumerate(g)
    ]
    path = tmp_path / 'gt.json'
    path.write_text(
        json.dumps(
            dict(
                images=images,
                annotations=anns,
                categories=[dict(id=1, name=CLASSES[0]),
                            dict(id=2, name=CLASSES[1])])))
    coco = COCO(str(path))
    dets = [
        dict(
            image_id=k,
            category_id=int(d[4]) + 1,
            score=float(d[5]),
            bbox=[d[0], d[1], d[2] - d[0], d[3] - d[1]]) for k, p in enumerate(preds) for d in p
    ]
    aps = []
    for cat in (1, 2):
        e = COCOeval(coco, coco.loadRes(dets), 'bbox')
        e.params.catIds = [cat]
        e.evaluate()
        e.accumulate()
        e.summarize()
        aps.append(100 * e.stats[1])  # AP at IoU 0.5, all areas, 100 detections
    return aps


def test_ap50_per_class_against_pycocotools(tmp_path):
    gts, preds = _scene()
    out = _evaluate(_samples(gts, preds))
    active, latent = _pycocotools_ap50(tmp_path, gts, preds)
    assert out['coco/AP50_active'] == pytest.approx(active)
    assert out['coco/AP50_latent'] == pytest.approx(latent)
    assert out['coco/mAP50'] == pytest.approx((active + latent) / 2)
    assert out['coco/mAP50'] == pytest.approx(100 * out['coco/bbox_mAP_50'], abs=0.051)
    assert 0 < latent < 100 and 0 < active < 100


def test_no_predicted_box_and_class_without_ground_truth():
    gts, preds = _scene()
    out = _evaluate(_samples(gts, [[] for _ in preds]))
    assert out['coco/AP50_active'] == 0.0 and out['coco/AP50_latent'] == 0.0
    assert out['coco/mAP50'] == 0.0
    only_active = [[b for b in g if b[4] == 0] for g in gts]
    out = _evaluate(_samples(only_active, preds))
    assert np.isnan(out['coco/AP50_latent']) and out['coco/mAP50'] == out['coco/AP50_active']


def test_unknown_alias_is_an_error():
    gts, preds = _scene()
    with pytest.raises(ValueError, match='class_aliases'):
        _evaluate(_samples(gts, preds), class_aliases=dict(Active='a'))
