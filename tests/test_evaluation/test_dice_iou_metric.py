import numpy as np
import pytest
import torch

from muscle_mm.registry import MMSEG_METRICS


def _evaluate(pairs, classes=('background', 'lung')):
    metric = MMSEG_METRICS.build(dict(type='DiceIoUMetric'))
    metric.dataset_meta = dict(classes=classes)
    samples = [
        dict(
            pred_sem_seg=dict(data=torch.as_tensor(p)[None]),
            gt_sem_seg=dict(data=torch.as_tensor(g)[None])) for p, g in pairs
    ]
    metric.process(None, samples)
    return metric.evaluate(len(samples))


def test_dice_and_miou_against_numpy():
    rng = np.random.RandomState(0)
    pairs = [(rng.randint(0, 2, (16, 20)), rng.randint(0, 2, (16, 20))) for _ in range(3)]
    pairs[0][1][:2] = 255  # ignored pixels
    out = _evaluate(pairs)
    keep = np.concatenate([(g != 255).ravel() for _, g in pairs])
    pred = np.concatenate([p.ravel() for p, _ in pairs])[keep]
    gt = np.concatenate([g.ravel() for _, g in pairs])[keep]
    ious, dices = [], []
    for c in (0, 1):
        inter = np.sum((pred == c) & (gt == c))
        ious.append(inter / np.sum((pred == c) | (gt == c)))
        dices.append(2 * inter / (np.sum(pred == c) + np.sum(gt == c)))
    assert out['seg/dice'] == pytest.approx(100 * dices[1])
    assert out['seg/Dice.lung'] == pytest.approx(100 * dices[1])
    assert out['seg/IoU.background'] == pytest.approx(100 * ious[0])
    assert out['seg/mIoU'] == pytest.approx(100 * np.mean(ious))
    assert out['seg/mDice'] == pytest.approx(100 * np.mean(dices))
    assert out['seg/aAcc'] == pytest.approx(100 * np.mean(pred == gt))


def test_empty_masks():
    empty = np.zeros((8, 8), np.int64)
    lung = empty.copy()
    lung[2:6, 2:6] = 1
    # no lung anywhere: its scores are undefined (0/0) and left out of the means
    out = _evaluate([(empty, empty)])
    assert np.isnan(out['seg/dice']) and np.isnan(out['seg/IoU.lung'])
    assert out['seg/mIoU'] == 100.0 and out['seg/IoU.background'] == 100.0
    # lung missed entirely: Dice 0, IoU 0
    out = _evaluate([(empty, lung)])
    assert out['seg/dice'] == 0.0 and out['seg/IoU.lung'] == 0.0
    assert out['seg/mIoU'] == pytest.approx(100 * (48 / 64) / 2)


def test_foreground_index_must_be_a_class():
    metric = MMSEG_METRICS.build(dict(type='DiceIoUMetric', foreground_index=2))
    metric.dataset_meta = dict(classes=('background', 'lung'))
    metric.process(None, [
        dict(
            pred_sem_seg=dict(data=torch.zeros(1, 4, 4, dtype=torch.long)),
            gt_sem_seg=dict(data=torch.zeros(1, 4, 4, dtype=torch.long)))
    ])
    with pytest.raises(ValueError, match='foreground_index 2'):
        metric.evaluate(1)
