"""NIHChestXray14 from generated Kaggle / Box layouts: splits, metadata, bad input, progress."""
import csv
import os
import os.path as osp
import shutil

import pytest

import muscle_mm.datasets  # noqa: F401  (registers the datasets)
from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.nih_chestxray14 import NIH_CLASSES, NIHChestXray14
from muscle_mm.datasets.synthetic import nih_chestxray14 as synth
from muscle_mm.registry import DATASETS

NUM = 12


@pytest.fixture(scope='module')
def kaggle(tmp_path_factory):
    return synth.generate(str(tmp_path_factory.mktemp('nih_kaggle')), num=NUM, seed=0)


@pytest.fixture(scope='module')
def flat_v2020(tmp_path_factory):
    return synth.generate(
        str(tmp_path_factory.mktemp('nih_flat')),
        num=NUM,
        seed=1,
        layout='flat',
        v2020=True,
        junk=True)


def entries(root):
    name = 'Data_Entry_2017_v2020.csv' if osp.isfile(osp.join(
        root, 'Data_Entry_2017_v2020.csv')) else 'Data_Entry_2017.csv'
    with open(osp.join(root, name), newline='') as f:
        return {r['Image Index']: r for r in csv.DictReader(f)}


def read_list(root, name):
    with open(osp.join(root, name)) as f:
        return [ln.strip() for ln in f if ln.strip()]


def copy(src, tmp_path):
    dst = str(tmp_path / 'copy')
    shutil.copytree(src, dst)
    return dst


def test_kaggle_layout_official_split_and_metadata(kaggle):
    train = DATASETS.build(dict(type='NIHChestXray14', data_root=kaggle, split='train'))
    test = NIHChestXray14(data_root=kaggle, split='test')
    every = NIHChestXray14(data_root=kaggle, split='all')
    assert len(train) == len(read_list(kaggle, 'train_val_list.txt'))
    assert len(test) == len(read_list(kaggle, 'test_list.txt'))
    assert len(train) + len(test) == len(every) == NUM
    infos = [train.get_data_info(i) for i in range(len(train))]
    test_infos = [test.get_data_info(i) for i in range(len(test))]
    # The official split is patient-disjoint.
    assert not {i['patient_id'] for i in infos} & {i['patient_id'] for i in test_infos}
    rows = entries(kaggle)
    folders = set()
    for info in infos + test_infos:
        assert osp.isabs(info['img_path']) and osp.isfile(info['img_path'])
        folders.add(osp.basename(osp.dirname(osp.dirname(info['img_path']))))
        row = rows[osp.basename(info['img_path'])]
        labels = [] if row['Finding Labels'] == 'No Finding' else row['Finding Labels'].split('|')
        assert info['finding_labels'] == labels
        assert info['gt_label'] == [NIH_CLASSES.index(n) for n in labels]
        assert info['patient_id'] == int(row['Patient ID'])
        assert info['patient_sex'] == row['Patient Gender']
        assert info['view_position'] in ('PA', 'AP')
    assert folders == {'images_001', 'images_002', 'images_003'}
    assert train.metainfo['classes'] == NIH_CLASSES


def test_flat_layout_v2020_header_and_os_junk(flat_v2020):
    assert osp.isfile(osp.join(flat_v2020, 'images', '.DS_Store'))
    every = NIHChestXray14(data_root=flat_v2020, split='all')
    assert len(every) == NUM
    paths = [every.get_data_info(i)['img_path'] for i in range(NUM)]
    assert all(osp.dirname(p) == osp.join(flat_v2020, 'images') for p in paths)
    assert all(p.endswith('.png') and not osp.basename(p).startswith('.') for p in paths)
    assert {every.get_data_info(i)['patient_sex'] for i in range(NUM)} <= {'M', 'F'}


def test_trailing_comma_of_2017_csv_is_harmless(kaggle):
    with open(osp.join(kaggle, 'Data_Entry_2017.csv')) as f:
        header = f.readline()
    assert header.rstrip('\n').endswith('OriginalImagePixelSpacing[x,y],')
    assert len(NIHChestXray14(data_root=kaggle, split='all')) == NUM


def test_val_split_is_refused(kaggle):
    with pytest.raises(ValueError, match="no validation split"):
        NIHChestXray14(data_root=kaggle, split='val')


def test_listed_image_missing_names_list_and_file(kaggle, tmp_path):
    root = copy(kaggle, tmp_path)
    victim = read_list(root, 'train_val_list.txt')[0]
    for d in os.listdir(root):
        p = osp.join(root, d, 'images', victim)
        if osp.isfile(p):
            os.remove(p)
    with pytest.raises(DatasetFormatError, match='train_val_list.txt') as e:
        NIHChestXray14(data_root=root, split='train')
    assert victim in str(e.value)
    with pytest.raises(DatasetFormatError, match='Data_Entry_2017.csv') as e:
        NIHChestXray14(data_root=root, split='all')
    assert victim in str(e.value)


def test_unexpected_csv_columns(kaggle, tmp_path):
    root = copy(kaggle, tmp_path)
    path = osp.join(root, 'Data_Entry_2017.csv')
    with open(path) as f:
        text = f.read()
    with open(path, 'w') as f:
        f.write(text.replace('Finding Labels', 'Findings', 1))
    with pytest.raises(DatasetFormatError, match="missing column 'Finding Labels'"):
        NIHChestXray14(data_root=root, split='train')


def test_unknown_finding_label(kaggle, tmp_path):
    root = copy(kaggle, tmp_path)
    path = osp.join(root, 'Data_Entry_2017.csv')
    lines = open(path).read().splitlines(True)
    name = lines[1].split(',')[0]
    lines[1] = lines[1].replace(lines[1].split(',')[1], 'Infiltrate', 1)
    open(path, 'w').writelines(lines)
    with pytest.raises(DatasetFormatError, match='Infiltrate') as e:
        NIHChestXray14(data_root=root, split='all')
    assert name in str(e.value)


def test_empty_split_and_missing_folders(kaggle, tmp_path):
    root = copy(kaggle, tmp_path)
    open(osp.join(root, 'test_list.txt'), 'w').close()
    with pytest.raises(DatasetFormatError, match='no samples'):
        NIHChestXray14(data_root=root, split='test')
    for d in os.listdir(root):
        if d.startswith('images_'):
            shutil.rmtree(osp.join(root, d))
    with pytest.raises(DatasetFormatError, match='no image folder'):
        NIHChestXray14(data_root=root, split='train')


def test_indexing_logs_progress(kaggle, log_lines):
    NIHChestXray14(data_root=kaggle, split='all', progress_interval=5)
    progress = [ln for ln in log_lines if 'indexed' in ln]
    assert [ln.split('indexed ')[1].split(' ')[0] for ln in progress] == ['5/12', '10/12', '12/12']
