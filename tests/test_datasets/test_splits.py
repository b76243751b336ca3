"""Seeded, patient-disjoint, file-backed re-splits (muscle_mm.datasets.splits)."""
import json
import random

import pytest

from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.splits import (PAPER_SPLITS, group_split, join_groups, kermany_patient_id,
                                       load_or_create_split, mura_patient_id, nlm_patient_ids,
                                       nlm_same_patient, split_counts, straddling_groups)


@pytest.mark.parametrize('name,total', [('PneumoniaCXR', 5856), ('MURA', 40005),
                                        ('ChestXrayMasks', 896), ('TBX11K', 800)])
def test_paper_totals_give_paper_counts(name, total):
    assert split_counts(total, PAPER_SPLITS[name]) == list(PAPER_SPLITS[name])


@pytest.mark.parametrize('num', [0, 1, 7, 10, 704])
def test_counts_sum_to_num(num):
    counts = split_counts(num, PAPER_SPLITS['ChestXrayMasks'])
    assert sum(counts) == num and all(c >= 0 for c in counts)


def kermany_like(n_normal=1583, n_persons=1400, seed=1):
    """Items/groups shaped like Kermany: singletons plus persons with 1-5 images."""
    rng = random.Random(seed)
    items, groups = [], []
    for i in range(n_normal):
        items.append(f'NORMAL/IM-{i:04d}-0001.jpeg')
        groups.append(kermany_patient_id(items[-1]))
    k = 0
    for p in range(1, n_persons + 1):
        for _ in range(rng.randint(1, 4)):
            k += 1
            items.append(f'PNEUMONIA/person{p}_bacteria_{k}.jpeg')
            groups.append(kermany_patient_id(items[-1]))
    return items, groups


def test_group_split_is_patient_disjoint_and_on_proportions():
    items, groups = kermany_like()
    splits = group_split(items, groups, PAPER_SPLITS['PneumoniaCXR'], seed=0)
    assert sorted(sum(splits.values(), [])) == sorted(items)
    group_of = dict(zip(items, groups))
    split_of_group = {}
    for name, members in splits.items():
        for it in members:
            assert split_of_group.setdefault(group_of[it], name) == name
    targets = split_counts(len(items), PAPER_SPLITS['PneumoniaCXR'])
    for name, target in zip(('train', 'val', 'test'), targets):
        assert abs(len(splits[name]) - target) <= 4  # at most one patient's images off


def test_group_split_deterministic_and_order_independent():
    items, groups = kermany_like(50, 40)
    a = group_split(items, groups, (8, 1, 1), seed=3)
    pairs = list(zip(items, groups))
    random.Random(0).shuffle(pairs)
    b = group_split([p[0] for p in pairs], [p[1] for p in pairs], (8, 1, 1), seed=3)
    assert a == b
    assert group_split(items, groups, (8, 1, 1), seed=4) != a


def test_image_level_split_exact_counts():
    items = [f'img{i:03d}.png' for i in range(100)]
    splits = group_split(items, None, (718, 89, 89), seed=0)
    assert [len(splits[n]) for n in ('train', 'val', 'test')] == split_counts(100, (718, 89, 89))


def test_split_file_written_once_and_reused(tmp_path):
    items, groups = kermany_like(30, 20)
    path = str(tmp_path / 'splits' / 'PneumoniaCXR_seed0.json')
    first = load_or_create_split(path, 'PneumoniaCXR', items, groups, (8, 1, 1), 0, 'patient')
    raw = open(path, 'rb').read()
    saved = json.loads(raw)
    assert saved['dataset'] == 'PneumoniaCXR' and saved['seed'] == 0
    assert saved['proportions'] == {'train': 8.0, 'val': 1.0, 'test': 1.0}
    assert saved['counts'] == {k: len(v) for k, v in first.items()}
    assert saved['num_items'] == len(items) and saved['grouped_by'] == 'patient'
    # Later runs read the file (a different item order, same set) and leave it untouched.
    again = load_or_create_split(path, 'PneumoniaCXR', items[::-1], groups[::-1], (8, 1, 1), 0)
    assert again == first and open(path, 'rb').read() == raw


@pytest.mark.parametrize('change,message', [
    ('remove', 'no longer exist'),
    ('add', 'not in the file'),
    ('seed', 'seed'),
    ('dataset', 'dataset'),
    ('proportions', 'proportions'),
    ('garbage', 'not a valid'),
])
def test_stale_split_file_is_an_error_never_a_silent_resplit(tmp_path, change, message):
    items = [f'a/{i}.png' for i in range(20)]
    path = str(tmp_path / 'split.json')
    load_or_create_split(path, 'MURA', items, None, (8, 1, 1), 0)
    before = open(path, 'rb').read()
    kwargs = dict(
        split_file=path, dataset='MURA', items=items, groups=None, proportions=(8, 1, 1), seed=0)
    if change == 'remove':
        kwargs['items'] = items[1:]
    elif change == 'add':
        kwargs['items'] = items + ['a/new.png']
    elif change == 'seed':
        kwargs['seed'] = 1
    elif change == 'dataset':
        kwargs['dataset'] = 'PneumoniaCXR'
    elif change == 'proportions':
        kwargs['proportions'] = (1, 1, 1)
    else:
        with open(path, 'w') as f:
            f.write('{"splits": ')
        before = open(path, 'rb').read()
    with pytest.raises(DatasetFormatError, match=message) as err:
        load_or_create_split(**kwargs)
    assert path in str(err.value) and 'Delete' in str(err.value)
    assert open(path, 'rb').read() == before


def test_unwritable_split_location_is_a_clear_error(tmp_path):
    blocker = tmp_path / 'not_a_dir'
    blocker.write_text('x')  # a file where the split folder should go: cannot be created
    path = str(blocker / 'split.json')
    with pytest.raises(DatasetFormatError, match='split_file='):
        load_or_create_split(path, 'MURA', ['a.png', 'b.png'], None, (8, 1, 1), 0)


def test_patient_ids():
    assert kermany_patient_id('person1_bacteria_1.jpeg') == 'person1'
    assert kermany_patient_id('train/PNEUMONIA/person1_virus_6.jpeg') == 'person1'
    assert kermany_patient_id('BACTERIA-1135262-0001.jpeg') == 'id1135262'
    # One child's three radiographs (real Kermany names) are one patient ...
    same = {
        kermany_patient_id(n)
        for n in ('IM-0011-0001.jpeg', 'IM-0011-0001-0001.jpeg',
                  'train/NORMAL/IM-0011-0001-0002.jpeg')
    }
    assert same == {'IM-0011'}
    assert kermany_patient_id('NORMAL2-IM-1427-0001.jpeg') == kermany_patient_id(
        'NORMAL2-IM-1427-0001-0002.jpeg') == 'NORMAL2-IM-1427'
    # ... the NORMAL2- series is numbered apart, and other numbers are other patients.
    assert kermany_patient_id('NORMAL2-IM-0011-0001.jpeg') != kermany_patient_id(
        'IM-0011-0001.jpeg')
    assert kermany_patient_id('NORMAL2-IM-1427-0001.jpeg') != kermany_patient_id(
        'NORMAL2-IM-1428-0001.jpeg')
    assert kermany_patient_id('IM-0115-0001.jpeg') != kermany_patient_id('IM-0116-0001.jpeg')
    assert kermany_patient_id('NORMAL-28509-0001.jpeg') == 'id28509'  # Mendeley names
    assert kermany_patient_id('scan.jpeg') == 'image:scan.jpeg'
    assert mura_patient_id(
        'MURA-v1.1/valid/XR_WRIST/patient11185/study1_positive/image1.png') == 'patient11185'
    assert mura_patient_id('train/XR_HAND/image1.png') is None


def test_join_groups_merges_shared_keys_and_keeps_other_names():
    groups = ['p1', 'p1', 'p2', 'p3', 'p4', 'p5']
    md5 = ['a', None, 'b', 'a', 'c', 'b']  # p1~p3 (a), p2~p5 (b); p4 alone
    assert join_groups(groups, md5) == ['p1', 'p1', 'p2', 'p1', 'p4', 'p2']
    # chains across two keys close transitively
    assert join_groups(['x', 'y', 'z'], ['k', 'k', None], [None, 'm', 'm']) == ['x'] * 3
    with pytest.raises(ValueError, match='3 groups but 2 keys'):
        join_groups(['x', 'y', 'z'], ['k', 'k'])


def test_montgomery_same_patient_readings():
    assert nlm_same_patient("Patient's Sex: M\nPatient's Age: 061Y\n"
                            'NO REPORT (same pt as MCUCXR_0162_1)\n') == 'MCUCXR_0162_1'
    assert nlm_same_patient('Same patient as mcucxr_0003_0') == 'MCUCXR_0003_0'
    assert nlm_same_patient('normal') is None
    stems = ['MCUCXR_0001_0', 'MCUCXR_0005_1', 'MCUCXR_0009_1', 'MCUCXR_0162_1']
    # 0009 -> 0005 -> 0162: one patient, named after its smallest stem; 0001 alone.
    ids = nlm_patient_ids(stems, {
        'MCUCXR_0009_1': 'MCUCXR_0005_1',
        'MCUCXR_0005_1': 'MCUCXR_0162_1'
    })
    assert ids == ['MCUCXR_0001_0'] + ['MCUCXR_0005_1'] * 3


def old_rule_file(path, items, groups):
    """A split file as the grouping-rule-1 code wrote it (no grouping_version)."""
    load_or_create_split(path, 'PneumoniaCXR', items, groups, (8, 1, 1), 0, 'patient')
    saved = json.load(open(path))
    del saved['grouping_version']
    with open(path, 'w') as f:
        json.dump(saved, f)
    return open(path, 'rb').read()


def test_split_file_from_an_older_grouping_rule_is_refused_never_touched(tmp_path):
    # Rule 1: every NORMAL image its own group; the current rule joins IM-0001's images.
    items = [
        f'NORMAL/IM-{i // 3:04d}-0001{"-%04d" % (i % 3) if i % 3 else ""}.jpeg' for i in range(60)
    ]
    path = str(tmp_path / 'PneumoniaCXR_seed0.json')
    raw = old_rule_file(path, items, [f'image:{it}' for it in items])
    new_groups = [kermany_patient_id(it) for it in items]
    cut = straddling_groups(json.load(open(path))['splits'], items, new_groups)
    assert cut  # the old split does put one child on two sides
    called = []

    def groups():
        called.append(1)
        return new_groups

    with pytest.raises(DatasetFormatError) as err:
        load_or_create_split(
            path,
            'PneumoniaCXR',
            items,
            groups, (8, 1, 1),
            0,
            'patient (IM-NNNN)',
            grouping_version=2)
    msg = str(err.value)
    assert 'grouping rule version 1' in msg and 'current rule is version 2' in msg
    assert f'{len(cut)} group(s) lie on two sides' in msg and next(iter(cut)) in msg
    assert f'mv {path} ' in msg and 'nothing is deleted' in msg
    assert open(path, 'rb').read() == raw and called
    # Moved aside as the message says, the split is redrawn under the current rule.
    import os
    os.rename(path, path + '.old')
    splits = load_or_create_split(
        path, 'PneumoniaCXR', items, groups, (8, 1, 1), 0, 'patient (IM-NNNN)', grouping_version=2)
    assert straddling_groups(splits, items, new_groups) == {}
    assert json.load(open(path))['grouping_version'] == 2
    # A file of the current rule is read without calling the (costly) grouping again.
    called.clear()
    assert load_or_create_split(
        path, 'PneumoniaCXR', items, groups, (8, 1, 1), 0, grouping_version=2) == splits
    assert not called


def test_item_listed_in_two_splits_is_named(tmp_path):
    items = [f'a/{i}.png' for i in range(20)]
    path = str(tmp_path / 'split.json')
    load_or_create_split(path, 'MURA', items, None, (8, 1, 1), 0)
    saved = json.load(open(path))
    saved['splits']['test'].append(saved['splits']['train'][0])
    with open(path, 'w') as f:
        json.dump(saved, f)
    with pytest.raises(
            DatasetFormatError, match=f"1 item.* '{saved['splits']['train'][0]}' in train\\+test"):
        load_or_create_split(path, 'MURA', items, None, (8, 1, 1), 0)
