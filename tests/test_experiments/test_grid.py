"""muscle_mm.experiments.grid: the one definition of MUSCLE's fine-tuning grid (issue 18). Every
cell has its config in the clone, and the run folders run_grid writes are those the tables,
claims and figures read back."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from muscle_mm.experiments import grid
from muscle_mm.experiments.results import load_results
from _helpers import REPO


def test_every_cell_of_the_grid_has_its_config():
    assert osp.samefile(grid.CLONE, REPO)
    cells = [(t, i, d) for t in grid.TASKS for i in grid.INITS for d in grid.DEPTHS]
    assert len(cells) == 40  # Tab. 2-3: 4 tasks x 5 inits x 2 depths
    missing = [grid.config_path(*c) for c in cells if not osp.isfile(grid.config_path(*c))]
    assert not missing
    assert set(grid.INIT_NAMES) == set(grid.INITS) and set(grid.TASK_NAMES) == set(grid.TASKS)
    assert sorted(t for ts in grid.TABLE_TASKS.values() for t in ts) == sorted(grid.TASKS)
    assert set(grid.TASK_DATASETS) == set(grid.TASK_FIGURES) == set(grid.TASKS)


@pytest.mark.parametrize('task, init, depth', [('mura', 'muscle_minus', 50),
                                               ('tbx', 'scratch', 18)])
def test_run_names_round_trip(task, init, depth):
    name = grid.run_name(task, init, depth)
    assert grid.parse_run_name(name) == (task, init, depth)
    assert osp.basename(grid.config_path(task, init, depth)) == name + '.py'
    assert grid.run_dir('w', task, init, depth, 3) == osp.join('w', task, name, 'seed3')
    assert grid.parse_run_name('pneumonia_mdmoco') is None


def test_a_run_folder_is_read_back_as_its_cell(tmp_path):
    metrics = {'seg/dice': 90.0, 'seg/mIoU': 80.0}
    folder = grid.run_dir(str(tmp_path), 'lung', 'muscle', 18, 1)
    os.makedirs(folder)
    with open(osp.join(folder, grid.RESULT_FILE), 'w') as f:
        json.dump(dict(task='lung', init='muscle', depth=18, seed=1, metrics=metrics), f)
    assert list(load_results(str(tmp_path))) == [('lung', 18, 'muscle')]


def test_importing_the_grid_stays_light():
    """The tables and claims read results without importing any model library."""
    code = ('import sys, muscle_mm.experiments.tables, muscle_mm.experiments.results\n'
            "print(sorted(m for m in ('muscle_mm.models', 'muscle_mm.engine', 'muscle_mm.datasets',"
            " 'mmpretrain.models', 'mmdet.models') if m in sys.modules))")
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         cwd=REPO,
                         env=dict(os.environ, PYTHONPATH=REPO))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == '[]'
