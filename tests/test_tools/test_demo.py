"""`make demo`'s pipeline at its smallest size, over two seeds: every stage writes its checkpoint
per seed, the tables get a row per initialization and task over both seeds, the continual matrices,
the paired comparisons and the figures exist."""
import json
import os.path as osp
import sys

from _helpers import REPO

sys.path.insert(0, osp.join(REPO, 'tools'))
import demo  # noqa: E402


def test_demo_pipeline_tiny_two_seeds(tmp_path):
    out = demo.main([str(tmp_path / 'demo'), '--size', 'tiny', '--seeds', '0', '1'])
    for seed in (0, 1):
        for init in ('mdmoco', 'muscle', 'muscle_minus'):
            path = out['backbones'][seed][init]
            assert osp.isfile(path) and f'seed{seed}' in path, (seed, init, path)
        assert set(out['matrices'][seed]) == {'muscle', 'muscle_minus'}
        for m in out['matrices'][seed].values():
            assert set(m['matrix']) == {'pneumonia', 'mura', 'lung', 'tbx'}
        assert osp.isfile(tmp_path / 'demo' / f'linear_probe_seed{seed}.json')
    tables = {osp.basename(f): open(f).read() for f in out['files'] if f.endswith('.md')}
    for name, rows in (('table2.md', ['Pneumonia', 'MURA']), ('table3.md', ['ResNet-18'])):
        lines = tables[name].splitlines()
        for init in ('Scratch', 'MUSCLE'):
            mine = [line for line in lines if f'| {init} |' in line]
            assert len(mine) == len(rows), (name, init, tables[name])
            assert all('| 2 |' in line for line in mine), mine  # the Seeds column
    claims = json.load(open(tmp_path / 'demo' / 'claims.json'))
    names = {c['claim'] for c in claims}
    assert 'linear probe, PneumoniaCXR AUC' in names
    assert {'fine-tune, pneumonia binary/auc', 'fine-tune, tbx coco/mAP50'} <= names
    assert any(c['claim'].startswith('continual stage, final average') for c in claims)
    for c in claims:
        assert c['seeds'] == [0, 1] or (not c['seeds'] and all(
            w.endswith('not run') for w in c['excluded'].values())), c
        assert c['diff'] == [a - b for a, b in zip(c['a_values'], c['b_values'])]
    assert any(f.endswith('.png') and osp.getsize(f) > 0 for f in out['files'])
    log = (tmp_path / 'demo' / 'demo.log').read_text()
    assert 'took' in log and 'peak memory' in log and "comparisons in miniature" in log
