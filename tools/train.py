"""Train a model from an mmpretrain, mmdet, mmseg or muscle_mm config.

    python tools/train.py configs/muscle/mdmoco_r50.py [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}]

The tool's code is muscle_mm/cli/train.py (``main(argv)``), which other tools run
in-process (issue 18); its docstring has the details.
"""
from muscle_mm.cli.train import main, merge_args, parse_args  # noqa: F401  (tests import it)
from muscle_mm.utils.dist_teardown import exit_process

if __name__ == '__main__':
    main()
    exit_process()  # a torchrun rank: no C++ teardown crash after the work is written
