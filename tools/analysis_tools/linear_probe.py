"""Linear probe of frozen backbones on a binary X-ray task (PneumoniaCXR or MURA).

    python tools/analysis_tools/linear_probe.py configs/muscle/mdmoco_r18.py \
        --checkpoints kaiming work_dirs/mdmoco_r18_backbone.pth --dataset PneumoniaCXR

The tool's code is muscle_mm/cli/linear_probe.py (``main(argv)``), which other tools run
in-process (issue 18); its docstring has the details.
"""
from muscle_mm.cli.linear_probe import main, parse_args  # noqa: F401  (tests import it)

if __name__ == '__main__':
    main()
