"""Every reader works with the configs' default relative roots (data/<Name>), as users run them."""
import os.path as osp

import pytest

from muscle_mm.datasets.synthetic import GENERATORS, generate_all
from muscle_mm.datasets.xray_pretrain_pool import build_xray_dataset


@pytest.fixture(scope='module')
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp('relroots')
    generate_all(str(root / 'data'))
    return root


@pytest.mark.parametrize('name', list(GENERATORS))
def test_relative_data_root(generated, monkeypatch, name):
    monkeypatch.chdir(generated)
    ds = build_xray_dataset(dict(type=name, data_root=f'data/{name}', split='train', pipeline=[]))
    assert len(ds) > 0
    for i in (0, len(ds) - 1):
        assert osp.isfile(ds.get_data_info(i)['img_path'])
