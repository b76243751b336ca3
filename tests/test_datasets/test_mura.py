"""MURA read from a generated MURA-v1.1 tree: counts, labels, body parts, splits, bad input."""
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
from muscle_mm.datasets.mura import MURA_BODY_PARTS
from muscle_mm.datasets.synthetic import mura as synth

NUM = 40


@pytest.fixture(scope='module')
def mura(tmp_path_factory):
    return synth.generate(str(tmp_path_factory.mktemp('mura')), num=NUM, seed=0)


def build(root, **kwargs):
    return DATASETS.build(dict(type='MURA', data_root=root, **kwargs))


def infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def csv_lines(root, name):
    with open(osp.join(root, 'MURA-v1.1', name)) as f:
        return f.read().splitlines()


def fresh_copy(src, tmp_path):
    dst = str(tmp_path / 'copy')
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns('muscle_mm_splits'))
    return dst


def rewrite(root, name, lines):
    with open(osp.join(root, 'MURA-v1.1', name), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def test_generated_csvs_are_headerless_with_prefix(mura):
    lines = csv_lines(mura, 'train_image_paths.csv')
    assert all(line.startswith('MURA-v1.1/train/XR_') for line in lines)
    studies = csv_lines(mura, 'valid_labeled_studies.csv')
    assert all(
        line.startswith('MURA-v1.1/valid/') and line[-3:] in ('/,0', '/,1') for line in studies)
    total = len(lines) + len(csv_lines(mura, 'valid_image_paths.csv'))
    assert total == NUM


def test_official_split_reads_train_and_valid(mura):
    train, val = build(mura, split_mode='official'), build(mura, split='val', split_mode='official')
    assert len(train) == len(csv_lines(mura, 'train_image_paths.csv'))
    assert len(val) == len(csv_lines(mura, 'valid_image_paths.csv'))
    for ds, part in ((train, 'train'), (val, 'valid')):
        for info in infos(ds):
            assert info['official_split'] == part
            study_dir = info['study'].split('/')[-1]
            assert info['gt_label'] == int(study_dir.endswith('_positive'))
            assert info['body_part'] in MURA_BODY_PARTS and info['body_part'] in info['img_path']
            assert info['patient_id'] in info['img_path'] and osp.isfile(info['img_path'])
        assert set(ds.get_gt_labels()) == {0, 1}
    assert train.metainfo['classes'] == ('normal', 'abnormal')
    assert train.metainfo['body_parts'] == MURA_BODY_PARTS
    assert {i['body_part'] for i in infos(train) + infos(val)} == set(MURA_BODY_PARTS)


def test_official_test_split_is_a_clear_error(mura):
    with pytest.raises(DatasetFormatError, match='test set is hidden'):
        build(mura, split='test', split_mode='official')


def test_muscle_split_pools_and_is_patient_disjoint(mura):
    parts = {s: infos(build(mura, split=s)) for s in ('train', 'val', 'test')}
    paths = [i['img_path'] for v in parts.values() for i in v]
    assert len(paths) == len(set(paths)) == NUM
    assert all(parts.values()) and len(parts['train']) > len(parts['test'])
    pats = {s: {i['patient_id'] for i in v} for s, v in parts.items()}
    assert not (pats['train'] & pats['val'] or pats['train'] & pats['test']
                or pats['val'] & pats['test'])
    # valid/ and train/ images are mixed by the re-split.
    assert {i['official_split'] for v in parts.values() for i in v} == {'train', 'valid'}


def test_split_file_stable_and_reused(mura):
    build(mura, split='val')
    path = osp.join(mura, 'muscle_mm_splits', 'MURA_seed0.json')
    raw = open(path, 'rb').read()
    saved = json.loads(raw)
    assert saved['dataset'] == 'MURA' and saved['num_items'] == NUM
    assert saved['grouped_by'].startswith('patient')
    assert all(p.startswith(('train/XR_', 'valid/XR_')) for p in saved['splits']['test'])
    val = build(mura, split='val')
    assert open(path, 'rb').read() == raw
    assert len(val) == saved['counts']['val']


def test_data_root_may_be_the_mura_folder(mura, tmp_path):
    ds = build(
        osp.join(mura, 'MURA-v1.1'), split_mode='official', split_file=str(tmp_path / 's.json'))
    assert len(ds) == len(csv_lines(mura, 'train_image_paths.csv'))
    build(osp.join(mura, 'MURA-v1.1'), split_file=str(tmp_path / 's.json'))
    assert osp.isfile(tmp_path / 's.json')


def test_pipeline_reads_gray_and_rgb_pngs(mura):
    ds = build(
        mura, split_mode='official', pipeline=[dict(type='LoadXRayImage'),
                                               dict(type='PackInputs')])
    ndims = [cv2.imread(i['img_path'], cv2.IMREAD_UNCHANGED).ndim for i in infos(ds)]
    for i in (ndims.index(3), ndims.index(2)):
        img = ds[i]['inputs'].numpy()
        assert img.shape[0] == 3 and np.array_equal(img[0], img[1])


def test_csv_listing_a_missing_image_names_csv_and_path(mura, tmp_path):
    root = fresh_copy(mura, tmp_path)
    victim = csv_lines(root, 'valid_image_paths.csv')[0]
    os.remove(osp.join(root, victim))
    with pytest.raises(DatasetFormatError) as err:
        build(root, split='val', split_mode='official')
    assert 'valid_image_paths.csv' in str(err.value) and victim.split('MURA-v1.1/')[1] in str(
        err.value)


@pytest.mark.parametrize('csv_name,edit,message', [
    ('train_image_paths.csv', lambda ls: ['path'] + ls, 'line 1.*no header'),
    ('train_image_paths.csv', lambda ls: [ls[0] + ',1'] + ls[1:], 'line 1: expected one column'),
    ('train_labeled_studies.csv', lambda ls: ['path,label'] + ls, 'line 1: expected 2 columns'),
    ('train_labeled_studies.csv', lambda ls: [ls[0] + ',x'] + ls[1:], 'expected 2 columns'),
    ('train_labeled_studies.csv', lambda ls: ls[1:], 'has no label'),
    ('train_labeled_studies.csv', lambda ls: [ls[0][:-1] + str(1 - int(ls[0][-1]))] + ls[1:],
     'contradicts'),
    ('train_image_paths.csv', lambda ls: ls + [ls[0]], 'listed twice'),
])
def test_bad_csvs_are_errors_naming_file_and_line(mura, tmp_path, csv_name, edit, message):
    root = fresh_copy(mura, tmp_path)
    rewrite(root, csv_name, edit(csv_lines(root, csv_name)))
    with pytest.raises(DatasetFormatError, match=message) as err:
        build(root, split_mode='official')
    assert csv_name in str(err.value)


def test_unknown_body_part_is_an_error(mura, tmp_path):
    root = fresh_copy(mura, tmp_path)
    lines = csv_lines(root, 'train_image_paths.csv')
    part = lines[0].split('/')[2]
    lines[0] = lines[0].replace(part, 'XR_KNEE')
    rewrite(root, 'train_image_paths.csv', lines)
    with pytest.raises(DatasetFormatError, match="unknown body part 'XR_KNEE'"):
        build(root, split_mode='official')


def test_empty_csv_and_empty_split_are_errors(mura, tmp_path):
    root = fresh_copy(mura, tmp_path)
    with pytest.raises(DatasetFormatError, match="split 'test'.*no samples"):
        build(root, split='test', proportions=(1, 1, 0))
    rewrite(root, 'valid_image_paths.csv', [])
    with pytest.raises(DatasetFormatError, match='valid_image_paths.csv'):
        build(root, split='val', split_mode='official')


def test_removed_image_after_split_is_an_error(mura, tmp_path):
    root = fresh_copy(mura, tmp_path)
    build(root)
    rewrite(root, 'train_image_paths.csv', csv_lines(root, 'train_image_paths.csv')[1:])
    with pytest.raises(DatasetFormatError, match='no longer exist'):
        build(root)


def test_duplicate_files_of_two_patients_share_a_split(mura, tmp_path):
    import hashlib
    md5 = {}
    for s in ('train', 'val', 'test'):
        for i in infos(build(mura, split=s, serialize_data=False)):
            h = hashlib.md5(open(i['img_path'], 'rb').read()).hexdigest()
            md5.setdefault(h, []).append((s, i['patient_id'], i['official_split']))
    copies = [v for v in md5.values() if len(v) > 1]
    assert len(copies) == 1  # the generator's one duplicate, across train/ and valid/
    (a, b), = copies
    assert a[1] != b[1] and {a[2], b[2]} == {'train', 'valid'}
    assert a[0] == b[0]
    # ... under every seed, where patient groups alone would put the two apart for some seeds
    from muscle_mm.datasets.splits import group_split, mura_patient_id
    apart = 0
    for seed in range(1, 8):
        path = str(tmp_path / f'm{seed}.json')
        build(mura, split='val', seed=seed, split_file=path, serialize_data=False)
        saved = json.load(open(path))
        side = {p: n for n, items in saved['splits'].items() for p in items}
        pair = [k for k in side if any(f'/{pid}/' in k for pid in (a[1], b[1]))]
        assert len({side[k] for k in pair}) == 1
        items = sorted(side)
        old = group_split(items, [mura_patient_id(k) for k in items],
                          list(saved['proportions'].values()), seed)
        old_side = {p: n for n, v in old.items() for p in v}
        apart += len({old_side[k] for k in pair}) > 1
    assert apart
