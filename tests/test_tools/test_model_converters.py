"""tools/model_converters: extract_backbone.py and mm2torchvision.py on a tiny MD-MoCo ckpt."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from mmengine.logging import MessageHub

from muscle_mm.cli import extract_backbone
from muscle_mm.registry import MODELS
from muscle_mm.utils import UnsafeCheckpointError
from muscle_mm.utils.checkpoint_convert import mm_resnet_to_torchvision

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tools' / 'model_converters'))
import mm2torchvision  # noqa: E402  (a tool of its own)


@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
    """A checkpoint shaped like the Runner's: state_dict, meta with numpy, message hub."""
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='MDMoCo',
            queue_len=8,
            feat_dim=4,
            backbone=dict(type='ResNet', depth=18),
            neck=dict(type='MoCoV2Neck', in_channels=512, hid_channels=8, out_channels=4),
            head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'))))
    model.init_weights()
    hub = MessageHub.get_instance('test_model_converters')
    hub.update_scalar('train/loss', 1.5)
    path = tmp_path_factory.mktemp('ckpt') / 'epoch_1.pth'
    torch.save(
        {
            'meta': {
                'epoch': 1,
                'seed': np.int64(3)
            },
            'state_dict': model.state_dict(),
            'message_hub': hub.state_dict()
        }, path)
    return str(path), model.state_dict()


def _backbone(sd):
    return {k[len('backbone.'):]: v for k, v in sd.items() if k.startswith('backbone.')}


def _load_into_resnet(path, prefix):
    init = dict(type='Pretrained', checkpoint=path)
    if prefix:
        init['prefix'] = prefix
    resnet = MODELS.build(dict(type='ResNet', depth=18, init_cfg=init))
    resnet.init_weights()
    return resnet.state_dict()


@pytest.mark.parametrize('strip', [False, True])
def test_extract_backbone(ckpt, tmp_path, strip):
    src, full = ckpt
    dst = str(tmp_path / 'backbone.pth')
    extract_backbone.main([src, dst] + (['--strip-prefix'] if strip else []))
    out = torch.load(dst, map_location='cpu')  # plain tensors: weights_only loads it
    assert set(out) == {'state_dict', 'meta'} and out['meta']['source'] == 'epoch_1.pth'
    expected = _backbone(full) if strip else {
        k: v
        for k, v in full.items() if k.startswith('backbone.')
    }
    assert out['state_dict'].keys() == expected.keys()  # no encoder_k / neck / queue
    assert all(torch.equal(out['state_dict'][k], v) for k, v in expected.items())
    # documented loading: prefix='backbone.' with the default, no prefix with --strip-prefix
    loaded = _load_into_resnet(dst, prefix=None if strip else 'backbone.')
    assert all(torch.equal(loaded[k], v) for k, v in _backbone(full).items())


@pytest.mark.parametrize('from_extracted', [False, True])
def test_mm2torchvision(ckpt, tmp_path, from_extracted):
    src, full = ckpt
    if from_extracted:
        extract_backbone.main([src, str(tmp_path / 'bb.pth'), '--strip-prefix'])
        src = str(tmp_path / 'bb.pth')
    dst = str(tmp_path / 'tv.pth')
    mm2torchvision.main([src, dst])
    sd = torch.load(dst, map_location='cpu')
    tv = torchvision.models.resnet18()
    missing, unexpected = tv.load_state_dict(sd, strict=False)
    assert set(missing) == {'fc.weight', 'fc.bias'} and not unexpected
    assert all(torch.equal(sd[k], v) for k, v in _backbone(full).items())


def test_cli_as_script(ckpt, tmp_path):
    src, _ = ckpt
    dst = tmp_path / 'tv.pth'
    run = subprocess.run([
        sys.executable,
        str(REPO / 'tools/model_converters/mm2torchvision.py'), src,
        str(dst), '--arch', 'resnet18'
    ],
                         capture_output=True,
                         text=True,
                         cwd=tmp_path,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert 'resnet18' in run.stdout and dst.is_file()


def test_errors(ckpt, tmp_path):
    src, _ = ckpt
    with pytest.raises(ValueError, match='resnet50'):
        mm2torchvision.main([src, str(tmp_path / 'x.pth'), '--arch', 'resnet50'])
    v1c = MODELS.build(dict(type='ResNetV1c', depth=18)).state_dict()
    with pytest.raises(ValueError, match='deep stem'):
        mm_resnet_to_torchvision({'backbone.' + k: v for k, v in v1c.items()})
    no_backbone = str(tmp_path / 'head_only.pth')
    torch.save({'state_dict': {'head.fc.weight': torch.zeros(2, 2)}}, no_backbone)
    with pytest.raises(ValueError, match='no "backbone.\\*" keys'):
        extract_backbone.main([no_backbone, str(tmp_path / 'y.pth')])


class _Exploit:

    def __reduce__(self):
        return (print, ('pickled code ran', ))


def test_untrusted_pickle_refused(tmp_path):
    evil = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {'backbone.w': torch.ones(1)}, 'meta': _Exploit()}, evil)
    with pytest.raises(UnsafeCheckpointError, match='--trusted'):
        extract_backbone.main([evil, str(tmp_path / 'z.pth')])
