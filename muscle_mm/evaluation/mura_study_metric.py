"""MURA's own convention: one prediction per study, the mean abnormality probability of its
images (Rajpurkar et al., https://arxiv.org/abs/1712.06957, §3)."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Sequence

import numpy as np

from muscle_mm.registry import METRICS
from .binary_cls_metric import BinaryClsMetric, binary_metrics


@METRICS.register_module()
class MURAStudyMetric(BinaryClsMetric):
    """Study-level Acc, Sen, Spe, AUC (CI) of MURA: image probabilities averaged per study.

    Paper: MUSCLE, https://arxiv.org/abs/2310.02000 (Tab. 2 reports MURA); the study-level rule
    is MURA's (https://arxiv.org/abs/1712.06957). A study is identified by the data sample's
    ``study`` field when the pipeline packs it (``PackInputs(meta_keys=(..., 'study'))``; the
    ``MURA`` dataset sets it, e.g. ``train/XR_WRIST/patient00001/study1_positive``), else by the
    folder of ``img_path`` (MURA stores one study per folder). A study whose images carry
    different labels is an error: MURA labels studies, not images.

    Args:
        study_key (str): data sample field naming the study. Defaults to 'study'.
        **kwargs: :class:`BinaryClsMetric` arguments (``threshold``, ``num_bootstrap``,
            ``seed``, ``ci_level``, ``positive_index``, ...).
    """
    default_prefix = 'study'

    def __init__(self, study_key: str = 'study', **kwargs) -> None:
        super().__init__(**kwargs)
        self.study_key = study_key

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for s in data_samples:
            study = s.get(self.study_key)
            if study is None:
                if 'img_path' not in s:
                    raise KeyError(f'MURAStudyMetric: a data sample has neither '
                                   f'{self.study_key!r} nor img_path; pack one of them')
                study = osp.dirname(s['img_path'])
            self.results.append((str(study), ) + self.sample_score_label(s))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        studies: Dict[str, list] = OrderedDict()
        for study, score, label in results:
            studies.setdefault(study, []).append((score, label))
        scores, labels = [], []
        for study, items in studies.items():
            study_labels = {label for _, label in items}
            if len(study_labels) != 1:
                raise ValueError(f'MURAStudyMetric: study {study} has images labelled '
                                 f'{sorted(study_labels)}; MURA labels whole studies')
            scores.append(float(np.mean([score for score, _ in items])))
            labels.append(study_labels.pop())
        out = binary_metrics(scores, labels, self.threshold, self.num_bootstrap, self.seed,
                             self.ci_level)
        out['num_studies'] = float(len(studies))
        return out
