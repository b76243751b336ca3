"""tools/setup_env.sh: a second run installs nothing; a changed pin re-installs just its layers."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

from _helpers import REPO

STAMPS = osp.join(sys.prefix, '.muscle_mm_stamps')
pytestmark = pytest.mark.skipif(
    not osp.isdir(STAMPS), reason='this environment was not created by tools/setup_env.sh')


def dry_run(req_dir=None):
    env = dict(os.environ, DRY_RUN='1', VENV=sys.prefix)
    if req_dir:
        env['MUSCLE_MM_REQUIREMENTS'] = str(req_dir)
    out = subprocess.run(['bash', osp.join(REPO, 'tools', 'setup_env.sh')], env=env, cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def test_second_run_installs_nothing():
    assert dry_run() == '[setup_env] would install: nothing'


@pytest.mark.parametrize('pin_file,layers', [
    ('runtime.txt', 'runtime'),
    ('tests.txt', 'runtime'),
    ('mmcv.txt', 'mmcv runtime'),
    ('torch.txt', 'torch mmcv runtime'),  # a new torch needs mmcv rebuilt against it
    ('build.txt', 'base torch mmcv runtime'),
])
def test_changed_pin_reinstalls_its_layers(tmp_path, pin_file, layers):
    req = tmp_path / 'requirements'
    shutil.copytree(osp.join(REPO, 'requirements'), req)
    with open(req / pin_file, 'a') as f:
        f.write('# changed\n')
    assert dry_run(req) == f'[setup_env] would install: {layers}'
