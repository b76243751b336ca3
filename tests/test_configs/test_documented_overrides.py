"""Every ``--cfg-options`` example that README.md, docs/*.md, a config header or configs/**/*.md
documents is run
through tools/train.py's argument path (parse_args + load_config) and changes the resolved config
where the run reads it, or, where the text says it reaches nothing, is refused. A newly documented
example without a row in DOCUMENTED fails test_the_table_covers_every_documented_override."""
import glob
import os.path as osp
import re
import sys

import pytest

from muscle_mm.utils.cli_config import load_config
from _helpers import REPO

sys.path.insert(0, osp.join(REPO, 'tools'))
import train as train_tool  # noqa: E402

REFUSED = 'refused'
# documented example -> (configs it is run on, the option as run (placeholders filled), expected:
# None = the option's value lands at its path, REFUSED = tools/train.py refuses it)
DOCUMENTED = {
    # docs/continual.md, configs/muscle/muscle_r50.py header
    'model.backbone_checkpoint=MY.pth': (['muscle/muscle_r50.py'],
                                         'model.backbone_checkpoint=MY.pth', None),
    'model.backbone_checkpoint=PATH':
    (['muscle/muscle_r50.py', 'muscle/muscle_r18.py',
      'muscle/muscle_minus_r50.py'], 'model.backbone_checkpoint=work_dirs/other/epoch_3.pth', None),
    # docs/continual.md: the paper-literal shared BN statistics
    'model.norm_stats=shared':
    (['muscle/muscle_r50.py', 'muscle/muscle_r18.py',
      'muscle/muscle_minus_r18.py'], 'model.norm_stats=shared', None),
    # docs/mdmoco.md, configs/muscle/mdmoco_r50_deviceviews.py header
    'train_dataloader.dataset.pipeline.0.cache=work_dirs/xray_cache_800x500':
    (['muscle/mdmoco_r50_deviceviews.py', 'muscle/mdmoco_r18_deviceviews.py'],
     'train_dataloader.dataset.pipeline.0.cache=work_dirs/xray_cache_800x500', None),
    # configs/_base_/datasets/xray_mdmoco_views.py
    'train_dataloader.dataset.datasets.0.data_root=/mnt/nih':
    (['muscle/mdmoco_r50.py'], 'train_dataloader.dataset.datasets.0.data_root=/mnt/nih', None),
    # configs/muscle/mdmoco_r50.py header (shorten the schedule)
    'train_cfg.max_epochs=N': (['muscle/mdmoco_r50.py'], 'train_cfg.max_epochs=7', None),
    'param_scheduler.0.T_max=N': (['muscle/mdmoco_r50.py'], 'param_scheduler.0.T_max=7', None),
    'param_scheduler.0.end=N': (['muscle/mdmoco_r50.py'], 'param_scheduler.0.end=7', None),
    # configs/finetune/_base_/pretrain_inits.py
    'model.backbone.init_cfg.checkpoint=/path/to/ckpt.pth':
    ([f'finetune/{t}/{t}_mdmoco_r50.py'
      for t in ('pneumonia', 'mura', 'lung', 'tbx')] + ['finetune/lung/lung_muscle_r18.py'],
     'model.backbone.init_cfg.checkpoint=/path/to/ckpt.pth', None),
    # docs/demo.md (tools/dataset_converters/calibrate_synthetic.py's <task>_scratch_r18.py)
    'train_dataloader.batch_size=8':
    ([f'finetune/{t}/{t}_scratch_r18.py'
      for t in ('pneumonia', 'mura', 'lung', 'tbx')], 'train_dataloader.batch_size=8', None),
    # configs/_base_/tasks/xray_tasks.py, configs/finetune/_base_/pretrain_inits.py: mmengine's
    # Runner converts BN to SyncBN when distributed (wrap_model reads cfg.sync_bn)
    'sync_bn=torch': ([f'finetune/{t}/{t}_scratch_r18.py'
                       for t in ('tbx', 'lung')] + ['muscle/muscle_r18.py'], 'sync_bn=torch', None),
    # configs/_base_/datasets/xray_splits.py: "would not reach the datasets"
    'xray_split_seed=1': (['muscle/mdmoco_r50.py'], 'xray_split_seed=1', REFUSED),
}
PLACEHOLDERS = {'k=v', 'key=value'}  # the usage lines of the tools
SOURCES = ([osp.join(REPO, 'README.md')] + sorted(glob.glob(osp.join(REPO, 'docs', '*.md'))) +
           sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)) +
           sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.md'), recursive=True)))
OPTION = re.compile(r'[A-Za-z_][\w.]*=\S+')


def documented_options():
    """{option: [files]} of the KEY=VALUE tokens that follow --cfg-options in SOURCES."""
    found = {}
    for path in SOURCES:
        with open(path, encoding='utf-8') as f:
            words = re.sub(r'[`#\\]', ' ', f.read()).split()
        for i, word in enumerate(words):
            if word != '--cfg-options':
                continue
            for token in words[i + 1:]:
                token = token.rstrip(').,;:')
                if not OPTION.fullmatch(token):
                    break
                if token not in PLACEHOLDERS:
                    found.setdefault(token, []).append(osp.relpath(path, REPO))
    return found


def test_the_table_covers_every_documented_override():
    found = documented_options()
    assert len(found) >= 8  # the scan sees the examples (not an empty set passing)
    missing = {k: v for k, v in found.items() if k not in DOCUMENTED}
    assert not missing, f'documented --cfg-options without a row in DOCUMENTED: {missing}'
    stale = sorted(set(DOCUMENTED) - set(found))
    assert not stale, f'rows for examples no longer documented: {stale}'


def lookup(cfg, dotted):
    node = cfg
    for part in dotted.split('.'):
        node = node[int(part)] if isinstance(node, (list, tuple)) else node[part]
    return node


CASES = [(doc, config, option, expected) for doc, (configs, option, expected) in DOCUMENTED.items()
         for config in configs]


@pytest.mark.parametrize(
    'doc,config,option,expected', CASES, ids=[f'{c}:{o}' for _, c, o, _ in CASES])
def test_documented_override_changes_the_resolved_config(doc, config, option, expected):
    path = osp.join(REPO, 'configs', config)
    args = train_tool.parse_args([path, '--cfg-options', option])
    if expected == REFUSED:
        with pytest.raises(SystemExit, match=re.escape(option.split('=')[0])):
            load_config(args)
        return
    key, value = next(iter(args.cfg_options.items()))
    before = load_config(train_tool.parse_args([path]))
    after = load_config(args)
    assert lookup(after, key) == value
    try:
        assert lookup(before, key) != value, f'{config}: {option} is already the default'
    except KeyError:  # a key the config leaves unset (the reader's default applies)
        pass
    # nothing else moved
    assert {k for k in after if after[k] != before.get(k)} == {key.split('.')[0]}
