"""Convert an mmpretrain ResNet backbone (MD-MoCo checkpoint) to a torchvision state dict.

    python tools/model_converters/mm2torchvision.py IN.pth resnet50_mdmoco_tv.pth [--arch resnet50]

IN is a full MD-MoCo checkpoint or the output of extract_backbone.py (with or without
--strip-prefix). The output is a bare torchvision state dict without ``fc.*`` (MoCo trains no
classifier), so load it non-strictly::

    model = torchvision.models.resnet50()
    missing, unexpected = model.load_state_dict(torch.load(OUT), strict=False)
    assert set(missing) == {'fc.weight', 'fc.bias'} and not unexpected
"""
import argparse

import torch

from muscle_mm.utils.checkpoint_convert import (get_state_dict, load_checkpoint,
                                                mm_resnet_to_torchvision)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='MD-MoCo or extracted backbone checkpoint (.pth)')
    parser.add_argument('dst', help='output torchvision state dict (.pth)')
    parser.add_argument(
        '--arch', default=None, help='torchvision constructor, e.g. resnet18 (default: inferred)')
    parser.add_argument(
        '--trusted',
        action='store_true',
        help='unpickle arbitrary objects in SRC (only for your own files)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    state_dict, arch = mm_resnet_to_torchvision(
        get_state_dict(load_checkpoint(args.src, trusted=args.trusted)), arch=args.arch)
    torch.save(state_dict, args.dst)
    print(f'{args.dst}: torchvision {arch}, {len(state_dict)} tensors '
          f'(no fc.*: load with strict=False)')


if __name__ == '__main__':
    main()
