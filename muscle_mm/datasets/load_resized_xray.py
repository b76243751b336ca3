"""Load an X-ray as one gray channel at the training size, decoded or from the pre-resized cache."""
from typing import Optional

import cv2
from mmcv.transforms import BaseTransform

from muscle_mm.registry import TRANSFORMS, register_transform_everywhere
from .transforms.loading import LoadXRayImage
from .xray_cache import VERSION, XRayCache


@register_transform_everywhere
class LoadResizedXRay(BaseTransform):
    """``LoadXRayImage`` (one gray channel) followed by ``Resize``, or the same pixels read from a
    cache written by ``tools/dataset_converters/build_cache.py``.

    MUSCLE (`arXiv:2310.02000 <https://arxiv.org/abs/2310.02000>`_, §2.1) resizes every image
    of the MD-MoCo pool to 800x500 once, before the views. Decoding and resizing are
    deterministic, so they can be done once for all 200 epochs: with ``cache`` set, the image
    is a copy out of a memory-mapped uint8 shard (no decode), and the result is exactly what
    the decode + resize path gives at the same settings (tested). The cache is refused, with a
    message naming it, when it was built with other load/resize settings or OpenCV version
    (at construction, i.e. when the dataset is built) or when an image's source file has a
    different size or mtime than at build time (when that image is read).

    Use it in place of ``LoadXRayImage(to_gray3=False)`` + ``Resize`` in pipelines whose views
    are made on the device (``MultiViewDataPreprocessor``); switch a config to the cache with
    one option: ``--cfg-options train_dataloader.dataset.pipeline.0.cache=DIR``.

    Required keys: ``img_path``. Added keys: ``img`` (``H x W`` uint8), ``img_shape``,
    ``ori_shape``, ``scale``, ``scale_factor``, ``keep_ratio``.

    Args:
        resize (dict, optional): Config of the resize transform (mmcv ``Resize`` or any
            transform producing one fixed size). Defaults to None:
            ``dict(type='Resize', scale=(500, 800), keep_ratio=False)`` (paper, h 800 x w 500).
        load (dict, optional): Arguments of ``LoadXRayImage`` (``high_bit_range``,
            ``backend_args``...); the output is always one gray channel. Defaults to None.
        cache (str, optional): Directory of a cache built from these settings. Defaults to
            None (decode and resize every time).
        check_source (bool): Compare each source file's size and mtime with the cache's
            record before using its pixels. Defaults to True; False skips one ``os.stat`` per
            image for sources on slow network file systems, and trusts the cache.
    """

    def __init__(self,
                 resize: Optional[dict] = None,
                 load: Optional[dict] = None,
                 cache: Optional[str] = None,
                 check_source: bool = True) -> None:
        load = dict(load or {})
        load.pop('type', None)
        if load.get('to_gray3') or load.get('gray_keepdim') or load.get('to_float32'):
            raise ValueError('LoadResizedXRay keeps one uint8 gray channel (H x W): drop '
                             'to_gray3 / gray_keepdim / to_float32 from `load`; the data '
                             "preprocessor's 3-entry mean/std broadcasts it to 3 channels")
        self.loader = LoadXRayImage(to_gray3=False, **load)
        self.resize_cfg = dict(resize or dict(type='Resize', scale=(500, 800), keep_ratio=False))
        self.resizer = TRANSFORMS.build(self.resize_cfg)
        self.cache_dir = cache
        self.check_source = check_source
        self.cache = XRayCache(cache, self.settings()) if cache else None

    def settings(self) -> dict:
        """What determines the pixels; recorded in and compared with a cache's manifest."""
        return dict(
            load=repr(self.loader),
            resize=repr(self.resizer),
            opencv=cv2.__version__,
            cache_version=VERSION)

    def decode(self, results: dict) -> dict:
        """The uncached path: load gray, resize."""
        results = self.loader(results)
        return self.resizer(results)

    def transform(self, results: dict) -> Optional[dict]:
        if self.cache is None:
            return self.decode(results)
        img, (h0, w0) = self.cache.get(results['img_path'], self.check_source)
        h, w = img.shape
        results['img'] = img
        results['img_shape'] = (h, w)
        results['ori_shape'] = (h0, w0)
        results['scale'] = (w, h)
        results['scale_factor'] = (w / w0, h / h0)
        results['keep_ratio'] = self.resizer.keep_ratio if hasattr(self.resizer,
                                                                   'keep_ratio') else False
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(load={self.loader!r}, resize={self.resizer!r}, '
                f'cache={self.cache_dir!r}, check_source={self.check_source})')
