"""Linear probe of frozen backbones on a binary X-ray task (PneumoniaCXR or MURA).

Features: global-average-pooled last stage of the backbone in eval mode, on the config's
normalization and input size; classifier: scikit-learn logistic regression fitted on the train
split; report: the paper's Acc/Sen/Spe/AUC (95% bootstrap CI) on the test split. A quick check that
pre-training learned something, not the paper's fine-tuning protocol.

    python tools/analysis_tools/linear_probe.py configs/muscle/mdmoco_r18.py \
        --checkpoints kaiming work_dirs/mdmoco_r18_backbone.pth --dataset PneumoniaCXR
"""
import argparse
import json

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from muscle_mm.datasets.xray_pretrain_pool import build_xray_dataset
from muscle_mm.evaluation import binary_metrics
from muscle_mm.registry import MODELS


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='the pre-training config (backbone, normalization, input size)')
    p.add_argument(
        '--checkpoints',
        nargs='+',
        required=True,
        help="backbone checkpoints ('backbone.' keys), or 'kaiming' for the "
        'initialization MD-MoCo starts from')
    p.add_argument('--dataset', default='PneumoniaCXR', choices=['PneumoniaCXR', 'MURA'])
    p.add_argument('--data-root', help='default: data/<dataset>')
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the Kaiming initialization and of the bootstrap CI')
    p.add_argument(
        '--split-seed',
        type=int,
        default=0,
        help="seed of the patient-disjoint re-split (the configs' xray_split_seed)")
    p.add_argument('--out', help='write the results as JSON here')
    return p.parse_args(argv)


def build_backbone(cfg, checkpoint, seed):
    """The config's query backbone, Kaiming-initialized as MD-MoCo starts, or loaded."""
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()  # MDMoCo: Kaiming init of the backbone
    backbone = model.backbone
    if checkpoint != 'kaiming':
        load_checkpoint(
            backbone,
            checkpoint,
            map_location='cpu',
            strict=True,
            revise_keys=[(r'^backbone\.', '')])
    backbone.eval()  # mmpretrain's ResNet.train() returns None, so no chaining
    return backbone


@torch.no_grad()
def features(backbone, dataset, preprocess, batch_size):
    feats, labels = [], []
    for start in range(0, len(dataset), batch_size):
        items = [dataset[i] for i in range(start, min(start + batch_size, len(dataset)))]
        x = torch.stack([it['inputs'] for it in items]).float()
        x = (x - preprocess['mean']) / preprocess['std']
        feats.append(backbone(x)[-1].mean(dim=(2, 3)).numpy())
        labels += [int(it['data_samples'].gt_label[0]) for it in items]
    return np.concatenate(feats), np.asarray(labels)


def main(argv=None):
    args = parse_args(argv)
    # mmengine logs every parameter's init at INFO; keep this tool's output to its results
    MMLogger.get_instance('linear_probe', log_level='WARNING')
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    pipeline = cfg.train_dataloader.dataset.pipeline
    resize = next(t for t in pipeline if t['type'] == 'Resize')
    test_pipeline = [dict(type='LoadXRayImage'), dict(resize), dict(type='PackInputs')]
    dp = cfg.model.data_preprocessor
    preprocess = dict(
        mean=torch.tensor(dp.mean).view(1, -1, 1, 1), std=torch.tensor(dp.std).view(1, -1, 1, 1))
    root = args.data_root or f'data/{args.dataset}'
    splits = {
        s:
        build_xray_dataset(
            dict(
                type=args.dataset,
                data_root=root,
                split=s,
                seed=args.split_seed,
                pipeline=test_pipeline))
        for s in ('train', 'test')
    }
    results = {}
    for ckpt in args.checkpoints:
        backbone = build_backbone(cfg, ckpt, args.seed)
        xtr, ytr = features(backbone, splits['train'], preprocess, args.batch_size)
        xte, yte = features(backbone, splits['test'], preprocess, args.batch_size)
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, C=0.1))
        clf.fit(xtr, ytr)
        results[ckpt] = binary_metrics(clf.predict_proba(xte)[:, 1], yte, seed=args.seed)
    print(f'linear probe on {args.dataset} ({len(splits["train"])} train / '
          f'{len(splits["test"])} test images), test split:')
    print(f'{"backbone":<50} {"Acc":>6} {"Sen":>6} {"Spe":>6} {"AUC (95% CI)":>22}')
    for ckpt, m in results.items():
        name = ckpt if len(ckpt) <= 50 else '...' + ckpt[-47:]
        print(f'{name:<50} {m["accuracy"]:6.2f} {m["sensitivity"]:6.2f} {m["specificity"]:6.2f} '
              f'{m["auc"]:6.2f} ({m["auc_ci_low"]:.2f}-{m["auc_ci_high"]:.2f})')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(dataset=args.dataset, root=root, results=results), f, indent=2)
    return results
