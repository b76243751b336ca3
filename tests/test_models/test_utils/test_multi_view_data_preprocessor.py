"""MultiViewDataPreprocessor: the views made by its batch augments on the device, then the
Z-score; batches that already hold views (the CPU path) pass through."""
import numpy as np
import torch
from mmpretrain.structures import DataSample

import muscle_mm  # noqa: F401
from muscle_mm.models.utils import MultiViewDataPreprocessor
from muscle_mm.registry import MODELS


def _samples(indices):
    return [DataSample(metainfo=dict(sample_idx=i)) for i in indices]


def test_preprocessor_makes_normalized_views_only_in_training():
    pre = MODELS.build(
        dict(
            type='MultiViewDataPreprocessor',
            mean=[122.786] * 3,
            std=[18.390] * 3,
            batch_augments=[dict(type='XRayViews', seed=5)]))
    assert isinstance(pre, MultiViewDataPreprocessor)
    img = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (48, 32), dtype=np.uint8))
    inputs = img[None, None].repeat(2, 1, 1, 1)  # N x 1 x H x W uint8, as PackInputs + collate
    data = dict(inputs=inputs, data_samples=_samples([0, 1]))
    out = pre(data, training=True)
    assert isinstance(out['inputs'], list) and len(out['inputs']) == 2
    views = pre.batch_augments[0]
    raw, _ = views(inputs.float(), data['data_samples'])
    for v in range(2):
        assert out['inputs'][v].shape == (2, 3, 48, 32)  # broadcast to 3 channels
        torch.testing.assert_close(out['inputs'][v][:, 1:2], (raw[v] - 122.786) / 18.390)
    single = pre(dict(inputs=inputs, data_samples=_samples([0, 1])), training=False)
    torch.testing.assert_close(single['inputs'],
                               (inputs.float() - 122.786) / 18.390 * torch.ones(1, 3, 1, 1))
    # the CPU path (a list of views already) passes through as in SelfSupDataPreprocessor
    listed = pre(dict(inputs=[inputs, inputs], data_samples=_samples([0, 1])), training=True)
    torch.testing.assert_close(listed['inputs'][0], single['inputs'])
