# MUSCLE stage 3: fine-tuning on Pneumonia classification (paper §2.3, Tab. 2; Kermany et al.,
# paper split 4,686/585/585), shared by pneumonia_<init>_r<depth>.py (ResNet-50 here).
# Data, pipeline, model and metric: configs/_base_/tasks/pneumonia.py (bound from xray_tasks.py,
# shared with stage 2);
# schedule and model selection, with their sources: ../_base_/cls_finetune.py.
_base_ = [
    '../../_base_/tasks/pneumonia.py',
    '../_base_/cls_finetune.py',
]
custom_imports = dict(imports=['muscle_mm'], allow_failed_imports=False)
