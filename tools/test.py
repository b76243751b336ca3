"""Test (evaluate) a checkpoint with an mmpretrain, mmdet, mmseg or muscle_mm config.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.pkl] [--amp]
        [--json-out metrics.json] [--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}]
        [--allow-partial-checkpoint]

The tool's code is muscle_mm/cli/test.py (``main(argv)``), which other tools run
in-process (issue 18); its docstring has the details.
"""
import sys

from muscle_mm.cli.test import main, parse_args  # noqa: F401  (tests import it)
from muscle_mm.utils.checkpoint_fit import CheckpointMismatchError
from muscle_mm.utils.dist_teardown import exit_process

if __name__ == '__main__':
    try:
        main()
    except CheckpointMismatchError as e:
        sys.exit(f'test.py: error: {e}')
    exit_process()  # a torchrun rank: no C++ teardown crash after the metrics are written
