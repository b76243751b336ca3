"""docs/dependencies.md names every package of every requirements file, so it cannot go stale."""
import glob
import os.path as osp
import re

from _helpers import REPO


def test_every_requirement_is_in_the_dependencies_page():
    with open(osp.join(REPO, 'docs', 'dependencies.md'), encoding='utf-8') as f:
        page = f.read().lower()
    names = set()
    for path in glob.glob(osp.join(REPO, 'requirements', '*.txt')):
        with open(path) as f:
            for line in f:
                line = line.split('#')[0].strip()
                if line and not line.startswith('-'):
                    names.add(re.split(r'[<>=!~\[; ]', line, 1)[0].lower())
        assert osp.basename(path) in page, f'{path}: the file is not in docs/dependencies.md'
    assert len(names) > 20  # the scan read the files
    missing = sorted(n for n in names if n not in page)
    assert not missing, f'requirements not in docs/dependencies.md: {missing}'
