# One split definition for the four datasets MUSCLE re-splits (PneumoniaCXR, MURA,
# ChestXrayMasks, TBX11K; paper Tab. 1). The pre-training pool's sources
# (xray_mdmoco_views.py) and every downstream task (configs/_base_/tasks/*.py) take their seed,
# split mode and split folder from here, so the images pre-training sees as "train" are the
# images the downstream tasks do not evaluate on. XRayPretrainPool compares each of its sources
# with the matching `downstream_eval` entry and refuses to start when they differ.
#
# Change the split in this one place (or pass the same values to every dataset): mmengine
# substitutes {{_base_.xray_split_seed}} when the config is read, so
# `--cfg-options xray_split_seed=1` alone would not reach the datasets.
xray_split_seed = 0  # seed of MUSCLE's patient-disjoint re-split (splits.group_split)
xray_split_mode = 'muscle'  # 'muscle': paper's proportions; 'official': publisher's folders
# Folder for the split files, None: <data_root>/muscle_mm_splits/ of each dataset. Set it when
# the data roots are read-only, e.g. xray_split_dir = 'work_dirs/splits'.
xray_split_dir = None
