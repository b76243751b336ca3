"""Command-line handling shared by tools/train.py and tools/test.py.

The tools accept the arguments users know from mmpretrain/mmdet/mmseg and apply each library's
dataloader defaults according to the config's ``default_scope``, so that stock configs of all
three run unchanged (mmpretrain's tools inject ``default_collate``; mmdet's and mmseg's rely on
the runner's ``pseudo_collate``).
"""
import argparse
import functools
import inspect
import os
import os.path as osp
import re
from copy import deepcopy

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, ConfigDict, DictAction


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, e.g. '
        'train_dataloader.batch_size=8 model.backbone.depth=18')
    parser.add_argument(
        '--allow-unused-cfg-options',
        action='store_true',
        help='accept --cfg-options whose top-level key no part of a run reads (by default they '
        'are refused: such an override would change nothing)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--no-pin-memory', action='store_true', help='disable the pin_memory option in dataloaders')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_config(args: argparse.Namespace) -> Config:
    """Read the config, apply --cfg-options, launcher and work_dir (CLI > config > file name)."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        if not getattr(args, 'allow_unused_cfg_options', False):
            check_read_keys(args.cfg_options, args.config)
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.launcher != 'none' and not torch.cuda.is_available():
        setup_cpu_distributed(cfg)
    return cfg


# Top-level keys that this project's tools read from a loaded config, beside the Runner's.
TOOL_KEYS = frozenset({
    'runner_type',  # tools/train.py: build the runner from RUNNERS instead of Runner.from_cfg
})


@functools.lru_cache(maxsize=None)
def runner_keys() -> frozenset:
    """The top-level config keys mmengine's ``Runner`` reads (``Runner.from_cfg`` and
    ``self.cfg``), taken from its source so that an mmengine with new keys needs no edit here."""
    from mmengine.runner import Runner
    src = inspect.getsource(inspect.getmodule(Runner))
    keys = re.findall(r"""(?:\bself\.|(?<![\w.]))cfg(?:\.get\(|\[)['"](\w+)['"]""", src)
    return frozenset(keys)


def read_keys() -> frozenset:
    """Top-level config keys some part of a run (Runner or the project's tools) reads; not
    ``launcher``, which :func:`load_config` sets from ``--launcher`` after the overrides."""
    return (runner_keys() - {'launcher'}) | TOOL_KEYS


def check_read_keys(options: dict, config: str) -> None:
    """Refuse ``--cfg-options`` whose top-level key nothing reads.

    Such an override is merged, and then changes nothing: a typo (``train_dataloder``), a
    shorthand the config file used while it was read (``xray_split_seed``: the datasets already
    hold its value) or a key of another library's runtime (``vis_backends``: the visualizer holds
    its own list). ``--allow-unused-cfg-options`` accepts them.
    """
    known = read_keys()
    unread = sorted(k for k in options if k.split('.')[0] not in known)
    if unread:
        tops = ', '.join(sorted({k.split('.')[0] for k in unread}))
        raise SystemExit(
            f'--cfg-options {" ".join(unread)}: nothing in a run reads the top-level key {tops} '
            f'of {config}, so the override would change nothing. Set the value where the run '
            f'reads it (the resolved config: Config.fromfile({config!r}).pretty_text; keys '
            f'read: {", ".join(sorted(known))}), or pass --allow-unused-cfg-options to merge '
            'it anyway.')


def setup_cpu_distributed(cfg: Config) -> None:
    """Multi-process training without GPUs: gloo, and DDP over CPU modules.

    mmengine's pytorch launcher calls ``torch.cuda.set_device`` and wraps the model with
    ``device_ids=[LOCAL_RANK]``; both fail without a GPU. We initialise the gloo process group
    ourselves (mmengine then skips its own init) and build DDP with ``device_ids=None``.
    """
    env_cfg = cfg.setdefault('env_cfg', ConfigDict())
    env_cfg.setdefault('dist_cfg', ConfigDict())
    env_cfg.dist_cfg.backend = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg', None) or ConfigDict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.device_ids = None
    cfg.model_wrapper_cfg = wrapper
    if cfg.launcher == 'pytorch' and not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')


def apply_dataloader_defaults(cfg: Config,
                              fields,
                              no_pin_memory: bool = False,
                              no_persistent_workers: bool = False) -> None:
    """mmpretrain's dataloader defaults (default_collate, pinned memory, persistent workers) for
    configs in the mmpretrain scope; configs of other scopes keep the runner's defaults."""
    mmpretrain_scope = cfg.get('default_scope', None) == 'mmpretrain'

    def with_defaults(loader):
        merged = ConfigDict(pin_memory=True)
        if mmpretrain_scope:
            merged.collate_fn = dict(type='default_collate')
            if loader.get('num_workers', 0) > 0:
                merged.persistent_workers = True
        merged.update(deepcopy(loader))
        if no_pin_memory:
            merged.pin_memory = False
        if no_persistent_workers:
            merged.persistent_workers = False
        return merged

    for field in fields:
        loader = cfg.get(field, None)
        if loader is None:
            continue
        if is_multi_task(loader):  # task name -> loader (MultiTaskContinualLoop / ValLoop)
            cfg[field] = ConfigDict({task: with_defaults(dl) for task, dl in loader.items()})
        else:
            cfg[field] = with_defaults(loader)


def is_multi_task(loader) -> bool:
    """A dict of task name -> dataloader config, as the continual stage's configs give."""
    return (isinstance(loader, dict) and 'dataset' not in loader and len(loader) > 0
            and all(isinstance(v, dict) and 'dataset' in v for v in loader.values()))


def resize_options(
    cfg: Config,
    height: int,
    width: int,
    fields=('train_dataloader', 'val_dataloader', 'test_dataloader')) -> list:
    """``--cfg-options`` entries that set every ``Resize`` step of the config's loaders to
    ``height x width`` (the demo and the tests shrink the real configs with them).

    Works for one loader and for the continual stage's task name -> loader dicts; the index of the
    Resize step is read from each pipeline, so the options follow the config as it changes.
    """
    opts = []
    for field in fields:
        loader = cfg.get(field, None)
        if not loader:
            continue
        named = loader.items() if is_multi_task(loader) else [(None, loader)]
        for task, one in named:
            prefix = f'{field}.{task}' if task else field
            for i, step in enumerate(one['dataset'].get('pipeline', [])):
                if str(step.get('type', '')).split('.')[-1] == 'Resize':
                    opts.append(f'{prefix}.dataset.pipeline.{i}.scale=({width},{height})')
    return opts
