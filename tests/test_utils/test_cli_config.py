"""tools/train.py (and tools/test.py: the same load_config) refuse an override whose top-level key
nothing reads, naming it and the opt-out; keys the Runner reads pass."""
import inspect
import os.path as osp
import sys

import pytest
from mmengine.runner import Runner

from muscle_mm.utils.cli_config import load_config, read_keys, runner_keys
from _helpers import REPO

sys.path.insert(0, osp.join(REPO, 'tools'))
import train as train_tool  # noqa: E402

LUNG = osp.join(REPO, 'configs', 'finetune', 'lung', 'lung_mdmoco_r50.py')
MDMOCO = osp.join(REPO, 'configs', 'muscle', 'mdmoco_r18.py')


def load(config, *options, allow=False):
    argv = [config, '--cfg-options', *options] + (['--allow-unused-cfg-options'] if allow else [])
    return load_config(train_tool.parse_args(argv))


def test_runner_keys_cover_every_runner_argument():
    # Runner.from_cfg passes cfg.get(<name>) for each argument of Runner.__init__
    args = set(inspect.signature(Runner.__init__).parameters) - {'self', 'cfg'}
    assert args <= runner_keys(), args - runner_keys()
    assert {'model_wrapper_cfg', 'find_unused_parameters'} <= runner_keys()  # read via self.cfg
    assert 'launcher' not in read_keys()  # load_config sets it from --launcher afterwards


@pytest.mark.parametrize(
    'config,option',
    [
        (LUNG, 'lung_train_dataloader.batch_size=2'),  # the old task-prefixed copy (issue 18)
        (LUNG, 'train_dataloder.batch_size=2'),  # a typo
        (LUNG, 'vis_backends=[]'),  # a stock runtime's spare list; the visualizer holds its own
        (LUNG, 'launcher=pytorch'),  # set from --launcher after the overrides
        (MDMOCO, 'xray_split_seed=1'),  # substituted while the config was read
        (MDMOCO, 'view_pipeline.0.prob=0.0'),  # a shorthand the pipeline was built from
    ])
def test_an_override_nothing_reads_is_refused(config, option):
    key = option.split('=')[0]
    with pytest.raises(SystemExit) as err:
        load(config, option)
    msg = str(err.value)
    assert key in msg and config in msg and '--allow-unused-cfg-options' in msg
    cfg = load(config, option, allow=True)  # the opt-out merges it
    assert key.split('.')[0] in cfg


def test_one_unread_key_refuses_the_whole_command_line():
    with pytest.raises(SystemExit, match='lung_model'):
        load(LUNG, 'train_dataloader.batch_size=2', 'lung_model.backbone.depth=18')


def test_read_keys_pass_and_change_the_config():
    cfg = load(LUNG, 'train_dataloader.batch_size=2', 'model.backbone.depth=18',
               'randomness.seed=3', 'work_dir=work_dirs/x')
    assert cfg.train_dataloader.batch_size == 2 and cfg.model.backbone.depth == 18
    assert cfg.randomness.seed == 3 and cfg.work_dir == 'work_dirs/x'


def test_no_options_no_check():
    assert load_config(train_tool.parse_args([LUNG])).train_dataloader.batch_size == 4
