"""tools/analysis_tools/linear_probe.py on generated Pneumonia data: Kaiming init vs a
checkpoint."""
import json
import os.path as osp

import torch
from mmengine.config import Config

from muscle_mm.cli import linear_probe
from muscle_mm.datasets.synthetic import generate_all
from muscle_mm.registry import MODELS
from _helpers import REPO

CONFIG = osp.join(REPO, 'configs', 'muscle', 'mdmoco_r18_demo.py')


def test_probe_reports_paper_metrics_per_backbone(tmp_path, monkeypatch):
    roots = generate_all(str(tmp_path / 'data'), num=60, only=['PneumoniaCXR'])
    cfg = Config.fromfile(CONFIG)
    torch.manual_seed(1)
    model = MODELS.build(cfg.model)
    model.init_weights()
    ckpt = str(tmp_path / 'bb.pth')
    torch.save({'state_dict': {
        f'backbone.{k}': v
        for k, v in model.backbone.state_dict().items()
    }}, ckpt)
    out = str(tmp_path / 'probe.json')
    results = linear_probe.main([
        CONFIG, '--checkpoints', 'kaiming', ckpt, '--data-root', roots['PneumoniaCXR'], '--out', out
    ])
    assert set(results) == {'kaiming', ckpt}
    for m in results.values():
        assert {'accuracy', 'sensitivity', 'specificity', 'auc', 'auc_ci_low',
                'auc_ci_high'} <= set(m)
        assert all(0.0 <= v <= 100.0 for v in m.values())
    with open(out) as f:
        assert json.load(f)['results'] == json.loads(json.dumps(results))
    # the Kaiming baseline is seeded: the same features and scores on a second run
    again = linear_probe.main(
        [CONFIG, '--checkpoints', 'kaiming', '--data-root', roots['PneumoniaCXR']])
    assert again['kaiming'] == results['kaiming']
