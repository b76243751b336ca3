"""Dump the resolved config of every file under configs/ to one json (config path -> dict).

    python tests/test_configs/dump_resolved.py work_dirs/resolved_before.json
    python tests/test_configs/dump_resolved.py work_dirs/resolved_after.json \
        --compare work_dirs/resolved_before.json

The comparison prints, per config, the top-level keys that disappeared, appeared or changed, so a
restructure of the configs can show that the keys a run uses are unchanged.
"""
import argparse
import glob
import json
import os.path as osp
import sys

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def resolve_all():
    out = {}
    for path in sorted(glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)):
        rel = osp.relpath(path, ROOT)
        try:
            out[rel] = json.loads(json.dumps(Config.fromfile(path).to_dict(), default=repr))
        except Exception as e:  # a fragment that does not stand alone
            out[rel] = {'__error__': f'{type(e).__name__}: {e}'}
    return out


def compare(before, after):
    report = {}
    for rel in sorted(set(before) | set(after)):
        b, a = before.get(rel), after.get(rel)
        if b is None or a is None:
            report[rel] = 'only before' if a is None else 'only after'
            continue
        gone = sorted(set(b) - set(a))
        new = sorted(set(a) - set(b))
        changed = sorted(k for k in set(a) & set(b) if a[k] != b[k])
        if gone or new or changed:
            report[rel] = dict(dropped=gone, added=new, changed=changed)
    return report


def main():
    p = argparse.ArgumentParser()
    p.add_argument('out')
    p.add_argument('--compare')
    args = p.parse_args()
    res = resolve_all()
    with open(args.out, 'w') as f:
        json.dump(res, f, indent=1, sort_keys=True)
    print(f'{len(res)} configs -> {args.out}')
    if args.compare:
        with open(args.compare) as f:
            before = json.load(f)
        report = compare(before, res)
        json.dump(report, sys.stdout, indent=1)
        print()


if __name__ == '__main__':
    main()
