"""The paper's figures are written, non-empty, with their colours where they belong; the figure
tool reads tools/test.py --out prediction files."""
import os.path as osp
import pickle
import sys

import cv2
import numpy as np
import pytest
import torch

from _helpers import REPO
from muscle_mm.visualization import draw_lung_overlays, draw_tb_boxes, plot_roc_curves

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
import paper_figures  # noqa: E402


def _count(png, bgr, tol=40):
    img = cv2.imread(str(png))
    assert img is not None and img.shape[0] > 100 and img.shape[1] > 100
    return int(np.sum(np.all(np.abs(img.astype(int) - bgr) < tol, axis=2)))


def _reddish(png):
    img = cv2.imread(str(png)).astype(int)
    return int(np.sum(img[..., 2] - img[..., :2].max(axis=2) > 60))


def _cls_data(n=200, strength=0.3, seed=0):
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 2, n)
    return np.clip(labels * strength + rng.normal(0.35, 0.2, n), 0, 1), labels


def test_roc_curves_one_per_init_with_ci_in_legend(tmp_path):
    curves = dict(Scratch=_cls_data(strength=0.1), MUSCLE=_cls_data(strength=0.4))
    out = tmp_path / 'roc.png'
    metrics = plot_roc_curves(curves, str(out), title='Pneumonia')
    assert metrics['MUSCLE']['auc'] > metrics['Scratch']['auc']
    m = metrics['MUSCLE']
    assert m['auc_ci_low'] < m['auc'] < m['auc_ci_high']
    assert _count(out, (180, 119, 31)) > 200 and _count(out, (14, 127, 255)) > 200  # C0, C1
    with pytest.raises(ValueError, match='both classes'):
        plot_roc_curves(dict(a=([0.1, 0.2], [1, 1])), str(tmp_path / 'x.png'))


def _lung_case(size=64):
    yy, xx = np.mgrid[:size, :size]
    gt = (((xx - 20) ** 2 / 80 + (yy - 32) ** 2 / 300 < 1)
          | ((xx - 44) ** 2 / 80 + (yy - 32) ** 2 / 300 < 1))
    image = (100 + 80 * ~gt + np.random.RandomState(0).randint(0, 20, gt.shape)).astype(np.uint8)
    return image, gt.astype(np.uint8)


def test_lung_overlays_green_truth_red_prediction(tmp_path):
    image, gt = _lung_case()
    preds = dict(Scratch=[np.roll(gt, 4, axis=1)], MUSCLE=[gt.copy()])
    out = tmp_path / 'lung.png'
    draw_lung_overlays([image], [gt], preds, str(out))
    assert _count(out, (0, 255, 0), tol=60) > 50  # lime outline
    assert _reddish(out) > 2000  # red fill over the lungs
    with pytest.raises(ValueError, match='must match'):
        draw_lung_overlays([image], [gt], dict(a=[gt[:10]]), str(tmp_path / 'bad.png'))
    # an empty prediction and an empty ground truth still draw
    draw_lung_overlays([image], [np.zeros_like(gt)], dict(a=[np.zeros_like(gt)]),
                       str(tmp_path / 'empty.png'))
    assert (tmp_path / 'empty.png').stat().st_size > 1000


def test_tb_boxes(tmp_path):
    image = np.full((80, 80), 90, np.uint8)
    out = tmp_path / 'tbx.png'
    draw_tb_boxes([image], [[(10, 10, 40, 40, 0)]],
                  dict(MUSCLE=[[(12, 12, 42, 44, 0, 0.9), (50, 50, 70, 70, 1, 0.1)]]), str(out))
    assert _count(out, (0, 255, 0), tol=60) > 50 and _count(out, (0, 0, 255), tol=60) > 50
    assert _count(out, (0, 0, 255), tol=60) < 2000  # the 0.1-score box is not drawn


def test_figure_tool_reads_prediction_files(tmp_path):
    files = []
    for name, strength in (('Scratch', 0.1), ('MUSCLE', 0.4)):
        scores, labels = _cls_data(strength=strength)
        samples = [dict(pred_score=torch.tensor([1 - s, s]), gt_label=torch.tensor([y]))
                   for s, y in zip(scores, labels)]
        path = tmp_path / f'{name}.pkl'
        path.write_bytes(pickle.dumps(samples))
        files.append(f'{name}={path}')
    out = paper_figures.main(['roc', '--pred'] + files + ['--out', str(tmp_path / 'roc.png')])
    assert osp.getsize(out) > 10000
    image, gt = _lung_case()
    img_path = str(tmp_path / 'cxr.png')
    cv2.imwrite(img_path, image)
    seg = [dict(img_path=img_path, gt_sem_seg=dict(data=torch.as_tensor(gt)[None]),
                pred_sem_seg=dict(data=torch.as_tensor(gt)[None]))]
    (tmp_path / 'seg.pkl').write_bytes(pickle.dumps(seg))
    out = paper_figures.main(['lung', '--pred', f'MUSCLE={tmp_path / "seg.pkl"}', '--out',
                              str(tmp_path / 'lung.png'), '--pick', 'spread'])
    assert _count(out, (0, 255, 0), tol=60) > 50
    det = [dict(img_path=img_path, instances=[dict(bbox=[10, 10, 30, 40], bbox_label=1)],
                pred_instances=dict(bboxes=torch.tensor([[12., 11., 31., 42.]]),
                                    scores=torch.tensor([0.8]), labels=torch.tensor([1])))]
    (tmp_path / 'det.pkl').write_bytes(pickle.dumps(det))
    out = paper_figures.main(['tbx', '--pred', f'MUSCLE={tmp_path / "det.pkl"}', '--out',
                              str(tmp_path / 'tbx.png')])
    assert _count(out, (0, 255, 0), tol=60) > 50 and _count(out, (0, 0, 255), tol=60) > 50
