"""SplitBatchNorm: each group of the batch is normalized by its own statistics, eval and state
dict are BatchNorm2d's, and it builds from a norm_cfg."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.registry import DefaultScope

from muscle_mm.models.utils.split_batch_norm import SplitBatchNorm


def _pair(splits=4, channels=3, seed=0):
    torch.manual_seed(seed)
    bn = nn.BatchNorm2d(channels)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2)
        bn.bias.uniform_(-1, 1)
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    split = SplitBatchNorm(channels, splits)
    split.load_state_dict(bn.state_dict())
    return bn, split


def test_train_normalizes_each_group_by_its_own_statistics():
    bn, split = _pair()
    x = torch.randn(8, 3, 5, 4) * 3 + torch.arange(8.).view(8, 1, 1, 1)  # groups differ
    out = split.train()(x)
    for g in range(4):
        idx = torch.arange(g, 8, 4)  # sample n is in group n % 4
        ref = F.batch_norm(x[idx], None, None, bn.weight, bn.bias, True, 0.0, bn.eps)
        torch.testing.assert_close(out[idx], ref)
    # plain BN over the whole batch is different: the groups' statistics are not shared
    assert not torch.allclose(out, bn.train()(x.clone()), atol=1e-3)


def test_running_statistics_are_the_mean_of_the_groups_updates():
    bn, split = _pair()
    x = torch.randn(8, 3, 5, 4) + torch.arange(8.).view(8, 1, 1, 1)
    expected_mean, expected_var = [], []
    for g in range(4):
        ref = nn.BatchNorm2d(3)
        ref.load_state_dict(bn.state_dict())
        ref.train()(x[g::4])
        expected_mean.append(ref.running_mean)
        expected_var.append(ref.running_var)
    split.train()(x)
    torch.testing.assert_close(split.running_mean, torch.stack(expected_mean).mean(0))
    torch.testing.assert_close(split.running_var, torch.stack(expected_var).mean(0))
    assert int(split.num_batches_tracked) == 1


def test_eval_and_state_dict_are_batchnorm2d():
    bn, split = _pair()
    x = torch.randn(6, 3, 5, 4)  # any batch size in eval
    torch.testing.assert_close(split.eval()(x), bn.eval()(x))
    assert split.state_dict().keys() == bn.state_dict().keys()


def test_batch_not_a_multiple_of_the_groups_is_refused():
    _, split = _pair(splits=4)
    with pytest.raises(ValueError, match=r'batch of 6 is not a multiple of num_splits=4'):
        split.train()(torch.randn(6, 3, 5, 4))
    with pytest.raises(ValueError, match='num_splits'):
        SplitBatchNorm(3, 0)


def test_convert_shares_tensors_and_keeps_mode():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Sequential(nn.BatchNorm2d(4)))
    net.eval()
    params = {k: v for k, v in net.state_dict(keep_vars=True).items()}
    out = SplitBatchNorm.convert(net, 2)
    assert out is net and isinstance(net[1], SplitBatchNorm) and isinstance(
        net[2][0], SplitBatchNorm)
    assert net[1].num_splits == 2 and not net[1].training
    for k, v in net.state_dict(keep_vars=True).items():
        assert v is params[k], k  # same objects: optimizers and EMA lists stay valid


def test_builds_from_norm_cfg():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        name, layer = build_norm_layer(dict(type='SplitBN', num_splits=2), 16, postfix=1)
    assert name == 'bn1' and isinstance(layer, SplitBatchNorm) and layer.num_splits == 2
