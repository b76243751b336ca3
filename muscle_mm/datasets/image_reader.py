"""Read any X-ray file (8/16-bit gray, RGB(A), PNG, JPEG, TIFF, BMP, DICOM) as 8-bit gray.

The one place muscle_mm decodes images: :class:`~muscle_mm.datasets.transforms.LoadXRayImage`
(training pipelines), :class:`~muscle_mm.datasets.xray_folder.XRayFolder` (which files are
images), the leakage hashes (:mod:`muscle_mm.datasets.leakage.fingerprints`) and so the
MD-MoCo pool's content checks all call it, so a file is the same picture everywhere. The
rules (photometric interpretation, modality LUT / rescale, VOI LUT / windowing, 16-bit range)
are documented on ``LoadXRayImage``.
"""
import importlib.util
import io
import os.path as osp
import struct
from typing import Callable, Optional, Tuple, Union

import mmcv
import numpy as np
from mmengine import fileio

from .base import DatasetFormatError

DICOM_EXTS = ('.dcm', '.dicom', '.dic')
#: Every file extension muscle_mm reads as an image (case-insensitive).
IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff') + DICOM_EXTS
HIGH_BIT_MODES = ('full', 'minmax', 'stored')

# Compressed transfer syntaxes -> the pydicom decoders that read every file of that syntax:
# (pip name, import name, licence, how muscle_mm installs it). pydicom decodes RLE itself and
# JPEG Baseline / JPEG 2000 through Pillow; Pillow and GDCM refuse 12-bit JPEG Extended, which
# only the GPL-3.0 libjpeg plugin decodes. See docs/dependencies.md.
_RUNTIME = 'installed with muscle_mm (requirements/runtime.txt)'
_PILLOW = ('pillow', 'PIL', 'MIT-CMU', _RUNTIME)
_OPENJPEG = ('pylibjpeg-openjpeg', 'openjpeg', 'MIT', _RUNTIME)
_GDCM = ('python-gdcm', 'gdcm', 'Apache-2.0', 'extra muscle_mm[dicom]: pip install -e ".[dicom]"')
_JPEGLS = ('pyjpegls', 'jpeg_ls', 'MIT', 'extra muscle_mm[dicom]: pip install -e ".[dicom]"')
_LIBJPEG = ('pylibjpeg-libjpeg', 'libjpeg', 'GPL-3.0',
            'extra muscle_mm[dicom-gpl]: pip install -e ".[dicom-gpl]"')
_DECODERS_OF_SYNTAX = {
    '1.2.840.10008.1.2.4.50': (_PILLOW, _GDCM, _LIBJPEG),  # JPEG Baseline
    '1.2.840.10008.1.2.4.51': (_LIBJPEG, ),  # JPEG Extended (12-bit)
    '1.2.840.10008.1.2.4.57': (_GDCM, _LIBJPEG),  # JPEG Lossless, Process 14
    '1.2.840.10008.1.2.4.70': (_GDCM, _LIBJPEG),  # JPEG Lossless SV1
    '1.2.840.10008.1.2.4.80': (_JPEGLS, _GDCM, _LIBJPEG),  # JPEG-LS Lossless
    '1.2.840.10008.1.2.4.81': (_JPEGLS, _GDCM, _LIBJPEG),  # JPEG-LS Near-lossless
    '1.2.840.10008.1.2.4.90': (_OPENJPEG, _PILLOW, _GDCM),  # JPEG 2000 Lossless
    '1.2.840.10008.1.2.4.91': (_OPENJPEG, _PILLOW, _GDCM),  # JPEG 2000
    '1.2.840.10008.1.2.4.201': (_OPENJPEG, ),  # HTJ2K Lossless
    '1.2.840.10008.1.2.4.202': (_OPENJPEG, ),  # HTJ2K Lossless RPCL
    '1.2.840.10008.1.2.4.203': (_OPENJPEG, ),  # HTJ2K
}


def _installed(import_name: str) -> bool:
    """Whether a decoder package can be imported (found, not imported)."""
    return importlib.util.find_spec(import_name) is not None


def check_high_bit_range(high_bit_range: Union[str, int]) -> None:
    """Raise unless ``high_bit_range`` is one of :data:`HIGH_BIT_MODES` or a depth 9..16."""
    if not (high_bit_range in HIGH_BIT_MODES or
            (isinstance(high_bit_range, int) and not isinstance(high_bit_range, bool)
             and 9 <= high_bit_range <= 16)):
        raise ValueError(f'high_bit_range must be one of {HIGH_BIT_MODES} or a bit depth '
                         f'9..16, got {high_bit_range!r}')


def is_dicom_file(path: str) -> bool:
    """Part-10 DICOM: ``DICM`` after the 128-byte preamble (archives often drop the extension)."""
    try:
        with open(path, 'rb') as f:
            return f.read(132)[128:] == b'DICM'
    except OSError:
        return False


def is_dicom_bytes(data: bytes, filename: str) -> bool:
    """Part-10 files carry ``DICM`` after a 128-byte preamble, bare datasets only an extension;
    a PNG/JPEG signature wins over a misleading ``.dcm`` name."""
    if data[128:132] == b'DICM':
        return True
    if data.startswith((b'\x89PNG', b'\xff\xd8')):
        return False
    return osp.splitext(filename)[1].lower() in DICOM_EXTS


def read_bytes(filename: str, backend_args: Optional[dict] = None) -> bytes:
    """The file's bytes through ``mmengine.fileio`` (any storage backend); raises on a missing
    (``FileNotFoundError``) or empty (:class:`DatasetFormatError`) file, naming it."""
    try:
        data = fileio.get(filename, backend_args=backend_args)
    except FileNotFoundError as e:
        raise FileNotFoundError(f'X-ray image not found: {filename}') from e
    if len(data) == 0:
        raise DatasetFormatError(f'{filename}: empty file (0 bytes)')
    return data


def read_gray(filename: str,
              high_bit_range: Union[str, int] = 'full',
              backend_args: Optional[dict] = None,
              on_dark: Optional[Callable[[str, int], None]] = None) -> np.ndarray:
    """Read ``filename`` into an ``HxW`` uint8 gray array, raising on any bad input."""
    return decode_gray(read_bytes(filename, backend_args), filename, high_bit_range, on_dark)


def decode_gray(data: bytes,
                filename: str,
                high_bit_range: Union[str, int] = 'full',
                on_dark: Optional[Callable[[str, int], None]] = None) -> np.ndarray:
    """Decode a file's bytes into an ``HxW`` uint8 gray array (rules: ``LoadXRayImage``).

    Args:
        data (bytes): the file's content.
        filename (str): its name, for DICOM detection by extension and for error messages.
        high_bit_range (str | int): see ``LoadXRayImage``. Defaults to 'full' (paper).
        on_dark (callable, optional): called as ``on_dark(filename, peak)`` when the 'full'
            rule maps a 16-bit raster whose maximum fits in 12 bits nearly black. Defaults to
            None (not reported).
    """
    if is_dicom_bytes(data, filename):
        return _decode_dicom(data, filename, high_bit_range)
    return _decode_raster(data, filename, high_bit_range, on_dark)


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


def codec_hint(syntax) -> str:
    """What to do about a compressed transfer syntax that did not decode: its name and UID and,
    when none of the decoders that read every file of it is installed, which ones would (licence
    and the pip command); otherwise the stream itself is damaged or unsupported."""
    if syntax is None or not syntax.is_compressed:
        return ''
    named = f'transfer syntax {syntax.name} ({syntax})'
    decoders = _DECODERS_OF_SYNTAX.get(str(syntax))
    if decoders is None:  # RLE and Deflate: pydicom decodes them itself
        return f'; {named}: pydicom failed on this file (damaged stream)'
    if any(_installed(module) for _, module, _, _ in decoders):
        return (f'; {named}: the installed decoder plugins failed on this file (damaged or '
                'unsupported stream)')
    options = '; or '.join(f'{pip} ({licence}, {how})' for pip, _, licence, how in decoders)
    return (f'; {named}: no installed pydicom decoder reads it; install one of: {options} '
            '(see docs/dependencies.md)')


def to_uint8(arr: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map ``[lo, hi]`` linearly onto 0..255 (rounded, clipped)."""
    arr = arr.astype(np.float32)
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    return np.clip(np.rint((arr - lo) * scale), 0, 255).astype(np.uint8)


def luminance(arr: np.ndarray, bgr: bool) -> np.ndarray:
    """Rec. 601 luma (alpha ignored): a colour X-ray file holds a gray image saved as RGB."""
    chans = arr[..., :3].astype(np.float32)
    b, g, r = (chans[..., 0], chans[..., 1], chans[..., 2]) if bgr else \
        (chans[..., 2], chans[..., 1], chans[..., 0])
    return 0.299 * r + 0.587 * g + 0.114 * b


def _scale_high_bit(arr: np.ndarray, lo: float, hi: float,
                    high_bit_range: Union[str, int]) -> np.ndarray:
    if high_bit_range == 'minmax':
        lo, hi = float(arr.min()), float(arr.max())
    return to_uint8(arr, lo, hi)


def _decode_raster(data: bytes, filename: str, high_bit_range: Union[str, int],
                   on_dark: Optional[Callable[[str, int], None]]) -> np.ndarray:
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
        img = luminance(img, bgr=True)
    elif img.ndim == 3:  # gray + alpha
        img = img[..., 0]
    if full == 255.0:  # 8-bit data is display-ready: never stretched
        return img if img.dtype == np.uint8 else to_uint8(img, 0, 255)
    peak = int(img.max())
    if high_bit_range == 'stored':
        bits = _png_significant_bits(data) or next(b for b in (10, 12, 14, 16) if peak < 2**b)
        return to_uint8(img, 0.0, 2.0**bits - 1)
    if isinstance(high_bit_range, int):
        return to_uint8(img, 0.0, 2.0**high_bit_range - 1)
    if high_bit_range == 'full' and 0 < peak < 2**12 and on_dark is not None:
        on_dark(filename, peak)
    return _scale_high_bit(img, 0.0, full, high_bit_range)


def dicom_stored_range(ds) -> Tuple[float, float]:
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


def _decode_dicom(data: bytes, filename: str, high_bit_range: Union[str, int]) -> np.ndarray:
    import pydicom  # here, not at import: only DICOM users pay for it
    from pydicom.pixels import apply_modality_lut, apply_voi_lut
    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=data[128:132] != b'DICM')
    except Exception as e:  # pydicom raises many types for damaged headers
        raise DatasetFormatError(f'{filename}: unreadable DICOM ({type(e).__name__}: {e})') from e
    if 'PixelData' not in ds:
        raise DatasetFormatError(f'{filename}: DICOM has no Pixel Data (not an image)')
    try:
        arr = ds.pixel_array
    except Exception as e:  # truncated pixel data, or a codec that is not installed
        syntax = getattr(getattr(ds, 'file_meta', None), 'TransferSyntaxUID', None)
        raise DatasetFormatError(f'{filename}: cannot decode DICOM pixel data '
                                 f'({type(e).__name__}: {e}){codec_hint(syntax)}') from e
    frames = int(ds.get('NumberOfFrames', 1) or 1)
    if frames > 1:
        raise DatasetFormatError(
            f'{filename}: multi-frame DICOM ({frames} frames); expected one radiograph')
    photometric = str(ds.get('PhotometricInterpretation', 'MONOCHROME2')).upper()
    if int(ds.get('SamplesPerPixel', 1)) > 1:  # pydicom hands out RGB for colour data
        lo, hi = 0.0, 2.0**int(ds.BitsStored) - 1
        return _scale_high_bit(luminance(arr, bgr=False), lo, hi, high_bit_range)
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
            lo, hi = dicom_stored_range(ds)
        gray = to_uint8(voi, lo, hi)
    elif int(ds.BitsStored) <= 8 and 'RescaleSlope' not in ds:  # 8-bit: never stretched
        gray = to_uint8(arr, *dicom_stored_range(ds))
    else:
        gray = _scale_high_bit(arr, *dicom_stored_range(ds), high_bit_range)
    if photometric == 'MONOCHROME1':
        gray = 255 - gray
    return np.ascontiguousarray(gray)
