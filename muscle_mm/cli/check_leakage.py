"""Report images of the MD-MoCo pre-training pool that are also in a downstream val/test split.

    # from a config holding `pretrain_pool` (list of dataset configs, or an XRayPretrainPool
    # config; else train_dataloader.dataset if it is one) and `downstream_eval` (list of dataset
    # configs, or dict name -> config):
    python tools/analysis_tools/check_leakage.py configs/muscle/mdmoco_r18.py --strict

    # or explicitly, TYPE:DATA_ROOT[:SPLIT] and/or plain folders:
    python tools/analysis_tools/check_leakage.py \
        --pool MontgomeryCXR:data/MontgomeryCXR ShenzhenCXR:data/ShenzhenCXR \
        --eval TBX11K:data/TBX11K:val ChestXrayMasks:data/ChestXrayMasks:test \
        --eval-dir some/other/test/images

Matches are by file name (unique stem), exact md5 and a perceptual difference hash (see
muscle_mm/datasets/leakage.py). An XRayPretrainPool config is built as training builds it, so the
report is about the images pre-training will see: de-duplicated and, with
exclude_downstream=True (configs/muscle/mdmoco_*_leakfree.py), without the downstream val/test
images (the tool then finds none). Exit status: 0, or 1 with --strict when leakage was found.
"""
import argparse

from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger

from muscle_mm.datasets.leakage import find_leakage, image_folder, image_sets_from_configs


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', nargs='?', help='config with pretrain_pool / downstream_eval')
    p.add_argument(
        '--pool',
        nargs='+',
        action='extend',
        default=[],
        metavar='TYPE:ROOT[:SPLIT]',
        help='pre-training datasets (added to the config\'s)')
    p.add_argument(
        '--eval',
        nargs='+',
        action='extend',
        default=[],
        metavar='TYPE:ROOT[:SPLIT]',
        help='downstream val/test datasets (added to the config\'s)')
    p.add_argument(
        '--pool-dir',
        nargs='+',
        action='extend',
        default=[],
        help='plain image folders in the pool')
    p.add_argument(
        '--eval-dir', nargs='+', action='extend', default=[], help='plain downstream image folders')
    p.add_argument('--no-name', action='store_true', help='skip the file-name check')
    p.add_argument('--no-content', action='store_true', help='skip the md5/hash checks')
    p.add_argument(
        '--max-distance',
        type=int,
        default=48,
        help='most differing hash bits (of 256) for a near-duplicate candidate '
        '(default 48)')
    p.add_argument(
        '--min-correlation',
        type=float,
        default=0.995,
        help='least 32x32 thumbnail correlation confirming a candidate (default 0.995)')
    p.add_argument('--workers', type=int, default=0, help='hashing processes (default: 0)')
    p.add_argument('--cache', help='.npz file caching the image hashes between runs')
    p.add_argument('--examples', type=int, default=3, help='examples shown per pair and check')
    p.add_argument('--strict', action='store_true', help='exit 1 if any leakage is found')
    p.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override settings in the config')
    return p.parse_args(argv)


def spec_to_cfg(spec: str) -> dict:
    """``TYPE:ROOT[:SPLIT]`` -> ``dict(type=TYPE, data_root=ROOT[, split=SPLIT])``."""
    parts = spec.split(':')
    if len(parts) not in (2, 3) or not all(parts):
        raise SystemExit(f'bad dataset spec {spec!r}; expected TYPE:DATA_ROOT[:SPLIT]')
    cfg = dict(type=parts[0], data_root=parts[1])
    if len(parts) == 3:
        cfg['split'] = parts[2]
    return cfg


def collect(args):
    pool_cfgs, eval_cfgs = [], []
    if args.config:
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        pool = cfg.get('pretrain_pool')
        if pool is None:
            ds = cfg.get('train_dataloader', {}).get('dataset', {})
            if str(ds.get('type', '')).split('.')[-1] == 'XRayPretrainPool':
                pool = ds
        if pool is None:
            raise SystemExit(f'{args.config}: no `pretrain_pool` and train_dataloader.dataset '
                             'is not an XRayPretrainPool')
        if cfg.get('downstream_eval') is None:
            raise SystemExit(f'{args.config}: no `downstream_eval` dataset list')
        pool_cfgs.append(pool.to_dict() if hasattr(pool, 'to_dict') else pool)
        ev = cfg.downstream_eval
        eval_cfgs.append(ev.to_dict() if hasattr(ev, 'to_dict') else ev)
    pool_cfgs.append([spec_to_cfg(s) for s in args.pool])
    eval_cfgs.append([spec_to_cfg(s) for s in args.eval])

    def merge(groups, dirs):
        out = {}
        for g in groups:
            if g:
                for k, v in image_sets_from_configs(g).items():
                    out[k if k not in out else f'{k}#{len(out)}'] = v
        for d in dirs:
            out[d] = image_folder(d)
        return out

    pool, downstream = merge(pool_cfgs, args.pool_dir), merge(eval_cfgs, args.eval_dir)
    if not pool or not downstream:
        raise SystemExit('need at least one pool dataset and one downstream dataset '
                         '(config, --pool/--pool-dir, --eval/--eval-dir)')
    return pool, downstream


def main(argv=None) -> int:
    args = parse_args(argv)
    MMLogger.get_instance('check_leakage')
    pool, downstream = collect(args)
    report = find_leakage(
        pool,
        downstream,
        by_name=not args.no_name,
        by_content=not args.no_content,
        max_distance=args.max_distance,
        min_correlation=args.min_correlation,
        workers=args.workers,
        cache_file=args.cache)
    print(report.format(examples=args.examples))
    return 1 if (args.strict and report.has_leakage) else 0
