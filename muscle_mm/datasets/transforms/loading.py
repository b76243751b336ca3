"""Load any X-ray file (8/16-bit gray, RGB(A), JPEG, PNG, DICOM) the same way.

MUSCLE (https://arxiv.org/abs/2310.02000, §2.1) pools nine datasets whose files differ in bit
depth, colour model and container. :class:`LoadXRayImage` turns all of them into one 8-bit gray
image, so that the paper's single gray Z-score (mean 122.786, std 18.390, applied by the model's
data preprocessor) means the same thing for every dataset. The decoding itself is
:mod:`muscle_mm.datasets.image_reader`, shared with the leakage check and the MD-MoCo pool.
"""
import logging
from typing import Optional, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.image_reader import check_high_bit_range, read_gray
from muscle_mm.registry import register_transform_everywhere

DARK_WARN_FILES = 5  # 16-bit files named by the nearly-black warning, per loader instance


@register_transform_everywhere
class LoadXRayImage(BaseTransform):
    """Load an X-ray from ``results['img_path']`` as an 8-bit gray image; a drop-in for
    mmcv's ``LoadImageFromFile`` in mmpretrain, mmdet and mmseg pipelines.

    Paper: MUSCLE, https://arxiv.org/abs/2310.02000 (§2.1, "Re-sizing, Re-scaling, Normalization").

    How each input reaches 0..255 gray:

    - 8-bit gray PNG/JPEG/...: unchanged.
    - RGB / RGBA: Rec. 601 luminance (0.299 R + 0.587 G + 0.114 B); alpha is ignored.
    - 16-bit PNG/TIFF: by the **full 16-bit range**, ``v / 257`` (``high_bit_range='full'``). An
      8-bit image saved as 16-bit (``v8 * 257`` or ``v8 << 8``, what converters write) then lands on
      the same values (within one gray level), while per-image min-max would stretch every image
      differently. 10- or 12-bit detector data in a 16-bit container comes out nearly black
      under that rule (12 bits: 0..16 of 255); a file whose maximum fits in 12 bits is
      reported with a warning naming it (the first few files per loader). For such data use
      ``'stored'``: the bit depth the file declares (the PNG ``sBIT`` chunk), or where it
      declares none the smallest of 10, 12, 14, 16 bits that holds the image's maximum; or
      an integer (e.g. ``12``) when the detector's depth is known, the same range for every
      image; or ``'minmax'``, each image's own min..max (stretches every image differently).
    - DICOM (pydicom): modality LUT / RescaleSlope+Intercept (``apply_modality_lut``), then the VOI
      LUT sequence or WindowCenter/Width (``apply_voi_lut``), mapped from that transform's output
      range (LUT: ``0..2**bits-1``; window: the stored range after rescale) to 0..255. Without a VOI
      transform, the stored range (BitsStored, after rescale) is used (``'full'``, ``'stored'``
      and an integer alike: the header declares the depth), or min..max with ``'minmax'``.
      Compressed transfer syntaxes decode through pydicom's plugins: JPEG Baseline (Pillow),
      JPEG 2000 and RLE (pylibjpeg, installed); JPEG-LS and JPEG Lossless with the permissive
      ``muscle_mm[dicom]`` extra; 12-bit JPEG Extended only with the GPL-3.0
      ``muscle_mm[dicom-gpl]`` (docs/dependencies.md; the error for such a file says which).
      MONOCHROME1 (white = low values) is inverted so that bone is bright everywhere.

    Files are read with ``mmengine.fileio.get`` (any storage backend) and decoded from bytes with
    ``mmcv.imfrombytes(flag='unchanged')`` (cv2 ``IMREAD_UNCHANGED``: keeps 16 bits and alpha;
    JPEG EXIF orientation is not applied). A missing, empty, corrupt or truncated file raises
    :class:`~muscle_mm.datasets.base.DatasetFormatError` (missing: ``FileNotFoundError``) naming the
    file and the problem.

    Required keys: ``img_path``. Added keys: ``img``, ``img_shape``, ``ori_shape``.

    Args:
        to_gray3 (bool): Replicate the gray image into ``HxWx3`` so that 3-channel backbones and
            ImageNet weights fit. If False the output is ``HxW`` (or ``HxWx1``, see
            ``gray_keepdim``). Defaults to True.
        gray_keepdim (bool): With ``to_gray3=False``, return ``HxWx1`` instead of ``HxW``.
            Defaults to False.
        high_bit_range (str | int): How data deeper than 8 bits without a VOI transform is
            mapped to 0..255: ``'full'`` (the container's range: 16 bits for PNG/TIFF, BitsStored
            for DICOM), ``'stored'`` (PNG ``sBIT`` or the smallest of 10/12/14/16 bits holding
            the maximum; DICOM as ``'full'``), ``'minmax'`` (the image's own range), or an int
            9..16 (``0..2**n - 1`` for 16-bit PNG/TIFF). Defaults to 'full' (paper).
        to_float32 (bool): Return a float32 array (values still 0..255), as in mmcv.
            Defaults to False.
        ignore_empty (bool): Return None instead of raising when the file is missing or
            unreadable (mmcv semantics); a warning naming the file is logged. Defaults to False.
        backend_args (dict, optional): Arguments of the mmengine file backend. Defaults to None.
    """

    def __init__(self,
                 to_gray3: bool = True,
                 gray_keepdim: bool = False,
                 high_bit_range: Union[str, int] = 'full',
                 to_float32: bool = False,
                 ignore_empty: bool = False,
                 backend_args: Optional[dict] = None) -> None:
        check_high_bit_range(high_bit_range)
        self.to_gray3 = to_gray3
        self.gray_keepdim = gray_keepdim
        self.high_bit_range = high_bit_range
        self.to_float32 = to_float32
        self.ignore_empty = ignore_empty
        self.backend_args = backend_args.copy() if backend_args else None
        self._dark_reported = 0  # files named by the 'full'-range warning so far

    def transform(self, results: dict) -> Optional[dict]:
        filename = results['img_path']
        try:
            gray = self.read_gray(filename)
        except (DatasetFormatError, OSError) as e:
            if self.ignore_empty:
                print_log(
                    f'LoadXRayImage: skipped {filename}: {e}',
                    logger='current',
                    level=logging.WARNING)
                return None
            raise
        if self.to_gray3:
            img = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
        else:
            img = gray[..., None] if self.gray_keepdim else gray
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def read_gray(self, filename: str) -> np.ndarray:
        """Read ``filename`` into an ``HxW`` uint8 gray array, raising on any bad input."""
        return read_gray(filename, self.high_bit_range, self.backend_args, self._warn_dark)

    def _warn_dark(self, filename: str, peak: int) -> None:
        """Name the first few 16-bit files that the full-range rule maps nearly black."""
        self._dark_reported += 1
        if self._dark_reported > DARK_WARN_FILES:
            return
        more = (f' Further files like this are not listed ({DARK_WARN_FILES} shown).'
                if self._dark_reported == DARK_WARN_FILES else '')
        print_log(
            f'LoadXRayImage: {filename}: 16-bit image whose values use only '
            f'{max(peak.bit_length(), 1)} bits (max {peak}); the full 16-bit range maps it to '
            f'0..{round(peak / 257)} of 255, nearly black. For 10/12-bit data set '
            f"LoadXRayImage(high_bit_range='stored') (sBIT chunk or the bits the values use), "
            f"a fixed depth such as high_bit_range=12, or 'minmax'.{more}",
            logger='current',
            level=logging.WARNING)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(to_gray3={self.to_gray3}, '
                f'gray_keepdim={self.gray_keepdim}, high_bit_range={self.high_bit_range!r}, '
                f'to_float32={self.to_float32}, ignore_empty={self.ignore_empty}, '
                f'backend_args={self.backend_args})')
