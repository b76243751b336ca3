"""Helpers shared by the tests (tests/ is on sys.path via conftest.py)."""
import os.path as osp
import subprocess
import sys

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def write_tiny_cls_folder(root, per_class=4, size=32):
    """A folder-per-class image set mmpretrain's CustomDataset reads."""
    import cv2
    rng = np.random.default_rng(0)
    for ci, cls in enumerate(('normal', 'abnormal')):
        d = osp.join(root, cls)
        import os
        os.makedirs(d, exist_ok=True)
        for i in range(per_class):
            img = rng.integers(0, 80, (size, size), dtype=np.uint8) + 120 * ci
            cv2.imwrite(osp.join(d, f'{i}.png'), img)
    return root


TINY_CLS_CONFIG = """
_base_ = ['mmpretrain::_base_/default_runtime.py']
default_scope = 'mmpretrain'
model = dict(type='ImageClassifier',
             backbone=dict(type='ResNet', depth=18, num_stages=4, out_indices=(3, )),
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='LinearClsHead', num_classes=2, in_channels=512,
                       loss=dict(type='CrossEntropyLoss')))
data_preprocessor = dict(num_classes=2, mean=[122.786] * 3, std=[18.390] * 3)
pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
train_dataloader = dict(batch_size=2, num_workers=0,
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        dataset=dict(type='CustomDataset', data_root='{data}', pipeline=pipeline))
train_cfg = dict(by_epoch=False, max_iters={iters})
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
param_scheduler = dict(type='CosineAnnealingLR', T_max={iters}, by_epoch=False)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                     logger=dict(type='LoggerHook', interval=1))
log_processor = dict(by_epoch=False)
"""


def tiny_cls_config_factory(tmp_path):

    def make(iters=4, extra=''):
        data = write_tiny_cls_folder(str(tmp_path / 'data'))
        path = tmp_path / f'tiny_cls_{iters}.py'
        path.write_text(
            TINY_CLS_CONFIG.replace('{data}', data).replace('{iters}', str(iters)) + extra)
        return str(path)

    return make


def run_tool(args, timeout=600, env=None, cwd=REPO):
    """Run a python command line (tools, torchrun) with the repo importable; assert success."""
    import os
    full_env = dict(os.environ, PYTHONPATH=REPO)
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable] + args,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True)
    assert proc.returncode == 0, proc.stdout[-6000:]
    return proc.stdout


# val/test on the same tiny image folder ({data}); appended to TINY_CLS_CONFIG
EVAL = """
val_dataloader = dict(batch_size=2, num_workers=0,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      dataset=dict(type='CustomDataset', data_root='{data}', pipeline=pipeline))
val_cfg = dict()
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_cfg = val_cfg
test_evaluator = val_evaluator
train_cfg = dict(by_epoch=False, max_iters=2, val_interval=100)
"""


def epoch_state(work, epoch):
    """The ``state_dict`` of ``<work>/epoch_<epoch>.pth``, on the CPU."""
    import torch
    return torch.load(
        osp.join(work, f'epoch_{epoch}.pth'), map_location='cpu', weights_only=True)['state_dict']


def assert_same_state(a, b, what):
    """Two state dicts with the same keys and bit-identical tensors; names those that differ."""
    import torch
    assert a.keys() == b.keys()
    differ = [k for k in a if not torch.equal(a[k], b[k])]
    assert not differ, f'{what}: {len(differ)} of {len(a)} tensors differ, e.g. {differ[:5]}'
