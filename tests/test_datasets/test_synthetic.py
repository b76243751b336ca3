"""Synthetic data: deterministic phantoms with learnable signals, and all nine layouts readable."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import cross_val_score

import muscle_mm.datasets  # noqa: F401  (registers the datasets)
from muscle_mm.datasets.synthetic import GENERATORS, generate_all, shenzhen_cxr
from muscle_mm.datasets.synthetic.phantom import (MURA_BODY_PARTS, chest_phantom, hand_phantom,
                                                  imwrite, limb_phantom)
from muscle_mm.datasets.xray_pretrain_pool import build_xray_dataset

ALL_NINE = {
    'NIHChestXray14', 'ShenzhenCXR', 'MontgomeryCXR', 'IndianaCXR', 'RSNABoneAge', 'PneumoniaCXR',
    'MURA', 'ChestXrayMasks', 'TBX11K'
}


def rng(seed=0):
    return np.random.default_rng(seed)


def feats(img, size=16):
    return cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA).ravel() / 255.0


def test_phantoms_are_deterministic_uint8_and_seed_dependent():
    a, ma = chest_phantom(rng(1), 40, 32, opacity=0.3, lesions=[(4, 8, 6, 6)])
    b, mb = chest_phantom(rng(1), 40, 32, opacity=0.3, lesions=[(4, 8, 6, 6)])
    c, _ = chest_phantom(rng(2), 40, 32, opacity=0.3, lesions=[(4, 8, 6, 6)])
    assert a.dtype == ma.dtype == np.uint8 and a.shape == ma.shape == (40, 32)
    assert np.array_equal(a, b) and np.array_equal(ma, mb) and not np.array_equal(a, c)
    assert set(np.unique(ma)) == {0, 1}
    for part in MURA_BODY_PARTS + ('wrist', ):
        x, y = limb_phantom(rng(3), 36, 30, part, True), limb_phantom(rng(3), 36, 30, part, True)
        assert x.dtype == np.uint8 and x.shape == (36, 30) and np.array_equal(x, y)
    assert np.array_equal(hand_phantom(rng(4), 40, 32, 100), hand_phantom(rng(4), 40, 32, 100))
    with pytest.raises(ValueError, match='unknown MURA body part'):
        limb_phantom(rng(), 32, 32, 'XR_KNEE', False)
    with pytest.raises(ValueError, match='opacity'):
        chest_phantom(rng(), 32, 32, opacity=2.0)


def test_chest_anatomy_and_local_signals():
    img, lung = chest_phantom(rng(5), 64, 64)
    assert 0.1 < lung.mean() < 0.5
    assert lung[:, :32].any() and lung[:, 32:].any()  # two lungs
    # Lungs are dark, the mediastinum/spine bright.
    assert img[lung == 1].mean() + 40 < img[:, 29:35].mean()
    clear, _ = chest_phantom(rng(6), 64, 64)
    opaque, _ = chest_phantom(rng(6), 64, 64, opacity=1.0)
    assert opaque[lung == 1].mean() > clear[lung == 1].mean() + 15
    nodule, _ = chest_phantom(rng(6), 64, 64, lesions=[(12, 20, 12, 12)])
    assert nodule[20:32, 12:24].mean() > clear[20:32, 12:24].mean() + 25


def test_chest_labels_are_learnable():
    r = rng(7)
    x, y, z = [], [], []
    for i in range(60):
        x.append(feats(chest_phantom(r, 48, 48, opacity=0.7 * (i % 2))[0]))
        les = [(10, 12, 10, 10)] if i % 2 else []
        z.append(feats(chest_phantom(r, 48, 48, lesions=les)[0]))
        y.append(i % 2)
    for data in (x, z):
        acc = cross_val_score(LogisticRegression(max_iter=2000), np.array(data), y, cv=3)
        assert acc.mean() > 0.85


def test_bone_age_is_learnable():
    r = rng(8)
    ages = r.integers(0, 229, 60)
    x = np.array([feats(hand_phantom(r, 56, 48, int(a))) for a in ages])
    assert cross_val_score(Ridge(1.0), x, ages, cv=3).mean() > 0.7  # R^2


def test_limb_abnormality_is_learnable_by_a_small_cnn():
    torch.manual_seed(0)
    r = rng(9)

    def data(n):
        imgs = [
            limb_phantom(r, 40, 40, MURA_BODY_PARTS[(i // 2) % 7], bool(i % 2)) for i in range(n)
        ]
        return (torch.tensor(np.stack(imgs)[:, None] / 255.0,
                             dtype=torch.float32), torch.arange(n) % 2)

    xtr, ytr = data(168)
    xte, yte = data(84)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveMaxPool2d(1),
        torch.nn.Flatten(), torch.nn.Linear(32, 2))
    opt = torch.optim.Adam(net.parameters(), 1e-2)
    for _ in range(200):
        idx = torch.randint(0, len(xtr), (32, ))
        loss = torch.nn.functional.cross_entropy(net(xtr[idx]), ytr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = (net(xte).argmax(1) == yte).float().mean().item()
    assert acc > 0.75


def test_imwrite_modes(tmp_path):
    img = chest_phantom(rng(), 20, 16)[0]
    assert cv2.imread(imwrite(str(tmp_path / 'g.png'), img), cv2.IMREAD_UNCHANGED).ndim == 2
    assert cv2.imread(imwrite(str(tmp_path / 'c.png'), img, 'rgb'),
                      cv2.IMREAD_UNCHANGED).shape == (20, 16, 3)
    assert cv2.imread(imwrite(str(tmp_path / 'w.png'), img, '16bit'),
                      cv2.IMREAD_UNCHANGED).dtype == np.uint16


def test_generate_all_writes_nine_readable_layouts(tmp_path):
    assert set(GENERATORS) == ALL_NINE
    roots = generate_all(str(tmp_path), num=8, seed=0)
    assert set(roots) == ALL_NINE
    for name, root in roots.items():
        assert root == osp.join(str(tmp_path), name)
        ds = build_xray_dataset(dict(type=name, data_root=root, pipeline=[]))
        assert len(ds) > 0
        assert all(osp.isfile(ds.get_data_info(i)['img_path']) for i in range(len(ds)))
    # Real file names and headers.
    assert osp.isfile(
        osp.join(roots['NIHChestXray14'], 'images_001', 'images',
                 ds_first_name(roots['NIHChestXray14'])))
    assert osp.isfile(
        osp.join(roots['MontgomeryCXR'], 'MontgomerySet', 'ManualMask', 'leftMask',
                 'MCUCXR_0001_0.png'))
    with open(osp.join(roots['RSNABoneAge'], 'boneage-test-dataset.csv')) as f:
        assert f.readline().strip() == 'Case ID,Sex'
    with pytest.raises(KeyError, match='unknown synthetic'):
        generate_all(str(tmp_path / 'x'), only=['ImageNet'])


def ds_first_name(root):
    with open(osp.join(root, 'Data_Entry_2017.csv')) as f:
        f.readline()
        return f.readline().split(',')[0]


def test_generate_synthetic_cli(tmp_path, capsys):
    import importlib.util
    path = osp.join(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tools', 'dataset_converters',
        'generate_synthetic.py')
    spec = importlib.util.spec_from_file_location('generate_synthetic', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main([str(tmp_path), '--num', '3', '--only', 'ShenzhenCXR', 'RSNABoneAge']) == 0
    out = capsys.readouterr().out
    assert f'ShenzhenCXR: {tmp_path}/ShenzhenCXR' in out
    assert osp.isfile(
        osp.join(str(tmp_path), 'ShenzhenCXR', 'ChinaSet_AllFiles', 'CXR_png', 'CHNCXR_0003_0.png'))
    assert osp.isdir(osp.join(str(tmp_path), 'RSNABoneAge', 'boneage-training-dataset'))


def test_nlm_images_are_the_same_in_every_set_that_copies_them(tmp_path):
    roots = generate_all(
        str(tmp_path), only=['ShenzhenCXR', 'MontgomeryCXR', 'ChestXrayMasks', 'TBX11K'])

    def gray(*parts):
        img = cv2.imread(osp.join(*parts), cv2.IMREAD_GRAYSCALE)
        assert img is not None, parts
        return img

    sz = osp.join(roots['ShenzhenCXR'], 'ChinaSet_AllFiles')
    mc = osp.join(roots['MontgomeryCXR'], 'MontgomerySet')
    lung = osp.join(roots['ChestXrayMasks'], 'Lung Segmentation')
    # The image depends on the case name only, not on the generator's seed.
    again = shenzhen_cxr.generate(str(tmp_path / 'again'), num=2, seed=9)
    for stem in ('CHNCXR_0001_0', 'CHNCXR_0002_1'):
        with open(osp.join(sz, 'CXR_png', stem + '.png'), 'rb') as a, open(
                osp.join(again, 'ChinaSet_AllFiles', 'CXR_png', stem + '.png'), 'rb') as b:
            assert a.read() == b.read()
    assert not np.array_equal(
        gray(sz, 'CXR_png', 'CHNCXR_0001_0.png'), gray(sz, 'CXR_png', 'CHNCXR_0003_0.png'))
    # Lung-mask set: same pixels, and the mask is that image's true lung field (for Montgomery
    # the union of its left/right masks).
    img, truth = shenzhen_cxr.case_image('CHNCXR_0002_1')
    assert np.array_equal(gray(lung, 'CXR_png', 'CHNCXR_0002_1.png'), img)
    assert np.array_equal(gray(sz, 'CXR_png', 'CHNCXR_0002_1.png'), img)
    assert np.array_equal(gray(lung, 'masks', 'CHNCXR_0002_1_mask.png') > 127, truth > 0)
    for stem in ('MCUCXR_0002_1', 'MCUCXR_0003_0'):  # portrait and landscape
        assert np.array_equal(
            gray(lung, 'CXR_png', stem + '.png'), gray(mc, 'CXR_png', stem + '.png'))
        left = gray(mc, 'ManualMask', 'leftMask', stem + '.png') > 0
        right = gray(mc, 'ManualMask', 'rightMask', stem + '.png') > 0
        assert left.any() and right.any()
        assert np.array_equal(gray(lung, 'masks', stem + '.png') > 127, left | right)
    # TBX11K's extra/mc+shenzhen: the same pixels, stored as 8-bit RGB like the rest of TBX11K.
    extra = osp.join(roots['TBX11K'], 'imgs', 'extra', 'mc+shenzhen')
    assert sorted(os.listdir(extra)) == ['CHNCXR_0002_1.png', 'MCUCXR_0001_0.png']
    assert cv2.imread(osp.join(extra, 'MCUCXR_0001_0.png'), cv2.IMREAD_UNCHANGED).ndim == 3
    assert np.array_equal(gray(extra, 'CHNCXR_0002_1.png'), img)
    assert np.array_equal(
        gray(extra, 'MCUCXR_0001_0.png'), gray(mc, 'CXR_png', 'MCUCXR_0001_0.png'))
    with open(osp.join(roots['TBX11K'], 'annotations', 'json', 'all_trainval.json')) as f:
        sizes = {im['file_name']: (im['height'], im['width']) for im in json.load(f)['images']}
    assert sizes['extra/mc+shenzhen/CHNCXR_0002_1.png'] == img.shape
