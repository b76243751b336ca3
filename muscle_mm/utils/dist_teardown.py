"""End a tool's run with the default process group destroyed, on every rank.

A torchrun process that exits with its process group still alive can abort in the C++
destructors ("terminate called without an active exception", SIGABRT) while a peer is still
shutting down: the work is done and written, yet torchrun reports the run as failed. Seen once in
three fresh-clone test runs of ``tools/dist_test.sh`` on 2 gloo processes, after the metrics were
written. PyTorch asks for ``destroy_process_group()`` before exit; mmengine does not call it.
"""
import torch.distributed as dist


def destroy_process_group() -> bool:
    """Wait for every rank, then destroy the default process group; False if there was none
    (a single-process run, or a tool called in-process)."""
    if not (dist.is_available() and dist.is_initialized()):
        return False
    dist.barrier()
    dist.destroy_process_group()
    return True
