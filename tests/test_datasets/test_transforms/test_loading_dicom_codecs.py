"""LoadXRayImage on compressed DICOM: each transfer syntax through the pylibjpeg plugins
(requirements/runtime.txt), on the files pydicom ships (written by dcmtk, GDCM and others),
checked against uncompressed or independently decoded copies of the same pictures.

Only files inside the installed pydicom are used (``download=False``): tests never fetch.
pydicom 3.0 ships no HTJ2K file, so the three HTJ2K syntaxes are not covered here.
"""
import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.pixels.decoders.base import get_decoder

from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.transforms import LoadXRayImage

# 64x64 16-bit MR and 100x100 8-bit RGB test pictures; their references
MR, RGB = 'MR_small.dcm', 'SC_rgb_rle.dcm'  # RGB reference: RLE, pydicom's own decoder

LOSSLESS = [  # (transfer syntax, file, reference with the same pixels)
    ('1.2.840.10008.1.2', 'MR_small_implicit.dcm', MR),
    ('1.2.840.10008.1.2.2', 'MR_small_bigendian.dcm', MR),
    ('1.2.840.10008.1.2.5', 'MR_small_RLE.dcm', MR),
    ('1.2.840.10008.1.2.4.70', 'SC_rgb_jpeg_gdcm.dcm', RGB),  # JPEG Lossless SV1 (GDCM)
    ('1.2.840.10008.1.2.4.80', 'MR_small_jpeg_ls_lossless.dcm', MR),
    ('1.2.840.10008.1.2.4.90', 'MR_small_jp2klossless.dcm', MR),
]
LOSSY = [  # (transfer syntax, file, reference, largest mean |difference| in gray levels)
    ('1.2.840.10008.1.2.4.50', 'SC_rgb_dcmtk_+eb+cr.dcm', RGB, 3.0),  # JPEG Baseline (dcmtk)
    ('1.2.840.10008.1.2.4.50', 'SC_rgb_jpeg_dcmtk.dcm', RGB, 3.0),
    ('1.2.840.10008.1.2.4.81', 'SC_rgb_jls_lossy_line.dcm', RGB, 3.0),  # JPEG-LS near-lossless
    ('1.2.840.10008.1.2.4.91', 'SC_rgb_gdcm_KY.dcm', RGB, 3.0),  # JPEG 2000 (GDCM)
]
COMPRESSED = sorted({uid
                     for uid, *_ in LOSSLESS + LOSSY if uid.startswith('1.2.840.10008.1.2.4')}
                    | {'1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.5'})


def shipped(name):
    path = get_testdata_file(name, download=False)
    assert path is not None, f'{name} is not shipped with pydicom {pydicom.__version__}'
    return path


def gray(path, **kwargs):
    return LoadXRayImage(to_gray3=False, **kwargs).read_gray(str(path))


def syntax(path):
    return str(pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID)


@pytest.mark.parametrize('uid', COMPRESSED)
def test_a_decoder_plugin_is_installed(uid):
    decoder = get_decoder(uid)
    assert decoder.is_available, \
        f'no decoder plugin for {decoder.UID.name}: {decoder.missing_dependencies}'


@pytest.mark.parametrize('uid,name,ref', LOSSLESS)
def test_lossless_syntaxes_give_the_reference_pixels(uid, name, ref):
    path = shipped(name)
    assert syntax(path) == uid
    np.testing.assert_array_equal(
        pydicom.dcmread(path).pixel_array,
        pydicom.dcmread(shipped(ref)).pixel_array)
    np.testing.assert_array_equal(gray(path), gray(shipped(ref)))


def test_jpeg_lossless_process_14(tmp_path):
    """1.2.840.10008.1.2.4.57 (any predictor) is what many CR/DX archives store. pydicom ships
    no such file; a Selection-Value-1 stream (GDCM's SC_rgb_jpeg_gdcm.dcm) is a valid Process 14
    stream, so it is relabelled and must still decode to the reference."""
    ds = pydicom.dcmread(shipped('SC_rgb_jpeg_gdcm.dcm'))
    ds.file_meta.TransferSyntaxUID = pydicom.uid.JPEGLossless
    path = str(tmp_path / 'p14.dcm')
    ds.save_as(path)
    assert syntax(path) == '1.2.840.10008.1.2.4.57'
    np.testing.assert_array_equal(gray(path), gray(shipped(RGB)))


@pytest.mark.parametrize('uid,name,ref,tol', LOSSY)
def test_lossy_syntaxes_stay_close_to_the_reference(uid, name, ref, tol):
    path = shipped(name)
    assert syntax(path) == uid
    out, expected = gray(path).astype(float), gray(shipped(ref)).astype(float)
    assert out.shape == expected.shape
    assert np.abs(out - expected).mean() <= tol
    assert np.corrcoef(out.ravel(), expected.ravel())[0, 1] > 0.99


def test_12bit_jpeg_extended_and_16bit_jpeg2000_agree():
    """JPGExtended.dcm (12-bit JPEG Extended, which GDCM does not decode) and JPEG2000.dcm hold
    the same 1024x256 picture, lossy-coded by different codecs."""
    jpg, j2k = shipped('JPGExtended.dcm'), shipped('JPEG2000.dcm')
    assert (syntax(jpg), syntax(j2k)) == ('1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.91')
    a, b = gray(jpg, high_bit_range='minmax'), gray(j2k, high_bit_range='minmax')
    assert a.shape == b.shape == (1024, 256)
    assert np.corrcoef(a.ravel().astype(float), b.ravel().astype(float))[0, 1] > 0.9
    assert a.std() > 10 and b.std() > 10  # a picture, not a constant


@pytest.mark.parametrize('name,shape', [('JPEGLSNearLossless_08.dcm', (45, 10)),
                                        ('JPEGLSNearLossless_16.dcm', (50, 10)),
                                        ('693_J2KI.dcm', (512, 512)),
                                        ('image_dfl.dcm', (512, 512))])
def test_gray_files_of_other_syntaxes_decode(name, shape):
    out = gray(shipped(name), high_bit_range='minmax')
    assert out.shape == shape and out.dtype == np.uint8 and out.std() > 10


def test_broken_compressed_stream_names_the_file():
    """pydicom's JPEG-lossy.dcm holds a damaged 12-bit JPEG stream: a clear error, not a crash."""
    path = shipped('JPEG-lossy.dcm')
    with pytest.raises(DatasetFormatError, match='cannot decode DICOM pixel data') as err:
        gray(path)
    assert path in str(err.value) and 'JPEG Extended' in str(err.value)
