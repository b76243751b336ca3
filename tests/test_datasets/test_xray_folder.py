"""XRayFolder: a user's own unlabeled X-rays (PNG/JPEG/DICOM, recursive) as one more pool source."""
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

import muscle_mm.datasets  # noqa: F401  (registers the datasets)
from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.synthetic import shenzhen_cxr
from muscle_mm.datasets.synthetic.phantom import chest_phantom, imwrite
from muscle_mm.datasets.xray_folder import XRayFolder
from muscle_mm.datasets.xray_pretrain_pool import XRayPretrainPool
from muscle_mm.registry import DATASETS


def write_dicom(path, img):
    """A small Part-10 MONOCHROME2 DX file (Explicit VR Little Endian) holding ``img``."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.1.1'
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(path, {}, file_meta=meta, preamble=b'\0' * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, generate_uid()
    ds.Modality, ds.PhotometricInterpretation = 'DX', 'MONOCHROME2'
    ds.Rows, ds.Columns = img.shape
    ds.SamplesPerPixel, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 1, 16, 12, 11
    ds.PixelRepresentation = 0
    ds.PixelData = (img.astype('<u2') * 16).tobytes()
    os.makedirs(osp.dirname(path), exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    """Shenzhen (4 cases) and a user's folder: 2 new images (PNG, JPEG), 2 DICOMs (one without
    extension), an exact copy and a resized RGB JPEG copy of Shenzhen images, and junk."""
    base = tmp_path_factory.mktemp('folder')
    china = shenzhen_cxr.generate(str(base / 'ShenzhenCXR'), num=4, seed=1)
    src = osp.join(china, 'ChinaSet_AllFiles', 'CXR_png')
    mine = str(base / 'mine')
    rng = np.random.default_rng(5)
    imwrite(osp.join(mine, 'ward_a', '2024', 'new1.png'), chest_phantom(rng, 60, 56)[0])
    imwrite(osp.join(mine, 'ward_b', 'new2.JPG'), chest_phantom(rng, 60, 56)[0])
    write_dicom(osp.join(mine, 'pacs', 'study1', 'img.dcm'), chest_phantom(rng, 48, 40)[0])
    write_dicom(osp.join(mine, 'pacs', 'study2', 'IM0001'), chest_phantom(rng, 48, 40)[0])
    shutil.copy(osp.join(src, 'CHNCXR_0003_0.png'), osp.join(mine, 'ward_a', 'copy.png'))
    gray = cv2.imread(osp.join(src, 'CHNCXR_0002_1.png'), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(
        osp.join(mine, 'ward_b', 'resized.jpg'),
        cv2.cvtColor(cv2.resize(gray, (97, 101)), cv2.COLOR_GRAY2BGR),
        [cv2.IMWRITE_JPEG_QUALITY, 80])
    for junk in ('.DS_Store', 'notes.txt', 'ward_a/._new1.png', '.hidden/x.png',
                 '__MACOSX/ward_a/._copy.png'):
        os.makedirs(osp.dirname(osp.join(mine, junk)), exist_ok=True)
        with open(osp.join(mine, junk), 'wb') as f:
            f.write(b'junk')
    return dict(china=china, mine=mine)


def names(ds):
    return sorted(
        osp.relpath(ds.get_data_info(i)['img_path'], ds.data_root) for i in range(len(ds)))


def test_reads_png_jpeg_dicom_recursively_and_skips_junk(tree, log_lines):
    ds = DATASETS.build(
        dict(
            type='XRayFolder',
            data_root=tree['mine'],
            pipeline=[dict(type='LoadXRayImage'),
                      dict(type='PackInputs')]))
    assert names(ds) == [
        'pacs/study1/img.dcm', 'pacs/study2/IM0001', 'ward_a/2024/new1.png', 'ward_a/copy.png',
        'ward_b/new2.JPG', 'ward_b/resized.jpg'
    ]
    assert any('XRayFolder: 6 image(s)' in ln and '1 other file(s) skipped' in ln
               for ln in log_lines)  # notes.txt
    for i in range(len(ds)):  # every file decodes through the real loading pipeline
        assert ds[i]['inputs'].shape[0] == 3
    only_png = XRayFolder(data_root=tree['mine'], exts=('.png', ), dicom_by_content=False)
    assert names(only_png) == ['ward_a/2024/new1.png', 'ward_a/copy.png']


def test_joins_the_pool_with_dedup_and_logging(tree, log_lines):
    pool = XRayPretrainPool(datasets=[
        dict(type='ShenzhenCXR', data_root=tree['china']),
        dict(type='XRayFolder', data_root=tree['mine'])
    ])
    assert pool.source_counts == {'ShenzhenCXR[train]': 4, 'XRayFolder[train]': 4}
    assert pool.dropped['XRayFolder[train]'] == dict(duplicates=2, downstream=0)
    kept = {osp.basename(pool.get_data_info(i)['img_path']) for i in range(len(pool))}
    assert 'copy.png' not in kept and 'resized.jpg' not in kept  # exact and re-encoded copy
    table = next(ln for ln in log_lines if ln.startswith('XRayPretrainPool: images per'))
    assert ['XRayFolder[train]', '6', '2', '0', '4'] in [ln.split() for ln in table.splitlines()]
    exact = XRayPretrainPool(
        datasets=[
            dict(type='ShenzhenCXR', data_root=tree['china']),
            dict(type='XRayFolder', data_root=tree['mine'])
        ],
        dedup='md5')  # exact copies only: the re-encoded one stays
    assert exact.dropped['XRayFolder[train]']['duplicates'] == 1
    assert 'resized.jpg' in {
        osp.basename(exact.get_data_info(i)['img_path'])
        for i in range(len(exact))
    }
    with pytest.raises(ValueError, match="dedup must be True, 'md5' or False"):
        XRayPretrainPool(datasets=[dict(type='XRayFolder', data_root=tree['mine'])], dedup='x')


def test_bad_input(tmp_path):
    with pytest.raises(DatasetFormatError, match='XRayFolder data_root: directory not found'):
        XRayFolder(data_root=str(tmp_path / 'nowhere'))
    (tmp_path / 'empty' / 'sub').mkdir(parents=True)
    (tmp_path / 'empty' / 'sub' / 'readme.txt').write_text('x')
    with pytest.raises(DatasetFormatError, match='XRayFolder: no samples found'):
        XRayFolder(data_root=str(tmp_path / 'empty'))
    with pytest.raises(ValueError, match="only split 'train'"):
        XRayFolder(data_root=str(tmp_path), split='test')
