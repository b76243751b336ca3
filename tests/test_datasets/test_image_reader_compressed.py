"""Compressed DICOM whose decoder is not installed: the error names the file, the transfer syntax
and the packages that would decode it, with their licence and the extra that installs them
(issue 18: the GPL-3.0 libjpeg plugin is an extra, not a dependency).

The decoders are "uninstalled" the way pydicom sees a missing package: the plugin moves from the
decoder's available plugins to its unavailable ones, with pydicom's own dependency strings, so
the error pydicom raises is its real one; image_reader's package probe is told the same.
"""
import importlib
import shutil

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.pixels.decoders.base import get_decoder
from pydicom.uid import (ExplicitVRLittleEndian, JPEG2000Lossless, SecondaryCaptureImageStorage,
                         generate_uid)

from muscle_mm.datasets import image_reader
from muscle_mm.datasets.base import DatasetFormatError

# pydicom plugin label -> the packages (import names) behind it
PACKAGES_OF_PLUGIN = {
    'pylibjpeg': ('libjpeg', 'openjpeg', 'rle'),
    'pillow': ('PIL', ),
    'gdcm': ('gdcm', ),
    'pyjpegls': ('jpeg_ls', )
}


@pytest.fixture
def uninstall(monkeypatch):
    """uninstall(uid, *plugins): those pydicom plugins are missing for that syntax."""
    gone = set()

    def _uninstall(uid, *plugins):
        decoder = get_decoder(uid)
        deps = {
            p: importlib.import_module(f'pydicom.pixels.decoders.{p}').DECODER_DEPENDENCIES.get(
                uid, ())
            for p in plugins
        }
        monkeypatch.setattr(decoder, '_available', {
            k: v
            for k, v in decoder._available.items() if k not in plugins
        })
        monkeypatch.setattr(decoder, '_unavailable', {**decoder._unavailable, **deps})
        gone.update(m for p in plugins for m in PACKAGES_OF_PLUGIN[p])
        monkeypatch.setattr(image_reader, '_installed',
                            lambda module: module not in gone and _real_installed(module))

    return _uninstall


_real_installed = image_reader._installed


def shipped(name, tmp_path):
    """A copy of one of pydicom's shipped test files, under a name of our own."""
    path = get_testdata_file(name, download=False)
    assert path is not None, f'{name} is not shipped with pydicom {pydicom.__version__}'
    return str(shutil.copy(path, tmp_path / f'patient_{name}'))


def xray_16bit():
    """A 64x40 12-bit gray radiograph-like ramp."""
    y, x = np.mgrid[:40, :64]
    return ((x * 53 + y * 29) % 4096).astype(np.uint16)


def write_dicom(path, arr, syntax=None):
    """A Part-10 DX image, compressed with ``syntax`` by pydicom's own encoders."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.Modality, ds.PhotometricInterpretation = 'DX', 'MONOCHROME2'
    ds.Rows, ds.Columns = arr.shape
    ds.SamplesPerPixel, ds.PixelRepresentation = 1, 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.PixelData = arr.tobytes()
    if syntax is not None:
        ds.compress(syntax, encoding_plugin='pylibjpeg')
    ds.save_as(str(path), enforce_file_format=True)
    return str(path)


def decode_error(path):
    with pytest.raises(DatasetFormatError) as err:
        image_reader.read_gray(path)
    return str(err.value)


def test_jpeg2000_fixture_decodes_like_its_uncompressed_twin(tmp_path):
    """The fixture is a real JPEG 2000 stream that the installed plugins decode losslessly."""
    arr = xray_16bit()
    j2k = write_dicom(tmp_path / 'j2k.dcm', arr, JPEG2000Lossless)
    assert str(pydicom.dcmread(j2k).file_meta.TransferSyntaxUID) == JPEG2000Lossless
    np.testing.assert_array_equal(
        image_reader.read_gray(j2k), image_reader.read_gray(write_dicom(tmp_path / 'raw.dcm', arr)))


def test_missing_jpeg2000_decoder_names_file_syntax_and_package(tmp_path, uninstall):
    path = write_dicom(tmp_path / 'chest_0001.dcm', xray_16bit(), JPEG2000Lossless)
    uninstall(JPEG2000Lossless, 'pylibjpeg', 'pillow', 'gdcm')
    msg = decode_error(path)
    assert msg.startswith(f'{path}: cannot decode DICOM pixel data')
    assert 'all plugins are missing dependencies' in msg  # pydicom's own error, kept
    assert f'JPEG 2000 Image Compression (Lossless Only) ({JPEG2000Lossless})' in msg
    assert 'pylibjpeg-openjpeg (MIT, installed with muscle_mm' in msg
    assert 'docs/dependencies.md' in msg


def test_missing_jpeg_lossless_decoder_offers_permissive_and_gpl_extras(tmp_path, uninstall):
    path = shipped('SC_rgb_jpeg_gdcm.dcm', tmp_path)  # JPEG Lossless SV1
    uninstall('1.2.840.10008.1.2.4.70', 'pylibjpeg', 'gdcm')
    msg = decode_error(path)
    assert path in msg and '(1.2.840.10008.1.2.4.70)' in msg and 'JPEG Lossless' in msg
    assert 'python-gdcm (Apache-2.0, extra muscle_mm[dicom]: pip install -e ".[dicom]")' in msg
    assert ('pylibjpeg-libjpeg (GPL-3.0, extra muscle_mm[dicom-gpl]: '
            'pip install -e ".[dicom-gpl]")') in msg


def test_12bit_jpeg_extended_without_libjpeg_names_the_gpl_extra(tmp_path, uninstall):
    """Pillow stays installed and fails on 12-bit samples (pydicom's real refusal): the hint
    must still say that only the GPL libjpeg plugin reads this syntax."""
    path = shipped('JPGExtended.dcm', tmp_path)
    uninstall('1.2.840.10008.1.2.4.51', 'pylibjpeg')
    msg = decode_error(path)
    assert path in msg and 'JPEG Extended' in msg and '(1.2.840.10008.1.2.4.51)' in msg
    assert '12-bit' in msg  # Pillow's refusal, through pydicom
    assert 'pylibjpeg-libjpeg (GPL-3.0, extra muscle_mm[dicom-gpl]' in msg


def test_damaged_stream_with_decoder_installed_suggests_no_install(tmp_path):
    """A JPEG 2000 file (openjpeg is a runtime dependency) whose codestream is cut short."""
    path = write_dicom(tmp_path / 'chest_0002.dcm', xray_16bit(), JPEG2000Lossless)
    ds = pydicom.dcmread(path)
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    ds.PixelData = encapsulate([frame[:len(frame) // 3]])
    ds.save_as(path, enforce_file_format=True)
    msg = decode_error(path)
    assert path in msg and f'({JPEG2000Lossless}): the installed decoder plugins failed' in msg
    assert 'pip install' not in msg


@pytest.mark.parametrize('uid', sorted(image_reader._DECODERS_OF_SYNTAX))
def test_every_listed_decoder_is_a_pydicom_plugin_for_that_syntax(uid):
    """The table names only packages pydicom would use for the syntax (so the advice works)."""
    decoder = get_decoder(uid)
    plugins = set(decoder._available) | set(decoder._unavailable)
    for pip_name, module, _, _ in image_reader._DECODERS_OF_SYNTAX[uid]:
        plugin = next(p for p, mods in PACKAGES_OF_PLUGIN.items() if module in mods)
        assert plugin in plugins, f'{pip_name} is no pydicom plugin for {decoder.UID.name}'


def test_every_compressed_syntax_pydicom_decodes_is_listed():
    """A compressed syntax missing from the table would get no install advice; only those
    pydicom decodes itself (RLE) may be absent."""
    import pydicom.pixels.decoders as decoders
    from pydicom.pixels.decoders.base import Decoder
    encapsulated = [
        d for d in vars(decoders).values() if isinstance(d, Decoder) and d.is_encapsulated
    ]
    assert len(encapsulated) >= 12
    for decoder in encapsulated:
        assert (str(decoder.UID) in image_reader._DECODERS_OF_SYNTAX
                or 'pydicom' in decoder._available), decoder.UID.name
