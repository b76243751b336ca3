"""Write small synthetic copies of the nine MUSCLE datasets in their real layouts.

    python tools/dataset_converters/generate_synthetic.py OUT_DIR [--num N] [--seed S]
        [--only NAME ...] [--difficulty D]

Each dataset lands in OUT_DIR/<Name>/ (e.g. OUT_DIR/NIHChestXray14/), the layout its reader
expects under ``data_root`` (see muscle_mm/datasets/synthetic/). Prints name -> data_root.
``--difficulty`` (0..1) sets how hard the phantoms' signals are (lesion contrast, noise, clutter,
anatomical variation; muscle_mm/datasets/synthetic/phantom.py ``knobs``); 0 is the least
difficult (the chest phantoms are then the original, trivially separable ones).
"""
import argparse
import sys

from muscle_mm.datasets.synthetic import GENERATORS, generate_all
from muscle_mm.datasets.synthetic.phantom import DIFFICULTY


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Write synthetic X-ray datasets')
    p.add_argument('out_dir', help='output folder; each dataset goes to OUT_DIR/<Name>/')
    p.add_argument(
        '--num',
        type=int,
        default=None,
        help="images per dataset (default: each generator's own small default)")
    p.add_argument('--seed', type=int, default=0, help='base random seed (default 0)')
    p.add_argument(
        '--only',
        nargs='+',
        choices=list(GENERATORS),
        metavar='NAME',
        help=f'write only these datasets: {", ".join(GENERATORS)}')
    p.add_argument(
        '--difficulty',
        type=float,
        default=None,
        help='phantom difficulty in [0, 1] for the downstream sets and the Shenzhen/'
        'Montgomery images they share (default: phantom.DIFFICULTY, '
        f'{DIFFICULTY})')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    roots = generate_all(
        args.out_dir, num=args.num, seed=args.seed, only=args.only, difficulty=args.difficulty)
    for name, root in roots.items():
        print(f'{name}: {root}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
