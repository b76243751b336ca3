"""Run every benchmark of muscle_mm once and write benchmarks/RESULTS.md.

    python benchmarks/run_all.py [--only NAME ...] [--device cuda] [--out benchmarks/RESULTS.md]

Each benchmark measures its figures side by side in one run and prints them (as ratios where
there is a baseline); this script runs them one after another with their default (CPU) settings,
keeps what each printed, and records on which machine (CPU model, cores, GPU) and when each figure
was taken. A benchmark that fails is recorded as failed with its last lines, not left out. With
--only, the other sections of an existing RESULTS.md are kept.
"""
import argparse
import datetime
import os
import os.path as osp
import platform
import re
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PY = sys.executable

# name -> (command, what it measures / its goal)
BENCHMARKS = {
    'mdmoco_vs_mocov2': ([PY, 'benchmarks/mdmoco_vs_mocov2.py'],
                         'MD-MoCo train step vs mmpretrain MoCo v2 at equal settings '
                         '(goal <= 1.0)'),
    'data_pipeline': ([PY, 'benchmarks/data_pipeline_throughput.py'],
                      'MD-MoCo data path vs bare decode + resize on the same files (goal >= 0.9 '
                      'per core with views on the device, see xray_cache)'),
    'xray_cache':
    ([PY, 'benchmarks/xray_cache_and_device_views.py',
      '--data-only'], 'views on the device and the pre-resized cache vs today\'s path (goals: '
     'decode/bare >= 0.9, cache/today >= 5)'),
    'nih_indexing': ([PY, 'benchmarks/nih_indexing.py'], 'NIH ChestX-ray14 indexing at 112,120'),
    'continual_switching':
    ([PY, 'benchmarks/continual_benchmarks.py',
      'switching'], 'continual loop vs the same iterations per task alone (goal <= 1.05)'),
    'continual_forgetting': ([
        PY, 'benchmarks/continual_benchmarks.py', 'forgetting', '--data',
        'work_dirs/bench_data_240', '--num', '240'
    ], 'forgetting of task A after task B for each BN statistics choice '
                             '(shared, per task) x backbone regularizer (L2-SP at 0, 5e-5, '
                             "MUSCLE's 0.05, 0.5; weight decay), with the drift from w0, 3 seeds"),
    'continual_drift': ([
        PY, 'benchmarks/continual_benchmarks.py', 'forgetting', '--data',
        'work_dirs/bench_data_1600', '--num', '1600', '--settings', 'per_task:0', 'per_task:0.05',
        'per_task:0.5'
    ], "L2-SP's pull on the backbone's drift from w0 over a longer task "
                        'iterate (--num 1600: ~75 mura steps at batch 16), paired against '
                        'lambda 0 with the same seed, per-task BN (the default), 3 seeds'),
    'continual_drift_long': ([
        PY, 'benchmarks/continual_benchmarks.py', 'forgetting', '--data',
        'work_dirs/bench_data_4800', '--num', '4800', '--settings', 'per_task:0', 'per_task:0.05',
        '--seeds', '0', '1', '2', '3'
    ], "the default L2-SP's pull over a 3x longer task iterate (--num 4800: ~225 mura steps), "
                             'paired against lambda 0 with the same seed, per-task BN, 4 seeds'),
    'import_time': ([PY, 'benchmarks/import_time.py', '-n', '7'],
                    '`import muscle_mm` against `import torch` in fresh interpreters, side by '
                    'side round by round (goal: at most 2.5x)'),
    'demo': (['bash', 'tools/demo.sh', 'work_dirs/bench_demo'],
             'make demo: wall time and peak memory (goal < 10 min, < 6 GiB on 2 cores), and the '
             "paper's comparisons in miniature on the synthetic data (one seed)"),
    'paper_claims': ([PY, 'tools/demo.py', 'work_dirs/bench_claims', '--seeds', '0', '1', '2'],
                     "the paper's comparisons in miniature over 3 seeds, paired by seed: linear "
                     'probe and fine-tuning after MD-MoCo vs Scratch, MUSCLE vs MUSCLE--'),
}
LOG_LINE = re.compile(r'^\d\d/\d\d \d\d:\d\d:\d\d - mmengine - |Warning|warnings.warn|^\s*$|'
                      r'^(loading annotations|Done \(t=|creating index|index created)|'
                      r'super\(\).__init__')


def machine() -> str:
    cpu = platform.processor() or 'unknown CPU'
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    gpu = 'no GPU'
    try:
        import torch
        if torch.cuda.is_available():
            gpu = ', '.join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
    except ImportError:
        pass
    return f'{cpu}, {os.cpu_count()} cores, {gpu}, Python {platform.python_version()}'


def run(name: str, device: str) -> str:
    cmd, what = BENCHMARKS[name]
    if device != 'cpu' and name in ('mdmoco_vs_mocov2', 'xray_cache'):
        cmd = cmd + ['--device', device, '--amp']
    stamp = datetime.datetime.now().strftime('%Y-%m-%d %H:%M')
    t0 = time.time()
    proc = subprocess.run(
        cmd,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, PYTHONPATH=REPO))
    minutes = (time.time() - t0) / 60
    kept = [line for line in proc.stdout.splitlines() if not LOG_LINE.search(line)]
    kept = results_only(kept)
    status = 'ok' if proc.returncode == 0 else f'FAILED (exit {proc.returncode})'
    body = '\n'.join(kept[-120:])
    shown = ' '.join('python' if c == PY else c for c in cmd)
    return (f'## {name}\n\n{what}.\n\n`{shown}` - {status}, {minutes:.1f} min, taken {stamp} '
            f'at commit {commit()} on: {machine()}\n\n```\n{body}\n```\n')


def commit() -> str:
    """The checked-out commit, '+ local changes' when the tree differs from it."""
    try:
        head = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                              cwd=REPO,
                              text=True,
                              capture_output=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(
            [
                'git', 'status', '--porcelain', '--untracked-files=no', '--', '.',
                ':!benchmarks/RESULTS.md'
            ],  # which this script writes
            cwd=REPO,
            text=True,
            capture_output=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown (no git)'
    return head + (' + local changes' if dirty else '')


def results_only(lines):
    """The demo's lines from its results stage on (its per-run progress lines are in its log)."""
    stages = [i for i, line in enumerate(lines) if line.startswith('==== [demo ')]
    return lines[stages[-1]:] if stages and 'results' in lines[stages[-1]] else lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--only', nargs='+', choices=list(BENCHMARKS))
    p.add_argument('--device', default='cpu')
    p.add_argument('--out', default=osp.join(REPO, 'benchmarks', 'RESULTS.md'))
    args = p.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    sections = {}
    if args.only and osp.isfile(args.out):  # keep the other benchmarks' last results
        with open(args.out) as f:
            for part in f.read().split('\n## ')[1:]:
                sections[part.split('\n', 1)[0].strip()] = '## ' + part.rstrip() + '\n'
    for name in names:
        print(f'[run_all] {name} ...', flush=True)
        sections[name] = run(name, args.device)
        print(sections[name], flush=True)
        write(args.out, sections)


def write(path, sections):
    head = ('# Benchmark results\n\nWritten by `python benchmarks/run_all.py`; each section says '
            'when and on which machine it was measured. Figures on a machine shared with other '
            'work vary; ratios are measured side by side within one run.\n\n')
    order = [n for n in BENCHMARKS if n in sections]
    with open(path, 'w') as f:
        f.write(head + '\n'.join(sections[n] for n in order))


if __name__ == '__main__':
    main()
