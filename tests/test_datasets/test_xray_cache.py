"""The pre-resized cache (tools/dataset_converters/build_cache.py + LoadResizedXRay): pixels
exactly as the uncached pipeline, and a cache from other settings or changed files refused."""
import os
import os.path as osp
import shutil
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

from muscle_mm.datasets import LoadResizedXRay
from muscle_mm.datasets.synthetic import generate_all
from muscle_mm.datasets.xray_cache import CacheMismatchError, StaleCacheError, XRayCache
from _helpers import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
import build_cache  # noqa: E402

CONFIG = """
_base_ = ['{repo}/configs/muscle/mdmoco_r18_deviceviews.py']
train_dataloader = dict(dataset=dict(_delete_=True, type='XRayPretrainPool', datasets=[
    dict(type='ShenzhenCXR', data_root='{root}/data/ShenzhenCXR', split='train'),
    dict(type='RSNABoneAge', data_root='{root}/data/RSNABoneAge', split='train')],
    pipeline={{{{_base_.train_pipeline}}}}))
"""
SMALL = ['--cfg-options', 'train_dataloader.dataset.pipeline.0.resize.scale=(40,64)']


def make_pool(root):
    generate_all(str(root / 'data'), num=8, only=['ShenzhenCXR', 'RSNABoneAge'])
    cfg = root / 'pool.py'
    cfg.write_text(CONFIG.format(repo=REPO, root=root))
    return str(cfg)


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    """A pool of two sources and its cache, built with 2 decoding processes and 5-image shards."""
    root = tmp_path_factory.mktemp('xray_cache')
    cfg = make_pool(root)
    out = str(root / 'cache')
    manifest = build_cache.main([cfg, '--out', out, '--workers', '2', '--shard-size', '5'] + SMALL)
    return cfg, out, manifest


def train_pipeline(cfg_path, cache=None):
    cfg = Config.fromfile(cfg_path)
    cfg.merge_from_dict({
        'train_dataloader.dataset.pipeline.0.resize.scale': (40, 64),
        'train_dataloader.dataset.pipeline.0.cache': cache
    })
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return Compose(cfg.train_dataloader.dataset.pipeline)


def test_cache_round_trips_the_uncached_pipeline_exactly(built):
    cfg, out, manifest = built
    paths = build_cache.pool_paths(Config.fromfile(cfg))
    assert len(paths) == len(manifest['entries']) >= 12 and len(manifest['shards']) >= 3
    assert manifest['shape'] == [64, 40]
    assert set(manifest['settings']) == {'load', 'resize', 'opencv', 'cache_version'}
    assert 'scale=(40, 64)' in manifest['settings']['resize']
    decoded, cached = train_pipeline(cfg), train_pipeline(cfg, cache=out)
    shapes = set()
    for p in paths:
        a, b = decoded(dict(img_path=p)), cached(dict(img_path=p))
        assert a['inputs'].dtype == torch.uint8 and a['inputs'].shape == (1, 64, 40)
        assert torch.equal(a['inputs'], b['inputs']), p
        for key in ('ori_shape', 'img_shape', 'scale_factor'):
            assert tuple(a['data_samples'].metainfo[key]) == tuple(
                b['data_samples'].metainfo[key]), (p, key)
        shapes.add(tuple(a['data_samples'].metainfo['ori_shape']))
    assert len(shapes) >= 2  # the sources have different original sizes
    assert build_cache.main([cfg, '--out', out, '--check'] + SMALL) is None


def test_cache_from_other_settings_is_refused(built):
    cfg, out, _ = built
    resize = dict(
        Config.fromfile(cfg).train_dataloader.dataset.pipeline[0].resize,
        scale=(40, 64))  # what the cache was built with (SMALL)
    assert LoadResizedXRay(resize=resize, cache=out).cache is not None
    with pytest.raises(
            CacheMismatchError,
            match=r'cache .*cache was built with other settings'
            r'.*resize: cache has .*scale=\(40, 64\).*scale=\(32, 48\)'):
        LoadResizedXRay(resize=dict(resize, scale=(32, 48)), cache=out)
    with pytest.raises(CacheMismatchError, match="load: .*high_bit_range='minmax'"):
        LoadResizedXRay(resize=resize, load=dict(high_bit_range='minmax'), cache=out)
    with pytest.raises(CacheMismatchError, match='interpolation=nearest'):
        LoadResizedXRay(resize=dict(resize, interpolation='nearest'), cache=out)
    with pytest.raises(SystemExit, match='1'):  # --check with the default 800x500 settings
        build_cache.main([cfg, '--out', out, '--check'])


def test_changed_or_unknown_source_file_is_refused(tmp_path, capsys):
    cfg = make_pool(tmp_path)
    out = str(tmp_path / 'cache')
    manifest = build_cache.main([cfg, '--out', out, '--workers', '0'] + SMALL)
    paths = [e[0] for e in manifest['entries']]  # absolute source paths
    load = train_pipeline(cfg, cache=out)
    changed, touched = paths[0], paths[1]
    img = cv2.imread(changed, cv2.IMREAD_UNCHANGED)
    cv2.imwrite(changed, np.ascontiguousarray(255 - img[:, :-3]))  # new pixels and size
    st = os.stat(touched)
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # same bytes, newer mtime
    for p in (changed, touched):
        with pytest.raises(StaleCacheError, match=f'{out} is stale for {p}: the file changed'):
            load(dict(img_path=p))
    assert load(dict(img_path=paths[2]))['inputs'].shape == (1, 64, 40)  # others still read
    with pytest.raises(SystemExit):
        build_cache.main([cfg, '--out', out, '--check'] + SMALL)
    report = capsys.readouterr().out
    assert changed in report and touched in report and '2 problem(s)' in report
    stranger = str(tmp_path / 'other.png')
    shutil.copy(paths[2], stranger)
    with pytest.raises(StaleCacheError, match=f'{out} does not hold {stranger}'):
        load(dict(img_path=stranger))


def test_incomplete_or_foreign_cache_is_refused(built, tmp_path):
    _, out, _ = built
    partial = tmp_path / 'partial'
    shutil.copytree(out, partial)
    os.remove(partial / 'manifest.json')
    with pytest.raises(CacheMismatchError, match=f'{partial}: no manifest.json: an incomplete'):
        XRayCache(str(partial))
    with pytest.raises(CacheMismatchError, match='not a cache'):
        XRayCache(str(tmp_path))
    with pytest.raises(FileExistsError, match='already holds a cache'):
        build_cache.main([built[0], '--out', out, '--workers', '0'] + SMALL)
