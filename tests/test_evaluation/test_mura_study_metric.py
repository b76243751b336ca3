import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample
from sklearn.metrics import roc_auc_score

from muscle_mm.registry import METRICS


def _samples(rows, with_study=True):
    out = []
    for study, p, y in rows:
        s = DataSample().set_gt_label(y).set_pred_score(torch.tensor([1 - p, p]))
        s.set_metainfo(dict(img_path=f'/data/MURA-v1.1/{study}/image{len(out)}.png'))
        if with_study:
            s.set_metainfo(dict(study=study))
        out.append(s.to_dict())
    return out


def _evaluate(samples, **kw):
    metric = METRICS.build(dict(type='MURAStudyMetric', num_bootstrap=20, **kw))
    metric.dataset_meta = dict(classes=('normal', 'abnormal'))
    metric.process(None, samples)
    return metric.evaluate(len(samples))


@pytest.mark.parametrize('with_study', [True, False])
def test_study_level_auc_is_the_auc_of_mean_probabilities(with_study):
    rng = np.random.RandomState(0)
    rows = []
    for k in range(30):
        y = k % 2
        for _ in range(rng.randint(1, 4)):
            rows.append((f'valid/XR_WRIST/patient{k:05d}/study1_{"positive" if y else "negative"}',
                         float(np.clip(0.3 * y + rng.uniform(0.1, 0.7), 0, 1)), y))
    out = _evaluate(_samples(rows, with_study))
    per_study = {}
    for study, p, y in rows:
        per_study.setdefault(study, (y, []))[1].append(p)
    labels = [y for y, _ in per_study.values()]
    means = [np.mean(ps) for _, ps in per_study.values()]
    assert out['study/num_studies'] == 30
    assert out['study/auc'] == pytest.approx(100 * roc_auc_score(labels, means))
    pred = np.array(means) >= 0.5
    assert out['study/accuracy'] == pytest.approx(100 * np.mean(pred == np.array(labels, bool)))
    assert out['study/auc_ci_low'] <= out['study/auc'] <= out['study/auc_ci_high']


def test_a_study_with_two_labels_is_an_error():
    rows = [('s1', 0.3, 0), ('s1', 0.8, 1), ('s2', 0.1, 0)]
    with pytest.raises(ValueError, match='study s1 has images labelled'):
        _evaluate(_samples(rows))


def test_image_folder_is_the_study_of_the_mura_reader(tmp_path):
    """The fallback (study = folder of img_path) groups images exactly as MURA's study field."""
    import os.path as osp

    from muscle_mm.datasets.mura import MURA
    from muscle_mm.datasets.synthetic import generate_all
    root = generate_all(str(tmp_path), only=['MURA'])['MURA']
    data = []
    for split in ('train', 'val'):
        dataset = MURA(data_root=root, split=split, split_mode='official')
        data += [dataset.get_data_info(i) for i in range(len(dataset))]
    by_study, by_folder = {}, {}
    for d in data:
        by_study.setdefault(d['study'], set()).add(d['img_path'])
        by_folder.setdefault(osp.dirname(d['img_path']), set()).add(d['img_path'])
    assert sorted(map(sorted, by_study.values())) == sorted(map(sorted, by_folder.values()))
    assert len(by_study) < len(data)  # some studies hold several images
