"""Start-up cost of ``import muscle_mm`` against ``import torch``, in fresh interpreters.

Each round starts one interpreter per statement, in turn (torch, muscle_mm, torch, ...), so a
machine whose speed drifts slows all of them alike; the ratio is taken round by round and its
median printed. Bytecode must already be compiled (``make env`` does it): without ``.pyc`` every
run compiles torch and the mm repos again and the figures mean nothing.

    python benchmarks/import_time.py                  # 7 rounds, torch vs muscle_mm
    python benchmarks/import_time.py -n 11 --stmt 'import mmdet.models'   # any extra statement

Goal (issue 18): ``import muscle_mm`` at most 2.5x ``import torch``.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = 'import torch'
TARGET = 'import muscle_mm'


def time_once(stmt: str, env: dict) -> float:
    """Wall seconds of one fresh interpreter running ``stmt`` (start-up included)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, '-c', stmt], env=env, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('-n', '--rounds', type=int, default=7, help='timed rounds (default 7)')
    parser.add_argument('--warmup', type=int, default=1, help='untimed rounds first (default 1)')
    parser.add_argument(
        '--stmt',
        action='append',
        default=[],
        help='another statement to time in each round (repeatable)')
    args = parser.parse_args()
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(p for p in (REPO, os.environ.get('PYTHONPATH')) if p))
    stmts = [BASELINE, TARGET] + args.stmt
    times = {s: [] for s in stmts}
    for r in range(args.warmup + args.rounds):
        for s in stmts:
            t = time_once(s, env)
            if r >= args.warmup:
                times[s].append(t)
    base = times[BASELINE]
    print(f'{args.rounds} rounds, {sys.executable}')
    for s in stmts:
        ratios = [t / b for t, b in zip(times[s], base)]
        print(f'{s:40s} median {statistics.median(times[s]):6.2f} s  '
              f'(min {min(times[s]):.2f}, max {max(times[s]):.2f})  '
              f'ratio to torch: median {statistics.median(ratios):.2f} '
              f'(min {min(ratios):.2f}, max {max(ratios):.2f})')


if __name__ == '__main__':
    main()
