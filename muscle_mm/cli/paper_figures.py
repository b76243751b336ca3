"""The paper's figures from test predictions (``tools/test.py CONFIG CKPT --out preds.pkl``, or
the ``preds_test.pkl`` that tools/run_grid.py keeps for every run), one per initialization.

    # Fig. 2: ROC curves, AUC (95% CI) in the legend
    python tools/analysis_tools/paper_figures.py roc --pred Scratch=a.pkl MUSCLE=b.pkl \
        --out roc.png
    # Fig. 3: lung overlays (ground truth green, prediction red), inits side by side
    python tools/analysis_tools/paper_figures.py lung --grid-dir work_dirs/grid --depth 18 \
        --out lung.png [--num-images 4] [--pick spread]
    # TB boxes, ground truth green and prediction red: score >= 0.3, class-agnostic NMS at IoU
    # 0.5, the 5 best per image (the figure's title says so; --score-thr / --nms-iou / --top-k)
    python tools/analysis_tools/paper_figures.py tbx --grid-dir work_dirs/grid --depth 50 \
        --out tbx.png

``--grid-dir`` takes every initialization of ``--task`` (default: the figure's task; ``roc``
needs pneumonia or mura) at ``--depth``/``--seed`` that the grid has tested; an init without
predictions is named in the figure (ROC legend, title) as "no predictions (not run)".
"""
import argparse
import os.path as osp
from collections import OrderedDict

import numpy as np

from muscle_mm.experiments.grid import (DEPTHS, INIT_NAMES, INITS, PREDICTIONS_FILE, TASK_FIGURES,
                                        TASKS, run_dir)

# each figure's first task (roc: pneumonia)
DEFAULT_TASK = {
    fig: next(t for t in TASKS if TASK_FIGURES[t] == fig)
    for fig in TASK_FIGURES.values()
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('figure', choices=list(DEFAULT_TASK))
    p.add_argument('--out', required=True, help='PNG file to write')
    p.add_argument(
        '--pred',
        nargs='+',
        default=[],
        metavar='NAME=PKL',
        help='predictions of each initialization, in legend / column order')
    p.add_argument('--grid-dir', help='take the predictions of every init from this grid')
    p.add_argument('--task', choices=TASKS)
    p.add_argument('--depth', type=int, default=18, choices=DEPTHS)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--title')
    p.add_argument('--num-images', type=int, default=4)
    p.add_argument(
        '--pick',
        choices=['first', 'spread'],
        default='first',
        help='lung: the first images, or those where the inits differ most (Dice)')
    p.add_argument('--score-thr', type=float, default=0.3, help='tbx: boxes drawn from here')
    p.add_argument(
        '--nms-iou',
        type=float,
        default=0.5,
        help='tbx: class-agnostic NMS of the drawn boxes at this IoU')
    p.add_argument('--top-k', type=int, default=5, help='tbx: at most this many boxes per image')
    return p.parse_args(argv)


def prediction_files(args):
    """OrderedDict name -> pkl, from --pred or from the grid; ``args.missing`` lists the grid's
    inits without predictions (the figures name them instead of leaving them out)."""
    files, args.missing = OrderedDict(), []
    for item in args.pred:
        name, sep, path = item.partition('=')
        if not sep:
            raise SystemExit(f'--pred {item!r}: expected NAME=PKL')
        files[name] = path
    if args.grid_dir:
        task = args.task or DEFAULT_TASK[args.figure]
        for init in INITS:
            path = osp.join(
                run_dir(args.grid_dir, task, init, args.depth, args.seed), PREDICTIONS_FILE)
            if osp.isfile(path):
                files[INIT_NAMES[init]] = path
            elif INIT_NAMES[init] not in files:
                args.missing.append(INIT_NAMES[init])
        if args.missing:
            print(f'no predictions (not run) for {task} r{args.depth} seed {args.seed}: '
                  f'{", ".join(args.missing)}')
    if not files:
        raise SystemExit('no predictions: give --pred NAME=PKL or a --grid-dir holding '
                         'preds_test.pkl files for this task and depth')
    for name, path in files.items():
        if not osp.isfile(path):
            raise SystemExit(f'{name}: prediction file {path} not found')
    return files


def load_samples(path):
    import mmengine
    samples = mmengine.load(path)
    if not isinstance(samples, list) or not samples or not isinstance(samples[0], dict):
        raise SystemExit(f'{path}: not a list of data samples (write it with tools/test.py --out)')
    return samples


def _need(sample, key, path):
    if key not in sample:
        raise SystemExit(f'{path}: data samples have no {key!r} (keys: {sorted(sample)}); '
                         'is it the right task?')
    return sample[key]


def roc_figure(args, files):
    from muscle_mm.evaluation.binary_cls_metric import binary_metrics, format_auc_ci
    from muscle_mm.visualization import plot_roc_curves
    curves = OrderedDict()
    for name, path in files.items():
        samples = load_samples(path)
        scores = [float(_need(s, 'pred_score', path)[1]) for s in samples]
        labels = [int(_need(s, 'gt_label', path)[0]) for s in samples]
        curves[name] = (scores, labels)
    title = args.title
    if title is None and args.grid_dir:  # which run the figure shows, as the grid's files say
        task = args.task or DEFAULT_TASK['roc']
        title = (f'{dict(pneumonia="Pneumonia", mura="MURA").get(task, task)} test split, '
                 f'ResNet-{args.depth}, seed {args.seed}: ROC (image level)')
    # the paper's AUC (95% CI, 100 seeded bootstrap resamples), as in the tables
    legend = {}
    for name, (scores, labels) in curves.items():
        if len(set(labels)) != 2:
            raise SystemExit(f'{files[name]}: {name!r} needs labels of both classes for a ROC '
                             f'curve, got {sorted(set(labels))}')
        legend[name] = 'AUC ' + format_auc_ci(binary_metrics(scores, labels))
        print(f'{name}: {legend[name]}')
    plot_roc_curves(curves, args.out, legend=legend, title=title, missing=args.missing)
    return args.out


def _by_path(files):
    """name -> {img_path: sample}, over the images every prediction file holds."""
    per_init = {n: {_need(s, 'img_path', p): s for s in load_samples(p)} for n, p in files.items()}
    common = sorted(set.intersection(*(set(v) for v in per_init.values())))
    if not common:
        raise SystemExit('the prediction files share no image (img_path)')
    return per_init, common


def _read_gray(path, shape=None):
    import cv2

    from muscle_mm.datasets.transforms import LoadXRayImage
    img = LoadXRayImage()(dict(img_path=path))['img'][..., 0]
    if shape is not None and img.shape[:2] != tuple(shape):
        img = cv2.resize(img, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return img


def lung_figure(args, files):
    from muscle_mm.visualization import draw_lung_overlays
    per_init, common = _by_path(files)

    def mask(sample, key):
        return np.asarray(sample[key]['data']).squeeze(0).astype(np.uint8)

    def dice(a, b):
        return 2 * np.logical_and(a, b).sum() / max(a.sum() + b.sum(), 1)

    first = per_init[next(iter(files))]
    if args.pick == 'spread':
        spread = {
            p:
            np.ptp([
                dice(mask(v[p], 'pred_sem_seg') > 0,
                     mask(first[p], 'gt_sem_seg') > 0) for v in per_init.values()
            ])
            for p in common
        }
        common = sorted(common, key=lambda p: -spread[p])
    chosen = common[:args.num_images]
    gts = [mask(first[p], 'gt_sem_seg') for p in chosen]
    images = [_read_gray(p, g.shape) for p, g in zip(chosen, gts)]
    preds = OrderedDict(
        (n, [mask(v[p], 'pred_sem_seg') for p in chosen]) for n, v in per_init.items())
    return draw_lung_overlays(
        images,
        gts,
        preds,
        args.out,
        row_titles=[osp.basename(p) for p in chosen],
        missing=args.missing)


def tbx_figure(args, files):
    from muscle_mm.visualization import draw_tb_boxes
    per_init, common = _by_path(files)
    first = per_init[next(iter(files))]

    def gt_boxes(s):
        if 'instances' in s:  # original image coordinates, as the dataset read them
            return [tuple(i['bbox']) + (i['bbox_label'], ) for i in s['instances']]
        gt = s['gt_instances']
        return [
            tuple(b) + (int(lbl), )
            for b, lbl in zip(np.asarray(gt['bboxes']).tolist(),
                              np.asarray(gt['labels']).tolist())
        ]

    def pred_boxes(s):
        p = s['pred_instances']
        return [
            tuple(b) + (int(lbl), float(sc)) for b, lbl, sc in zip(
                np.asarray(p['bboxes']).tolist(),
                np.asarray(p['labels']).tolist(),
                np.asarray(p['scores']).tolist())
        ]

    with_gt = [p for p in common if gt_boxes(first[p])] or common
    chosen = with_gt[:args.num_images]
    images = [_read_gray(p) for p in chosen]
    preds = OrderedDict((n, [pred_boxes(v[p]) for p in chosen]) for n, v in per_init.items())
    return draw_tb_boxes(
        images, [gt_boxes(first[p]) for p in chosen],
        preds,
        args.out,
        score_thr=args.score_thr,
        nms_iou=args.nms_iou,
        top_k=args.top_k,
        missing=args.missing)


def main(argv=None):
    args = parse_args(argv)
    files = prediction_files(args)
    out = dict(roc=roc_figure, lung=lung_figure, tbx=tbx_figure)[args.figure](args, files)
    print(f'{args.figure}: {out} ({", ".join(files)})')
    return out
