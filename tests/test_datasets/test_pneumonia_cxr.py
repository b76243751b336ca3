"""PneumoniaCXR read from generated Kaggle layouts: counts, labels, splits, variants, bad input."""
import glob
import json
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from mmpretrain.registry import DATASETS

import muscle_mm.datasets  # noqa: F401  (registers the datasets)
from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.synthetic import pneumonia_cxr as synth

NUM = 24


@pytest.fixture(scope='module')
def kaggle(tmp_path_factory):
    return synth.generate(str(tmp_path_factory.mktemp('pneumonia')), num=NUM, seed=0)


def build(root, **kwargs):
    return DATASETS.build(dict(type='PneumoniaCXR', data_root=root, **kwargs))


def fresh_copy(src, tmp_path):
    dst = str(tmp_path / 'copy')
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns('muscle_mm_splits'))
    return dst


def outer_files(root, folder='*'):
    return sorted(glob.glob(osp.join(root, 'chest_xray', folder, '*', '*.jpeg')))


def test_generated_layout_has_kaggle_quirks(kaggle):
    tree = osp.join(kaggle, 'chest_xray')
    assert len(outer_files(kaggle)) == NUM
    assert len(glob.glob(osp.join(tree, 'chest_xray', '*', '*', '*.jpeg'))) == NUM  # duplicate
    assert glob.glob(osp.join(tree, '__MACOSX', '**', '._*.jpeg'), recursive=True)
    assert osp.isfile(osp.join(tree, 'train', '.DS_Store'))
    names = [osp.basename(p) for p in outer_files(kaggle)]
    assert any(n.startswith('IM-') for n in names)
    assert any(n.startswith('NORMAL2-IM-') for n in names)
    assert any('_bacteria_' in n for n in names) and any('_virus_' in n for n in names)
    # Person numbering restarts in test/ (Kaggle quirk).
    assert any(n.startswith('person1_') for n in os.listdir(osp.join(tree, 'train', 'PNEUMONIA')))
    assert any(n.startswith('person1_') for n in os.listdir(osp.join(tree, 'test', 'PNEUMONIA')))


def test_muscle_split_pools_every_image_once_and_is_patient_disjoint(kaggle):
    parts = {s: build(kaggle, split=s) for s in ('train', 'val', 'test')}
    infos = {s: [d.get_data_info(i) for i in range(len(d))] for s, d in parts.items()}
    paths = [i['img_path'] for s in infos.values() for i in s]
    assert len(paths) == len(set(paths)) == NUM  # duplicate tree and junk not counted
    assert all('/chest_xray/chest_xray/' not in p for p in paths)
    assert all(len(v) > 0 for v in infos.values())
    assert len(infos['train']) > len(infos['val'])
    patients = {s: {i['patient_id'] for i in v} for s, v in infos.items()}
    assert not patients['train'] & patients['val']
    assert not patients['train'] & patients['test']
    assert not patients['val'] & patients['test']
    for info in sum(infos.values(), []):
        folder = osp.basename(osp.dirname(info['img_path']))
        assert parts['train'].metainfo['classes'][info['gt_label']] == folder
        assert info['subtype'] == ('normal' if folder == 'NORMAL' else
                                   'bacteria' if 'bacteria' in info['img_path'] else 'virus')
        assert info['official_split'] in ('train', 'val', 'test')


def test_split_file_is_stable_across_runs(kaggle):
    build(kaggle, split='train')
    path = osp.join(kaggle, 'muscle_mm_splits', 'PneumoniaCXR_seed0.json')
    raw = open(path, 'rb').read()
    saved = json.loads(raw)
    assert sum(saved['counts'].values()) == NUM and saved['seed'] == 0
    train = build(kaggle, split='train')
    assert open(path, 'rb').read() == raw
    assert sorted(
        osp.relpath(train.get_data_info(i)['img_path'], osp.join(kaggle, 'chest_xray'))
        for i in range(len(train))) == sorted(saved['splits']['train'])
    other = build(kaggle, split='train', seed=1)
    assert osp.isfile(osp.join(kaggle, 'muscle_mm_splits', 'PneumoniaCXR_seed1.json'))
    assert {other.get_data_info(i)['img_path'] for i in range(len(other))} != \
        {train.get_data_info(i)['img_path'] for i in range(len(train))}


def test_official_split_uses_kaggle_folders(kaggle, tmp_path):
    for split in ('train', 'val', 'test'):
        ds = build(kaggle, split=split, split_mode='official')
        assert len(ds) == len(outer_files(kaggle, split))
        assert {ds.get_data_info(i)['official_split'] for i in range(len(ds))} == {split}
        assert set(ds.get_gt_labels()) == {0, 1}
    assert ds.split_file is None
    custom = str(tmp_path / 'elsewhere.json')
    build(kaggle, split='val', split_file=custom)
    assert osp.isfile(custom)


@pytest.mark.parametrize('variant', ['no_quirks', 'root_is_chest_xray', 'only_duplicate'])
def test_layout_variants(tmp_path, variant):
    root = synth.generate(
        str(tmp_path / 'd'),
        num=10,
        seed=2,
        duplicate_tree=variant != 'no_quirks',
        macosx_junk=variant != 'no_quirks')
    if variant == 'root_is_chest_xray':
        root = osp.join(root, 'chest_xray')
    if variant == 'only_duplicate':
        for folder in ('train', 'val', 'test'):
            shutil.rmtree(osp.join(root, 'chest_xray', folder))
    total = sum(len(build(root, split=s)) for s in ('train', 'val', 'test'))
    assert total == 10


def test_mendeley_layout_without_val(tmp_path):
    root = synth.generate(str(tmp_path / 'd'), num=10, seed=2, duplicate_tree=False)
    shutil.rmtree(osp.join(root, 'chest_xray', 'val'))
    assert sum(len(build(root, split=s)) for s in ('train', 'val', 'test')) == 10 - 2
    with pytest.raises(DatasetFormatError, match='no val/ folder'):
        build(root, split='val', split_mode='official')


def test_pipeline_delivers_gray3_images_and_labels(kaggle):
    ds = build(
        kaggle,
        split='train',
        split_mode='official',
        pipeline=[dict(type='LoadXRayImage'), dict(type='PackInputs')])
    on_disk = [
        cv2.imread(ds.get_data_info(i)['img_path'], cv2.IMREAD_UNCHANGED).ndim
        for i in range(len(ds))
    ]
    picks = [on_disk.index(3), on_disk.index(2)]  # one RGB and one gray JPEG
    for i in picks:
        out = ds[i]
        img = out['inputs'].numpy()
        assert img.shape[0] == 3 and np.array_equal(img[0], img[2])
        assert out['data_samples'].gt_label.item() == ds.get_data_info(i)['gt_label']


def test_unknown_category_folder_is_an_error(kaggle, tmp_path):
    root = fresh_copy(kaggle, tmp_path)
    os.makedirs(osp.join(root, 'chest_xray', 'train', 'COVID19'))
    with pytest.raises(DatasetFormatError, match='unknown category folder.*COVID19'):
        build(root)


def test_image_outside_class_folders_is_an_error(kaggle, tmp_path):
    root = fresh_copy(kaggle, tmp_path)
    src = outer_files(root, 'test')[0]
    shutil.copy(src, osp.join(root, 'chest_xray', 'test', 'stray.jpeg'))
    with pytest.raises(DatasetFormatError, match='stray.jpeg.*no label'):
        build(root, split='test', split_mode='official')


def test_missing_root_and_missing_class_folder(kaggle, tmp_path):
    with pytest.raises(DatasetFormatError, match='not found'):
        build(str(tmp_path / 'nowhere'))
    root = fresh_copy(kaggle, tmp_path)
    shutil.rmtree(osp.join(root, 'chest_xray', 'chest_xray'))
    shutil.rmtree(osp.join(root, 'chest_xray', 'test', 'NORMAL'))
    with pytest.raises(DatasetFormatError, match='test class folder.*NORMAL'):
        build(root)


@pytest.mark.parametrize('damage', ['truncate', 'garbage'])
def test_corrupt_image_raises_naming_the_file(kaggle, tmp_path, damage):
    root = fresh_copy(kaggle, tmp_path)
    ds = build(root, split='test', split_mode='official', pipeline=[dict(type='LoadXRayImage')])
    path = ds.get_data_info(0)['img_path']
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2] if damage == 'truncate' else b'not a jpeg at all')
    with pytest.raises(DatasetFormatError, match=osp.basename(path)):
        ds[0]


def test_empty_split_is_an_error(kaggle, tmp_path):
    with pytest.raises(DatasetFormatError, match="split 'val'.*no samples"):
        build(kaggle, split='val', proportions=(1, 0, 1), split_file=str(tmp_path / 's.json'))


def test_changed_image_set_after_split_is_an_error(kaggle, tmp_path):
    root = fresh_copy(kaggle, tmp_path)
    build(root, split='train')
    os.remove(outer_files(root, 'train')[0])
    with pytest.raises(DatasetFormatError, match='image set changed.*Delete'):
        build(root, split='train')


def test_bad_arguments():
    with pytest.raises(ValueError, match='unknown split'):
        build('data/x', split='valid')
    with pytest.raises(ValueError, match='split_mode'):
        build('data/x', split_mode='kaggle')


def md5_of(path):
    import hashlib
    return hashlib.md5(open(path, 'rb').read()).hexdigest()


def test_generated_set_has_multi_image_normal_patients_and_duplicate_files(kaggle):
    from muscle_mm.datasets.splits import kermany_patient_id
    files = outer_files(kaggle)
    normal = [osp.basename(p) for p in files if '/NORMAL/' in p]
    sizes = {}
    for n in normal:
        sizes[kermany_patient_id(n)] = sizes.get(kermany_patient_id(n), 0) + 1
    assert max(sizes.values()) >= 2  # IM-NNNN-0001.jpeg + IM-NNNN-0001-0001.jpeg ...
    assert any(n.count('-') == 3 for n in normal)
    by_md5 = {}
    for p in files:
        by_md5.setdefault(md5_of(p), []).append(p)
    copies = [ps for ps in by_md5.values() if len(ps) > 1]
    assert len(copies) == 2
    # one pair across Kaggle's train/ and test/, of two different persons
    cross = [ps for ps in copies if {p.split(os.sep)[-3] for p in ps} == {'train', 'test'}]
    assert len(cross) == 1
    assert len({kermany_patient_id(osp.basename(p)) for p in cross[0]}) == 2


def test_no_patient_and_no_duplicate_file_on_two_sides(kaggle):
    parts = {s: build(kaggle, split=s) for s in ('train', 'val', 'test')}
    side = {}
    for s, ds in parts.items():
        for i in range(len(ds)):
            info = ds.get_data_info(i)
            for key in ('patient:' + info['patient_id'], 'md5:' + md5_of(info['img_path'])):
                side.setdefault(key, set()).add(s)
    assert all(len(v) == 1 for v in side.values()), {k: v for k, v in side.items() if len(v) > 1}
    # the duplicates really tie patients together: some split group holds two persons
    saved = json.load(open(parts['train'].split_file))
    assert saved['grouping_version'] == 2 and 'md5' in saved['grouped_by']
    assert saved['num_groups'] < len({k for k in side if k.startswith('patient:')})


def test_split_file_of_the_old_grouping_is_refused(kaggle, tmp_path):
    root = fresh_copy(kaggle, tmp_path)
    path = build(root, split='train').split_file
    saved = json.load(open(path))
    del saved['grouping_version']  # as written before NORMAL patients were grouped
    with open(path, 'w') as f:
        json.dump(saved, f)
    before = open(path, 'rb').read()
    with pytest.raises(DatasetFormatError, match='grouping rule version 1.*mv '):
        build(root, split='test')
    assert open(path, 'rb').read() == before


def test_split_dir(kaggle, tmp_path):
    ds = build(kaggle, split='val', split_dir=str(tmp_path / 'splits'))
    assert ds.split_file == str(tmp_path / 'splits' / 'PneumoniaCXR_seed0.json')
    assert osp.isfile(ds.split_file)
