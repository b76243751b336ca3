"""The paper's comparisons in miniature, over seeds, from the output folder of tools/demo.py.

    python tools/analysis_tools/paper_claims.py work_dirs/demo

The tool's code is muscle_mm/cli/paper_claims.py (``main(argv)``), which other tools run
in-process (issue 18); its docstring has the details.
"""
from muscle_mm.cli.paper_claims import main

if __name__ == '__main__':
    main()
