# Shared X-ray preprocessing constants (MUSCLE, https://arxiv.org/abs/2310.02000, §2.1).
# Import with `_base_ = ['../_base_/datasets/xray_preprocess.py']` (path relative to the config) and
# refer to the names below; the data preprocessor itself belongs to each model config.

# Registers LoadXRayImage in the mmpretrain, mmdet and mmseg transform registries.
custom_imports = dict(imports=['muscle_mm.datasets.transforms'], allow_failed_imports=False)

# Paper §2.1: "normalizes the grayscale distribution ... using the Z-score method with the mean of
# 122.786 and a standard deviation of 18.390". Gray images are replicated to 3 channels by
# LoadXRayImage, so the same value goes to every channel (use with to_rgb=False: no channel swap).
xray_mean = [122.786, 122.786, 122.786]
xray_std = [18.390, 18.390, 18.390]

# Paper §2.1: "re-sizes all images into a 800 x 500 resolution". mmcv scales are (w, h): this is
# height 800, width 500 (portrait). The paper gives no orientation; portrait fits MURA limbs,
# RSNA bone-age hands and most chest films. Fixed size, aspect ratio not kept (keep_ratio=False),
# as the paper resizes every image to one resolution. Override xray_scale to change it.
xray_scale = (500, 800)

# Any X-ray file (8/16-bit PNG, JPEG, RGB(A), DICOM) -> HxWx3 uint8 gray; goes where
# LoadImageFromFile goes in mmpretrain, mmdet and mmseg pipelines (muscle_mm's LoadXRayImage).
xray_load = dict(type='LoadXRayImage')

# Interpolation of that resize: 'area' (cv2.INTER_AREA: each output pixel averages the source
# pixels it covers), not mmcv's default 'bilinear'. Most sources are 1,000-5,000 px (NIH 1024,
# Shenzhen ~3000, Montgomery 4020x4892, Indiana/RSNA 2000-3000), i.e. 2-10x smaller in each
# axis; bilinear reads 2x2 source pixels per output pixel whatever the factor, so fine detail
# (trabeculae, line pairs, noise) aliases into false patterns (tests/test_datasets/
# test_transforms/test_loading.py: a 5x-downscaled stripe pattern). Area averaging is the
# anti-aliased decimation OpenCV recommends; for the few enlarged images (MURA, TBX11K are
# ~512 px) it is a box filter, close to bilinear. The paper names no interpolation.
# Cost: benchmarks/data_pipeline_throughput.py prints the pipeline with 'area' and 'bilinear'
# side by side. Set xray_interpolation = 'bilinear' to reproduce mmcv's default.
xray_interpolation = 'area'

# The §2.1 resize; 'Resize' resolves to mmcv's (mmpretrain, mmseg) or mmdet's (also boxes) Resize
# (segmentation masks are resized with 'nearest' whatever this says).
xray_resize = dict(
    type='Resize', scale=xray_scale, keep_ratio=False, interpolation=xray_interpolation)
