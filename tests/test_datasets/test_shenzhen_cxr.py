"""ShenzhenCXR read from generated NLM / Kaggle-mirror layouts: labels from stems, junk, errors."""
import os
import os.path as osp
import shutil

import pytest

import muscle_mm.datasets  # noqa: F401  (registers the datasets)
from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.shenzhen_cxr import ShenzhenCXR
from muscle_mm.datasets.synthetic import shenzhen_cxr as synth
from muscle_mm.registry import DATASETS

NUM = 6


@pytest.fixture(scope='module')
def nlm(tmp_path_factory):
    return synth.generate(str(tmp_path_factory.mktemp('sz')), num=NUM, seed=0, junk=True)


def infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def test_counts_labels_readings_and_junk_skipped(nlm):
    cxr = osp.join(nlm, 'ChinaSet_AllFiles', 'CXR_png')
    assert {'.DS_Store', 'Thumbs.db', '._CHNCXR_0001_0.png'} <= set(os.listdir(cxr))
    ds = DATASETS.build(dict(type='ShenzhenCXR', data_root=nlm))
    assert len(ds) == NUM
    for info in infos(ds):
        stem = osp.splitext(osp.basename(info['img_path']))[0]
        assert osp.isabs(info['img_path']) and osp.isfile(info['img_path'])
        assert stem == info['case_id'] and stem.startswith('CHNCXR_')
        assert info['gt_label'] == int(stem[-1])
        assert osp.isfile(info['reading_path'])
    assert sorted(i['gt_label'] for i in infos(ds)) == [0, 0, 0, 1, 1, 1]
    assert ds.metainfo['classes'] == ('normal', 'tuberculosis')


@pytest.mark.parametrize('flags', [dict(top_folder=False), dict(kaggle_nested=True)])
def test_layout_variants(tmp_path, flags):
    root = synth.generate(str(tmp_path / 'v'), num=2, seed=3, **flags)
    assert len(ShenzhenCXR(data_root=root)) == 2


def test_only_train_split(nlm):
    with pytest.raises(ValueError, match='no official split'):
        ShenzhenCXR(data_root=nlm, split='test')


def test_unexpected_png_name_is_an_error(nlm, tmp_path):
    root = str(tmp_path / 'c')
    shutil.copytree(nlm, root)
    cxr = osp.join(root, 'ChinaSet_AllFiles', 'CXR_png')
    shutil.copy(osp.join(cxr, 'CHNCXR_0001_0.png'), osp.join(cxr, 'CHNCXR_0001_0 (copy).png'))
    with pytest.raises(DatasetFormatError, match=r'CHNCXR_0001_0 \(copy\)\.png: unexpected'):
        ShenzhenCXR(data_root=root)


def test_empty_and_missing_folder(tmp_path):
    os.makedirs(tmp_path / 'ChinaSet_AllFiles' / 'CXR_png')
    with pytest.raises(DatasetFormatError, match='no samples'):
        ShenzhenCXR(data_root=str(tmp_path))
    with pytest.raises(DatasetFormatError, match='none of these exist'):
        ShenzhenCXR(data_root=str(tmp_path / 'ChinaSet_AllFiles' / 'CXR_png'))
