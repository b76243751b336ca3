"""Backbone weights out of MD-MoCo checkpoints, for OpenMMLab configs and for torchvision.

Shared by ``tools/model_converters/{extract_backbone,mm2torchvision}.py`` and the tests.

Key layout of an MD-MoCo (mmpretrain ``MoCo``) checkpoint: ``backbone.*`` is the query encoder
(the one to transfer), ``neck.*`` its projection, ``encoder_k.module.0/1.*`` the momentum key
encoder, plus ``queue``, ``queue_ptr``, ``data_preprocessor.*``.

mmpretrain's ``ResNet`` (plain stem, ``avg_down=False``) already uses torchvision's parameter
names (``conv1``, ``bn1``, ``layerX.Y.convZ``/``bnZ``, ``downsample.0/1``): mmcv's
``build_norm_layer`` names norms ``bn<i>`` and only the *properties* are called ``norm<i>``. So
the torchvision conversion is a prefix strip plus a check, key by key and shape by shape,
against torchvision's own model, which is what makes it safe. ``ResNetV1c/V1d`` (deep stem;
V1d also an average-pool shortcut) have no torchvision counterpart and are rejected.
"""
import re
from collections import OrderedDict
from typing import Dict, Optional, Tuple

import torch

from .checkpoint_loading import UnsafeCheckpointError, safe_torch_load

QUERY_PREFIX = 'backbone.'

# (blocks per stage, bottleneck) -> torchvision constructor
_TV_ARCHS = {
    ((2, 2, 2, 2), False): 'resnet18',
    ((3, 4, 6, 3), False): 'resnet34',
    ((3, 4, 6, 3), True): 'resnet50',
    ((3, 4, 23, 3), True): 'resnet101',
    ((3, 8, 36, 3), True): 'resnet152',
}


def load_checkpoint(path: str, trusted: bool = False) -> dict:
    """Load on CPU through muscle_mm's allow-listed ``weights_only`` loader.

    ``trusted=True`` unpickles arbitrary objects (code): only for files you made yourself.
    """
    if trusted:
        return torch.load(path, map_location='cpu', weights_only=False)
    try:
        return safe_torch_load(path, map_location='cpu')
    except UnsafeCheckpointError as e:
        raise UnsafeCheckpointError(f'{e}\nThe tools/model_converters scripts take --trusted for '
                                    'a file you made yourself.') from e


def get_state_dict(checkpoint: dict) -> Dict[str, torch.Tensor]:
    """The ``state_dict`` of an mmengine checkpoint, or the dict itself if it is bare."""
    return checkpoint.get('state_dict', checkpoint)


def extract_backbone(state_dict: Dict[str, torch.Tensor],
                     strip_prefix: bool = False,
                     prefix: str = QUERY_PREFIX) -> 'OrderedDict[str, torch.Tensor]':
    """Keep the query encoder's ``backbone.*`` entries (the key encoder is not under it)."""
    keys = [k for k in state_dict if k.startswith(prefix)]
    if not keys:
        raise ValueError(f'no "{prefix}*" keys in the state dict (first keys: '
                         f'{list(state_dict)[:5]}); is it an MD-MoCo/mmpretrain checkpoint?')
    return OrderedDict((k[len(prefix):] if strip_prefix else k, state_dict[k]) for k in keys)


def _bare_backbone(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Backbone keys without prefix, from a full, an extracted or a stripped state dict."""
    if any(k.startswith(QUERY_PREFIX) for k in state_dict):
        return extract_backbone(state_dict, strip_prefix=True)
    return OrderedDict(state_dict)


def infer_torchvision_arch(state_dict: Dict[str, torch.Tensor]) -> str:
    """torchvision ResNet name from the block counts of a bare ResNet state dict."""
    blocks = []
    for stage in range(1, 5):
        ids = {
            int(m.group(1))
            for k in state_dict
            for m in [re.match(rf'layer{stage}\.(\d+)\.', k)] if m
        }
        blocks.append(len(ids))
    key = (tuple(blocks), 'layer1.0.conv3.weight' in state_dict)
    if key not in _TV_ARCHS:
        raise ValueError(f'no torchvision ResNet has {blocks} blocks per stage '
                         f'(bottleneck={key[1]}).')
    return _TV_ARCHS[key]


def mm_resnet_to_torchvision(
        state_dict: Dict[str, torch.Tensor],
        arch: Optional[str] = None) -> Tuple['OrderedDict[str, torch.Tensor]', str]:
    """Convert mmpretrain ``ResNet`` weights to a torchvision ``resnetXX`` state dict.

    Accepts a full MD-MoCo state dict, an extracted one (``backbone.*``) or a stripped one.
    The result has every torchvision key except ``fc.weight``/``fc.bias`` (the pre-training
    has no classifier): load it with ``model.load_state_dict(sd, strict=False)`` and expect
    exactly those two as missing. Returns ``(state_dict, arch)``.
    """
    import torchvision

    bare = _bare_backbone(state_dict)
    if any(k.startswith('stem.') for k in bare):
        raise ValueError('the backbone has a deep stem (ResNetV1c/V1d), which torchvision '
                         'ResNets do not have; only plain mmpretrain ResNet converts.')
    arch = arch or infer_torchvision_arch(bare)
    with torch.device('meta'):
        ref = torchvision.models.get_model(arch, weights=None).state_dict()
    expected = {k: v.shape for k, v in ref.items() if not k.startswith('fc.')}
    missing = sorted(set(expected) - set(bare))
    unexpected = sorted(set(bare) - set(expected))
    wrong = sorted(k for k in set(expected) & set(bare) if bare[k].shape != expected[k])
    if missing or unexpected or wrong:
        raise ValueError(f'not a plain {arch} backbone: missing {missing[:5]}, unexpected '
                         f'{unexpected[:5]}, shape mismatch {wrong[:5]} '
                         f'({len(missing)}/{len(unexpected)}/{len(wrong)} in all).')
    return OrderedDict((k, bare[k]) for k in ref if k in expected), arch


def load_backbone_weights(module: torch.nn.Module, path: str, prefix: str = QUERY_PREFIX) -> None:
    """Load the ``prefix`` tensors of a checkpoint into ``module``, all of them and strictly.

    mmengine's ``Pretrained`` init loads a prefix non-strictly and only warns about keys that do
    not match, so a ResNet-18 checkpoint would half-initialize a ResNet-50 without stopping. Here
    a missing file, a file with no ``prefix`` keys, or any missing / unexpected / mis-shaped tensor
    is an error that names the file.
    """
    import os.path as osp
    if not osp.isfile(path):
        raise FileNotFoundError(f'backbone checkpoint {path} does not exist (write it with stage '
                                '1 / 2, or point the config at the right file)')
    try:
        weights = extract_backbone(
            get_state_dict(load_checkpoint(path)), strip_prefix=True, prefix=prefix)
    except ValueError as e:
        raise ValueError(f'backbone checkpoint {path}: {e}') from e
    own = module.state_dict()
    missing = sorted(set(own) - set(weights))
    unexpected = sorted(set(weights) - set(own))
    wrong = sorted(k for k in set(own) & set(weights) if own[k].shape != weights[k].shape)
    if missing or unexpected or wrong:
        raise ValueError(
            f'backbone checkpoint {path} does not fit the {type(module).__name__} of this config: '
            f'missing {missing[:5]}, unexpected {unexpected[:5]}, shape mismatch {wrong[:5]} '
            f'({len(missing)}/{len(unexpected)}/{len(wrong)} in all); e.g. another ResNet depth.')
    module.load_state_dict(weights, strict=True)
