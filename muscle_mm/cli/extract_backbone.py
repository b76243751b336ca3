"""Keep only the query backbone of an MD-MoCo (or any mmpretrain) checkpoint.

    python tools/model_converters/extract_backbone.py work_dirs/mdmoco_r50/epoch_200.pth \
        mdmoco_r50_backbone.pth [--strip-prefix] [--trusted]

The output is ``{'state_dict': ..., 'meta': {...}}``, loadable by mmengine's ``Pretrained`` init:

- default (keys keep ``backbone.``): on a backbone,
  ``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')`` -- the same line that
  works on the full MD-MoCo checkpoint; or without ``prefix`` on a whole model whose backbone
  attribute is ``backbone`` (e.g. ``load_from=OUT``).
- ``--strip-prefix`` (keys ``conv1.weight``, ...): on a backbone,
  ``init_cfg=dict(type='Pretrained', checkpoint=OUT)`` with no ``prefix``.
"""
import argparse
import os.path as osp

import torch

from muscle_mm.utils.checkpoint_convert import (QUERY_PREFIX, extract_backbone, get_state_dict,
                                                load_checkpoint)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='MD-MoCo checkpoint (.pth)')
    parser.add_argument('dst', help='output backbone checkpoint (.pth)')
    parser.add_argument(
        '--strip-prefix',
        action='store_true',
        help=f'drop "{QUERY_PREFIX}" from the keys (load without prefix=)')
    parser.add_argument(
        '--trusted',
        action='store_true',
        help='unpickle arbitrary objects in SRC (only for your own files)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    state_dict = extract_backbone(
        get_state_dict(load_checkpoint(args.src, trusted=args.trusted)),
        strip_prefix=args.strip_prefix)
    meta = dict(
        source=osp.basename(args.src),
        converted_by='muscle_mm tools/model_converters/extract_backbone.py',
        key_prefix='' if args.strip_prefix else QUERY_PREFIX)
    torch.save(dict(state_dict=state_dict, meta=meta), args.dst)
    print(f'{args.dst}: {len(state_dict)} backbone tensors '
          f'(keys {"without" if args.strip_prefix else "with"} "{QUERY_PREFIX}")')
