"""A runner trains, saves, and resumes from its own checkpoint on torch>=2.6 (weights_only)."""
import copy

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.registry import MODELS
from mmengine.runner import Runner
from torch.utils.data import Dataset

import muscle_mm  # noqa: F401  (installs the safe checkpoint loader)


@MODELS.register_module(force=True)
class ResumeToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, labels=None, mode='tensor'):
        inputs = torch.stack(inputs) if isinstance(inputs, list) else inputs
        out = self.linear(inputs)
        if mode == 'loss':
            labels = torch.stack(labels) if isinstance(labels, list) else labels
            return dict(loss=((out.squeeze(1) - labels)**2).mean())
        return out


class ToySet(Dataset):
    metainfo = dict(classes=('a', ))

    def __len__(self):
        return 8

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        return dict(inputs=torch.randn(2, generator=g), labels=torch.tensor(float(i % 2)))


def _cfg(work_dir, max_iters):
    return dict(
        model=dict(type='ResumeToyModel'),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=ToySet(),
            batch_size=2,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[3], by_epoch=False),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=4, by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        default_scope='mmengine',
        randomness=dict(seed=0),
        experiment_name=f'resume_{id(work_dir)}_{max_iters}')


def test_train_save_resume(tmp_path):
    runner = Runner(**_cfg(tmp_path, 4))
    runner.train()
    ckpt = tmp_path / 'iter_4.pth'
    assert ckpt.is_file()
    trained = copy.deepcopy(runner.model.state_dict())

    cfg = _cfg(tmp_path, 6)
    cfg.update(resume=True, load_from=str(ckpt), experiment_name='resume_second')
    resumed = Runner(**cfg)
    resumed.train()
    assert resumed.iter == 6
    # The resumed run started from the saved weights, LR schedule and iteration count.
    state = torch.load(ckpt, weights_only=True)
    assert state['meta']['iter'] == 4
    for k, v in trained.items():
        assert torch.equal(state['state_dict'][k], v)
    assert resumed.param_schedulers[0]._global_step == 6  # restored at 4, +2
    lr = resumed.optim_wrapper.get_lr()['lr'][0]
    assert abs(lr - 0.01) < 1e-9  # MultiStepLR stepped once at 3, before the save


def test_auto_resume_finds_latest(tmp_path):
    Runner(**_cfg(tmp_path, 4)).train()
    cfg = _cfg(tmp_path, 8)
    cfg.update(resume=True, load_from=None, experiment_name='auto_resume')
    runner = Runner(**cfg)
    runner.train()
    assert runner.iter == 8 and (tmp_path / 'iter_8.pth').is_file()
