"""tools/analysis_tools/paper_claims.py: the paper's comparisons paired by seed from a demo folder
(linear probes, grid results, continual summaries), only on the seeds both sides have."""
import json
import os
import os.path as osp
import sys

import pytest

from _helpers import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
import paper_claims  # noqa: E402


def _write(path, obj):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f)


def _result(out, task, init, seed, key, value):
    _write(osp.join(out, 'grid', task, f'{task}_{init}_r18', f'seed{seed}', 'result.json'),
           dict(task=task, init=init, depth=18, seed=seed,
                metrics={key: value} if task != 'lung' else {'seg/dice': value, 'seg/mIoU': 0}))


def test_claims_paired_by_seed(tmp_path):
    out = str(tmp_path)
    for seed, (kaiming, mdmoco) in enumerate([(90.0, 80.0), (70.0, 85.0), (60.0, 75.0)]):
        _write(osp.join(out, f'linear_probe_seed{seed}.json'), dict(
            dataset='PneumoniaCXR', results={'kaiming': {'auc': kaiming},
                                             f'/x/seed{seed}/backbone.pth': {'auc': mdmoco}}))
    # lung: MD-MoCo has seeds 0-2, Scratch only 0 and 2: paired on 0 and 2
    for seed, dice in enumerate([80.0, 81.0, 90.0]):
        _result(out, 'lung', 'mdmoco', seed, 'seg/dice', dice)
    for seed, dice in ((0, 85.0), (2, 70.0)):
        _result(out, 'lung', 'scratch', seed, 'seg/dice', dice)
    for seed, (final_m, final_mm) in enumerate([(50.0, 40.0), (30.0, 45.0)]):
        for init, final in (('muscle', final_m), ('muscle_minus', final_mm)):
            _write(osp.join(out, f'{init}_r18', f'seed{seed}', 'continual_metrics.json'),
                   dict(summary=dict(final_average=final, average_forgetting=None)))
    claims = {c['claim']: c for c in paper_claims.main([out])}
    probe = claims['linear probe, PneumoniaCXR AUC']
    assert (probe['a'], probe['b'], probe['seeds']) == ('MD-MoCo', 'Kaiming init', [0, 1, 2])
    assert probe['diff'] == [-10.0, 15.0, 15.0] and (probe['a_wins'], probe['b_wins']) == (2, 1)
    lung = claims['fine-tune, lung seg/dice']
    assert lung['seeds'] == [0, 2] and lung['diff'] == [-5.0, 20.0]
    cont = claims['continual stage, final average (higher is better)']
    assert cont['diff'] == [10.0, -15.0] and (cont['a_wins'], cont['b_wins']) == (1, 1)
    assert not any('forgetting' in name for name in claims)  # None summaries are not compared
    md = open(osp.join(out, 'claims.md')).read()
    assert '| linear probe, PneumoniaCXR AUC | MD-MoCo | Kaiming init | 3 | 80.00 ± 5.00 |' in md
    assert json.load(open(osp.join(out, 'claims.json')))[0]['claim'] == probe['claim']


def test_nothing_to_compare_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        paper_claims.main([str(tmp_path)])
