"""The paper's figures are written, non-empty, with their colours where they belong; the figure
tool reads tools/test.py --out prediction files."""
import os.path as osp
import pickle
import re

import cv2
import numpy as np
import pytest
import torch

from muscle_mm.cli import paper_figures
from muscle_mm.evaluation.binary_cls_metric import binary_metrics, format_auc_ci
from muscle_mm.visualization import draw_lung_overlays, draw_tb_boxes, plot_roc_curves


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


@pytest.fixture
def legends(monkeypatch):
    """The legend texts of each ROC figure saved."""
    from muscle_mm.visualization import roc
    out = []
    save = roc.save_figure
    monkeypatch.setattr(
        roc, 'save_figure', lambda fig, path: out.append(
            [t.get_text() for t in fig.axes[0].get_legend().get_texts()]) or save(fig, path))
    return out


def test_roc_curves_one_per_init_with_the_callers_legend(tmp_path, legends):
    curves = dict(Scratch=_cls_data(strength=0.1), MUSCLE=_cls_data(strength=0.4))
    out = tmp_path / 'roc.png'
    plot_roc_curves(curves, str(out), legend=dict(MUSCLE='AUC 80.00 (70.00-90.00)'))
    own = binary_metrics(*curves['Scratch'], num_bootstrap=0)['auc']  # no legend given: its AUC
    assert legends == [[f'Scratch: AUC {own:.2f}', 'MUSCLE: AUC 80.00 (70.00-90.00)']]
    assert _count(out, (180, 119, 31)) > 200 and _count(out, (14, 127, 255)) > 200  # C0, C1
    with pytest.raises(ValueError, match='both classes'):
        plot_roc_curves(dict(a=([0.1, 0.2], [1, 1])), str(tmp_path / 'x.png'))


def _lung_case(size=64):
    yy, xx = np.mgrid[:size, :size]
    gt = (((xx - 20)**2 / 80 + (yy - 32)**2 / 300 < 1)
          | ((xx - 44)**2 / 80 + (yy - 32)**2 / 300 < 1))
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
        samples = [
            dict(pred_score=torch.tensor([1 - s, s]), gt_label=torch.tensor([y]))
            for s, y in zip(scores, labels)
        ]
        path = tmp_path / f'{name}.pkl'
        path.write_bytes(pickle.dumps(samples))
        files.append(f'{name}={path}')
    out = paper_figures.main(['roc', '--pred'] + files + ['--out', str(tmp_path / 'roc.png')])
    assert osp.getsize(out) > 10000
    image, gt = _lung_case()
    img_path = str(tmp_path / 'cxr.png')
    cv2.imwrite(img_path, image)
    seg = [
        dict(
            img_path=img_path,
            gt_sem_seg=dict(data=torch.as_tensor(gt)[None]),
            pred_sem_seg=dict(data=torch.as_tensor(gt)[None]))
    ]
    (tmp_path / 'seg.pkl').write_bytes(pickle.dumps(seg))
    out = paper_figures.main([
        'lung', '--pred', f'MUSCLE={tmp_path / "seg.pkl"}', '--out',
        str(tmp_path / 'lung.png'), '--pick', 'spread'
    ])
    assert _count(out, (0, 255, 0), tol=60) > 50
    det = [
        dict(
            img_path=img_path,
            instances=[dict(bbox=[10, 10, 30, 40], bbox_label=1)],
            pred_instances=dict(
                bboxes=torch.tensor([[12., 11., 31., 42.]]),
                scores=torch.tensor([0.8]),
                labels=torch.tensor([1])))
    ]
    (tmp_path / 'det.pkl').write_bytes(pickle.dumps(det))
    out = paper_figures.main(
        ['tbx', '--pred', f'MUSCLE={tmp_path / "det.pkl"}', '--out',
         str(tmp_path / 'tbx.png')])
    assert _count(out, (0, 255, 0), tol=60) > 50 and _count(out, (0, 0, 255), tol=60) > 50


def test_tb_boxes_drawn_are_readable(tmp_path, monkeypatch):
    """Dozens of low-score boxes are not drawn: score >= 0.3, class-agnostic NMS, top k, and
    the figure's title states the rule."""
    from muscle_mm.visualization import overlays, select_boxes
    rng = np.random.RandomState(0)
    low = [(x, y, x + 8, y + 8, 0, s) for x, y, s in zip(
        rng.randint(0, 70, 40), rng.randint(0, 70, 40), rng.uniform(0.05, 0.29, 40))]
    lesion = [(10, 10, 40, 40, 0, 0.9), (11, 11, 40, 41, 1, 0.8)]  # active + latent duplicate
    spread = [(50 + i, 2 + 12 * i, 58 + i, 10 + 12 * i, 1, 0.5 + 0.05 * i) for i in range(6)]
    kept = select_boxes(low + lesion + spread, score_thr=0.3, nms_iou=0.5, top_k=5)
    assert kept[0] == lesion[0] and lesion[1] not in kept  # NMS across classes
    assert len(kept) == 5 and all(b[5] >= 0.3 for b in kept)
    assert [b[5] for b in kept] == sorted((b[5] for b in kept), reverse=True)
    assert select_boxes(low) == []
    titles = []
    save = overlays.save_figure
    monkeypatch.setattr(overlays, 'save_figure',
                        lambda fig, out: titles.append(fig._suptitle.get_text()) or save(fig, out))
    image = np.full((80, 80), 90, np.uint8)
    few, many = tmp_path / 'few.png', tmp_path / 'many.png'
    draw_tb_boxes([image], [[]],
                  dict(MUSCLE=[low + lesion + spread]),
                  str(few),
                  missing=['Scratch'])
    draw_tb_boxes([image], [[]],
                  dict(MUSCLE=[low + lesion + spread]),
                  str(many),
                  score_thr=0,
                  nms_iou=1,
                  top_k=100)
    assert _count(few, (0, 0, 255), tol=60) < _count(many, (0, 0, 255), tol=60) / 2
    assert titles[0] == ('red: predictions with score >= 0.3, after class-agnostic NMS (IoU 0.5),'
                         ' top 5 per image\nno predictions (not run): Scratch')


def test_roc_from_a_grid_names_the_inits_without_predictions(tmp_path, legends, capsys):
    curves = {}
    for init, strength in (('scratch', 0.1), ('muscle', 0.4)):
        scores, labels = curves[init] = _cls_data(strength=strength)
        d = tmp_path / 'pneumonia' / f'pneumonia_{init}_r18' / 'seed0'
        d.mkdir(parents=True)
        (d / 'preds_test.pkl').write_bytes(
            pickle.dumps([
                dict(pred_score=torch.tensor([1 - s, s]), gt_label=torch.tensor([y]))
                for s, y in zip(scores, labels)
            ]))
    paper_figures.main([
        'roc', '--grid-dir',
        str(tmp_path), '--task', 'pneumonia', '--out',
        str(tmp_path / 'roc.png')
    ])
    (legend, ) = legends
    assert [t.split(':')[0]
            for t in legend] == ['Scratch', 'MUSCLE', 'ImageNet', 'MD-MoCo', 'MUSCLE--']
    # the paper's AUC with its bootstrap CI, as the tables print it
    assert legend[1] == 'MUSCLE: AUC ' + format_auc_ci(binary_metrics(*curves['muscle']))
    assert re.fullmatch(r'Scratch: AUC \d+\.\d\d \(\d+\.\d\d-\d+\.\d\d\)', legend[0])
    assert legend[2:] == [
        f'{n}: no predictions (not run)' for n in ('ImageNet', 'MD-MoCo', 'MUSCLE--')
    ]
    assert 'no predictions (not run) for pneumonia r18 seed 0: ImageNet, MD-MoCo, MUSCLE--' in \
        capsys.readouterr().out
