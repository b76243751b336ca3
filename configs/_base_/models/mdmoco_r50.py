# MD-MoCo (MUSCLE §2.1, https://arxiv.org/abs/2310.02000) with a ResNet-50 query/key encoder.
# Sources: [v2] mmpretrain configs/mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py (MoCo v2,
# https://arxiv.org/abs/2003.04297); [cxr] MoCo-CXR, stanfordmlgroup/MoCo-CXR
# moco_pretraining/moco/main_moco.py + scripts/training_scripts/sbatch_moco_train.sh (read in
# the repository); [paper] MUSCLE. The paper itself gives no MoCo hyper-parameters.
model = dict(
    type='MDMoCo',
    queue_len=65536,  # [v2] 65536 ([cxr] 24576); a multiple of every power-of-2 global batch
    feat_dim=128,  # [v2] and [cxr] --moco-dim 128
    momentum=0.001,  # mmengine EMA convention: = MoCo's m=0.999 ([v2], [cxr] --moco-m 0.999)
    kaiming_init=True,  # [paper] Kaiming init of the convolutions
    # One process only (1 GPU, CPU): shuffle-BN needs several processes, so BN is computed in 8
    # groups of the batch instead (MoCo's single-GPU recipe; 8 groups = [v2]'s 8 GPUs: batch
    # 256 on one GPU gets [v2]'s 8 x 32 BN groups). The batch must be a multiple of it;
    # 0 turns it off (with a warning). Ignored with several processes.
    single_process_bn_splits=8,
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[122.786] * 3,  # [paper] gray Z-score mean, on the 3 replicated channels
        std=[18.390] * 3,  # [paper] gray Z-score std
        to_rgb=False),  # gray replicated to 3 channels: channel order is moot
    backbone=dict(
        type='ResNet',
        depth=50,  # [paper] ResNet-18 and ResNet-50 (r18: configs/muscle/mdmoco_r18.py)
        in_channels=3,  # gray x3, so ImageNet-shaped stems and stock configs fit
        norm_cfg=dict(type='BN'),  # [v2]; MoCo's shuffle-BN needs per-process BN, not SyncBN
        zero_init_residual=False),  # [v2]
    neck=dict(
        type='MoCoV2Neck',
        in_channels=2048,  # [v2] ResNet-50 C5 width
        hid_channels=2048,  # [v2]
        out_channels=128,  # [v2] = feat_dim
        with_avg_pool=True),  # [v2]
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),  # [v2] InfoNCE
        temperature=0.2))  # [v2] and [cxr] --moco-t 0.2
