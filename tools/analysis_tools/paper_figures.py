"""The paper's figures from test predictions (``tools/test.py CONFIG CKPT --out preds.pkl``, or

The tool's code is muscle_mm/cli/paper_figures.py (``main(argv)``), which other tools run
in-process (issue 18); its docstring has the details.
"""
from muscle_mm.cli.paper_figures import main

if __name__ == '__main__':
    main()
