"""Keep only the query backbone of an MD-MoCo (or any mmpretrain) checkpoint.

    python tools/model_converters/extract_backbone.py work_dirs/mdmoco_r50/epoch_200.pth \
        mdmoco_r50_backbone.pth [--strip-prefix] [--trusted]

The tool's code is muscle_mm/cli/extract_backbone.py (``main(argv)``), which other tools run
in-process (issue 18); its docstring has the details.
"""
from muscle_mm.cli.extract_backbone import main, parse_args  # noqa: F401  (tests import it)

if __name__ == '__main__':
    main()
