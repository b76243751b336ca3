"""Throughput of the MUSCLE data path against a bare decode + resize, on the same files.

(a) bare:    cv2.imread + cv2.resize to width 500, height 800 (one view).
(b) project: the MD-MoCo ``train_pipeline`` of configs/_base_/datasets/xray_mdmoco_views.py
             (LoadXRayImage, Resize 800x500, MultiView: 2 x (flip, rotation), PackInputs), then
             the data preprocessor's Z-score (SelfSupDataPreprocessor, mean 122.786, std 18.390),
             i.e. what MD-MoCo pre-training runs per image (paper §2.1).
(c) as (b), with the gray image replicated to 3 channels at load instead of by the
             preprocessor's broadcast (what the config did before).
(d) as (b), with the resize interpolation 'bilinear' (mmcv's default) instead of the
             config's ``xray_interpolation`` ('area', anti-aliased; see xray_preprocess.py);
             and the resize alone, both ways, on the decoded images.

Prints images/s for each and the ratios (b)/(a), (b)/(c) and (b)/(d). Not a test. Without
``--data`` it writes ``--num`` chest phantoms as 8-bit PNGs into a temporary folder. All paths
run single-threaded (cv2 and torch) by default, as inside one dataloader worker, and take turns
within each timed round.

Example::

    python benchmarks/data_pipeline_throughput.py --num 16 --height 1024 --width 1024
    python benchmarks/data_pipeline_throughput.py --num 8 --height 4000 --width 3000
    python benchmarks/data_pipeline_throughput.py --data data/NIHChestXray14/images --num 200
"""
import argparse
import copy
import os
import os.path as osp
import sys
import tempfile
import time

import cv2
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmengine.registry import DefaultScope
from mmpretrain.models import SelfSupDataPreprocessor

import muscle_mm.datasets.transforms  # noqa: F401  (registers LoadXRayImage)
from muscle_mm.datasets.base import list_images
from muscle_mm.datasets.pipeline_bench import CV2_INTERP, bare, make_phantoms
from muscle_mm.utils.timing import best_rates

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

FRAGMENT = osp.join(ROOT, 'configs/_base_/datasets/xray_preprocess.py')
VIEWS = osp.join(ROOT, 'configs/_base_/datasets/xray_mdmoco_views.py')


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', help='folder of images (.png/.jpg/.dcm); default: generated phantoms')
    p.add_argument('--num', type=int, default=16, help='number of images (default 16)')
    p.add_argument('--height', type=int, default=1024, help='generated image height (1024)')
    p.add_argument('--width', type=int, default=1024, help='generated image width (1024)')
    p.add_argument('--batch', type=int, default=8, help='batch size for the Z-score step (8)')
    p.add_argument('--rounds', type=int, default=2, help='timed rounds, best kept (2)')
    p.add_argument('--threads', type=int, default=1, help='cv2/torch threads (1)')
    return p.parse_args()


def with_interpolation(pipeline, interpolation):
    """``pipeline`` with every Resize step set to ``interpolation``."""
    pipeline = copy.deepcopy(pipeline)
    for step in pipeline:
        if step['type'] == 'Resize':
            step['interpolation'] = interpolation
    return pipeline


def project(paths, pipe, preprocessor, batch):
    """The data path; ``preprocessor=None`` stops before the Z-score (dataloader side only)."""
    for start in range(0, len(paths), batch):
        packed = [pipe(dict(img_path=p)) for p in paths[start:start + batch]]
        if preprocessor is not None:
            preprocessor(default_collate(packed))


def resize_ms(paths, size, interpolation, repeats=5):
    """Milliseconds per image of the resize alone (images decoded beforehand), best of repeats."""
    imgs = [cv2.imread(p, cv2.IMREAD_GRAYSCALE) for p in paths]
    best = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter()
        for img in imgs:
            cv2.resize(img, size, interpolation=CV2_INTERP[interpolation])
        best = min(best, time.perf_counter() - t0)
    return 1000 * best / len(imgs)


def main():
    args = parse_args()
    cv2.setNumThreads(args.threads)
    torch.set_num_threads(args.threads)
    frag = Config.fromfile(FRAGMENT)
    train_pipeline = Config.fromfile(VIEWS).train_pipeline  # what MD-MoCo trains with
    gray3_pipeline = copy.deepcopy(train_pipeline)
    gray3_pipeline[0]['to_gray3'] = True  # gray replicated to 3 channels before resize/views
    interp = frag.xray_interpolation
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipe, pipe3 = Compose(train_pipeline), Compose(gray3_pipeline)
        pipe_bil = Compose(with_interpolation(train_pipeline, 'bilinear'))
    preprocessor = SelfSupDataPreprocessor(mean=frag.xray_mean, std=frag.xray_std, to_rgb=False)
    size = tuple(frag.xray_scale)  # (w, h) = (500, 800), as cv2.resize expects

    with tempfile.TemporaryDirectory() as tmp:
        if args.data:
            paths = [osp.join(args.data, n) for n in list_images(args.data)][:args.num]
            if not paths:
                sys.exit(f'no .png/.jpg/.dcm images in {args.data}')
            source = f'{len(paths)} files from {args.data}'
        else:
            paths = make_phantoms(tmp, args.num, args.height, args.width)
            source = f'{len(paths)} generated {args.height}x{args.width} 8-bit PNG phantoms'
        dicom = [p for p in paths if p.lower().endswith('.dcm')]
        if dicom:  # cv2 cannot read DICOM: the bare path would time nothing for those files
            sys.exit(f'--data holds DICOM files ({dicom[0]} ...); the bare cv2 baseline cannot '
                     'read them, give a folder of PNG/JPEG')
        bare(paths[:2], size)  # warm the page cache and lazy imports of both paths
        project(paths[:2], pipe, preprocessor, args.batch)
        n = len(paths)
        rates = best_rates(
            {
                'a': lambda: bare(paths, size),
                'b': lambda: project(paths, pipe, preprocessor, args.batch),
                'w': lambda: project(paths, pipe, None, args.batch),
                'c': lambda: project(paths, pipe3, preprocessor, args.batch),
                'd': lambda: project(paths, pipe_bil, preprocessor, args.batch),
            }, n, args.rounds)
        rate_a, rate_b, rate_w, rate_3, rate_d = (rates[k] for k in 'abwcd')
        resize = {i: resize_ms(paths, size, i) for i in ('bilinear', interp)}

    print(f'data: {source}; {args.threads} thread(s); best of {args.rounds} round(s); '
          f'os.cpu_count()={os.cpu_count()}')
    print(f'{"path":<78}{"images/s":>10}{"ms/image":>10}')
    print(f'{"(a) bare: cv2.imread + cv2.resize to 500x800":<78}'
          f'{rate_a:>10.1f}{1000 / rate_a:>10.2f}')
    print(f'{"(b) project: MD-MoCo train_pipeline (load, resize, 2 views) + Z-score":<78}'
          f'{rate_b:>10.1f}{1000 / rate_b:>10.2f}')
    label_w = '    (b) up to PackInputs: dataloader side (Z-score runs on the GPU in training)'
    print(f'{label_w:<78}{rate_w:>10.1f}{1000 / rate_w:>10.2f}')
    label_3 = '(c) as (b), gray replicated to 3 channels at load (LoadXRayImage default)'
    print(f'{label_3:<78}{rate_3:>10.1f}{1000 / rate_3:>10.2f}')
    label_d = "(d) as (b), Resize interpolation 'bilinear' (mmcv default)"
    print(f'{label_d:<78}{rate_d:>10.1f}{1000 / rate_d:>10.2f}')
    print(f'ratio (b)/(a) images/s: {rate_b / rate_a:.2f}  '
          f'(the project path costs {rate_a / rate_b:.2f}x the bare decode + resize per image); '
          f'(b)/(c): {rate_b / rate_3:.2f}')
    print(f"interpolation: the config's '{interp}' vs 'bilinear': pipeline (b)/(d) images/s "
          f'{rate_b / rate_d:.2f}; the resize alone {resize[interp]:.2f} vs '
          f"{resize['bilinear']:.2f} ms/image")


if __name__ == '__main__':
    main()
