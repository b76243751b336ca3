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
