# MD-MoCo data (MUSCLE §2.1): the training splits of all nine X-ray datasets, pooled, each image
# resized to 800x500 (h x w) and turned into two views for MoCo.
#
# View augmentation. MUSCLE disables MoCo v2's random cropping, Gaussian blurring and
# colour/gray-scale jittering "to preserve the semantic information for medical images": a
# crop or blur can remove the few pixels that carry a finding, and colour jitter / random
# grayscale mean nothing on a gray image. What remains is MoCo-CXR's X-ray augmentation
# (stanfordmlgroup/MoCo-CXR aihc_utils/image_transform.py: RandomHorizontalFlip() and
# RandomRotation(10), i.e. flip with p=0.5 and a uniform angle in [-10, 10] degrees, always
# applied). Deliberately absent: RandomResizedCrop, GaussianBlur, ColorJitter, RandomGrayscale.
# Normalization (gray Z-score 122.786 / 18.390) happens in the model's data_preprocessor.
_base_ = ['./xray_preprocess.py']  # xray_resize (800x500)

view_pipeline = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='Rotate',  # mmpretrain; angle = +-Uniform(0, 10) degrees
        magnitude_level=10,
        magnitude_range=(0, 10),
        magnitude_std='inf',
        total_level=10,
        prob=1.0,
        random_negative_prob=0.5,
        pad_val=0,  # black corners, like a radiograph's collimated border
        interpolation='bilinear'),
]

train_pipeline = [
    # One gray channel through resize and views: 3x less work and host-to-GPU copy than
    # replicating first. The model's SelfSupDataPreprocessor broadcasts it against its 3-entry
    # mean/std, so the backbone still gets 3 identical normalized channels (tested equal).
    dict(type='LoadXRayImage', to_gray3=False),
    # [paper] 800x500 (h x w): Resize scale=(500, 800), keep_ratio=False. Once, before the views.
    {{_base_.xray_resize}},
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]

# The nine training splits, data under data/<Name>/ (see docs of each dataset). Override a
# root with e.g. --cfg-options train_dataloader.dataset.datasets.0.data_root=/mnt/nih
# (index = position below).
pretrain_datasets = [
    # NIH has no downstream task here; the paper pre-trains on all 112,120 images (Tab. 1), i.e.
    # train_val_list + test_list. split='train' keeps the official test list out.
    dict(type='NIHChestXray14', data_root='data/NIHChestXray14', split='all'),  # 0
    dict(type='ShenzhenCXR', data_root='data/ShenzhenCXR', split='train'),  # 1
    dict(type='MontgomeryCXR', data_root='data/MontgomeryCXR', split='train'),  # 2
    dict(type='IndianaCXR', data_root='data/IndianaCXR', split='train'),  # 3
    dict(type='RSNABoneAge', data_root='data/RSNABoneAge', split='train'),  # 4
    dict(type='PneumoniaCXR', data_root='data/PneumoniaCXR', split='train'),  # 5
    dict(type='MURA', data_root='data/MURA', split='train'),  # 6
    dict(type='ChestXrayMasks', data_root='data/ChestXrayMasks', split='train',
         _scope_='mmseg'),  # 7 (an mmseg dataset)
    dict(type='TBX11K', data_root='data/TBX11K', split='train', _scope_='mmdet'),  # 8 (mmdet)
]

train_dataloader = dict(
    batch_size=32,  # [v2] 32 per GPU x 8 GPUs = 256; global batch must divide queue_len
    num_workers=8,  # [v2]
    drop_last=True,  # MoCo's queue takes whole global batches (MoCoQueueCheckHook checks)
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),  # SelfSupDataPreprocessor wants stacked views
    dataset=dict(
        type='XRayPretrainPool', datasets=pretrain_datasets, pipeline=train_pipeline))

# The downstream val/test images (MUSCLE's seeded splits) that pre-training must be checked
# against: python tools/analysis_tools/check_leakage.py configs/muscle/mdmoco_r50.py
# Montgomery and Shenzhen images are also in ChestXrayMasks (and TBX11K's extras), so the
# paper's pool does contain some downstream test images; the tool lists them.
downstream_eval = [
    dict(type='PneumoniaCXR', data_root='data/PneumoniaCXR', split='val'),
    dict(type='PneumoniaCXR', data_root='data/PneumoniaCXR', split='test'),
    dict(type='MURA', data_root='data/MURA', split='val'),
    dict(type='MURA', data_root='data/MURA', split='test'),
    dict(type='ChestXrayMasks', data_root='data/ChestXrayMasks', split='val', _scope_='mmseg'),
    dict(type='ChestXrayMasks', data_root='data/ChestXrayMasks', split='test', _scope_='mmseg'),
    dict(type='TBX11K', data_root='data/TBX11K', split='val', _scope_='mmdet'),
    dict(type='TBX11K', data_root='data/TBX11K', split='test', _scope_='mmdet'),
]
