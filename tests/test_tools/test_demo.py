"""`make demo`'s pipeline at its smallest size: every stage writes its checkpoint, the tables get a
row per initialization and task, the continual matrix and figures exist."""
import os.path as osp
import sys

from _helpers import REPO

sys.path.insert(0, osp.join(REPO, 'tools'))
import demo  # noqa: E402


def test_demo_pipeline_tiny(tmp_path):
    out = demo.main([str(tmp_path / 'demo'), '--size', 'tiny'])
    for init in ('mdmoco', 'muscle', 'muscle_minus'):
        assert osp.isfile(out['backbones'][init]), init
    assert set(out['matrices']) == {'muscle', 'muscle_minus'}
    for m in out['matrices'].values():
        assert set(m['matrix']) == {'pneumonia', 'mura', 'lung', 'tbx'}
    tables = {osp.basename(f): open(f).read() for f in out['files'] if f.endswith('.md')}
    for name, rows in (('table2.md', ['Pneumonia', 'MURA']), ('table3.md', ['ResNet-18'])):
        text = tables[name]
        for init in ('Scratch', 'MUSCLE'):
            assert sum(1 for line in text.splitlines()
                       if f'| {init} |' in line) == len(rows), (name, init, text)
    assert any(f.endswith('.png') and osp.getsize(f) > 0 for f in out['files'])
    assert osp.isfile(tmp_path / 'demo' / 'linear_probe.json')
    log = (tmp_path / 'demo' / 'demo.log').read_text()
    assert 'took' in log and 'peak memory' in log
