"""XRayPretrainPool against the downstream val/test splits: one split definition, the count
logged at start, and the leakage-free option (the shipped configs: test_leakage.py)."""
import hashlib
import os.path as osp

import pytest

import muscle_mm.datasets  # noqa: F401  (registers the datasets)
from muscle_mm.datasets.leakage import find_leakage, image_sets_from_configs
from muscle_mm.datasets.synthetic import generate_all
from muscle_mm.datasets.xray_pretrain_pool import XRayPretrainPool


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    """All nine generated layouts under <dir>/data/<Name>, the configs' default roots."""
    root = tmp_path_factory.mktemp('pooldown')
    return root, generate_all(str(root / 'data'))


def md5(path):
    return hashlib.md5(open(path, 'rb').read()).hexdigest()


def lung(roots, split, **kw):
    return dict(type='ChestXrayMasks', data_root=roots['ChestXrayMasks'], split=split, **kw)


def test_downstream_images_are_counted_and_optionally_excluded(data, log_lines):
    _, roots = data
    sources = [
        dict(type='ShenzhenCXR', data_root=roots['ShenzhenCXR']),
        dict(type='MontgomeryCXR', data_root=roots['MontgomeryCXR']),
        lung(roots, 'train')
    ]
    down = [lung(roots, 'val'), lung(roots, 'test')]
    evals = image_sets_from_configs({f'ChestXrayMasks[{c["split"]}]': c for c in down})
    pool = XRayPretrainPool(datasets=sources, downstream=down)
    pool_md5 = {md5(pool.get_data_info(i)['img_path']) for i in range(len(pool))}
    # Independent count: the val/test images whose bytes are in the pool (the generated NLM
    # copies are exact, as in the real lung-mask set).
    held = {k: sum(md5(p) in pool_md5 for p in v) for k, v in evals.items()}
    assert sum(held.values()) > 0
    assert pool.downstream_found == held
    line = next(ln for ln in log_lines if 'downstream val/test images' in ln)
    assert (f'the pool holds {sum(held.values())} of {sum(map(len, evals.values()))} '
            'downstream val/test images') in line
    assert 'kept, as in the paper' in line and 'ShenzhenCXR[train]' in line

    free = XRayPretrainPool(datasets=sources, downstream=down, exclude_downstream=True)
    assert len(free) == len(pool) - sum(held.values())
    assert sum(d['downstream'] for d in free.dropped.values()) == sum(held.values())
    free_paths = {}
    for i in range(len(free)):
        info = free.get_data_info(i)
        free_paths.setdefault(info['source'], []).append(info['img_path'])
    assert not {md5(p) for v in free_paths.values() for p in v} & \
        {md5(p) for v in evals.values() for p in v}
    assert not find_leakage(free_paths, evals).has_leakage  # the leakage tool agrees
    assert any('dropped from the pool (exclude_downstream=True)' in ln for ln in log_lines)


@pytest.mark.parametrize(
    'change', [dict(seed=1), dict(split_mode='official'),
               dict(proportions=(1, 1, 1))])
def test_split_definition_mismatch_is_an_error(data, tmp_path, change):
    _, roots = data
    cfg = dict(type='PneumoniaCXR', data_root=roots['PneumoniaCXR'])
    key = next(iter(change))
    if key == 'proportions':  # another split file, too, so the file check cannot catch it
        change = dict(change, split_file=str(tmp_path / 'p.json'))
    with pytest.raises(
            ValueError,
            match=f'PneumoniaCXR\\[train\\] and downstream '
            f'PneumoniaCXR\\[test\\].*different split definitions.*{key}.*'
            'xray_splits.py'):
        XRayPretrainPool(
            datasets=[dict(cfg, split='train')], downstream=[dict(cfg, split='test', **change)])
    # the same definition spelled out (split_dir = the default folder) is accepted
    ok = XRayPretrainPool(
        datasets=[dict(cfg, split='train')],
        downstream=[
            dict(
                cfg,
                split='test',
                seed=0,
                split_dir=osp.join(roots['PneumoniaCXR'], 'muscle_mm_splits'))
        ])
    assert ok.downstream_found == {'PneumoniaCXR[test]': 0}


def test_exclude_needs_downstream():
    with pytest.raises(ValueError, match='exclude_downstream=True needs'):
        XRayPretrainPool(datasets=[dict(type='ShenzhenCXR')], exclude_downstream=True)
