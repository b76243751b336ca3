"""MD-MoCo's views on the device: geometry against mmcv (the CPU path's op), per-sample draws
from (seed, iteration, sample index), and the same distribution as the CPU view_pipeline."""
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.logging import MessageHub
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample
from scipy import stats

import muscle_mm  # noqa: F401
from muscle_mm.models.utils import XRayViews
from _helpers import REPO

VIEWS_CFG = osp.join(REPO, 'configs', '_base_', 'datasets', 'xray_mdmoco_views.py')


def smooth_image(h=48, w=32):
    """Gray blobs (no sharp edges, so bilinear kernels of cv2 and torch agree closely)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = 40 + 150 * np.exp(-((y - 14)**2 + (x - 10)**2) / 40.0)
    img += 60 * np.exp(-((y - 34)**2 + (x - 22)**2) / 90.0)
    return img.astype(np.float32)


def device_view(img, angle, flip):
    t = torch.from_numpy(img)[None, None]
    out = XRayViews(seed=0).warp(t, torch.tensor([flip]), torch.tensor([float(angle)]))
    return out[0, 0].numpy()


@pytest.mark.parametrize('angle', [7.0, -9.5])
def test_rotation_matches_mmcv_imrotate(angle):
    img = smooth_image()
    cpu = mmcv.imrotate(img, angle, border_value=0, interpolation='bilinear')
    dev = device_view(img, angle, flip=False)
    inner = (slice(4, -4), slice(4, -4))  # corners: padding enters differently at the rim
    diff = np.abs(cpu[inner] - dev[inner])
    assert diff.max() < 1.0 and diff.mean() < 0.1
    # the opposite angle is far off: the test sees the direction
    wrong = device_view(img, -angle, flip=False)
    assert np.abs(cpu[inner] - wrong[inner]).max() > 20


def test_known_point_rotates_clockwise_about_the_centre():
    h, w = 41, 41
    img = np.zeros((h, w), np.float32)
    img[20, 35] = 255  # 15 px right of the centre (20, 20)
    out = device_view(img, 90.0, flip=False)
    # +90 degrees clockwise on screen (y down): right of the centre -> below it
    assert np.unravel_index(out.argmax(), out.shape) == (35, 20)
    assert out.max() > 254


def test_flip_matches_fliplr_and_then_rotates():
    img = smooth_image()
    np.testing.assert_allclose(device_view(img, 0.0, flip=True), img[:, ::-1], atol=1e-3)
    cpu = mmcv.imrotate(np.ascontiguousarray(img[:, ::-1]), 5.0, border_value=0)
    dev = device_view(img, 5.0, flip=True)
    assert np.abs(cpu[4:-4, 4:-4] - dev[4:-4, 4:-4]).max() < 1.0


def test_pad_value_fills_the_corners():
    img = np.full((32, 32), 100, np.float32)
    views = XRayViews(pad_val=7.0).warp(
        torch.from_numpy(img)[None, None], torch.tensor([False]), torch.tensor([45.0]))
    assert views[0, 0, 0, 0].item() == pytest.approx(7.0)
    assert views[0, 0, 16, 16].item() == pytest.approx(100.0)


def _samples(indices):
    return [DataSample(metainfo=dict(sample_idx=i)) for i in indices]


def test_draws_are_a_function_of_seed_iteration_and_sample():
    views = XRayViews(seed=3)
    hub = MessageHub.get_instance('xray_views_test')
    hub.update_info('iter', 11)
    a = views.draw(11, [5, 6, 7])
    b = views.draw(11, [7, 5])  # same samples in another batch: same transforms
    assert torch.equal(a[1][:, 0], b[1][:, 1]) and torch.equal(a[0][:, 2], b[0][:, 0])
    assert not torch.equal(views.draw(12, [5])[1], a[1][:, :1])  # next iteration: new draw
    assert not torch.equal(XRayViews(seed=4).draw(11, [5])[1], a[1][:, :1])  # other seed
    assert not torch.equal(a[1][0], a[1][1])  # the two views of a sample differ
    # the forward reads the iteration from the message hub and the index from the samples
    x = torch.from_numpy(smooth_image())[None, None].repeat(3, 1, 1, 1)
    out, _ = views(x, _samples([5, 6, 7]))
    for v in range(2):
        for j in range(3):
            want = views.warp(x[j:j + 1], a[0][v, j:j + 1], a[1][v, j:j + 1])
            assert torch.equal(out[v][j:j + 1], want)


def test_seed_is_saved_and_restored():
    torch.manual_seed(1234)
    assert XRayViews()._seed == 1234  # default: the seed the runner gave torch
    restored = XRayViews(seed=1)
    restored.load_state_dict(XRayViews(seed=99).state_dict())
    assert restored._seed == 99
    assert torch.equal(restored.draw(0, [1, 2])[1], XRayViews(seed=99).draw(0, [1, 2])[1])


def cpu_transforms(n):
    """(flip, signed angle) the configured CPU view_pipeline draws, recorded from mmcv.imrotate."""
    angles = []
    real = mmcv.imrotate

    def spy(img, angle, *args, **kwargs):
        angles.append(angle)
        return real(img, angle, *args, **kwargs)

    cfg = Config.fromfile(VIEWS_CFG)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipe = Compose(cfg.view_pipeline)
    img = np.zeros((4, 4), np.uint8)
    flips = []
    np.random.seed(0)
    mmcv.imrotate = spy
    try:
        for _ in range(n):
            out = pipe(dict(img=img.copy(), img_shape=(4, 4)))
            flips.append(bool(out['flip']))
    finally:
        mmcv.imrotate = real
    assert len(angles) == n  # the spy saw every rotation (prob=1.0)
    return np.array(flips), np.array(angles, dtype=np.float64)


def test_same_distribution_as_cpu_view_pipeline():
    n = 3000
    cpu_flip, cpu_angle = cpu_transforms(n)
    flips, angles = XRayViews(seed=0).draw(0, range(n // 2))
    dev_flip, dev_angle = flips.flatten().numpy(), angles.flatten().numpy()
    assert np.abs(cpu_angle).max() <= 10 and np.abs(dev_angle).max() <= 10
    assert stats.ks_2samp(cpu_angle, dev_angle).pvalue > 0.01
    assert stats.kstest(dev_angle, stats.uniform(-10, 20).cdf).pvalue > 0.01
    table = [[cpu_flip.sum(), n - cpu_flip.sum()], [dev_flip.sum(), n - dev_flip.sum()]]
    assert stats.chi2_contingency(table).pvalue > 0.01
    # a device path with half the angle range would be caught
    _, narrow = XRayViews(seed=0, max_angle=5.0).draw(0, range(n // 2))
    assert stats.ks_2samp(cpu_angle, narrow.flatten().numpy()).pvalue < 1e-6
