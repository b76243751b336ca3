"""muscle_mm.experiments.tables (tools/analysis_tools/paper_tables.py): Tables 2 and 3 from
result.json files, mean and sample standard deviation over seeds, the paper's numbers beside
ours, and records that contradict their folder or lack a metric refused."""
import csv
import json
import os
import os.path as osp

import numpy as np
import pytest

from muscle_mm.experiments import tables as paper_tables


def _result(grid, task, init, depth, seed, metrics):
    d = osp.join(grid, task, f'{task}_{init}_r{depth}', f'seed{seed}')
    os.makedirs(d, exist_ok=True)
    with open(osp.join(d, 'result.json'), 'w') as f:
        json.dump(dict(task=task, init=init, depth=depth, seed=seed, metrics=metrics), f)


def test_table3_mean_and_spread_over_seeds(tmp_path):
    grid = str(tmp_path)
    dice, miou, ap = [90.0, 92.0, 95.0], [88.0, 89.0, 93.0], [(40.0, 10.0), (44.0, None)]
    for seed in range(3):
        _result(grid, 'lung', 'muscle', 50, seed, {'seg/dice': dice[seed], 'seg/mIoU': miou[seed]})
    for seed, (active, latent) in enumerate(ap):
        _result(
            grid,
            'tbx',
            'muscle',
            50,
            seed,
            {
                'coco/AP50_active': active,
                'coco/AP50_latent': latent,  # None: NaN (no latent GT)
                'coco/mAP50': active if latent is None else (active + latent) / 2
            })
    files = paper_tables.write_tables(grid, with_paper=True)
    assert [osp.basename(f) for f in files] == ['table3.md', 'table3.csv']
    md = open(osp.join(grid, 'table3.md')).read()
    row = f'| ResNet-50 | MUSCLE | ours | 3 | {np.mean(dice):.2f} ± {np.std(dice, ddof=1):.2f} |'
    assert row in md
    assert '|  |  | paper | 1 | 95.27 | 94.10 | 37.83 | 63.46 | 12.21 |' in md
    records = list(csv.DictReader(open(osp.join(grid, 'table3.csv'))))
    # every init of ResNet-50 is listed; those without a result say so
    assert [r['pretrain']
            for r in records] == ['Scratch', 'ImageNet', 'MD-MoCo', 'MUSCLE--', 'MUSCLE']
    assert '| ResNet-50 | Scratch | ours | 0 of 3 | not run | not run | not run | not run | ' \
        'not run |' in md
    assert records[0]['lung seeds run'] == 'not run' and records[0]['lung Dice'] == ''
    # tbx ran 2 of the grid's 3 seeds, and one of them has no latent AP (NaN)
    assert f'| {np.mean([40.0, 44.0]):.2f} ± {np.std([40.0, 44.0], ddof=1):.2f} ' \
        '(n=2 of 3, 1 not run) |' in md
    assert '| 10.00 (n=1 of 3, 1 NaN, 1 not run) |' in md
    assert 'not run' in md.split('\n')[-2] and 'NaN' in md.split('\n')[-2]  # the note says so
    record = records[-1]
    assert record['tbx seeds run'] == '2 of 3' and record['tbx AP latent n'] == '1'
    assert float(record['lung mIoU']) == pytest.approx(np.mean(miou))
    assert float(record['lung mIoU std']) == pytest.approx(np.std(miou, ddof=1))
    assert float(record['tbx AP latent']) == 10.0 and record['tbx AP latent std'] == ''
    assert record['seeds'] == '0 1 2'


def test_table2_with_study_auc_and_bad_records(tmp_path):
    grid = str(tmp_path)
    cls = {
        'binary/accuracy': 80.0,
        'binary/sensitivity': 70.0,
        'binary/specificity': 90.0,
        'binary/auc': 88.0,
        'binary/auc_ci_low': 86.0,
        'binary/auc_ci_high': 90.0
    }
    _result(grid, 'mura', 'imagenet', 18, 0,
            dict(cls, **{
                'study/auc': 91.0,
                'study/auc_ci_low': 89.0,
                'study/auc_ci_high': 93.0
            }))
    paper_tables.write_tables(grid)
    md = open(osp.join(grid, 'table2.md')).read()
    assert ('| MURA | ResNet-18 | ImageNet | ours | 1 | 80.00 | 70.00 | 90.00 '
            '| 88.00 (86.00-90.00) | 91.00 (89.00-93.00) |') in md
    assert 'paper' not in md.split('\n', 3)[-1]  # no paper rows unless asked
    _result(grid, 'pneumonia', 'muscle', 18, 0, {'binary/accuracy': 1.0})
    with pytest.raises(KeyError, match='binary/sensitivity'):
        paper_tables.write_tables(grid)
    _result(grid, 'pneumonia', 'muscle', 18, 0, dict(cls))
    with open(osp.join(grid, 'pneumonia', 'pneumonia_muscle_r18', 'seed0', 'result.json'),
              'w') as f:
        json.dump(dict(task='pneumonia', init='mdmoco', depth=18, seed=0, metrics=cls), f)
    with pytest.raises(ValueError, match='does not match the run it records'):
        paper_tables.write_tables(grid)


def test_table2_shows_a_missing_run_and_a_nan_seed(tmp_path):
    """A grid of 3 seeds where MD-MoCo was never run and one Scratch seed has a NaN AUC: the
    MD-MoCo row says 'not run', the Scratch AUC says it is the mean of 2 of 3 seeds."""
    grid = str(tmp_path)
    for seed, auc in enumerate([80.0, None, 90.0]):
        for init in ('scratch', 'muscle'):
            _result(
                grid, 'pneumonia', init, 18, seed, {
                    'binary/accuracy': 70.0,
                    'binary/sensitivity': 60.0,
                    'binary/specificity': 80.0,
                    'binary/auc': auc if init == 'scratch' else 95.0,
                    'binary/auc_ci_low': 1.0,
                    'binary/auc_ci_high': 2.0
                })
    paper_tables.write_tables(grid, expected=[('pneumonia', 'mdmoco', 18, s) for s in range(3)])
    md = open(osp.join(grid, 'table2.md')).read()
    assert '| Pneumonia | ResNet-18 | MD-MoCo | ours | 0 of 3 | not run | not run | not run | ' \
        'not run | not run |' in md
    assert f'| {np.mean([80, 90]):.2f} ± {np.std([80, 90], ddof=1):.2f} (1.00-2.00) ' \
        '(n=2 of 3, 1 NaN) |' in md
    assert '| Pneumonia | ResNet-18 | MUSCLE | ours | 3 | 70.00 ± 0.00 |' in md
    rows = list(csv.DictReader(open(osp.join(grid, 'table2.csv'))))
    assert [r['pretrain'] for r in rows] == ['Scratch', 'ImageNet', 'MD-MoCo', 'MUSCLE--', 'MUSCLE']
    assert rows[0]['pneumonia AUC n'] == '2' and rows[2]['pneumonia seeds run'] == 'not run'
    assert '| MURA |' not in md  # a task with no run and none expected gets no rows
