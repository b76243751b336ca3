"""IndianaCXR read from generated Kaggle and official Open-i layouts; listed/unlisted images."""
import csv
import os
import os.path as osp
import shutil

import pytest

import muscle_mm.datasets  # noqa: F401  (registers the datasets)
from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.indiana_cxr import IndianaCXR
from muscle_mm.datasets.synthetic import indiana_cxr as synth
from muscle_mm.registry import DATASETS

NUM = 5


@pytest.fixture(scope='module')
def kaggle(tmp_path_factory):
    return synth.generate(str(tmp_path_factory.mktemp('iu_k')), num=NUM, seed=0)


@pytest.fixture(scope='module')
def official(tmp_path_factory):
    return synth.generate(str(tmp_path_factory.mktemp('iu_o')), num=NUM, seed=0, layout='official')


def infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def projections(root):
    with open(osp.join(root, 'indiana_projections.csv'), newline='') as f:
        return list(csv.DictReader(f))


def copy(src, tmp_path):
    dst = str(tmp_path / 'copy')
    shutil.copytree(src, dst)
    return dst


def test_kaggle_layout(kaggle):
    rows = projections(kaggle)
    ds = DATASETS.build(dict(type='IndianaCXR', data_root=kaggle))
    assert len(ds) == len(rows) > NUM
    by_name = {r['filename']: r for r in rows}
    for info in infos(ds):
        name = osp.basename(info['img_path'])
        assert name.endswith('.dcm.png') and osp.isfile(info['img_path'])
        assert info['uid'] == int(by_name[name]['uid'])
        assert info['projection'] == by_name[name]['projection']
        assert info['problems']  # from indiana_reports.csv
    frontal = IndianaCXR(data_root=kaggle, projections=('Frontal', ))
    assert len(frontal) == NUM == sum(r['projection'] == 'Frontal' for r in rows)


def test_unlisted_image_is_kept_and_missing_one_is_an_error(kaggle, tmp_path):
    root = copy(kaggle, tmp_path)
    img_dir = osp.join(root, 'images', 'images_normalized')
    shutil.copy(
        osp.join(img_dir, '1_IM-0001-4001.dcm.png'), osp.join(img_dir, '99_IM-0099-4001.dcm.png'))
    ds = IndianaCXR(data_root=root)
    extra = [i for i in infos(ds) if i['img_path'].endswith('99_IM-0099-4001.dcm.png')]
    assert len(extra) == 1 and extra[0]['uid'] == 99 and extra[0]['projection'] is None
    os.remove(osp.join(img_dir, '1_IM-0001-4001.dcm.png'))
    with pytest.raises(DatasetFormatError, match='indiana_projections.csv') as e:
        IndianaCXR(data_root=root)
    assert '1_IM-0001-4001.dcm.png' in str(e.value)


def test_unexpected_columns(kaggle, tmp_path):
    root = copy(kaggle, tmp_path)
    path = osp.join(root, 'indiana_projections.csv')
    text = open(path).read().replace('uid,filename,projection', 'uid,file,projection', 1)
    open(path, 'w').write(text)
    with pytest.raises(DatasetFormatError, match="missing column 'filename'"):
        IndianaCXR(data_root=root)


def test_official_layout_with_reports(official):
    xmls = os.listdir(osp.join(official, 'ecgen-radiology'))
    assert len(xmls) == NUM + 1  # one report without images, as in the real set
    ds = IndianaCXR(data_root=official)
    pngs = os.listdir(osp.join(official, 'NLMCXR_png'))
    assert len(ds) == len(pngs)
    for info in infos(ds):
        name = osp.basename(info['img_path'])
        assert name.startswith(f'CXR{info["uid"]}_') and info['projection'] is None
        assert isinstance(info['problems'], list) and info['problems']
    with pytest.raises(ValueError, match='projections need the Kaggle'):
        IndianaCXR(data_root=official, projections=('Frontal', ))


def test_official_report_naming_a_missing_image(official, tmp_path):
    root = copy(official, tmp_path)
    victim = sorted(os.listdir(osp.join(root, 'NLMCXR_png')))[0]
    os.remove(osp.join(root, 'NLMCXR_png', victim))
    with pytest.raises(DatasetFormatError, match=r'ecgen-radiology/\d+\.xml') as e:
        IndianaCXR(data_root=root)
    assert victim in str(e.value)


def test_bad_arguments_and_empty(kaggle, tmp_path):
    with pytest.raises(ValueError, match='unknown split'):
        IndianaCXR(data_root=kaggle, split='test')
    with pytest.raises(ValueError, match='unknown projection'):
        IndianaCXR(data_root=kaggle, projections=('PA', ))
    os.makedirs(tmp_path / 'NLMCXR_png')
    with pytest.raises(DatasetFormatError, match='no samples'):
        IndianaCXR(data_root=str(tmp_path))
