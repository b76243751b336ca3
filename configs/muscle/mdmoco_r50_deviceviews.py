# MD-MoCo ResNet-50 exactly as configs/muscle/mdmoco_r50.py, with the views (h-flip p=0.5,
# rotation uniform in +-10 deg; still no crop, blur or jitter) made on the device, batched, by the
# data preprocessor (issue 11). The dataloader workers only decode and resize (or, with the
# cache, copy pre-resized pixels); one uint8 gray image per sample crosses to the GPU.
#
#   python tools/train.py configs/muscle/mdmoco_r50_deviceviews.py
#   # the pre-resized cache (build once: python tools/dataset_converters/build_cache.py CONFIG):
#   python tools/train.py configs/muscle/mdmoco_r50_deviceviews.py \
#       --cfg-options train_dataloader.dataset.pipeline.0.cache=work_dirs/xray_cache_800x500
#
# Views are drawn per sample from (seed, iteration, sample index) (XRayViews), not from worker
# random states, so a resumed run reproduces an uninterrupted one with persistent workers.
# The CPU views stay available: configs/muscle/mdmoco_r50.py.
_base_ = ['./mdmoco_r50.py']

device_views = dict(
    type='XRayViews',
    num_views=2,  # MoCo query and key
    flip_prob=0.5,  # [cxr] RandomHorizontalFlip()
    max_angle=10.0,  # [cxr] RandomRotation(10): uniform in [-10, 10] degrees, always applied
    pad_val=0,  # black corners, as the CPU path's Rotate(pad_val=0)
    interpolation='bilinear',  # as the CPU path's Rotate
    # the step's other random draws (MoCo's key shuffle for shuffle-BN / split-batch BN) come
    # from (seed, iteration) through StepSeedHook (mdmoco_r50.py's custom_hooks), the same seed
    # reseed_global=True would set here
    reseed_global=False)

model = dict(
    data_preprocessor=dict(
        type='MultiViewDataPreprocessor',  # SelfSupDataPreprocessor + batch_augments
        non_blocking=True,  # async host-to-device copy from pinned memory
        batch_augments=[device_views]))

train_pipeline = [
    # = LoadXRayImage(to_gray3=False) + the paper's Resize to 800x500 (h x w), or the same
    # pixels from the cache when `cache` is set
    dict(type='LoadResizedXRay', resize={{_base_.xray_resize}}, cache=None),
    dict(type='PackInputs'),
]

# Loader settings (measured by benchmarks/xray_cache_and_device_views.py, README "Data path at GPU
# speed"): decoding + resizing 1024^2 PNGs runs ~45-100 images/s per core, reading the cache
# thousands. An H100 at R50 800x500 consumes ~1,000-1,300 images/s, so decoding needs 13+ cores
# per GPU; with the cache 4 workers per GPU leave headroom for reads from disk.
train_dataloader = dict(
    num_workers=8,  # per GPU: 4 with the cache, as many cores as the node gives a GPU without
    persistent_workers=True,  # no worker start-up per epoch
    pin_memory=True,  # page-locked batches: the non_blocking copy above overlaps compute
    # prefetch_factor: torch's default 2 batches per worker (it must stay None at num_workers=0)
    dataset=dict(pipeline=train_pipeline))
