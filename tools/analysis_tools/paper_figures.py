"""The paper's figures from test predictions (``tools/test.py CONFIG CKPT --out preds.pkl``, or
the ``preds_test.pkl`` that tools/run_grid.py keeps for every run), one per initialization.

    python tools/analysis_tools/paper_figures.py roc --pred Scratch=a.pkl MUSCLE=b.pkl \
        --out roc.png
    python tools/analysis_tools/paper_figures.py lung --grid-dir work_dirs/grid --depth 18 \
        --out lung.png [--num-images 4] [--pick spread]
    python tools/analysis_tools/paper_figures.py tbx --grid-dir work_dirs/grid --depth 50 \
        --out tbx.png

The tool's code is muscle_mm/cli/paper_figures.py (``main(argv)``), which other tools run
in-process (issue 18); its docstring has the details.
"""
from muscle_mm.cli.paper_figures import main, parse_args  # noqa: F401  (tests import it)

if __name__ == '__main__':
    main()
