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
_base_ = [
    './xray_preprocess.py',  # xray_resize (800x500)
    './xray_splits.py',  # xray_split_seed / _mode / _dir: one split definition for pool and tasks
]

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

# The four re-split datasets take their split definition from xray_splits.py, in the pool and in
# downstream_eval alike; the pool refuses to start if a source and a downstream split of the same
# data disagree (else the pool's 'train' could hold a task's test images).
xray_split_args = dict(
    seed={{_base_.xray_split_seed}},
    split_mode={{_base_.xray_split_mode}},
    split_dir={{_base_.xray_split_dir}})

# The nine training splits, data under data/<Name>/ (see docs of each dataset). Override a
# root with e.g. --cfg-options train_dataloader.dataset.datasets.0.data_root=/mnt/nih
# (index = position below; change a downstream_eval root alike). A folder of your own X-rays
# (PNG/JPEG/DICOM, recursive) joins as one more source: dict(type='XRayFolder', data_root=...).
pretrain_datasets = [
    # NIH has no downstream task here; the paper pre-trains on all 112,120 images (Tab. 1), i.e.
    # train_val_list + test_list. split='train' keeps the official test list out.
    dict(type='NIHChestXray14', data_root='data/NIHChestXray14', split='all'),  # 0
    dict(type='ShenzhenCXR', data_root='data/ShenzhenCXR', split='train'),  # 1
    dict(type='MontgomeryCXR', data_root='data/MontgomeryCXR', split='train'),  # 2
    dict(type='IndianaCXR', data_root='data/IndianaCXR', split='train'),  # 3
    dict(type='RSNABoneAge', data_root='data/RSNABoneAge', split='train'),  # 4
    dict(type='PneumoniaCXR', data_root='data/PneumoniaCXR', split='train', **xray_split_args),  # 5
    dict(type='MURA', data_root='data/MURA', split='train', **xray_split_args),  # 6
    dict(
        type='ChestXrayMasks',
        data_root='data/ChestXrayMasks',
        split='train',
        **xray_split_args,
        _scope_='mmseg'),  # 7 (an mmseg dataset)
    dict(type='TBX11K', data_root='data/TBX11K', split='train', **xray_split_args,
         _scope_='mmdet'),  # 8 (mmdet)
]

# The downstream val/test images (MUSCLE's seeded splits). The pool checks its sources' split
# definition against them, logs at start how many of them it holds and, with
# exclude_downstream=True (configs/muscle/mdmoco_*_leakfree.py), drops them. The paper's pool
# holds some: Montgomery and Shenzhen images are also in ChestXrayMasks (and TBX11K's extras).
# Full report: python tools/analysis_tools/check_leakage.py configs/muscle/mdmoco_r50.py
downstream_eval = [
    dict(type='PneumoniaCXR', data_root='data/PneumoniaCXR', split='val', **xray_split_args),
    dict(type='PneumoniaCXR', data_root='data/PneumoniaCXR', split='test', **xray_split_args),
    dict(type='MURA', data_root='data/MURA', split='val', **xray_split_args),
    dict(type='MURA', data_root='data/MURA', split='test', **xray_split_args),
    dict(
        type='ChestXrayMasks',
        data_root='data/ChestXrayMasks',
        split='val',
        **xray_split_args,
        _scope_='mmseg'),
    dict(
        type='ChestXrayMasks',
        data_root='data/ChestXrayMasks',
        split='test',
        **xray_split_args,
        _scope_='mmseg'),
    dict(type='TBX11K', data_root='data/TBX11K', split='val', **xray_split_args, _scope_='mmdet'),
    dict(type='TBX11K', data_root='data/TBX11K', split='test', **xray_split_args, _scope_='mmdet'),
]

train_dataloader = dict(
    batch_size=32,  # [v2] 32 per GPU x 8 GPUs = 256; global batch must divide queue_len
    num_workers=8,  # [v2]
    drop_last=True,  # MoCo's queue takes whole global batches (MoCoQueueCheckHook checks)
    persistent_workers=True,
    # DefaultSampler's order, each index with its augmentation seed from (seed, epoch, index):
    # the views do not depend on the worker, so resume is exact with persistent workers and
    # non-persistent workers do not replay one augmentation stream every epoch.
    sampler=dict(type='SampleSeedSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),  # SelfSupDataPreprocessor wants stacked views
    dataset=dict(
        type='XRayPretrainPool',
        datasets=pretrain_datasets,
        pipeline=train_pipeline,
        # One copy of each image (md5, or near-identical across sources); the paper pooled the
        # copies: dedup=False reproduces that exactly.
        dedup=True,
        downstream=downstream_eval,
        exclude_downstream=False,  # the paper's pool; True: configs/muscle/*_leakfree.py
        # Hashing decodes each image once (~170k on the real data): 8 processes, and a cache
        # keyed by path, size and mtime, so later runs only hash new files.
        match=dict(workers=8, cache_file='work_dirs/xray_image_hashes.npz')))
