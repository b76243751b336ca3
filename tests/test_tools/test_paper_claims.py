"""tools/analysis_tools/paper_claims.py: the paper's comparisons paired by seed from a demo folder
(linear probes, grid results, continual summaries), only on the seeds both sides have."""
import json
import os
import os.path as osp

import pytest

from muscle_mm.cli import paper_claims


def _write(path, obj):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f)


def _result(out, task, init, seed, key, value):
    _write(
        osp.join(out, 'grid', task, f'{task}_{init}_r18', f'seed{seed}', 'result.json'),
        dict(
            task=task,
            init=init,
            depth=18,
            seed=seed,
            metrics={key: value} if task != 'lung' else {
                'seg/dice': value,
                'seg/mIoU': 0
            }))


def test_claims_paired_by_seed(tmp_path):
    out = str(tmp_path)
    for seed, (kaiming, mdmoco) in enumerate([(90.0, 80.0), (70.0, 85.0), (60.0, 75.0)]):
        _write(
            osp.join(out, f'linear_probe_seed{seed}.json'),
            dict(
                dataset='PneumoniaCXR',
                results={
                    'kaiming': {
                        'auc': kaiming
                    },
                    f'/x/seed{seed}/backbone.pth': {
                        'auc': mdmoco
                    }
                }))
    # lung: MD-MoCo has seeds 0-2, Scratch only 0 and 2: paired on 0 and 2
    for seed, dice in enumerate([80.0, 81.0, 90.0]):
        _result(out, 'lung', 'mdmoco', seed, 'seg/dice', dice)
    for seed, dice in ((0, 85.0), (2, 70.0)):
        _result(out, 'lung', 'scratch', seed, 'seg/dice', dice)
    for seed, (final_m, final_mm) in enumerate([(50.0, 40.0), (30.0, 45.0)]):
        for init, final in (('muscle', final_m), ('muscle_minus', final_mm)):
            _write(
                osp.join(out, f'{init}_r18', f'seed{seed}', 'continual_metrics.json'),
                dict(summary=dict(final_average=final, average_forgetting=None)))
    claims = {c['claim']: c for c in paper_claims.main([out])}
    probe = claims['linear probe, PneumoniaCXR AUC']
    assert (probe['a'], probe['b'], probe['seeds']) == ('MD-MoCo', 'Kaiming init', [0, 1, 2])
    assert probe['diff'] == [-10.0, 15.0, 15.0] and (probe['a_wins'], probe['b_wins']) == (2, 1)
    lung = next(
        c for c in paper_claims.collect(out)
        if c['claim'] == 'fine-tune, lung seg/dice' and c['a'] == 'MD-MoCo')
    assert lung['seeds'] == [0, 2] and lung['diff'] == [-5.0, 20.0]
    assert lung['excluded'] == {1: 'Scratch not run'}
    cont = claims['continual stage, final average (higher is better)']
    assert cont['diff'] == [10.0, -15.0] and (cont['a_wins'], cont['b_wins']) == (1, 1)
    # MUSCLE was not fine-tuned on the lung while Scratch was: listed, with no pair
    assert '| fine-tune, lung seg/dice | MUSCLE | Scratch | 0 of 2 (seed 0: MUSCLE not run; ' \
        'seed 2: MUSCLE not run) | none paired |' in open(osp.join(out, 'claims.md')).read()
    # None (NaN) summaries are not compared, and the claim says so
    forgetting = claims['continual stage, average forgetting, negated (higher is better)']
    assert forgetting['seeds'] == [] and forgetting['excluded'] == {
        0: 'MUSCLE NaN, MUSCLE-- NaN',
        1: 'MUSCLE NaN, MUSCLE-- NaN'
    }
    md = open(osp.join(out, 'claims.md')).read()
    assert '| fine-tune, lung seg/dice | MD-MoCo | Scratch | 2 of 3 (seed 1: Scratch not run) |' \
        in md
    assert '| 0 of 2 (seed 0: MUSCLE NaN, MUSCLE-- NaN; seed 1: MUSCLE NaN, MUSCLE-- NaN) | ' \
        'none paired |' in md
    assert '| linear probe, PneumoniaCXR AUC | MD-MoCo | Kaiming init | 3 | 80.00 ± 5.00 |' in md
    assert json.load(open(osp.join(out, 'claims.json')))[0]['claim'] == probe['claim']


def test_nothing_to_compare_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        paper_claims.main([str(tmp_path)])


def test_a_nan_seed_and_a_missing_init_are_named(tmp_path):
    """Pneumonia: MD-MoCo's seed 1 AUC is NaN, Scratch ran 3 seeds: paired on 2, seed 1 named;
    MUSCLE and MUSCLE-- were not run while Scratch was: the claims say 'not run'."""
    out = str(tmp_path)
    cls = {
        k: 1.0
        for k in ('binary/accuracy', 'binary/sensitivity', 'binary/specificity',
                  'binary/auc_ci_low', 'binary/auc_ci_high')
    }
    for seed, (md, sc) in enumerate([(90.0, 80.0), (None, 85.0), (95.0, 70.0)]):
        for init, auc in (('mdmoco', md), ('scratch', sc)):
            _write(
                osp.join(out, 'grid', 'pneumonia', f'pneumonia_{init}_r18', f'seed{seed}',
                         'result.json'),
                dict(
                    task='pneumonia',
                    init=init,
                    depth=18,
                    seed=seed,
                    metrics=dict(cls, **{'binary/auc': auc})))
    claims = paper_claims.main([out])
    by = {(c['claim'], c['a'], c['b']): c for c in claims}
    auc = by['fine-tune, pneumonia binary/auc', 'MD-MoCo', 'Scratch']
    assert auc['seeds'] == [0, 2] and auc['excluded'] == {1: 'MD-MoCo NaN'}
    assert auc['diff'] == [10.0, 25.0]
    vs = by['fine-tune, pneumonia binary/auc', 'MUSCLE', 'Scratch']
    assert vs['seeds'] == [] and vs['excluded'] == {s: 'MUSCLE not run' for s in range(3)}
    # neither side ran: no comparison to show
    assert ('fine-tune, pneumonia binary/auc', 'MUSCLE', 'MUSCLE--') not in by
    md = open(osp.join(out, 'claims.md')).read()
    assert '| 2 of 3 (seed 1: MD-MoCo NaN) |' in md
