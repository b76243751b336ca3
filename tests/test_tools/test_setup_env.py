"""tools/setup_env.sh: a second run installs nothing; a changed pin re-installs just its layers;
the environment is byte-compiled once (bytecode layer)."""
import importlib.util
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


def dry_run(req_dir=None, venv=sys.prefix):
    env = dict(os.environ, DRY_RUN='1', VENV=str(venv))
    if req_dir:
        env['MUSCLE_MM_REQUIREMENTS'] = str(req_dir)
    out = subprocess.run(['bash', osp.join(REPO, 'tools', 'setup_env.sh')],
                         env=env,
                         cwd=REPO,
                         stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT,
                         text=True,
                         check=True)
    return out.stdout.strip().splitlines()[-1]


def test_second_run_installs_nothing():
    assert dry_run() == '[setup_env] would install: nothing'


@pytest.mark.parametrize(
    'pin_file,layers',
    [
        ('runtime.txt', 'runtime bytecode'),  # new packages are compiled once more
        ('tests.txt', 'runtime bytecode'),
        ('dicom_gpl.txt', 'runtime bytecode'),  # installed with the runtime layer
        ('lint.txt', 'runtime bytecode'),
        ('mmcv.txt', 'mmcv runtime bytecode'),
        ('torch.txt', 'torch mmcv runtime bytecode'),  # a new torch needs mmcv rebuilt against it
        ('build.txt', 'base torch mmcv runtime bytecode'),
    ])
def test_changed_pin_reinstalls_its_layers(tmp_path, pin_file, layers):
    req = tmp_path / 'requirements'
    shutil.copytree(osp.join(REPO, 'requirements'), req)
    with open(req / pin_file, 'a') as f:
        f.write('# changed\n')
    assert dry_run(req) == f'[setup_env] would install: {layers}'


def test_environment_from_before_the_bytecode_layer_is_only_compiled(tmp_path):
    """An environment whose install stamps are current but that was never byte-compiled (made
    before the layer existed) gets the compile step alone, nothing reinstalled."""
    venv = tmp_path / 'venv'
    shutil.copytree(STAMPS, venv / '.muscle_mm_stamps')
    os.remove(venv / '.muscle_mm_stamps' / 'bytecode')
    assert dry_run(venv=venv) == '[setup_env] would install: bytecode'


def test_bytecode_layer_compiles_once(tmp_path):
    """A real run on a small venv whose install stamps are current: the bytecode layer compiles
    its site-packages (even with PYTHONDONTWRITEBYTECODE=1), and a second run does nothing."""
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True)
    shutil.copytree(STAMPS, venv / '.muscle_mm_stamps')
    os.remove(venv / '.muscle_mm_stamps' / 'bytecode')
    # guard: anything but the bytecode layer would install the whole stack into the temp venv
    assert dry_run(venv=venv) == '[setup_env] would install: bytecode'
    site = subprocess.run([
        str(venv / 'bin' / 'python'), '-c',
        'import sysconfig; print(sysconfig.get_paths()["purelib"])'
    ],
                          stdout=subprocess.PIPE,
                          text=True,
                          check=True).stdout.strip()
    probe = osp.join(site, 'muscle_mm_probe.py')
    with open(probe, 'w') as f:
        f.write('VALUE = 1\n')
    env = dict(os.environ, VENV=str(venv), PYTHONDONTWRITEBYTECODE='1')
    env.pop('DRY_RUN', None)

    def run():
        return subprocess.run(['bash', osp.join(REPO, 'tools', 'setup_env.sh')],
                              env=env,
                              cwd=REPO,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT,
                              text=True,
                              check=True).stdout

    first = run()
    assert 'compiling bytecode' in first
    assert osp.isfile(importlib.util.cache_from_source(probe))
    second = run()
    assert 'compiling bytecode' not in second and 'up to date' in second
    assert dry_run(venv=venv) == '[setup_env] would install: nothing'


@pytest.mark.parametrize('module', ['torch', 'sklearn', 'mmengine', 'mmdet', 'mmseg', 'mmpretrain'])
def test_installed_packages_are_byte_compiled(module):
    """With the bytecode layer done, the big packages' .pyc exist and match their sources, so no
    process compiles them again (hosts with PYTHONDONTWRITEBYTECODE=1 never write them)."""
    assert dry_run() == '[setup_env] would install: nothing'
    source = importlib.util.find_spec(module).origin
    cached = importlib.util.cache_from_source(source)
    assert osp.isfile(cached), f'{module}: no bytecode at {cached}'
    with open(cached, 'rb') as f:  # timestamp-based pyc: flags 0, then the source mtime
        header = f.read(16)
    assert header[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(header[8:12], 'little') == int(os.stat(source).st_mtime) & 0xFFFFFFFF
