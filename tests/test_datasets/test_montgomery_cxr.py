"""MontgomeryCXR read from generated NLM layouts: labels, left/right masks, missing masks."""
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

import muscle_mm.datasets  # noqa: F401  (registers the datasets)
from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.montgomery_cxr import MontgomeryCXR
from muscle_mm.datasets.synthetic import montgomery_cxr as synth
from muscle_mm.registry import DATASETS

NUM = 5


@pytest.fixture(scope='module')
def mont(tmp_path_factory):
    return synth.generate(str(tmp_path_factory.mktemp('mc')), num=NUM, seed=0)


def infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def test_counts_labels_and_masks(mont):
    ds = DATASETS.build(dict(type='MontgomeryCXR', data_root=mont))
    assert len(ds) == NUM
    labels = []
    for info in infos(ds):
        name = osp.basename(info['img_path'])
        assert name.startswith('MCUCXR_') and info['gt_label'] == int(name[-5])
        labels.append(info['gt_label'])
        left, right = info['left_mask_path'], info['right_mask_path']
        assert osp.basename(left) == osp.basename(right) == name  # no _mask suffix
        assert osp.basename(osp.dirname(left)) == 'leftMask'
        img = cv2.imread(info['img_path'], cv2.IMREAD_GRAYSCALE)
        lm = cv2.imread(left, cv2.IMREAD_GRAYSCALE)
        rm = cv2.imread(right, cv2.IMREAD_GRAYSCALE)
        assert lm.shape == rm.shape == img.shape
        assert set(np.unique(lm)) == set(np.unique(rm)) == {0, 255}
        # The patient's left lung is on the image's right.
        assert np.argwhere(lm)[:, 1].mean() > np.argwhere(rm)[:, 1].mean()
    assert 0 in labels and 1 in labels
    # Portrait and landscape images, like 4020x4892 / 4892x4020.
    shapes = {cv2.imread(i['img_path']).shape[:2] for i in infos(ds)}
    assert len(shapes) == 2


def test_without_manual_masks(tmp_path):
    root = synth.generate(str(tmp_path / 'nomask'), num=2, seed=1, masks=False)
    ds = MontgomeryCXR(data_root=root)
    assert [i['left_mask_path'] for i in infos(ds)] == [None, None]


def test_kaggle_mirror_layout(tmp_path):
    root = synth.generate(str(tmp_path / 'k'), num=2, seed=2, kaggle_nested=True)
    assert osp.isdir(osp.join(root, 'Montgomery', 'MontgomerySet', 'CXR_png'))
    assert len(MontgomeryCXR(data_root=root)) == 2


def test_missing_mask_is_named(mont, tmp_path):
    root = str(tmp_path / 'c')
    shutil.copytree(mont, root)
    victim = osp.join(root, 'MontgomerySet', 'ManualMask', 'rightMask', 'MCUCXR_0002_1.png')
    os.remove(victim)
    with pytest.raises(DatasetFormatError, match='right lung mask not found') as e:
        MontgomeryCXR(data_root=root)
    assert victim in str(e.value)


def test_only_train_split(mont):
    with pytest.raises(ValueError, match='unknown split'):
        MontgomeryCXR(data_root=mont, split='val')
