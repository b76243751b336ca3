"""ChestXrayMasks (mmseg) read from generated Kaggle/NLM layouts: pairs, {0,1} masks, splits."""
import glob
import json
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

import muscle_mm.datasets  # noqa: F401  (registers the datasets)
from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.synthetic import chest_xray_masks as synth
from muscle_mm.datasets.transforms.seg_mask import LoadXRayLungMask, binarize_mask

NUM = 16
PIPELINE = [dict(type='LoadXRayImage'), dict(type='LoadXRayLungMask'), dict(type='PackSegInputs')]


@pytest.fixture(autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')  # pipelines are built from the default scope's TRANSFORMS


@pytest.fixture(scope='module')
def kaggle(tmp_path_factory):
    return synth.generate(
        str(tmp_path_factory.mktemp('lung')), num=NUM, seed=0, montgomery_set=True)


def build(root, **kwargs):
    return DATASETS.build(dict(type='ChestXrayMasks', data_root=root, **kwargs))


def infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def all_splits(root, **kwargs):
    return {s: infos(build(root, split=s, **kwargs)) for s in ('train', 'val', 'test')}


def fresh_copy(src, tmp_path):
    dst = str(tmp_path / 'copy')
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns('muscle_mm_splits'))
    return dst


def lung_dir(root):
    return osp.join(root, 'Lung Segmentation')


def test_generated_layout_has_naming_mismatch(kaggle):
    masks = os.listdir(osp.join(lung_dir(kaggle), 'masks'))
    assert any(m.startswith('CHNCXR') and m.endswith('_mask.png') for m in masks)
    assert any(m.startswith('MCUCXR') and not m.endswith('_mask.png') for m in masks)
    assert len(os.listdir(osp.join(lung_dir(kaggle), 'CXR_png'))) == NUM + 2  # 2 unmasked
    assert len(os.listdir(osp.join(lung_dir(kaggle), 'test'))) == 2
    assert len(os.listdir(osp.join(lung_dir(kaggle), 'ClinicalReadings'))) == NUM + 2


def test_pairs_split_and_counts(kaggle):
    parts = all_splits(kaggle)
    keys = [i['rel_path'] for v in parts.values() for i in v]
    assert len(keys) == len(set(keys)) == NUM  # unmasked CXR_png and test/ are not samples
    assert all(parts.values()) and len(parts['train']) > len(parts['val'])
    for info in sum(parts.values(), []):
        stem = osp.splitext(osp.basename(info['img_path']))[0]
        mask = osp.basename(info['seg_map_path'])
        assert mask == (stem + '.png' if stem.startswith('MCUCXR') else stem + '_mask.png')
        assert info['tb_label'] == int(stem[-1]) and info['source'] == 'kaggle'
        assert info['reduce_zero_label'] is False
    ds = build(kaggle)
    assert ds.metainfo['classes'] == ('background', 'lung')


def test_split_file_stable(kaggle):
    build(kaggle)
    path = osp.join(kaggle, 'muscle_mm_splits', 'ChestXrayMasks_seed0.json')
    raw = open(path, 'rb').read()
    saved = json.loads(raw)
    assert saved['grouped_by'].startswith('image') and saved['num_items'] == NUM
    build(kaggle, split='test')
    assert open(path, 'rb').read() == raw


def test_pipeline_gives_binary_label_map_equal_to_the_mask(kaggle):
    ds = build(kaggle, pipeline=PIPELINE)
    for i in range(3):
        out = ds[i]
        seg = out['data_samples'].gt_sem_seg.data.numpy()[0]
        assert set(np.unique(seg)) == {0, 1}
        truth = cv2.imread(ds.get_data_info(i)['seg_map_path'], cv2.IMREAD_UNCHANGED) > 127
        assert np.array_equal(seg, truth.astype(np.uint8))
        assert out['inputs'].shape[1:] == seg.shape


@pytest.mark.parametrize('mask_mode', ['rgb', '16bit'])
def test_rgb_and_16bit_masks_give_the_same_label_maps(tmp_path, mask_mode):
    gray = synth.generate(str(tmp_path / 'gray'), num=6, seed=5)
    other = synth.generate(
        str(tmp_path / mask_mode), num=6, seed=5, mask_mode=mask_mode,
        data_prefix=True)  # also the older data/Lung Segmentation root
    a, b = build(gray, pipeline=PIPELINE), build(other, pipeline=PIPELINE)
    assert len(a) == len(b) > 0
    for i in range(len(a)):
        assert np.array_equal(a[i]['data_samples'].gt_sem_seg.data,
                              b[i]['data_samples'].gt_sem_seg.data)


def test_binarize_mask_encodings():
    m = np.zeros((4, 5), np.uint8)
    m[1:3, 1:4] = 1
    for enc in (m, m * 255, np.dstack([m * 255] * 3), m.astype(np.uint16) * 65535,
                m.astype(np.uint16) * 255):
        assert np.array_equal(binarize_mask(enc), m)
    assert not binarize_mask(np.zeros((3, 3), np.uint8)).any()


def test_montgomery_masks_are_the_union_and_deduplicated(kaggle, tmp_path):
    mont = osp.join(kaggle, 'MontgomerySet')
    both = all_splits(kaggle, montgomery_root=kaggle)
    extra = [i for v in both.values() for i in v if i['source'] == 'montgomery']
    assert len(extra) == 2 and sum(map(len, both.values())) == NUM + 2  # 2 NLM-only images
    assert osp.isfile(osp.join(kaggle, 'muscle_mm_splits', 'ChestXrayMasks_montgomery_seed0.json'))
    alone = all_splits(None, montgomery_root=mont, proportions=(4, 1, 1))  # only 6 images
    n_mc = len(glob.glob(osp.join(mont, 'CXR_png', '*.png')))
    assert sum(map(len, alone.values())) == n_mc
    ds = build(None, montgomery_root=mont, proportions=(4, 1, 1), pipeline=PIPELINE)
    info = ds.get_data_info(0)
    left, right = info['seg_map_path']
    assert 'leftMask' in left and 'rightMask' in right
    union = (cv2.imread(left, 0) > 0) | (cv2.imread(right, 0) > 0)
    seg = ds[0]['data_samples'].gt_sem_seg.data.numpy()[0]
    assert np.array_equal(seg, union.astype(np.uint8)) and seg.sum() > 0


def test_mask_size_mismatch_names_both_files(kaggle, tmp_path):
    root = fresh_copy(kaggle, tmp_path)
    ds = build(root, pipeline=PIPELINE)
    info = ds.get_data_info(0)
    mask = cv2.imread(info['seg_map_path'], cv2.IMREAD_UNCHANGED)
    cv2.imwrite(info['seg_map_path'], cv2.resize(mask, (mask.shape[1] + 3, mask.shape[0])))
    with pytest.raises(DatasetFormatError) as err:
        ds[0]
    assert info['seg_map_path'] in str(err.value) and info['img_path'] in str(err.value)
    # Without the image loaded first, the image header is used.
    with pytest.raises(DatasetFormatError, match='but its image'):
        LoadXRayLungMask()(dict(img_path=info['img_path'], seg_map_path=info['seg_map_path']))


def test_corrupt_mask_or_image_raises_naming_the_file(kaggle, tmp_path):
    root = fresh_copy(kaggle, tmp_path)
    ds = build(root, pipeline=PIPELINE)
    info = ds.get_data_info(1)
    with open(info['seg_map_path'], 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n garbage')
    with pytest.raises(DatasetFormatError, match=osp.basename(info['seg_map_path'])):
        ds[1]
    with open(info['img_path'], 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n garbage')
    with pytest.raises(DatasetFormatError, match=osp.basename(info['img_path'])):
        ds[1]


def test_two_masks_for_one_image_is_an_error(kaggle, tmp_path):
    root = fresh_copy(kaggle, tmp_path)
    mdir = osp.join(lung_dir(root), 'masks')
    chn = sorted(m for m in os.listdir(mdir) if m.endswith('_mask.png'))[0]
    shutil.copy(osp.join(mdir, chn), osp.join(mdir, chn.replace('_mask', '')))
    with pytest.raises(DatasetFormatError, match='two masks for image'):
        build(root)


def test_montgomery_with_one_lung_mask_is_an_error(kaggle, tmp_path):
    root = fresh_copy(kaggle, tmp_path)
    left = sorted(glob.glob(osp.join(root, 'MontgomerySet', 'ManualMask', 'leftMask', '*.png')))
    os.remove(left[0])
    with pytest.raises(DatasetFormatError, match='leftMask.*missing'):
        build(None, montgomery_root=root)


def test_stock_load_annotations_is_refused(kaggle):
    with pytest.raises(ValueError, match='LoadXRayLungMask'):
        build(kaggle, pipeline=[dict(type='LoadAnnotations')])


def test_missing_layout_and_empty_split_are_errors(kaggle, tmp_path):
    with pytest.raises(DatasetFormatError, match='CXR_png'):
        build(str(tmp_path))
    with pytest.raises(DatasetFormatError, match="split 'val'.*no samples"):
        build(kaggle, split='val', proportions=(1, 0, 1), split_file=str(tmp_path / 's.json'))
    with pytest.raises(ValueError, match='data_root, montgomery_root'):
        build(None)


def test_montgomery_repeat_patients_stay_in_one_split(kaggle, tmp_path):
    from muscle_mm.datasets.splits import group_split

    # The generated readings say MCUCXR_0004_1 is the same patient as MCUCXR_0002_1.
    reading = open(osp.join(lung_dir(kaggle), 'ClinicalReadings', 'MCUCXR_0004_1.txt')).read()
    assert 'same pt as MCUCXR_0002_1' in reading
    a, b = 'CXR_png/MCUCXR_0004_1.png', 'CXR_png/MCUCXR_0002_1.png'
    apart = 0
    for seed in range(12):
        path = str(tmp_path / f's{seed}.json')
        ds = build(kaggle, split='train', seed=seed, split_file=path, serialize_data=False)
        saved = json.load(open(path))
        side = {it: n for n, items in saved['splits'].items() for it in items}
        assert side[a] == side[b]
        by_image = group_split(sorted(side), None, ds.proportions, seed)  # the old, image rule
        old = {it: n for n, items in by_image.items() for it in items}
        apart += old[a] != old[b]
    assert apart  # so the seeds above would catch a split that ignores the readings
    ids = {osp.basename(i['img_path']): i['patient_id'] for i in infos(ds)}
    assert ids.get('MCUCXR_0004_1.png', 'MCUCXR_0002_1') == 'MCUCXR_0002_1'
    assert 'same pt as' in saved['grouped_by'] and saved['num_groups'] == saved['num_items'] - 1


def test_split_mode_must_be_muscle(kaggle):
    with pytest.raises(ValueError, match="split_mode must be 'muscle'"):
        build(kaggle, split_mode='official')
