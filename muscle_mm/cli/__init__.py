"""The code of the command-line tools that other tools run in-process (issue 18).

tools/train.py, tools/test.py, tools/run_grid.py, tools/analysis_tools/{paper_figures,
paper_claims,linear_probe,check_leakage}.py and tools/model_converters/extract_backbone.py are
entry points over these modules: tools/run_grid.py trains and tests each run in its own process
and tools/demo.py runs the whole pipeline in one (one import of torch and the mm libraries
instead of twenty), so they import ``muscle_mm.cli.<tool>`` instead of each other or editing
``sys.path``. Each module's ``main(argv)`` is its tool's command line.

Layer: the top one, like tools/: it may import every other subpackage, each where it is used.
"""
