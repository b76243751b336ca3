"""Paper §2.1 end to end: load + 800x500 resize + Z-score (mean 122.786, std 18.390).

An image whose gray values have exactly the paper's statistics must reach the model with mean 0 and
std 1, through both mmpretrain data preprocessors, and every input must come out 3x800x500.
"""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmengine.registry import DefaultScope
from mmpretrain.models import ClsDataPreprocessor, SelfSupDataPreprocessor

FRAGMENT = osp.join(osp.dirname(__file__), '../../../configs/_base_/datasets/xray_preprocess.py')
PAPER_MEAN, PAPER_STD = 122.786, 18.390


@pytest.fixture(scope='module')
def frag():
    return Config.fromfile(FRAGMENT)


def paper_stat_image(h=800, w=500, seed=0):
    """Integer gray values standardised to the paper's mean/std (rounding moves them < 0.01)."""
    z = np.random.default_rng(seed).standard_normal((h, w))
    z = (z - z.mean()) / z.std()
    return np.clip(np.rint(PAPER_MEAN + PAPER_STD * z), 0, 255).astype(np.uint8)


def pipeline(frag, *transforms):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return Compose([frag.xray_load, *transforms])


def test_fragment_constants(frag):
    assert frag.xray_mean == [PAPER_MEAN] * 3 and frag.xray_std == [PAPER_STD] * 3
    assert tuple(frag.xray_scale) == (500, 800)  # mmcv (w, h): height 800, width 500
    assert frag.xray_resize == dict(
        type='Resize', scale=(500, 800), keep_ratio=False, interpolation='area')
    assert frag.xray_load == dict(type='LoadXRayImage')


@pytest.mark.parametrize('bits', [8, 16])
def test_zscore_gives_zero_mean_unit_std(tmp_path, frag, bits):
    img = paper_stat_image()
    assert abs(img.mean() - PAPER_MEAN) < 0.01 and abs(img.std() - PAPER_STD) < 0.01
    stored = img if bits == 8 else img.astype(np.uint16) * 257
    path = str(tmp_path / f'paper{bits}.png')
    cv2.imwrite(path, stored)
    pipe = pipeline(frag, frag.xray_resize, dict(type='PackInputs'))
    batch = default_collate([pipe(dict(img_path=path)) for _ in range(2)])

    cls_pre = ClsDataPreprocessor(mean=frag.xray_mean, std=frag.xray_std, to_rgb=False)
    x = cls_pre(batch)['inputs']
    assert tuple(x.shape) == (2, 3, 800, 500)
    for c in range(3):
        assert abs(x[:, c].mean().item()) < 0.005
        assert abs(x[:, c].std().item() - 1) < 0.005

    selfsup_pre = SelfSupDataPreprocessor(mean=frag.xray_mean, std=frag.xray_std, to_rgb=False)
    views_pipe = pipeline(
        frag,
        dict(
            type='MultiView',
            num_views=2,
            transforms=[[frag.xray_resize, dict(type='RandomFlip', prob=0.5)]]),
        dict(type='PackInputs'))
    views = selfsup_pre(default_collate([views_pipe(dict(img_path=path))]))['inputs']
    assert len(views) == 2
    for v in views:
        assert tuple(v.shape) == (1, 3, 800, 500)
        assert abs(v.mean().item()) < 0.005 and abs(v.std().item() - 1) < 0.005


@pytest.mark.parametrize('hw', [(300, 700), (1000, 400), (64, 64), (801, 499)])
def test_output_is_3x800x500_for_any_input(tmp_path, frag, hw):
    """Landscape, portrait, square and off-by-one inputs all become height 800, width 500."""
    path = str(tmp_path / 'x.png')
    cv2.imwrite(path, paper_stat_image(*hw))
    out = pipeline(frag, frag.xray_resize, dict(type='PackInputs'))(dict(img_path=path))
    assert tuple(out['inputs'].shape) == (3, 800, 500) and out['inputs'].dtype == torch.uint8
    assert out['data_samples'].ori_shape == hw


def test_large_downscale_does_not_alias(tmp_path, frag):
    """A 4000x2500 radiograph-sized image of fine stripes (period 2.45 px, finer than the
    800x500 output can hold) must come out as its mean gray, not as a false coarse pattern:
    the config's 'area' interpolation averages each output pixel's footprint, while mmcv's
    default 'bilinear' samples 2x2 source pixels and aliases."""
    cols = np.arange(2500)
    stripes = np.rint(127.5 + 100 * np.sin(2 * np.pi * cols / 2.45)).astype(np.uint8)
    path = str(tmp_path / 'stripes.png')
    cv2.imwrite(path, np.tile(stripes, (4000, 1)))
    outs = {}
    for interp in (frag.xray_interpolation, 'bilinear'):
        pipe = pipeline(frag, dict(frag.xray_resize, interpolation=interp), dict(type='PackInputs'))
        outs[interp] = pipe(dict(img_path=path))['inputs'][0].float()
    assert frag.xray_interpolation == 'area'
    assert outs['area'].std() < 5 and abs(outs['area'].mean() - stripes.mean()) < 2
    assert outs['bilinear'].std() > 30  # the pattern the default would have trained on
