"""Two processes on torchrun with gloo, CPU only, through tools/dist_train.sh -> tools/train.py."""
import os
import os.path as osp
import subprocess
import sys

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
    out = _run(['dist_test.sh', cfg, str(tmp_path / 'work' / 'iter_2.pth'), '2', '--work-dir',
                str(tmp_path / 'work')])
    assert 'accuracy/top1' in out


def _run(args):
    proc = subprocess.run(
        ['bash', osp.join(REPO, 'tools', args[0])] + args[1:],
        env=dict(os.environ, PYTHON=sys.executable, PORT='29533',
                 PYTHONPATH=osp.join(REPO, 'tests', 'test_tools')),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-6000:]
    return proc.stdout
