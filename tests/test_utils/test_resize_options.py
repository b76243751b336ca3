import os.path as osp

from mmengine.config import Config

from muscle_mm.utils.cli_config import resize_options
from _helpers import REPO


def test_every_resize_of_every_task_loader_is_set():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'muscle', 'muscle_r18_demo.py'))
    opts = resize_options(cfg, 64, 40)
    assert len(opts) == 12  # 3 splits x 4 tasks
    cfg.merge_from_dict(dict(o.split('=') for o in opts))
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        for task, loader in cfg[split].items():
            sizes = [s.scale for s in loader.dataset.pipeline if s.type == 'Resize']
            assert sizes == ['(40,64)'], (split, task)


def test_single_loader_config():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'muscle', 'mdmoco_r18.py'))
    assert resize_options(cfg, 64, 40) == ['train_dataloader.dataset.pipeline.1.scale=(40,64)']
