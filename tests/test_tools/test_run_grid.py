"""tools/run_grid.py on generated data: a small slice fills Table 2, a second call skips the
finished runs, tools/test.py on the selected checkpoint reproduces the last validation, and bad
input stops with a clear error before anything trains."""
import csv
import glob
import json
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from muscle_mm.cli import run_grid
from muscle_mm.datasets.synthetic import generate_all
from _helpers import REPO

CONFIG = osp.join(REPO, 'configs', 'finetune', 'pneumonia', 'pneumonia_scratch_r18.py')


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('grid')
    root = generate_all(str(tmp / 'data'), only=['PneumoniaCXR'])['PneumoniaCXR']
    cfg = Config.fromfile(CONFIG)
    opts = []
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        resize = [t['type'] for t in loader.dataset.pipeline].index('Resize')
        opts += [
            f'{split}_dataloader.dataset.data_root={root}',
            f'{split}_dataloader.dataset.split_mode=official',  # both classes in each split
            f'{split}_dataloader.dataset.pipeline.{resize}.scale=(32,32)',
            f'{split}_dataloader.batch_size=2',
            f'{split}_dataloader.num_workers=0'
        ]
    # 2 iterations; validate on the test split, so tools/test.py must reproduce the validation
    opts += [
        'train_dataloader.dataset.indices=4', 'train_cfg.max_epochs=1',
        'val_dataloader.dataset.split=test'
    ]
    from mmpretrain.models import ResNet
    torch.manual_seed(0)
    ckpt = str(tmp / 'mdmoco_r18_backbone.pth')
    torch.save(
        dict(state_dict={
            f'backbone.{k}': v
            for k, v in ResNet(18).state_dict().items()
        }), ckpt)
    return tmp, opts, ckpt


def _grid(work, opts, ckpt, *extra, inits=('scratch', 'mdmoco')):
    return run_grid.main([
        '--tasks', 'pneumonia', '--inits', *inits, '--depths', '18', '--work-dir',
        str(work), '--paper', '--pretrained', f'mdmoco_r18={ckpt}', '--cfg-options'
    ] + opts + list(extra))


def _last_val(run_dir):
    """The metrics of the last validation, as the training run logged them."""
    lines = []
    for path in glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json')):
        lines += [json.loads(line) for line in open(path) if 'binary/auc' in line]
    assert lines, f'no validation logged under {run_dir}'
    return lines[-1]


def test_grid_fills_table_then_skips_finished_runs(setup, capsys):
    tmp, opts, ckpt = setup
    work = tmp / 'work'
    files = _grid(work, opts, ckpt)
    assert sorted(osp.basename(f) for f in files) == ['table2.csv', 'table2.md']
    results = {}
    for init in ('scratch', 'mdmoco'):
        run_dir = work / 'pneumonia' / f'pneumonia_{init}_r18' / 'seed0'
        results[init] = json.loads((run_dir / 'result.json').read_text())
        r = results[init]
        assert r['seed'] == 0 and 'randomness.seed=0' in r['cfg_options']
        assert osp.isfile(r['predictions']) and osp.isfile(r['train_log'])
        val = _last_val(str(run_dir))
        for key in ('binary/accuracy', 'binary/auc', 'binary/auc_ci_low', 'binary/sensitivity'):
            assert r['metrics'][key] == pytest.approx(val[key], abs=1e-6), key
    assert 'seed: 0' in open(results['scratch']['train_log']).read()
    rows = list(csv.DictReader(open(work / 'table2.csv')))
    assert [row['pretrain']
            for row in rows] == ['Scratch', 'ImageNet', 'MD-MoCo', 'MUSCLE--', 'MUSCLE']
    assert [row['pneumonia seeds run']
            for row in rows] == ['1 of 1', 'not run', '1 of 1', 'not run', 'not run']
    for row, init in zip(rows[::2], ('scratch', 'mdmoco')):
        assert float(row['pneumonia AUC']) == pytest.approx(results[init]['metrics']['binary/auc'])
        assert row['seeds'] == '0'
    assert float(rows[0]['pneumonia AUC paper']) == 96.58
    md = (work / 'table2.md').read_text()
    assert '| Pneumonia | ResNet-18 | Scratch | ours | 1 |' in md
    assert '| Pneumonia | ResNet-18 | ImageNet | ours | 0 of 1 | not run |' in md
    assert '96.58 (95.09-97.81)' in md  # the paper's row

    mtimes = [
        osp.getmtime(work / 'pneumonia' / f'pneumonia_{i}_r18' / 'seed0' / 'result.json')
        for i in ('scratch', 'mdmoco')
    ]
    capsys.readouterr()
    files = _grid(work, opts, ckpt, '--figures')
    out = capsys.readouterr().out
    assert str(work / 'fig_pneumonia_r18.png') in files  # ROC of both inits
    assert osp.getsize(work / 'fig_pneumonia_r18.png') > 10000
    assert 'grid: 2 runs selected, 2 done, 0 to do' in out and out.count('done, skipped') == 2
    assert mtimes == [
        osp.getmtime(work / 'pneumonia' / f'pneumonia_{i}_r18' / 'seed0' / 'result.json')
        for i in ('scratch', 'mdmoco')
    ]

    # an interrupted run (trained, not tested) resumes from its checkpoint instead of retraining
    scratch = work / 'pneumonia' / 'pneumonia_scratch_r18' / 'seed0'
    os.remove(scratch / 'result.json')
    capsys.readouterr()
    _grid(work, opts, ckpt, inits=['scratch'])
    out = capsys.readouterr().out
    assert '0 done, 1 to do' in out and 'resuming' in out
    again = json.loads((scratch / 'result.json').read_text())
    assert again['metrics'] == results['scratch']['metrics']
    assert not osp.exists(scratch / 'epoch_2.pth')

    with pytest.raises(run_grid.GridError, match='different config.*optim_wrapper'):
        _grid(work, opts + ['optim_wrapper.optimizer.lr=0.5'], ckpt)


def test_bad_input_stops_before_training(setup, tmp_path):
    tmp, opts, ckpt = setup
    with pytest.raises(run_grid.GridError, match='does not exist'):
        _grid(tmp_path / 'a', opts, str(tmp_path / 'missing.pth'), inits=['mdmoco'])
    torch.save(dict(state_dict={'head.fc.weight': torch.zeros(2, 2)}), tmp_path / 'head.pth')
    with pytest.raises(run_grid.GridError, match='no "backbone.\\*" keys'):
        _grid(tmp_path / 'b', opts, str(tmp_path / 'head.pth'), inits=['mdmoco'])
    import torchvision
    with torch.device('meta'):  # the names of a ResNet-50 (mm ResNets use torchvision's)
        keys = [k for k in torchvision.models.resnet50().state_dict() if not k.startswith('fc.')]
    torch.save(
        dict(state_dict={f'backbone.{k}': torch.zeros(1)
                         for k in keys}), tmp_path / 'r50.pth')
    with pytest.raises(run_grid.GridError, match='holds a resnet50, the config a ResNet-18'):
        _grid(tmp_path / 'c', opts, str(tmp_path / 'r50.pth'), inits=['mdmoco'])
    foreign = tmp_path / 'd' / 'pneumonia' / 'pneumonia_scratch_r18' / 'seed0'
    os.makedirs(foreign)
    (foreign / 'notes.txt').write_text('mine')
    with pytest.raises(run_grid.GridError, match='not made by run_grid.py'):
        _grid(tmp_path / 'd', opts, ckpt, inits=['scratch'])
    with pytest.raises(SystemExit):
        run_grid.main(['--inits', 'simclr'])
    with pytest.raises(run_grid.GridError, match='INIT_rDEPTH=PATH'):
        run_grid.main(['--pretrained', 'mdmoco=x.pth'])
    assert not osp.exists(tmp_path / 'a') and not osp.exists(tmp_path / 'b')


def test_pytorch_launcher_trains_and_tests_on_two_processes(setup, tmp_path, monkeypatch):
    """--launcher pytorch: each step through tools/dist_train.sh / dist_test.sh (torchrun, gloo
    on the CPU), and the grid reads the metrics the distributed test wrote."""
    tmp, opts, ckpt = setup
    monkeypatch.setenv('PORT', '29547')
    work = tmp_path / 'dist'
    files = _grid(work, opts, ckpt, '--launcher', 'pytorch', '--gpus', '2', inits=['scratch'])
    assert sorted(osp.basename(f) for f in files) == ['table2.csv', 'table2.md']
    run_dir = work / 'pneumonia' / 'pneumonia_scratch_r18' / 'seed0'
    train_log = (run_dir / 'grid_train.log').read_text()
    assert 'Distributed training: True' in train_log and 'GPU number: 2' in train_log, \
        train_log[-3000:]
    result = json.loads((run_dir / 'result.json').read_text())
    tested = json.loads((run_dir / 'test_metrics.json').read_text())['metrics']
    assert result['metrics']['binary/auc'] == pytest.approx(tested['binary/auc'])
    assert osp.isfile(result['predictions'])
    assert '| Scratch |' in (work / 'table2.md').read_text()


def test_offline_imagenet_is_checked_before_any_run(setup, tmp_path, monkeypatch):
    """Without torchvision's file in torch hub's cache the grid stops before Scratch trains,
    naming the file and its URL; a local copy through --pretrained imagenet_r18=PATH, or the file
    put in the cache, lets it through."""
    tmp, opts, ckpt = setup
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'empty_torch_home'))
    cached = tmp_path / 'empty_torch_home' / 'hub' / 'checkpoints' / 'resnet18-f37072fd.pth'
    with pytest.raises(run_grid.GridError) as e:
        _grid(tmp_path / 'a', opts, ckpt, inits=['scratch', 'imagenet'])
    msg = str(e.value)
    assert str(cached) in msg and 'https://download.pytorch.org/models/resnet18-f37072fd.pth' in msg
    assert '--pretrained imagenet_r18=' in msg
    assert not osp.exists(tmp_path / 'a')  # Scratch did not train first
    from mmpretrain.models import ResNet
    local = tmp_path / 'resnet18-f37072fd.pth'
    torch.save(
        dict(
            ResNet(18).state_dict(), **{
                'fc.weight': torch.zeros(1000, 512),
                'fc.bias': torch.zeros(1000)
            }), local)
    run_grid.main([
        '--tasks', 'pneumonia', '--inits', 'scratch', 'imagenet', '--depths', '18', '--work-dir',
        str(tmp_path / 'b'), '--dry-run', '--pretrained', f'imagenet_r18={local}', '--cfg-options'
    ] + opts)
    os.makedirs(cached.parent)
    os.replace(local, cached)
    run_grid.main([
        '--tasks', 'pneumonia', '--inits', 'imagenet', '--depths', '18', '--work-dir',
        str(tmp_path / 'c'), '--dry-run', '--cfg-options'
    ] + opts)
    torch.save(dict(state_dict={'head.fc.weight': torch.zeros(2, 2)}), cached)  # not a ResNet
    with pytest.raises(run_grid.GridError, match='not a ResNet backbone'):
        run_grid.main([
            '--tasks', 'pneumonia', '--inits', 'imagenet', '--depths', '18', '--work-dir',
            str(tmp_path / 'd'), '--dry-run', '--cfg-options'
        ] + opts)
