"""Imported by the distributed tests' configs (custom_imports): records what each rank ran."""
import os

import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module(force=True)
class TaskOrderProbeHook(Hook):
    """Writes, per rank, the task iterates it ran and a checksum of the final backbone (and, with
    ``save_weights``, the final parameters as rank<r>.pth; not the buffers: DDP broadcasts rank
    0's BN statistics before each forward, which then updates them from the rank's own batch)."""

    def __init__(self, out_dir, save_weights=False):
        self.out_dir, self.tasks, self.save_weights = out_dir, [], save_weights

    def before_train_task(self, runner, task, round_idx):
        self.tasks.append(f'{round_idx}:{task}@{runner.iter}')

    def after_run(self, runner):
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        total = sum(float(p.double().sum()) for p in model.backbone.parameters())
        with open(os.path.join(self.out_dir, f'rank{runner.rank}.tasks'), 'w') as f:
            f.write(' '.join(self.tasks) + f'\n{total!r}\n')
        if self.save_weights:
            torch.save({
                k: p.detach()
                for k, p in model.named_parameters()
            }, os.path.join(self.out_dir, f'rank{runner.rank}.pth'))
