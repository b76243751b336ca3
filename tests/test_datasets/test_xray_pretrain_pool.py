"""XRayPretrainPool: all readers (mmpretrain, mmdet, mmseg registries) pooled without labels,
one copy of each image, checked against the downstream val/test splits."""
import hashlib

import pytest

import muscle_mm.datasets  # noqa: F401  (registers the datasets)
from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.shenzhen_cxr import ShenzhenCXR
from muscle_mm.datasets.synthetic import generate_all
from muscle_mm.datasets.xray_pretrain_pool import XRayPretrainPool, build_xray_dataset
from muscle_mm.registry import DATASETS

MINE = ('NIHChestXray14', 'ShenzhenCXR', 'MontgomeryCXR', 'IndianaCXR', 'RSNABoneAge')


@pytest.fixture(scope='module')
def roots(tmp_path_factory):
    return generate_all(
        str(tmp_path_factory.mktemp('pool')),
        only=MINE + ('TBX11K', 'ChestXrayMasks', 'PneumoniaCXR'))


def md5(path):
    return hashlib.md5(open(path, 'rb').read()).hexdigest()


def test_pool_drops_copies_counts_sources_and_logs_table(roots, log_lines):
    cfgs = [dict(type=n, data_root=roots[n]) for n in MINE]
    # TBX11K lives in mmdet's registry, ChestXrayMasks in mmseg's.
    cfgs += [
        dict(type='TBX11K', data_root=roots['TBX11K'], split='train'),
        dict(type='ChestXrayMasks', data_root=roots['ChestXrayMasks'], split='train')
    ]
    pool = DATASETS.build(dict(type='XRayPretrainPool', datasets=cfgs))
    # Expected from the files: the first copy of each md5 is kept, in source order.
    seen, found, kept = set(), {}, {}
    for cfg in cfgs:
        ds = build_xray_dataset(dict(cfg, pipeline=[]))
        name = f'{cfg["type"]}[{cfg.get("split", "train")}]'
        found[name], kept[name] = len(ds), 0
        for i in range(len(ds)):
            h = md5(ds.get_data_info(i)['img_path'])
            kept[name] += h not in seen
            seen.add(h)
    # The lung-mask set holds Shenzhen / Montgomery images themselves, as in the real data.
    assert found['ChestXrayMasks[train]'] > kept['ChestXrayMasks[train]']
    assert all(found[k] == kept[k] for k in found if k != 'ChestXrayMasks[train]')
    assert pool.source_counts == kept
    assert len(pool) == sum(kept.values())
    infos = [pool.get_data_info(i) for i in range(len(pool))]
    assert {i['source'] for i in infos} == set(kept)
    assert all(set(i) == {'img_path', 'source', 'sample_idx'} for i in infos)  # no labels
    assert len({md5(i['img_path']) for i in infos}) == len(infos)
    table = next(ln for ln in log_lines if ln.startswith('XRayPretrainPool: images per source'))
    for name in found:
        row = [name, str(found[name]), str(found[name] - kept[name]), '0', str(kept[name])]
        assert any(ln.split() == row for ln in table.splitlines())
    total = next(ln.split() for ln in table.splitlines() if ln.startswith('total'))
    assert total == [
        'total',
        str(sum(found.values())),
        str(sum(found.values()) - sum(kept.values())), '0',
        str(len(pool))
    ]
    assert 'ChestXrayMasks[train]: ' in table and ' duplicate(s) dropped, e.g. ' in table
    # dedup=False is the paper's pool: every copy stays.
    paper = XRayPretrainPool(datasets=cfgs, dedup=False)
    assert paper.source_counts == found


def test_pipeline_built_datasets_names_and_scope(roots):
    sz = ShenzhenCXR(data_root=roots['ShenzhenCXR'])
    pool = XRayPretrainPool(
        datasets=[
            sz,
            dict(type='ShenzhenCXR', data_root=roots['ShenzhenCXR']),
            dict(type='TBX11K', _scope_='mmdet', data_root=roots['TBX11K'], split='val')
        ],
        pipeline=[dict(type='LoadXRayImage'), dict(type='PackInputs')])
    assert list(
        pool.source_counts) == ['ShenzhenCXR[train]#1', 'ShenzhenCXR[train]#2', 'TBX11K[val]']
    out = pool[0]
    assert tuple(out['inputs'].shape[:1]) == (3, )  # gray delivered as 3 channels
    named = XRayPretrainPool(datasets=[sz], names=['china'])
    assert named.get_data_info(0)['source'] == 'china'


def test_bad_configs(roots):
    with pytest.raises(KeyError, match='not registered'):
        XRayPretrainPool(datasets=[dict(type='NoSuchDataset', data_root='x')])
    with pytest.raises(ValueError, match='empty'):
        XRayPretrainPool(datasets=[])
    with pytest.raises(ValueError, match='2 names for 1 datasets'):
        XRayPretrainPool(
            datasets=[dict(type='ShenzhenCXR', data_root=roots['ShenzhenCXR'])], names=['a', 'b'])
    with pytest.raises(DatasetFormatError):
        XRayPretrainPool(datasets=[dict(type='ShenzhenCXR', data_root=roots['MontgomeryCXR'])])
