"""Load a binary lung mask as a {0, 1} mmseg label map, whatever its on-disk encoding."""
from typing import Optional, Sequence, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from PIL import Image

from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.registry import register_transform_everywhere


def binarize_mask(mask: np.ndarray) -> np.ndarray:
    """``HxW`` {0, 1} uint8 from a gray, colour or 16-bit mask.

    Colour masks: a pixel is foreground if any colour channel is (alpha ignored). Masks already
    in {0, 1} are kept; otherwise foreground is ``value > max / 2`` of the mask's own maximum, so
    0/255, 0/65535 and 0/255-in-16-bit files all give the same map.
    """
    if mask.ndim == 3:
        mask = mask[..., :3].max(axis=2)
    top = int(mask.max()) if mask.size else 0
    if top <= 1:
        return mask.astype(np.uint8)
    return (mask > top / 2.0).astype(np.uint8)


@register_transform_everywhere
class LoadXRayLungMask(BaseTransform):
    """Read ``results['seg_map_path']`` into ``results['gt_seg_map']`` with values {0, 1}.

    Paper: MUSCLE, https://arxiv.org/abs/2310.02000 (lung segmentation with DeepLab-V3).

    Use it instead of mmseg's ``LoadAnnotations`` for lung masks: the Kaggle masks store the lung
    as 255, which mmseg reads as its ``ignore_index`` (255), so the stock loader would silently
    train on background only; some copies are 3-channel or 16-bit, which it cannot read at all.
    ``seg_map_path`` may be a list of files (Montgomery's ``leftMask``/``rightMask``): their
    union is the label map.

    A mask whose size differs from its image (``results['ori_shape']`` if the image was loaded,
    else the header of ``results['img_path']``), or that cannot be decoded, raises
    :class:`~muscle_mm.datasets.base.DatasetFormatError` naming the files.

    Required keys: ``seg_map_path``, ``img_path``. Added keys: ``gt_seg_map``, ``seg_fields``.

    Args:
        backend_args (dict, optional): Arguments of the mmengine file backend. Defaults to None.
    """

    def __init__(self, backend_args: Optional[dict] = None) -> None:
        self.backend_args = backend_args.copy() if backend_args else None

    def read_mask(self, path: str) -> np.ndarray:
        """One mask file as ``HxW`` {0, 1} uint8."""
        try:
            data = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError as e:
            raise FileNotFoundError(f'lung mask not found: {path}') from e
        mask = mmcv.imfrombytes(data, flag='unchanged', backend='cv2') if data else None
        if mask is None or mask.size == 0:
            raise DatasetFormatError(f'{path}: lung mask is empty or not a decodable image')
        return binarize_mask(mask)

    def transform(self, results: dict) -> dict:
        paths: Union[str, Sequence[str]] = results['seg_map_path']
        paths = [paths] if isinstance(paths, str) else list(paths)
        img_path = results.get('img_path')
        if 'ori_shape' in results:
            img_hw = tuple(results['ori_shape'][:2])
        elif img_path is not None:
            with Image.open(img_path) as im:
                img_hw = (im.height, im.width)
        else:
            img_hw = None
        union = None
        for path in paths:
            mask = self.read_mask(path)
            if img_hw is not None and mask.shape != img_hw:
                raise DatasetFormatError(
                    f'lung mask {path} is {mask.shape[1]}x{mask.shape[0]} (WxH) but its image '
                    f'{img_path} is {img_hw[1]}x{img_hw[0]}')
            union = mask if union is None else np.maximum(union, mask)
        results['gt_seg_map'] = union
        results.setdefault('seg_fields', []).append('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(backend_args={self.backend_args})'


__all__ = ['LoadXRayLungMask', 'binarize_mask']
