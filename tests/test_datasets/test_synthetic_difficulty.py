"""The synthetic sets' difficulty knob: on each downstream task a simple separability measure,
taken on the files the generator writes, drops from difficulty 0 to the default, and the default
still carries a signal; ``generate_all`` and the CLI thread the knob through, keeping the images
that sets share identical."""
import glob
import json
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from muscle_mm.datasets.synthetic import GENERATORS, generate_all, shenzhen_case_image
from muscle_mm.datasets.synthetic.phantom import DIFFICULTY, chest_phantom, knobs
from _helpers import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
import generate_synthetic  # noqa: E402


def gray(path):
    return cv2.imread(path, cv2.IMREAD_GRAYSCALE).astype(np.float32)


def pneumonia_dprime(root):
    """d' of a mean-difference template (fit on half the images) on the other half, 16x16 px."""
    x, y = [], []
    for p in sorted(glob.glob(osp.join(root, 'chest_xray', '*', '*', '*.jpeg'))):
        x.append(cv2.resize(gray(p), (16, 16), interpolation=cv2.INTER_AREA).ravel())
        y.append('PNEUMONIA' in p)
    x, y = np.array(x), np.array(y)
    idx = np.random.default_rng(0).permutation(len(y))
    fit, held = idx[::2], idx[1::2]
    s = x[held] @ (x[fit][y[fit]].mean(0) - x[fit][~y[fit]].mean(0))
    pos, neg = s[y[held]], s[~y[held]]
    return (pos.mean() - neg.mean()) / np.sqrt(0.5 * (pos.var() + neg.var()))


def mura_auc(root):
    """AUC of the strongest local contrast (fracture gap, callus, hardware) against the label."""
    score, label = [], []
    for p in sorted(glob.glob(osp.join(root, 'MURA-v1.1', '*', '*', '*', '*', '*.png'))):
        img = gray(p)
        score.append(np.abs(cv2.blur(img - cv2.blur(img, (5, 5)), (3, 3))).max())
        label.append('positive' in p)
    return roc_auc_score(label, score)


def lung_best_dice(root):
    """Dice of the best gray-level band [lo, hi) as a lung segmenter (3x3-smoothed pixels)."""
    base = osp.join(root, 'Lung Segmentation')
    hist = np.zeros((2, 256))
    for m in sorted(glob.glob(osp.join(base, 'masks', '*.png'))):
        img = cv2.blur(
            gray(osp.join(base, 'CXR_png',
                          osp.basename(m).replace('_mask', ''))), (3, 3))
        q, lung = np.clip(np.rint(img), 0, 255).astype(int), gray(m) > 127
        hist += [np.bincount(q[lung], minlength=256), np.bincount(q[~lung], minlength=256)]
    cum = np.concatenate([np.zeros((2, 1)), np.cumsum(hist, 1)], 1)
    tp = cum[0][None, :] - cum[0][:, None]
    fp = cum[1][None, :] - cum[1][:, None]
    return np.max(2 * tp / np.maximum(tp + fp + hist[0].sum(), 1))


def tb_box_auc(root):
    """AUC of the mean gray level in each TB box against the same box in a healthy image."""
    coco = json.load(open(osp.join(root, 'annotations', 'json', 'TBX11K_trainval.json')))
    files = {im['id']: im['file_name'] for im in coco['images']}
    health = [f for f in files.values() if f.startswith('health/')]
    pos, neg = [], []
    for k, ann in enumerate(coco['annotations']):
        x, y, w, h = (int(round(v)) for v in ann['bbox'])
        pos.append(gray(osp.join(root, 'imgs', files[ann['image_id']]))[y:y + h, x:x + w].mean())
        neg.append(gray(osp.join(root, 'imgs', health[k % len(health)]))[y:y + h, x:x + w].mean())
    return roc_auc_score([1] * len(pos) + [0] * len(neg), pos + neg)


MEASURES = {
    'PneumoniaCXR': (pneumonia_dprime, dict(num=60, duplicate_tree=False, macosx_junk=False)),
    'MURA': (mura_auc, dict(num=60)),
    'ChestXrayMasks': (lung_best_dice, dict(num=16)),
    'TBX11K': (tb_box_auc, dict(num=20)),
}


@pytest.mark.parametrize('name', list(MEASURES))
def test_difficulty_lowers_separability(name, tmp_path):
    measure, kwargs = MEASURES[name]
    easy, default, hard = (
        measure(GENERATORS[name](str(tmp_path / f'd{d}'), difficulty=d, **kwargs))
        for d in (0.0, DIFFICULTY, 1.0))
    assert 0.0 < DIFFICULTY < 1.0
    assert easy > default + 0.05 and default > hard, (easy, default, hard)
    # Harder, not noise: at the default the label still shows in these crude measures (chance
    # is d' 0 / AUC 0.5; a single band's Dice is not 0 even without a signal).
    if name == 'PneumoniaCXR':
        assert default > 0.4
    elif name == 'TBX11K':
        assert default > 0.75


def test_knobs_and_phantom_defaults():
    assert knobs(0.0) == dict(contrast=1.0, noise=3.0, clutter=0.0, variation=1.0, lung_gap=50.0)
    hard = knobs(1.0)
    assert hard['contrast'] < 1 and hard['noise'] > 3 and hard['clutter'] > 0
    with pytest.raises(ValueError, match='difficulty must be in'):
        knobs(1.5)
    with pytest.raises(ValueError, match='difficulty must be in'):
        chest_phantom(np.random.default_rng(0), 32, 32, difficulty=-0.1)
    # The phantom functions default to 0; the generators to DIFFICULTY.
    a = chest_phantom(np.random.default_rng(3), 40, 40)[0]
    b = chest_phantom(np.random.default_rng(3), 40, 40, difficulty=0.0)[0]
    c = chest_phantom(np.random.default_rng(3), 40, 40, difficulty=DIFFICULTY)[0]
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_generate_all_and_cli_thread_the_knob(tmp_path):
    only = ['ShenzhenCXR', 'ChestXrayMasks']
    roots = generate_all(str(tmp_path / 'a'), num=8, only=only, difficulty=0.2)
    stem = 'CHNCXR_0002_1'
    shared = gray(osp.join(roots['ChestXrayMasks'], 'Lung Segmentation', 'CXR_png', stem + '.png'))
    own = gray(osp.join(roots['ShenzhenCXR'], 'ChinaSet_AllFiles', 'CXR_png', stem + '.png'))
    assert np.array_equal(shared, own)  # the copies stay copies at any difficulty
    assert np.array_equal(own, shenzhen_case_image(stem, difficulty=0.2)[0])
    assert not np.array_equal(own, shenzhen_case_image(stem)[0])  # default DIFFICULTY != 0.2

    assert generate_synthetic.main(
        [str(tmp_path / 'b'), '--num', '8', '--only', 'ShenzhenCXR', '--difficulty', '0.2']) == 0
    cli = gray(
        str(tmp_path / 'b' / 'ShenzhenCXR' / 'ChinaSet_AllFiles' / 'CXR_png' / (stem + '.png')))
    assert np.array_equal(cli, own)
