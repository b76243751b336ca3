"""MUSCLE's Tables 2 and 3 (Markdown and CSV) from a grid's results, beside the paper's numbers.

tools/analysis_tools/paper_tables.py writes them from a finished grid and tools/run_grid.py after
its runs. Nothing is left out silently: every init of a task and depth with any run gets a row
('not run' when it has no result), and a cell whose mean is over fewer seeds than the grid's says
how many were NaN or not run ('n=2 of 3, 1 NaN').
"""
import csv
import math
import os.path as osp
from typing import Iterable, List, Optional, Tuple

from .grid import DEPTHS, INIT_NAMES, INITS, TABLE_TASKS, TASK_NAMES
from .results import (CLS_COLUMNS, COLUMNS, NOT_RUN, STUDY_COLUMNS, Cells, fmt, load_results,
                      summarize)

# The paper's Tab. 2 (Acc, Sen, Spe, AUC, CI low, CI high) and Tab. 3 (Dice, mIoU | mAP,
# AP active, AP latent); ResNet-50's fourth Tab. 3 row is printed "MUSCLE" but is MUSCLE--.
_T2 = {
    ('pneumonia', 18): [(91.11, 93.91, 83.54, 96.58, 95.09, 97.81),
                        (90.09, 93.68, 80.38, 96.05, 94.24, 97.33),
                        (96.58, 97.19, 94.94, 98.48, 97.14, 99.30),
                        (96.75, 97.66, 94.30, 99.51, 99.16, 99.77),
                        (97.26, 97.42, 96.84, 99.61, 99.32, 99.83)],
    ('pneumonia', 50): [(91.45, 92.51, 88.61, 96.55, 95.08, 97.82),
                        (95.38, 95.78, 94.30, 98.72, 98.03, 99.33),
                        (97.09, 98.83, 92.41, 99.53, 99.23, 99.75),
                        (96.75, 98.36, 92.41, 99.58, 99.30, 99.84),
                        (98.12, 98.36, 97.47, 99.72, 99.46, 99.92)],
    ('mura', 18): [(81.00, 68.17, 89.91, 86.62, 85.73, 87.55),
                   (81.88, 73.49, 87.70, 88.11, 87.18, 89.03),
                   (82.48, 72.27, 89.57, 88.28, 87.28, 89.26),
                   (82.45, 74.16, 88.21, 88.41, 87.54, 89.26),
                   (82.62, 74.28, 88.42, 88.50, 87.46, 89.57)],
    ('mura', 50): [(80.50, 65.42, 90.97, 86.22, 85.22, 87.35),
                   (81.73, 68.36, 91.01, 87.87, 86.85, 88.85),
                   (82.35, 73.12, 88.76, 87.89, 87.06, 88.88),
                   (81.10, 69.03, 89.48, 87.14, 86.10, 88.22),
                   (82.60, 74.53, 88.21, 88.37, 87.38, 89.32)],
}
_T3 = {
    18: [(95.24, 94.00, 30.71, 56.71, 4.72), (95.26, 94.10, 29.46, 56.27, 2.66),
         (95.31, 94.14, 36.00, 67.17, 4.84), (95.14, 93.90, 34.70, 63.43, 5.97),
         (95.37, 94.22, 36.71, 64.84, 8.59)],
    50: [(93.52, 92.03, 23.93, 44.85, 3.01), (93.77, 92.43, 35.61, 58.81, 12.42),
         (94.33, 93.04, 36.78, 64.37, 9.18), (95.04, 93.82, 35.14, 57.32, 12.97),
         (95.27, 94.10, 37.83, 63.46, 12.21)],
}


def paper_value(task: str, depth: int, init: str, column: str) -> Optional[float]:
    """The paper's number in Tab. 2 or 3 for this cell and column (None: not in the paper)."""
    i = INITS.index(init)
    if task in TABLE_TASKS[2]:
        cols = list(CLS_COLUMNS)
        return _T2[(task, depth)][i][cols.index(column)] if column in cols else None
    cols = ['Dice', 'mIoU'] if task == 'lung' else ['mAP', 'AP active', 'AP latent']
    offset = 0 if task == 'lung' else 2
    return _T3[depth][i][offset + cols.index(column)]


def _count_note(n: int, ran: int, expected: int) -> str:
    """'' when every expected seed ran and gave a number, else ' (n=2 of 3, 1 NaN)' etc."""
    nan, missing = ran - n, expected - ran
    if not nan and not missing:
        return ''
    parts = [f'n={n} of {expected}'
             ] + ([f'{nan} NaN'] if nan else []) + ([f'{missing} {NOT_RUN}'] if missing else [])
    return ' (' + ', '.join(parts) + ')'


def _cell(results: List[dict], key: str, expected: int, ci_prefix: Optional[str] = None) -> str:
    """A Markdown cell: mean ± sd over the finite seeds, the CI if ``ci_prefix``, and how many
    seeds were NaN or not run; 'not run' without any result."""
    if not results:
        return NOT_RUN
    mean, sd, n = summarize(results, key)
    text = fmt(mean, sd)
    if ci_prefix and n:
        low, _, _ = summarize(results, f'{ci_prefix}/auc_ci_low')
        high, _, _ = summarize(results, f'{ci_prefix}/auc_ci_high')
        text += '' if math.isnan(low) else f' ({low:.2f}-{high:.2f})'
    return text + _count_note(n, len(results), expected)


def expected_seeds(cells: Cells, expected: Iterable[tuple] = ()) -> List[int]:
    """The seeds every run of the tables should have: those of any result, and of ``expected``
    ``(task, init, depth, seed)`` runs (run_grid's selection)."""
    return sorted({r['seed'] for rs in cells.values() for r in rs} | {e[3] for e in expected})


def build_rows(cells: Cells,
               tasks: Tuple[str, ...],
               with_paper: bool,
               expected: Iterable[tuple] = ()) -> Tuple[list, list]:
    """Markdown rows and CSV records of the table holding ``tasks``: every init of each
    (task, depth) that has a result or an expected run, a missing one marked 'not run'."""
    md, records = [], []
    expected = list(expected)
    seeds_all = expected_seeds(cells, expected)
    n_expected = len(seeds_all)
    table2 = tasks[0] in TABLE_TASKS[2]
    present = {(t, d) for (t, d, _) in cells} | {(e[0], e[2]) for e in expected}
    groups = [(t, d) for t in tasks for d in DEPTHS if (t, d) in present] if table2 else \
        [(None, d) for d in DEPTHS if any((t, d) in present for t in tasks)]
    for task, depth in groups:
        for init in INITS:
            row_tasks = (task, ) if table2 else tasks
            found = {t: cells.get((t, depth, init)) or [] for t in row_tasks}
            seeds = sorted({r['seed'] for rs in found.values() for r in rs})
            record = dict(backbone=f'ResNet-{depth}', pretrain=INIT_NAMES[init], seeds=seeds)
            cols_md = []
            for t in row_tasks:
                rs = found[t]
                record[f'{t} seeds run'] = f'{len(rs)} of {n_expected}' if rs else NOT_RUN
                columns = dict(COLUMNS[t], **(STUDY_COLUMNS if t == 'mura' else {}))
                for name, key in columns.items():
                    mean, sd, n = summarize(rs, key)
                    record[f'{t} {name}'], record[f'{t} {name} std'] = mean, sd
                    record[f'{t} {name} n'] = n
                    if with_paper:
                        record[f'{t} {name} paper'] = paper_value(t, depth, init, name) \
                            if name in COLUMNS[t] else None
                if table2:
                    cols_md += [
                        _cell(rs, COLUMNS[t][c], n_expected) for c in ('Acc.', 'Sen.', 'Spe.')
                    ]
                    cols_md += [_cell(rs, 'binary/auc', n_expected, 'binary')]
                    study = any('study/auc' in r['metrics'] for r in rs)
                    cols_md += [
                        _cell(rs, 'study/auc', n_expected, 'study') if study else
                        (NOT_RUN if not rs else '')
                    ]
                else:
                    cols_md += [_cell(rs, k, n_expected) for k in COLUMNS[t].values()]
            head = ([TASK_NAMES[task]] if table2 else []) + [f'ResNet-{depth}', INIT_NAMES[init]]
            seeds_md = (f'{len(seeds)} of {n_expected}' if len(seeds) < n_expected else str(
                len(seeds)))
            md.append(head + ['ours', seeds_md] + cols_md)
            if with_paper:
                paper = []
                for t in row_tasks:
                    if table2:
                        v = [paper_value(t, depth, init, c) for c in CLS_COLUMNS]
                        paper += [f'{x:.2f}' for x in v[:3]]
                        paper += [f'{v[3]:.2f} ({v[4]:.2f}-{v[5]:.2f})', '']
                    else:
                        paper += [f'{paper_value(t, depth, init, c):.2f}' for c in COLUMNS[t]]
                md.append([''] * len(head) + ['paper', '1'] + paper)
            if table2:
                record = dict(dataset=TASK_NAMES[task], **record)
            records.append(record)
    return md, records


def write_table(grid_dir: str,
                number: int,
                cells: Cells,
                with_paper: bool,
                expected: Iterable[tuple] = ()) -> List[str]:
    """``<grid_dir>/table<number>.{md,csv}`` (2: Pneumonia, MURA; 3: Lung, TBX); [] when the
    table has no row."""
    tasks = TABLE_TASKS[number]
    md_rows, records = build_rows(cells, tasks, with_paper, expected)
    if not records:
        return []
    if number == 2:
        header = [
            'Dataset', 'Backbone', 'Pre-train', 'Source', 'Seeds', 'Acc.', 'Sen.', 'Spe.',
            'AUC (95% CI)', 'Study AUC (95% CI)'
        ]
        title = ('Table 2. Pneumonia and MURA classification (test split, %). Study AUC: MURA, '
                 'mean probability per study.')
    else:
        header = [
            'Backbone', 'Pre-train', 'Source', 'Seeds', 'Lung Dice', 'Lung mIoU', 'TBX mAP',
            'TBX AP active', 'TBX AP latent'
        ]
        title = ('Table 3. Lung segmentation (Dice of the lung, mIoU over background and lung) and '
                 'TB detection (AP at IoU 0.5) on the test split, %.')
    n_seeds = len(expected_seeds(cells, expected))
    note = ('With several seeds: mean ± sample standard deviation over seeds; a CI in brackets is '
            'the mean of the per-seed 95% bootstrap CIs. Every initialization of a task and depth '
            f'that has any run is listed, over the {n_seeds} seed(s) of the grid: "not run": no '
            'result.json for that run; "(n=2 of 3, 1 NaN)": the mean is over the 2 seeds with a '
            'number, 1 seed gave NaN (undefined, e.g. an AUC over one class), others were not '
            'run; "NaN": undefined on every seed; an empty Study AUC: no study metric '
            '(Pneumonia).')
    lines = [title, '', '| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(row) + ' |' for row in md_rows]
    md_path = osp.join(grid_dir, f'table{number}.md')
    with open(md_path, 'w') as f:
        f.write('\n'.join(lines + ['', note, '']))
    csv_path = osp.join(grid_dir, f'table{number}.csv')
    fields = list(dict.fromkeys(k for r in records for k in r))
    with open(csv_path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for r in records:
            writer.writerow({
                k: (' '.join(map(str, v)) if isinstance(v, list) else '' if v is None or
                    (isinstance(v, float) and math.isnan(v)) else v)
                for k, v in r.items()
            })
    return [md_path, csv_path]


def write_tables(grid_dir: str,
                 with_paper: bool = False,
                 expected: Iterable[tuple] = ()) -> List[str]:
    """Write Table 2 and/or 3 for whatever results ``grid_dir`` holds, and the ``expected``
    ``(task, init, depth, seed)`` runs (shown 'not run' when absent); return the files."""
    cells, expected = load_results(grid_dir), list(expected)
    return (write_table(grid_dir, 2, cells, with_paper, expected) +
            write_table(grid_dir, 3, cells, with_paper, expected))
