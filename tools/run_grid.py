"""Fine-tune any slice of MUSCLE's grid and write the paper's Tables 2 and 3.

    python tools/run_grid.py --tasks pneumonia lung --inits scratch mdmoco muscle --depths 18 \
        [--seeds 0 1 2] [--work-dir work_dirs/grid] [--paper] [--cfg-options k=v ...] \
        [--pretrained mdmoco_r18=PATH ...] [--launcher pytorch --gpus 8] [--figures] [--dry-run]

The tool's code is muscle_mm/cli/run_grid.py (``main(argv)``), which other tools run
in-process (issue 18); its docstring has the details.
"""
import sys

from muscle_mm.cli.run_grid import GridError, main, parse_args  # noqa: F401  (tests import it)

if __name__ == '__main__':
    try:
        main()
    except GridError as e:
        sys.exit(f'run_grid.py: error: {e}')
