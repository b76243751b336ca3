"""MUSCLE's Tables 2 and 3 (Markdown and CSV) from the fine-tuning results of tools/run_grid.py.

    python tools/analysis_tools/paper_tables.py work_dirs/grid [--paper]

Reads every ``<grid>/<task>/<task>_<init>_r<depth>/seed<N>/result.json``, averages a cell over
its seeds (mean and sample standard deviation; with one seed the paper's single-run format) and
writes ``<grid>/table2.{md,csv}`` (Pneumonia, MURA) and ``<grid>/table3.{md,csv}`` (Lung, TBX).
Nothing is left out silently: every init of a task and depth with any run gets a row ('not run'
when it has no result), and a cell whose mean is over fewer seeds than the grid's says how many
were NaN or not run ('n=2 of 3, 1 NaN').
``--paper`` puts the paper's numbers beside ours. The tables are built by
muscle_mm/experiments/tables.py.
"""
import argparse

from muscle_mm.experiments.tables import write_tables


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('grid_dir', help='the --work-dir of tools/run_grid.py')
    parser.add_argument('--paper', action='store_true', help="add the paper's numbers")
    args = parser.parse_args(argv)
    files = write_tables(args.grid_dir, args.paper)
    print('\n'.join(files) if files else f'no result.json under {args.grid_dir}')
    return files


if __name__ == '__main__':
    main()
