# MUSCLE stage 3: fine-tuning on MURA abnormality classification (paper §2.3, Tab. 2; Rajpurkar
# et al., paper split 32,013/3,997/3,995), shared by mura_<init>_r<depth>.py (ResNet-50 here).
# Data, pipeline, model and metric: configs/_base_/tasks/mura.py (bound from xray_tasks.py,
# shared with stage 2);
# schedule and model selection (best val image-level AUC), with their sources:
# ../_base_/cls_finetune.py.
_base_ = [
    '../../_base_/tasks/mura.py',
    '../_base_/cls_finetune.py',
]
custom_imports = dict(imports=['muscle_mm'], allow_failed_imports=False)
# Tab. 2 does not say whether its MURA numbers are per image or per study: both are reported,
# the study level as MURA's convention (mean probability of a study's images; the study is the
# image's folder).
val_evaluator = _base_.val_evaluator + [dict(type='MURAStudyMetric', _scope_='mmpretrain')]
test_evaluator = _base_.test_evaluator + [dict(type='MURAStudyMetric', _scope_='mmpretrain')]
