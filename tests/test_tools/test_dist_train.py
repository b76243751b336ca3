"""Two processes on torchrun with gloo, CPU only, through tools/train.py."""
import os.path as osp

from _helpers import REPO, run_tool


def test_two_process_gloo_training(tiny_cls_config, tmp_path):
    hook = (f"\ncustom_imports = dict(imports=['muscle_mm', 'rank_probe'], "
            f"allow_failed_imports=False)\n"
            f"custom_hooks = [dict(type='RankDoneHook', out_dir='{tmp_path}')]\n")
    cfg = tiny_cls_config(iters=2, extra=hook)
    out = run_tool(['-m', 'torch.distributed.run', '--nproc_per_node=2', '--master_port=29533',
                    osp.join(REPO, 'tools', 'train.py'), cfg, '--launcher', 'pytorch',
                    '--work-dir', str(tmp_path / 'work')],
                   env={'PYTHONPATH': f"{REPO}:{osp.join(REPO, 'tests', 'test_tools')}"})
    for rank in (0, 1):
        done = tmp_path / f'rank{rank}.done'
        assert done.is_file(), out[-4000:]
        iters, world, backend = done.read_text().split()
        assert (iters, world, backend) == ('2', '2', 'gloo')
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()
