"""Load any X-ray file (8/16-bit gray, RGB(A), JPEG, PNG, DICOM) the same way.

MUSCLE (https://arxiv.org/abs/2310.02000, §2.1) pools nine datasets whose files differ in bit
depth, colour model and container. :class:`LoadXRayImage` turns all of them into one 8-bit gray
image, so that the paper's single gray Z-score (mean 122.786, std 18.390, applied by the model's
data preprocessor) means the same thing for every dataset.
"""
import io
import logging
import os.path as osp
import struct
from typing import Optional, Tuple, Union

import cv2
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmengine.logging import print_log

from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.registry import register_transform_everywhere

DICOM_EXTS = ('.dcm', '.dicom', '.dic')
HIGH_BIT_MODES = ('full', 'minmax', 'stored')
DARK_WARN_FILES = 5  # 16-bit files named by the nearly-black warning, per loader instance


def _is_dicom(data: bytes, filename: str) -> bool:
    """Part-10 files carry ``DICM`` after a 128-byte preamble, bare datasets only an extension;
    a PNG/JPEG signature wins over a misleading ``.dcm`` name."""
    if data[128:132] == b'DICM':
        return True
    if data.startswith((b'\x89PNG', b'\xff\xd8')):
        return False
    return osp.splitext(filename)[1].lower() in DICOM_EXTS


def _truncation(data: bytes) -> Optional[str]:
    """Why a PNG/JPEG byte string is cut short, or None.

    OpenCV 4.x decodes a truncated JPEG into a partly gray image with only a warning on stderr
    (5.x returns None, which says nothing about why), so the end markers are checked explicitly:
    PNG must hold its ``IEND`` chunk, JPEG its EOI marker after the last start-of-scan (byte
    stuffing keeps both out of the entropy-coded data).
    """
    if data.startswith(b'\x89PNG\r\n\x1a\n') and data.rfind(b'IEND') < 0:
        return 'truncated PNG (no IEND chunk)'
    if data.startswith(b'\xff\xd8') and data.rfind(b'\xff\xd9') < data.rfind(b'\xff\xda'):
        return 'truncated JPEG (no end-of-image marker after the last scan)'
    return None


def _png_significant_bits(data: bytes) -> Optional[int]:
    """Significant bits a PNG declares in its ``sBIT`` chunk (largest over the channels), or
    None without one. The chunk precedes the first ``IDAT`` (PNG spec 11.3.3.4)."""
    if not data.startswith(b'\x89PNG\r\n\x1a\n'):
        return None
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        if kind == b'IDAT':
            return None
        if kind == b'sBIT' and length:
            return max(data[pos + 8:pos + 8 + length])
        pos += 12 + length
    return None


def _codec_hint(syntax) -> str:
    """What to do about a compressed transfer syntax that did not decode."""
    if syntax is None or not syntax.is_compressed:
        return ''
    try:  # pydicom >= 3 says whether a decoder plugin is installed
        from pydicom.pixels.decoders.base import get_decoder
        available = get_decoder(syntax).is_available
    except Exception:  # pydicom 2.4, or a syntax pydicom has no decoder for
        available = False
    if available:
        return (f'; transfer syntax {syntax.name}: the installed decoder plugins failed on '
                'this file (damaged or unsupported stream)')
    return (f'; transfer syntax {syntax.name} needs a pydicom decoder plugin: install the '
            'pylibjpeg pins of requirements/runtime.txt (pylibjpeg, pylibjpeg-libjpeg, '
            'pylibjpeg-openjpeg, pylibjpeg-rle)')


def _to_uint8(arr: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map ``[lo, hi]`` linearly onto 0..255 (rounded, clipped)."""
    arr = arr.astype(np.float32)
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    return np.clip(np.rint((arr - lo) * scale), 0, 255).astype(np.uint8)


def _luminance(arr: np.ndarray, bgr: bool) -> np.ndarray:
    """Rec. 601 luma (alpha ignored): a colour X-ray file holds a gray image saved as RGB."""
    chans = arr[..., :3].astype(np.float32)
    b, g, r = (chans[..., 0], chans[..., 1], chans[..., 2]) if bgr else \
        (chans[..., 2], chans[..., 1], chans[..., 0])
    return 0.299 * r + 0.587 * g + 0.114 * b


def _dicom_stored_range(ds) -> Tuple[float, float]:
    """Range of modality values the header declares: stored bit depth, then rescale.

    This is the output range pydicom's ``apply_windowing`` maps a window onto, and the range a
    dataset without VOI transform is shown in.
    """
    if ds.get('ModalityLUTSequence'):
        lo, hi = 0.0, 2.0**int(ds.ModalityLUTSequence[0].LUTDescriptor[2]) - 1
    elif int(ds.get('PixelRepresentation', 0)) == 0:
        lo, hi = 0.0, 2.0**int(ds.BitsStored) - 1
    else:
        lo, hi = -2.0**(int(ds.BitsStored) - 1), 2.0**(int(ds.BitsStored) - 1) - 1
    slope, intercept = ds.get('RescaleSlope'), ds.get('RescaleIntercept')
    if slope is not None and intercept is not None:
        slope, intercept = float(slope), float(intercept)
        lo, hi = sorted((lo * slope + intercept, hi * slope + intercept))
    return lo, hi


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
      Compressed transfer syntaxes (JPEG Baseline/Extended 12-bit/Lossless, JPEG-LS,
      JPEG 2000, RLE) decode through the pylibjpeg plugins in ``requirements/runtime.txt``.
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
        if not (high_bit_range in HIGH_BIT_MODES or (
                isinstance(high_bit_range, int) and not isinstance(high_bit_range, bool)
                and 9 <= high_bit_range <= 16)):
            raise ValueError(f"high_bit_range must be one of {HIGH_BIT_MODES} or a bit depth "
                             f"9..16, got {high_bit_range!r}")
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
                print_log(f'LoadXRayImage: skipped {filename}: {e}', logger='current',
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
        try:
            data = fileio.get(filename, backend_args=self.backend_args)
        except FileNotFoundError as e:
            raise FileNotFoundError(f'X-ray image not found: {filename}') from e
        if len(data) == 0:
            raise DatasetFormatError(f'{filename}: empty file (0 bytes)')
        if _is_dicom(data, filename):
            return self._decode_dicom(data, filename)
        return self._decode_raster(data, filename)

    def _decode_raster(self, data: bytes, filename: str) -> np.ndarray:
        problem = _truncation(data)
        if problem:
            raise DatasetFormatError(f'{filename}: {problem}')
        img = mmcv.imfrombytes(data, flag='unchanged', backend='cv2')
        if img is None or img.size == 0:
            raise DatasetFormatError(
                f'{filename}: not a decodable image (corrupt, or not PNG/JPEG/TIFF/BMP/DICOM; '
                f'first bytes {data[:8]!r})')
        full = {np.uint8: 255.0, np.uint16: 65535.0}.get(img.dtype.type)
        if full is None:
            raise DatasetFormatError(f'{filename}: unsupported pixel type {img.dtype} '
                                     '(expected 8- or 16-bit unsigned integers)')
        if img.ndim == 3 and img.shape[2] >= 3:
            img = _luminance(img, bgr=True)
        elif img.ndim == 3:  # gray + alpha
            img = img[..., 0]
        if full == 255.0:  # 8-bit data is display-ready: never stretched
            return img if img.dtype == np.uint8 else _to_uint8(img, 0, 255)
        peak = int(img.max())
        if self.high_bit_range == 'stored':
            bits = _png_significant_bits(data) or next(b for b in (10, 12, 14, 16) if peak < 2**b)
            return _to_uint8(img, 0.0, 2.0**bits - 1)
        if isinstance(self.high_bit_range, int):
            return _to_uint8(img, 0.0, 2.0**self.high_bit_range - 1)
        if self.high_bit_range == 'full' and 0 < peak < 2**12:
            self._warn_dark(filename, peak)
        return self._scale_high_bit(img, 0.0, full)

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
            logger='current', level=logging.WARNING)

    def _scale_high_bit(self, arr: np.ndarray, lo: float, hi: float) -> np.ndarray:
        if self.high_bit_range == 'minmax':
            lo, hi = float(arr.min()), float(arr.max())
        return _to_uint8(arr, lo, hi)

    def _decode_dicom(self, data: bytes, filename: str) -> np.ndarray:
        import pydicom  # here, not at import: only DICOM users pay for it
        from pydicom.pixels import apply_modality_lut, apply_voi_lut
        try:
            ds = pydicom.dcmread(io.BytesIO(data), force=data[128:132] != b'DICM')
        except Exception as e:  # pydicom raises many types for damaged headers
            raise DatasetFormatError(
                f'{filename}: unreadable DICOM ({type(e).__name__}: {e})') from e
        if 'PixelData' not in ds:
            raise DatasetFormatError(f'{filename}: DICOM has no Pixel Data (not an image)')
        try:
            arr = ds.pixel_array
        except Exception as e:  # truncated pixel data, or a codec that is not installed
            syntax = getattr(getattr(ds, 'file_meta', None), 'TransferSyntaxUID', None)
            raise DatasetFormatError(f'{filename}: cannot decode DICOM pixel data '
                                     f'({type(e).__name__}: {e}){_codec_hint(syntax)}') from e
        frames = int(ds.get('NumberOfFrames', 1) or 1)
        if frames > 1:
            raise DatasetFormatError(
                f'{filename}: multi-frame DICOM ({frames} frames); expected one radiograph')
        photometric = str(ds.get('PhotometricInterpretation', 'MONOCHROME2')).upper()
        if int(ds.get('SamplesPerPixel', 1)) > 1:  # pydicom hands out RGB for colour data
            lo, hi = 0.0, 2.0**int(ds.BitsStored) - 1
            return self._scale_high_bit(_luminance(arr, bgr=False), lo, hi)
        if photometric not in ('MONOCHROME1', 'MONOCHROME2'):
            raise DatasetFormatError(
                f'{filename}: unsupported Photometric Interpretation {photometric!r}')
        try:
            arr = apply_modality_lut(arr, ds)
            voi = apply_voi_lut(arr, ds)
        except Exception as e:
            raise DatasetFormatError(
                f'{filename}: invalid modality/VOI LUT ({type(e).__name__}: {e})') from e
        if voi is not arr:  # a VOI LUT or window was applied: map its declared output range
            seq = ds.get('VOILUTSequence')
            if seq and None not in (seq[0].get('LUTDescriptor'), seq[0].get('LUTData')):
                lo, hi = 0.0, 2.0**int(seq[0].LUTDescriptor[2]) - 1
            else:
                lo, hi = _dicom_stored_range(ds)
            gray = _to_uint8(voi, lo, hi)
        elif int(ds.BitsStored) <= 8 and 'RescaleSlope' not in ds:  # 8-bit: never stretched
            gray = _to_uint8(arr, *_dicom_stored_range(ds))
        else:
            gray = self._scale_high_bit(arr, *_dicom_stored_range(ds))
        if photometric == 'MONOCHROME1':
            gray = 255 - gray
        return np.ascontiguousarray(gray)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(to_gray3={self.to_gray3}, '
                f'gray_keepdim={self.gray_keepdim}, high_bit_range={self.high_bit_range!r}, '
                f'to_float32={self.to_float32}, ignore_empty={self.ignore_empty}, '
                f'backend_args={self.backend_args})')
