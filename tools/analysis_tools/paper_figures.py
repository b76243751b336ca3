"""The paper's figures (ROC curves, lung overlays, TB boxes) from test predictions.

    python tools/analysis_tools/paper_figures.py {roc,lung,tbx} --out FIG.png \
        (--pred NAME=PKL ... | --grid-dir work_dirs/grid [--task T] [--depth D] [--seed S])

The tool's code is muscle_mm/cli/paper_figures.py (``main(argv)``), which other tools run
in-process (issue 18); its docstring has the details.
"""
from muscle_mm.cli.paper_figures import main, parse_args  # noqa: F401  (tests import it)

if __name__ == '__main__':
    main()
