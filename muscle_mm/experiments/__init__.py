"""MUSCLE's experiment grid and its results, in one place (issue 18).

The fine-tuning grid (tasks x initializations x depths x seeds), its run names, work-dir layout
and config paths (:mod:`.grid`), reading the ``result.json`` files a grid leaves
(:mod:`.results`) and the paper's Tables 2 and 3 built from them (:mod:`.tables`). The tools
(tools/run_grid.py, tools/demo.py, tools/analysis_tools/paper_*.py, ...) and the benchmarks
import these instead of each defining the grid again.

Layer: mmengine, numpy and the standard library only (no models, engine or datasets), so that
reading a grid's results never imports a model library.
"""
