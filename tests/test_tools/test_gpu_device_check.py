"""benchmarks/gpu_device_check.py's CPU dry run: every stage under (CPU) bf16 autocast, the
CUDA-vs-CPU comparisons and the figures' code at tiny sizes, so the script a lent GPU machine
runs is known to work before one is lent. The wrapper's wheel check runs where .whl/ exists."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from _helpers import REPO

SCRIPT = osp.join(REPO, 'benchmarks', 'gpu_device_check.py')


def test_dry_run_passes_every_part(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    out = subprocess.run([sys.executable, SCRIPT, '--dry-run', '--out',
                          str(tmp_path)],
                         env=env,
                         cwd=REPO,
                         stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT,
                         text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout[-4000:]
    r = json.loads((tmp_path / 'results.json').read_text())
    assert r['failed'] == [] and r['machine']['dry_run']
    amp = r['amp']
    assert amp['moco']['queue_dtype'] == 'torch.float32' and amp['moco']['weights_moved']
    assert amp['moco']['start_rel_diff'] < 0.05
    for stage in ('continual', 'finetune'):
        assert set(amp[stage]['tasks']) == {'pneumonia', 'mura', 'lung', 'tbx'}
        for t, v in amp[stage]['tasks'].items():
            assert v['losses'][-1] < v['losses'][0], (stage, t, v['losses'])
    assert all(v['l2sp_dtype'] == 'torch.float32' and v['l2sp'] > 0
               for v in amp['continual']['tasks'].values())
    assert r['cuda_vs_cpu']['nms']['equal']
    assert set(r['speed']['loader']) == {'cache', 'decode'}
    md = (tmp_path / 'RESULTS_section.md').read_text()
    assert 'CPU dry run' in md and 'fine-tune tbx' in md
    # the tbx config names AutocastRoIExtractor itself: the check patches nothing
    assert 'SingleRoIExtractor -> AutocastRoIExtractor' not in md, md


@pytest.mark.skipif(
    not osp.isfile(osp.join(REPO, '.whl', 'mmcv-2.1.0.tar.gz')),
    reason='no .whl/ (tools/misc/fetch_device_wheels.sh fills it)')
def test_carried_wheels_resolve_for_python_312(tmp_path):
    env = dict(os.environ, PYTHON=sys.executable, OUT=str(tmp_path))
    out = subprocess.run(
        ['bash',
         osp.join(REPO, 'benchmarks', 'gpu_device_check.sh'), '--dry-run', '--wheels-only'],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120)
    assert out.returncode == 0, out.stdout[-4000:]
    assert 'resolve for cp312' in out.stdout
