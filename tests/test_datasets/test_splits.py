"""Seeded, patient-disjoint, file-backed re-splits (muscle_mm.datasets.splits)."""
import json
import random

import pytest

from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.splits import (PAPER_SPLITS, group_split, kermany_patient_id,
                                       load_or_create_split, mura_patient_id, split_counts)


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
    kwargs = dict(split_file=path, dataset='MURA', items=items, groups=None,
                  proportions=(8, 1, 1), seed=0)
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
    assert kermany_patient_id('IM-0115-0001.jpeg') == 'image:IM-0115-0001.jpeg'
    assert kermany_patient_id('NORMAL2-IM-1427-0001.jpeg') != kermany_patient_id(
        'NORMAL2-IM-1428-0001.jpeg')
    assert mura_patient_id(
        'MURA-v1.1/valid/XR_WRIST/patient11185/study1_positive/image1.png') == 'patient11185'
    assert mura_patient_id('train/XR_HAND/image1.png') is None
