"""muscle_mm.utils.dist_teardown: the tools leave no live process group behind (a live gloo group
at interpreter exit can abort a finished torchrun process)."""
import torch.distributed as dist

from muscle_mm.utils.dist_teardown import destroy_process_group


def test_destroys_the_default_group_once(tmp_path):
    assert destroy_process_group() is False  # no group: nothing to do (in-process tool calls)
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path / "store"}', rank=0, world_size=1)
    try:
        assert destroy_process_group() is True
        assert not dist.is_initialized()
        assert destroy_process_group() is False
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


EXIT = '''
import atexit, sys
import torch.distributed as dist
from muscle_mm.utils import dist_teardown
atexit.register(lambda: open(sys.argv[1] + '.atexit', 'w').close())
if sys.argv[2] == 'dist':
    dist.init_process_group('gloo', init_method='file://' + sys.argv[1] + '.store', rank=0,
                            world_size=1)
    dist_teardown.destroy_process_group()
dist_teardown.exit_process()
print('returned')  # only where the process ran single
'''


def test_exit_process_runs_exit_handlers_and_leaves_only_after_a_distributed_run(tmp_path):
    import subprocess
    import sys
    for mode, printed in (('dist', ''), ('single', 'returned')):
        base = str(tmp_path / mode)
        out = subprocess.run([sys.executable, '-c', EXIT, base, mode],
                             capture_output=True,
                             text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.strip() == printed
        assert (tmp_path / f'{mode}.atexit').is_file()  # Python's exit handlers ran
