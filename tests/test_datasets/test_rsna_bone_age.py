"""RSNABoneAge read from a generated Kaggle layout: train/test, metadata, nesting, bad input."""
import csv
import os
import os.path as osp
import shutil

import pytest

import muscle_mm.datasets  # noqa: F401  (registers the datasets)
from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.rsna_bone_age import RSNABoneAge
from muscle_mm.datasets.synthetic import rsna_bone_age as synth
from muscle_mm.registry import DATASETS

NUM, NUM_TEST = 5, 2


@pytest.fixture(scope='module')
def bone(tmp_path_factory):
    return synth.generate(str(tmp_path_factory.mktemp('ba')), num=NUM, num_test=NUM_TEST)


def rows(root, name):
    with open(osp.join(root, name), newline='') as f:
        return list(csv.DictReader(f))


def infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def copy(src, tmp_path):
    dst = str(tmp_path / 'copy')
    shutil.copytree(src, dst)
    return dst


def test_train_split_metadata(bone):
    ds = DATASETS.build(dict(type='RSNABoneAge', data_root=bone))
    csv_rows = {int(r['id']): r for r in rows(bone, 'boneage-training-dataset.csv')}
    assert len(ds) == NUM == len(csv_rows)
    for info in infos(ds):
        row = csv_rows[info['image_id']]
        assert info['boneage_months'] == int(row['boneage'])
        assert info['male'] == (row['male'] == 'True')
        assert info['img_path'].endswith(
            osp.join('boneage-training-dataset', 'boneage-training-dataset',
                     f'{info["image_id"]}.png'))
        assert osp.isfile(info['img_path'])


def test_test_split(bone):
    ds = RSNABoneAge(data_root=bone, split='test')
    sexes = {int(r['Case ID']): r['Sex'] for r in rows(bone, 'boneage-test-dataset.csv')}
    assert len(ds) == NUM_TEST
    for info in infos(ds):
        assert info['boneage_months'] is None
        assert info['male'] == (sexes[info['image_id']] == 'M')


def test_single_nesting(tmp_path):
    root = synth.generate(str(tmp_path / 's'), num=2, num_test=1, nested=False)
    assert len(RSNABoneAge(data_root=root)) == 2


def test_missing_image_and_bad_columns(bone, tmp_path):
    root = copy(bone, tmp_path)
    first = rows(root, 'boneage-test-dataset.csv')[0]['Case ID']
    path = osp.join(root, 'boneage-test-dataset', 'boneage-test-dataset', f'{first}.png')
    os.remove(path)
    with pytest.raises(DatasetFormatError, match='boneage-test-dataset.csv') as e:
        RSNABoneAge(data_root=root, split='test')
    assert f'{first}.png' in str(e.value)
    csv_path = osp.join(root, 'boneage-training-dataset.csv')
    text = open(csv_path).read().replace('id,boneage,male', 'id,age,male', 1)
    open(csv_path, 'w').write(text)
    with pytest.raises(DatasetFormatError, match="missing column 'boneage'"):
        RSNABoneAge(data_root=root)


def test_bad_values_empty_split_unknown_split(bone, tmp_path):
    root = copy(bone, tmp_path)
    csv_path = osp.join(root, 'boneage-training-dataset.csv')
    lines = open(csv_path).read().splitlines(True)
    open(csv_path, 'w').write(lines[0] + lines[1].replace('True', 'yes').replace('False', 'yes'))
    with pytest.raises(DatasetFormatError, match="line 2: sex 'yes'"):
        RSNABoneAge(data_root=root)
    open(csv_path, 'w').write(lines[0])
    with pytest.raises(DatasetFormatError, match='no samples'):
        RSNABoneAge(data_root=root)
    with pytest.raises(ValueError, match='no validation set'):
        RSNABoneAge(data_root=bone, split='val')
