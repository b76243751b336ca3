"""LoadXRayImage: every container and bit depth reaches the model as the same 8-bit gray image."""
import importlib
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.transforms import LoadXRayImage

FRAGMENT = osp.join(osp.dirname(__file__), '../../../configs/_base_/datasets/xray_preprocess.py')
DX_FOR_PRESENTATION = '1.2.840.10008.5.1.4.1.1.1.1'


def gray8(h=36, w=28, seed=0):
    """A deterministic gray image using the whole 0..255 range (ramp + noise)."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 255, h * w).reshape(h, w)
    img = np.clip(ramp + rng.normal(0, 20, (h, w)), 0, 255)
    img[0, 0], img[-1, -1] = 0, 255
    return np.rint(img).astype(np.uint8)


def load(path, **kwargs):
    return LoadXRayImage(**kwargs)(dict(img_path=str(path)))


def write(path, img, params=()):
    assert cv2.imwrite(str(path), img, list(params))
    return str(path)


def write_dicom(path, stored, photometric='MONOCHROME2', bits_stored=12, signed=False, **elems):
    """A Part-10 DX file (Explicit VR Little Endian) holding ``stored``; ``elems`` are extra
    attributes, ``voi_lut=(descriptor, data)`` adds a VOI LUT Sequence item."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = DX_FOR_PRESENTATION
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b'\0' * 128)
    ds.SOPClassUID = DX_FOR_PRESENTATION
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = 'DX'
    ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = int(signed)
    voi_lut = elems.pop('voi_lut', None)
    for key, value in elems.items():
        setattr(ds, key, value)
    if voi_lut is not None:
        item = Dataset()
        item.add_new(0x00283002, 'US', list(voi_lut[0]))  # LUT Descriptor
        item.add_new(0x00283006, 'US', [int(v) for v in voi_lut[1]])  # LUT Data
        ds.VOILUTSequence = Sequence([item])
    ds.PixelData = stored.astype('<i2' if signed else '<u2').tobytes()
    try:  # pydicom >= 3
        ds.save_as(str(path), enforce_file_format=True)
    except TypeError:  # pydicom 2.4
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(str(path), write_like_original=False)
    return str(path)


def to12(img8):
    """The same picture as 12-bit stored values."""
    return np.rint(img8.astype(np.float64) * 4095 / 255).astype(np.uint16)


def window_expected(modality, center, width):
    """DICOM PS3.3 C.11.2.1.2 LINEAR window, onto 0..255."""
    frac = (modality - (center - 0.5)) / (width - 1) + 0.5
    return np.rint(np.clip(frac, 0, 1) * 255)


def assert_close(a, b, tol=1):
    diff = np.abs(a.astype(np.int32) - np.asarray(b).astype(np.int32))
    assert diff.max() <= tol, f'max abs difference {diff.max()} > {tol}'


def test_gray8_png_is_unchanged_and_replicated(tmp_path):
    img = gray8()
    res = load(write(tmp_path / 'a.png', img))
    out = res['img']
    assert out.dtype == np.uint8 and out.shape == (36, 28, 3)
    for c in range(3):
        np.testing.assert_array_equal(out[..., c], img)
    assert res['img_shape'] == res['ori_shape'] == (36, 28)
    # the PNG signature wins over a misleading .dcm name
    (tmp_path / 'png_named.dcm').write_bytes((tmp_path / 'a.png').read_bytes())
    np.testing.assert_array_equal(load(tmp_path / 'png_named.dcm')['img'], out)


def test_gray_output_layouts(tmp_path):
    path = write(tmp_path / 'a.png', gray8())
    assert load(path, to_gray3=False)['img'].shape == (36, 28)
    assert load(path, to_gray3=False, gray_keepdim=True)['img'].shape == (36, 28, 1)
    out = load(path, to_float32=True)['img']
    assert out.dtype == np.float32 and out.max() == 255.0


@pytest.mark.parametrize('widen', [lambda v: v * 257, lambda v: v * 256, lambda v: (v << 8) | 0xff])
def test_16bit_png_matches_8bit_copy(tmp_path, widen):
    """Full-range mapping: the usual 8->16-bit conversions land on the 8-bit values (<= 1 level)."""
    img = gray8()
    img16 = widen(img.astype(np.uint16)).astype(np.uint16)
    path16 = write(tmp_path / 'a16.png', img16)
    assert cv2.imread(path16, cv2.IMREAD_UNCHANGED).dtype == np.uint16
    out8 = load(write(tmp_path / 'a8.png', img))['img'][..., 0]
    out16 = load(path16)['img'][..., 0]
    assert_close(out16, out8)


def with_sbit(png: bytes, bits: int) -> bytes:
    """``png`` with an sBIT chunk (significant bits, PNG spec 11.3.3.4) before its IHDR's end."""
    import struct
    import zlib
    ihdr_end = 8 + 8 + 13 + 4  # signature, IHDR length+type, 13 data bytes, CRC
    body = b'sBIT' + bytes([bits])
    chunk = struct.pack('>I', 1) + body + struct.pack('>I', zlib.crc32(body))
    return png[:ihdr_end] + chunk + png[ihdr_end:]


def test_16bit_png_with_10_or_12_bit_values(tmp_path, log_lines):
    """12-bit data in a 16-bit PNG: 'full' keeps it dark and names the file in a warning;
    'stored' (sBIT or the bits the values use), a fixed depth and 'minmax' restore it."""
    img = gray8()
    path = write(tmp_path / 'a12.png', to12(img))
    full = load(path)['img'][..., 0]
    assert full.max() == round(4095 / 257)
    assert any('a12.png' in m and 'only 12 bits' in m and "'stored'" in m for m in log_lines)
    assert_close(load(path, high_bit_range='minmax')['img'][..., 0], img)
    assert_close(load(path, high_bit_range='stored')['img'][..., 0], img)
    assert_close(load(path, high_bit_range=12)['img'][..., 0], img)
    # a darker 12-bit image (max 2000 < 2**11): the declared sBIT depth keeps it as dark as it is
    dark = (to12(img) // 2).astype(np.uint16)
    plain = tmp_path / 'dark.png'
    write(plain, dark)
    (tmp_path / 'dark_sbit.png').write_bytes(with_sbit(plain.read_bytes(), 12))
    expected = np.rint(dark / 4095 * 255)
    assert_close(load(tmp_path / 'dark_sbit.png', high_bit_range='stored')['img'][..., 0], expected)
    assert_close(load(tmp_path / 'dark_sbit.png', high_bit_range=12)['img'][..., 0], expected)
    # without sBIT, the smallest of 10/12/14/16 bits that holds the maximum: 11 bits -> 12
    assert_close(load(plain, high_bit_range='stored')['img'][..., 0], expected)
    ten = write(tmp_path / 'a10.png', (to12(img) // 4).astype(np.uint16))
    assert_close(load(ten, high_bit_range='stored')['img'][..., 0], img)
    for bad in ('auto', 8, 17, True):
        with pytest.raises(ValueError, match='high_bit_range'):
            LoadXRayImage(high_bit_range=bad)


def test_dark_16bit_warning_names_files_then_stops(tmp_path, log_lines):
    """Full-range 16-bit data and 8-bit data widened to 16 bits warn nothing; 12-bit files are
    named, the first few only (a dataset of them must not flood the log)."""
    loader = LoadXRayImage()
    loader(dict(img_path=write(tmp_path / 'wide.png', gray8().astype(np.uint16) * 257)))
    assert not [m for m in log_lines if 'nearly black' in m]
    for i in range(8):
        loader(dict(img_path=write(tmp_path / f'd{i}.png', to12(gray8(seed=i)))))
    named = [m for m in log_lines if 'nearly black' in m]
    assert len(named) == 5 and all(f'd{i}.png' in named[i] for i in range(5))
    assert 'not listed' in named[-1]


def test_rgb_and_rgba_png_to_luminance(tmp_path):
    img = gray8()
    # a gray picture saved as RGB comes back unchanged
    assert_close(load(write(tmp_path / 'g.png', cv2.merge([img] * 3)))['img'][..., 0], img, tol=0)
    rng = np.random.default_rng(1)
    bgr = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
    expected = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)  # 0.299 R + 0.587 G + 0.114 B
    out = load(write(tmp_path / 'c.png', bgr))['img']
    assert_close(out[..., 0], expected)
    assert (out[..., 0] == out[..., 2]).all()
    alpha = rng.integers(0, 256, (20, 24, 1), dtype=np.uint8)
    out_rgba = load(write(tmp_path / 'c4.png', np.concatenate([bgr, alpha], 2)))['img']
    np.testing.assert_array_equal(out_rgba, out)  # alpha ignored
    bgr16 = bgr.astype(np.uint16) * 257
    assert_close(load(write(tmp_path / 'c16.png', bgr16))['img'][..., 0], expected)


def test_jpeg_gray_and_color(tmp_path):
    img = cv2.GaussianBlur(gray8(64, 48), (5, 5), 0)
    out = load(write(tmp_path / 'a.jpg', img, (cv2.IMWRITE_JPEG_QUALITY, 95)))['img']
    assert out.shape == (64, 48, 3)
    assert np.abs(out[..., 0].astype(int) - img).mean() < 2
    out_c = load(write(tmp_path / 'c.jpg', cv2.merge([img] * 3), (cv2.IMWRITE_JPEG_QUALITY, 95)))
    assert np.abs(out_c['img'][..., 0].astype(int) - img).mean() < 2


def test_dicom_monochrome2_and_monochrome1(tmp_path):
    img = gray8()
    stored = to12(img)
    out2 = load(write_dicom(tmp_path / 'm2.dcm', stored))['img']
    assert out2.shape == (36, 28, 3) and out2.dtype == np.uint8
    assert_close(out2[..., 0], img)
    # MONOCHROME1: low values are white; the same stored values must come out inverted
    out1 = load(write_dicom(tmp_path / 'm1.dcm', stored, 'MONOCHROME1'))['img']
    np.testing.assert_array_equal(out1, 255 - out2)
    # the header, not the extension, identifies DICOM
    no_ext = write_dicom(tmp_path / 'IM0001', stored)
    np.testing.assert_array_equal(load(no_ext)['img'], out2)


def test_dicom_rescale_slope_intercept_before_window(tmp_path):
    rng = np.random.default_rng(2)
    stored = rng.integers(0, 4096, (24, 20)).astype(np.uint16)
    slope, intercept, center, width = 2.0, -1000.0, 2000.0, 3001.0
    path = write_dicom(
        tmp_path / 'r.dcm',
        stored,
        RescaleSlope=slope,
        RescaleIntercept=intercept,
        WindowCenter=center,
        WindowWidth=width)
    expected = window_expected(stored * slope + intercept, center, width)
    out = load(path)['img'][..., 0]
    assert_close(out, expected)
    # the test discriminates: windowing the raw stored values would be far off
    assert np.abs(window_expected(stored.astype(float), center, width) - expected).mean() > 20
    # without a window the rescale does not change the picture (declared range maps with it)
    plain = load(write_dicom(tmp_path / 'p.dcm', stored))['img']
    rescaled = load(
        write_dicom(tmp_path / 'q.dcm', stored, RescaleSlope=slope,
                    RescaleIntercept=intercept))['img']
    assert_close(rescaled, plain)


def test_dicom_window_center_width(tmp_path):
    stored = np.tile(np.arange(0, 4096, 16, dtype=np.uint16), (4, 1))
    out = load(write_dicom(tmp_path / 'w.dcm', stored, WindowCenter=1024, WindowWidth=512))
    out = out['img'][..., 0]
    assert_close(out, window_expected(stored.astype(float), 1024, 512))
    assert out[0, stored[0] < 700].max() == 0 and out[0, stored[0] > 1300].min() == 255


def test_dicom_voi_lut_sequence_preferred(tmp_path):
    stored = np.tile(np.arange(0, 4096, 8, dtype=np.uint16), (3, 1))
    lut = np.rint(4095 * np.sqrt(np.arange(4096) / 4095))
    path = write_dicom(
        tmp_path / 'v.dcm', stored, voi_lut=([4096, 0, 12], lut), WindowCenter=100, WindowWidth=50)
    out = load(path)['img'][..., 0]
    assert_close(out, np.rint(lut[stored] / 4095 * 255))
    # MONOCHROME1 with a VOI LUT is still inverted after the LUT
    path1 = write_dicom(tmp_path / 'v1.dcm', stored, 'MONOCHROME1', voi_lut=([4096, 0, 12], lut))
    np.testing.assert_array_equal(load(path1)['img'][..., 0], 255 - out)


def test_dicom_signed_and_8bit(tmp_path):
    img = gray8()
    signed = img.astype(np.int16) * 16 - 2048  # 12-bit signed range -2048..2032
    out = load(write_dicom(tmp_path / 's.dcm', signed, signed=True))['img'][..., 0]
    assert_close(out, img)
    out8 = load(write_dicom(tmp_path / 'b.dcm', img.astype(np.uint16), bits_stored=8))['img']
    np.testing.assert_array_equal(out8[..., 0], img)


def test_bad_files_name_the_file(tmp_path):
    img = gray8(64, 64)
    good_png = write(tmp_path / 'ok.png', img)
    good_jpg = write(tmp_path / 'ok.jpg', img)
    data_png, data_jpg = open(good_png, 'rb').read(), open(good_jpg, 'rb').read()
    cases = {
        'empty.png': (b'', 'empty file'),
        'corrupt.png': (np.random.default_rng(3).bytes(500), 'not a decodable image'),
        'half.png': (data_png[:len(data_png) // 2], 'truncated PNG'),
        'half.jpg': (data_jpg[:len(data_jpg) // 2], 'truncated JPEG'),
        'text.jpg': (b'patient,label\n1,0\n', 'not a decodable image'),
    }
    for name, (data, problem) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(DatasetFormatError, match=problem) as err:
            load(path)
        assert str(path) in str(err.value)
    dcm = open(write_dicom(tmp_path / 'ok.dcm', to12(img)), 'rb').read()
    (tmp_path / 'cut.dcm').write_bytes(dcm[:len(dcm) - 1000])
    with pytest.raises(DatasetFormatError, match='DICOM') as err:
        load(tmp_path / 'cut.dcm')
    assert str(tmp_path / 'cut.dcm') in str(err.value)
    (tmp_path / 'junk.dcm').write_bytes(b'\0' * 128 + b'DICM' + b'\x01' * 50)
    with pytest.raises(DatasetFormatError, match='junk.dcm'):
        load(tmp_path / 'junk.dcm')
    with pytest.raises(FileNotFoundError, match='missing.png'):
        load(tmp_path / 'missing.png')
    # mmcv semantics: ignore_empty turns a failed load into None (the dataset then resamples)
    assert load(tmp_path / 'missing.png', ignore_empty=True) is None
    assert load(tmp_path / 'half.png', ignore_empty=True) is None


def _det_and_seg_inputs(tmp_path):
    mask = np.zeros((36, 28), np.uint8)
    mask[5:20, 4:14] = 1
    write(tmp_path / 'mask.png', mask)
    return dict(
        img_path=write(tmp_path / 'x.png', gray8()),
        img_id=0,
        instances=[dict(bbox=[4., 5., 14., 20.], bbox_label=0, ignore_flag=0)],
        seg_map_path=str(tmp_path / 'mask.png'),
        reduce_zero_label=False,
        seg_fields=[])


@pytest.mark.parametrize('scope,middle,pack', [
    ('mmpretrain', [], dict(type='PackInputs')),
    ('mmdet', [dict(type='LoadAnnotations', with_bbox=True)], dict(type='PackDetInputs')),
    ('mmseg', [dict(type='LoadAnnotations')], dict(type='PackSegInputs')),
])
def test_in_task_pipelines(tmp_path, scope, middle, pack):
    """Where LoadImageFromFile goes, with the §2.1 resize from the config fragment."""
    frag = Config.fromfile(FRAGMENT)
    with DefaultScope.overwrite_default_scope(scope):
        pipeline = Compose([frag.xray_load, *middle, frag.xray_resize, pack])
        assert isinstance(pipeline.transforms[0], LoadXRayImage)
        out = pipeline(_det_and_seg_inputs(tmp_path))
    assert tuple(out['inputs'].shape) == (3, 800, 500)
    sample = out['data_samples']
    assert sample.ori_shape == (36, 28) and sample.img_shape == (800, 500)
    if scope == 'mmdet':
        np.testing.assert_allclose(
            sample.gt_instances.bboxes.tensor[0].numpy(),
            [4 * 500 / 28, 5 * 800 / 36, 14 * 500 / 28, 20 * 800 / 36],
            rtol=1e-4)
    if scope == 'mmseg':
        assert tuple(sample.gt_sem_seg.data.shape) == (1, 800, 500)


@pytest.mark.parametrize('scope', ['mmpretrain', 'mmdet', 'mmseg'])
def test_registered_in_each_registry(scope):
    registry = importlib.import_module(f'{scope}.registry').TRANSFORMS
    assert registry.get('LoadXRayImage') is LoadXRayImage
    assert isinstance(registry.build(dict(type='LoadXRayImage', to_gray3=False)), LoadXRayImage)
