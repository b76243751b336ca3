"""End a tool's run on every rank of a torchrun job without a crash at exit.

A torchrun process that exits with its process group still alive can abort in the C++
destructors ("terminate called without an active exception", SIGABRT) while a peer is still
shutting down: the work is done and written, yet torchrun reports the run as failed. PyTorch asks
for ``destroy_process_group()`` before exit (mmengine does not call it), so the tools do. That is
not enough on a loaded machine: with the group destroyed, ``tools/dist_test.sh`` on 2 gloo
processes still aborted 1 run in 8 to 9 with 3 busy loops beside it, each time after the metrics
were written and with no Python frame left (the interpreter's own teardown). A rank that ran
distributed therefore ends with :func:`exit_process`: Python's exit handlers run (logging, the
dataloaders' worker processes), then the process leaves without the C++ static destructors.
"""
import atexit
import os
import sys

import torch.distributed as dist

_destroyed = False  # this process destroyed a default group: it ran distributed


def destroy_process_group() -> bool:
    """Wait for every rank, then destroy the default process group; False if there was none
    (a single-process run, or a tool called in-process)."""
    global _destroyed
    if not (dist.is_available() and dist.is_initialized()):
        return False
    dist.barrier()
    dist.destroy_process_group()
    _destroyed = True
    return True


def exit_process(code: int = 0) -> None:
    """A tool's last call under ``__main__``: after a distributed run, run the exit handlers and
    flush, then ``os._exit(code)``; otherwise return (a normal exit, nothing skipped)."""
    if not _destroyed:
        return
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
