"""MUSCLE's continual stage on two ranks (torchrun with gloo, CPU only, through
tools/dist_train.sh -> tools/train.py) with diff_rank_seed: one plan, one model, exact resume.
Fine-tuning through dist_train.sh / dist_test.sh: test_run_grid.py's --launcher pytorch test."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import torch
from test_engine.test_runner.tiny_continual import ROUNDS, TASKS, write_config

from _helpers import REPO


def test_two_ranks_continual_one_plan_exact_resume(tmp_path, monkeypatch):
    """diff_rank_seed=True and no seed (mmengine draws one): both ranks run the same tasks at the
    same iterations and end with the same weights; 2 ranks resumed from epoch_1.pth (each rank's
    own random state) end as the uninterrupted 2 ranks; one process may not resume them."""
    out = tmp_path / 'probe'
    out.mkdir()
    cfg = write_config(
        tmp_path,
        ("\ncustom_imports = dict(imports=['muscle_mm', 'rank_probe'], allow_failed_imports=False)"
         f"\ncustom_hooks = [dict(type='TaskOrderProbeHook', out_dir='{out}', save_weights=True)]"
         '\nrandomness = dict(seed=None, diff_rank_seed=True)\n'))
    work, resumed = tmp_path / 'work', tmp_path / 'resumed'
    _run(['dist_train.sh', cfg, '2', '--work-dir', str(work)], port='29535')
    rank0, rank1 = ((out / f'rank{r}.tasks').read_text().split('\n') for r in (0, 1))
    assert rank0[0] == rank1[0] and len(rank0[0].split()) == ROUNDS * len(TASKS), (rank0, rank1)
    _assert_same(torch.load(out / 'rank0.pth'), torch.load(out / 'rank1.pth'), 'rank 0 vs 1')
    final = torch.load(work / f'epoch_{ROUNDS}.pth', weights_only=False)
    seed = final['meta']['seed']  # the drawn seed, rank 0's
    resumed.mkdir()
    shutil.copy(work / 'epoch_1.pth', resumed)
    _run([
        'dist_train.sh', cfg, '2', '--work-dir',
        str(resumed), '--resume',
        str(resumed / 'epoch_1.pth'), '--cfg-options', f'randomness.seed={seed}'
    ],
         port='29535')
    _assert_same(final['state_dict'],
                 torch.load(resumed / f'epoch_{ROUNDS}.pth', weights_only=False)['state_dict'],
                 '2 ranks resumed from epoch_1 vs uninterrupted')
    monkeypatch.syspath_prepend(osp.join(REPO, 'tests', 'test_tools'))  # rank_probe
    from muscle_mm.cli import train as train_tool
    with pytest.raises(RuntimeError, match='cannot resume') as err:
        train_tool.main([
            cfg, '--work-dir',
            str(tmp_path / 'one'), '--resume',
            str(resumed / 'epoch_1.pth'), '--cfg-options', f'randomness.seed={seed}'
        ])
    assert 'world size 2 -> 1' in str(err.value) and 'a iterate length 2 -> 4' in str(err.value)


def _assert_same(a, b, what):
    assert a.keys() == b.keys()
    differ = [k for k in a if not torch.equal(a[k], b[k])]
    assert not differ, f'{what}: {len(differ)} of {len(a)} tensors differ, e.g. {differ[:3]}'


def _run(args, port='29533'):
    proc = subprocess.run(
        ['bash', osp.join(REPO, 'tools', args[0])] + args[1:],
        env=dict(
            os.environ,
            PYTHON=sys.executable,
            PORT=port,
            PYTHONPATH=osp.join(REPO, 'tests', 'test_tools')),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-6000:]
    return proc.stdout
