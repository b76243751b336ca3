"""The paper's comparisons in miniature, over seeds, from the output folder of tools/demo.py.

    python tools/analysis_tools/paper_claims.py work_dirs/demo

MUSCLE claims (Tab. 2-3, §3) that MD-MoCo beats Scratch, that MUSCLE beats MUSCLE--, and that
L2-SP forgets less. On one seed a difference of a few points on tens of test images means nothing,
so this prints each comparison as both sides' mean ± sd over seeds plus the difference paired by
seed (mean ± sd, and how many seeds favour each side). Reads, under the folder:

* ``linear_probe_seed<N>.json`` (tools/analysis_tools/linear_probe.py): Kaiming vs MD-MoCo;
* ``grid/`` (tools/run_grid.py ``result.json`` files): fine-tuning, every task and init;
* ``<init>_r18/seed<N>/continual_metrics.json`` (ContinualMetricsHook): MUSCLE vs MUSCLE--'s
  final average and average forgetting over the continual stage.

Writes ``claims.md`` and ``claims.json`` beside them; prints what comes out, favourable or not.
"""
import argparse
import glob
import json
import math
import os.path as osp
import re
import statistics
from typing import Dict, List, Optional

# The metric a claim is judged on per task: the paper's headline metric, the one the continual
# stage tracks too (higher is better for all of them).
from muscle_mm.engine.hooks.continual_metrics_hook import DEFAULT_PRIMARY as PRIMARY
from muscle_mm.experiments.grid import INIT_NAMES, linear_probe_file, pretrain_dir
from muscle_mm.experiments.results import fmt, load_results

SEED_RE = re.compile(r'seed(\d+)$')


def _stats(values: List[float]) -> str:
    """mean ± sample sd, in the tables' format (muscle_mm.experiments.results.fmt)."""
    if not values:
        return 'none paired'
    return fmt(statistics.mean(values), statistics.stdev(values) if len(values) > 1 else math.nan)


def compare(name: str, a_name: str, a: Dict[int, Optional[float]], b_name: str,
            b: Dict[int, Optional[float]]) -> dict:
    """``a`` vs ``b`` (seed -> value, None for NaN), paired on the seeds where both have a number;
    every other seed of either side is listed in ``excluded`` with the reason (NaN, not run)."""
    every = sorted(set(a) | set(b))
    seeds = [s for s in every if a.get(s) is not None and b.get(s) is not None]
    excluded = {}
    for s in every:
        why = [
            f'{n} {"not run" if s not in side else "NaN"}' for n, side in ((a_name, a), (b_name, b))
            if side.get(s) is None
        ]
        if why:
            excluded[s] = ', '.join(why)
    diff = [a[s] - b[s] for s in seeds]
    return dict(
        claim=name,
        a=a_name,
        b=b_name,
        seeds=seeds,
        a_values=[a[s] for s in seeds],
        b_values=[b[s] for s in seeds],
        diff=diff,
        excluded=excluded,
        a_wins=sum(d > 0 for d in diff),
        b_wins=sum(d < 0 for d in diff))


def _seeded_json(pattern: str) -> Dict[int, dict]:
    """seed -> JSON of each file matching ``pattern``; the seed is read from the file name
    (``*_seed<N>.json``) or else from its folder (``seed<N>/``), never from a folder above."""
    found = {}
    for path in sorted(glob.glob(pattern)):
        m = (
            SEED_RE.search(osp.splitext(osp.basename(path))[0])
            or SEED_RE.fullmatch(osp.basename(osp.dirname(path))))
        if m is None:
            raise ValueError(f'{path}: no seed<N> in its name or its folder\'s')
        with open(path) as f:
            found[int(m.group(1))] = json.load(f)
    return found


def collect(out: str, depth: int = 18) -> List[dict]:
    claims = []
    probes = _seeded_json(linear_probe_file(out, '*'))
    if probes:
        side = {}
        for seed, probe in probes.items():
            for ckpt, metrics in probe['results'].items():
                key = 'kaiming' if ckpt == 'kaiming' else 'mdmoco'
                side.setdefault(key, {})[seed] = metrics['auc']
        dataset = next(iter(probes.values()))['dataset']
        claims.append(
            compare(f'linear probe, {dataset} AUC', 'MD-MoCo', side.get('mdmoco', {}),
                    'Kaiming init', side.get('kaiming', {})))
    grid = osp.join(out, 'grid')
    cells = load_results(grid) if osp.isdir(grid) else {}
    per = {}  # (task, init) -> seed -> value
    for (task, d, init), results in cells.items():
        if d == depth:
            per[task, init] = {r['seed']: r['metrics'].get(PRIMARY[task]) for r in results}
    for a, b in (('mdmoco', 'scratch'), ('muscle', 'muscle_minus'), ('muscle', 'scratch')):
        for task, key in PRIMARY.items():
            if (task, a) in per or (task, b) in per:  # one side missing: shown as not run
                per.setdefault((task, a), {})
                per.setdefault((task, b), {})
                claims.append(
                    compare(f'fine-tune, {task} {key}', INIT_NAMES[a], per[task, a], INIT_NAMES[b],
                            per[task, b]))
    cont = {
        init: _seeded_json(osp.join(pretrain_dir(out, init, depth, '*'), 'continual_metrics.json'))
        for init in ('muscle', 'muscle_minus')
    }
    for key, sign, label in (('final_average', 1, 'final average (higher is better)'),
                             ('average_forgetting', -1, 'average forgetting, negated (higher '
                              'is better)')):
        sides = [{
            s: None if m['summary'].get(key) is None else sign * m['summary'][key] + 0.0
            for s, m in cont[init].items()
        } for init in ('muscle', 'muscle_minus')]
        if any(sides):
            claims.append(
                compare(f'continual stage, {label}', 'MUSCLE', sides[0], 'MUSCLE--', sides[1]))
    return claims


def render(claims: List[dict]) -> str:
    lines = [
        '| comparison | A | B | seeds | A (mean ± sd) | B (mean ± sd) | A - B (mean ± sd) '
        '| seeds A > B / A < B |', '|---|---|---|---|---|---|---|---|'
    ]
    for c in claims:
        seeds = str(len(c['seeds']))
        if c['excluded']:
            total = len(c['seeds']) + len(c['excluded'])
            seeds = f'{len(c["seeds"])} of {total} (' + '; '.join(
                f'seed {s}: {why}' for s, why in sorted(c['excluded'].items())) + ')'
        lines.append(f'| {c["claim"]} | {c["a"]} | {c["b"]} | {seeds} | '
                     f'{_stats(c["a_values"])} | {_stats(c["b_values"])} | '
                     f'{_stats(c["diff"])} | {c["a_wins"]} / {c["b_wins"]} |')
    lines.append('Paired by seed: each seed runs the whole pipeline (pre-training, continual '
                 'stage, fine-tuning) with that seed on the same generated data. A seed where a '
                 'side is NaN (undefined) or not run is left out of the pair and named in the '
                 'seeds column.')
    return '\n'.join(lines)


def main(argv=None) -> List[dict]:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('out', help='the output folder of tools/demo.py')
    p.add_argument('--depth', type=int, default=18)
    args = p.parse_args(argv)
    claims = collect(args.out, args.depth)
    if not claims:
        raise FileNotFoundError(f'{args.out}: no linear probe, grid or continual results to '
                                'compare (expected the layout tools/demo.py writes)')
    text = render(claims)
    with open(osp.join(args.out, 'claims.md'), 'w') as f:
        f.write(text + '\n')
    with open(osp.join(args.out, 'claims.json'), 'w') as f:
        json.dump(claims, f, indent=2)
    print(text)
    return claims
