"""Two processes on torchrun with gloo, CPU only, through tools/dist_train.sh -> tools/train.py;
MUSCLE's continual stage on two ranks with diff_rank_seed: one plan, one model, exact resume."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import torch
from test_engine.test_runner.tiny_continual import ROUNDS, TASKS, write_config

from _helpers import EVAL, REPO


def test_two_process_gloo_training(tiny_cls_config, tmp_path):
    hook = (f"\ncustom_imports = dict(imports=['muscle_mm', 'rank_probe'], "
            f"allow_failed_imports=False)\n"
            f"custom_hooks = [dict(type='RankDoneHook', out_dir='{tmp_path}')]\n")
    cfg = tiny_cls_config(iters=2, extra=hook + EVAL.replace('{data}', str(tmp_path / 'data')))
    out = _run(['dist_train.sh', cfg, '2', '--work-dir', str(tmp_path / 'work')])
    for rank in (0, 1):
        done = tmp_path / f'rank{rank}.done'
        assert done.is_file(), out[-4000:]
        iters, world, backend = done.read_text().split()
        assert (iters, world, backend) == ('2', '2', 'gloo')
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()
    # evaluation on two processes: each rank scores half, the metric sees all 8 images
    out = _run([
        'dist_test.sh', cfg,
        str(tmp_path / 'work' / 'iter_2.pth'), '2', '--work-dir',
        str(tmp_path / 'work')
    ])
    assert 'accuracy/top1' in out


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
