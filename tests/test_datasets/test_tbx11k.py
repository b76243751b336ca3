"""TBX11K (mmdet) read from a generated archive: boxes, name-mapped categories, splits, metric."""
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmdet.evaluation import CocoMetric
from mmdet.registry import DATASETS
from mmengine.registry import init_default_scope

import muscle_mm.datasets  # noqa: F401  (registers the datasets)
from muscle_mm.datasets import tbx11k as tbx_module
from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.synthetic import tbx11k as synth

NUM = 20  # TB images; the official val holds 5 of them
PIPELINE = [
    dict(type='LoadXRayImage'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs')
]


@pytest.fixture(autouse=True)
def mmdet_scope():
    init_default_scope('mmdet')  # pipelines are built from the default scope's TRANSFORMS


@pytest.fixture(scope='module')
def tbx(tmp_path_factory):
    return synth.generate(str(tmp_path_factory.mktemp('tbx')), num=NUM, seed=0)


def build(root, **kwargs):
    return DATASETS.build(dict(type='TBX11K', data_root=root, **kwargs))


def infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def jpath(root, name):
    return osp.join(root, 'annotations', 'json', name)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def save_json(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f)


def fresh_copy(src, tmp_path):
    dst = str(tmp_path / 'copy')
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns('muscle_mm_splits'))
    return dst


def test_generated_archive_layout(tbx):
    for name in ('train', 'val', 'trainval', 'train_only_tb', 'val_only_tb', 'trainval_only_tb'):
        coco = load_json(jpath(tbx, f'TBX11K_{name}.json'))
        assert [c['name'] for c in coco['categories']] == list(tbx_module.TBX_CATEGORIES)
        assert all(osp.isfile(osp.join(tbx, 'imgs', im['file_name'])) for im in coco['images'])
        assert all('segmentation' not in a for a in coco['annotations'])
    tv = load_json(jpath(tbx, 'TBX11K_trainval.json'))
    assert {im['file_name'].split('/')[0] for im in tv['images']} == {'tb', 'health', 'sick'}
    assert osp.isfile(osp.join(tbx, 'lists', 'TBX11K_train.txt'))
    assert os.listdir(osp.join(tbx, 'imgs', 'extra', 'mc+shenzhen'))


def test_muscle_split_of_the_tb_images(tbx):
    parts = {s: build(tbx, split=s, test_mode=s != 'train') for s in ('train', 'val', 'test')}
    names = {
        s: [osp.relpath(i['img_path'], osp.join(tbx, 'imgs')) for i in infos(d)]
        for s, d in parts.items()
    }
    assert [len(names[s]) for s in ('train', 'val', 'test')] == [16, 2, 2]  # 640:80:80 of 20
    assert all(n.startswith('tb/') for v in names.values() for n in v)
    assert len(set(sum(names.values(), []))) == NUM
    # Each split is written as a COCO json: the dataset's own ann_file, and the metric's.
    for s, ds in parts.items():
        assert ds.ann_file == osp.join(tbx, 'muscle_mm_splits', f'TBX11K_seed0_{s}.json')
        coco = load_json(ds.ann_file)
        assert sorted(im['file_name'] for im in coco['images']) == sorted(names[s])
        assert [c['name'] for c in coco['categories']][:2] == list(ds.metainfo['classes'])
    split = load_json(osp.join(tbx, 'muscle_mm_splits', 'TBX11K_seed0.json'))
    assert split['dataset'] == 'TBX11K' and split['counts'] == {'train': 16, 'val': 2, 'test': 2}


def test_boxes_and_labels_match_the_json(tbx):
    ds = build(tbx, split='train')
    coco = load_json(jpath(tbx, 'TBX11K_trainval.json'))
    by_file = {im['file_name']: im['id'] for im in coco['images']}
    n_boxes = 0
    for info in infos(ds):
        img_id = by_file[osp.relpath(info['img_path'], osp.join(tbx, 'imgs'))]
        anns = [a for a in coco['annotations'] if a['image_id'] == img_id]
        assert info['img_id'] == img_id and info['height'] == info['width'] == 64
        assert len(info['instances']) == len(anns)
        for inst, ann in zip(info['instances'], anns):
            x, y, w, h = ann['bbox']
            assert np.allclose(inst['bbox'], [x, y, x + w, y + h])
            assert inst['bbox_label'] == ann['category_id'] - 1 and inst['ignore_flag'] == 0
            n_boxes += 1
    assert n_boxes > 0
    assert {i['bbox_label'] for info in infos(ds) for i in info['instances']} == {0, 1}


def test_empty_images_follow_mmdet_filter_empty_gt(tbx):
    keep = build(tbx, split='train', split_mode='official')
    empty = sum(not i['instances'] for i in infos(keep))
    assert empty > 0  # healthy and sick images, and the TB image without a box
    dropped = build(
        tbx, split='train', split_mode='official', filter_cfg=dict(filter_empty_gt=True))
    assert len(dropped) == len(keep) - empty
    kept_in_test = build(
        tbx,
        split='train',
        split_mode='official',
        test_mode=True,
        filter_cfg=dict(filter_empty_gt=True))
    assert len(kept_in_test) == len(keep)


def test_official_splits_and_only_tb(tbx):
    for split in ('train', 'val'):
        for only_tb in (False, True):
            suffix = '_only_tb' if only_tb else ''
            ds = build(tbx, split=split, split_mode='official', only_tb=only_tb)
            assert len(ds) == len(load_json(jpath(tbx, f'TBX11K_{split}{suffix}.json'))['images'])
            assert ds.ann_file == jpath(tbx, f'TBX11K_{split}{suffix}.json')
    with pytest.raises(DatasetFormatError, match='official test labels are hidden'):
        build(tbx, split='test', split_mode='official')


def test_archive_top_folder_variant(tmp_path):
    root = synth.generate(str(tmp_path / 'z'), num=8, seed=1, top_folder=True)
    assert osp.isdir(osp.join(root, 'TBX11K', 'imgs'))
    assert sum(len(build(root, split=s)) for s in ('train', 'val', 'test')) == 8
    # Split files stay under the data_root the config names, whatever the archive's nesting.
    assert osp.isfile(osp.join(root, 'muscle_mm_splits', 'TBX11K_seed0_val.json'))


def test_pipeline_packs_boxes(tbx):
    ds = build(tbx, split='train', pipeline=PIPELINE)
    i = next(k for k, info in enumerate(infos(ds)) if info['instances'])
    out = ds[i]
    assert tuple(out['inputs'].shape) == (3, 64, 64)
    assert torch.allclose(out['data_samples'].gt_instances.bboxes.tensor,
                          torch.tensor([b['bbox'] for b in ds.get_data_info(i)['instances']]))


def test_coco_metric_on_the_generated_split_gives_ap_1(tbx):
    ds = build(tbx, split='train', test_mode=True)
    metric = CocoMetric(ann_file=ds.ann_file, metric='bbox', classwise=True)
    metric.dataset_meta = ds.metainfo
    samples = []
    for info in infos(ds):
        boxes = torch.tensor([i['bbox'] for i in info['instances']]).reshape(-1, 4)
        labels = torch.tensor([i['bbox_label'] for i in info['instances']], dtype=torch.long)
        samples.append(
            dict(
                img_id=info['img_id'],
                ori_shape=(info['height'], info['width']),
                pred_instances=dict(bboxes=boxes, scores=torch.ones(len(labels)), labels=labels)))
    metric.process({}, samples)
    res = metric.evaluate(len(samples))
    assert res['coco/bbox_mAP'] == pytest.approx(1.0)
    assert res['coco/bbox_mAP_50'] == pytest.approx(1.0)


def test_categories_are_mapped_by_name_not_id(tbx, tmp_path):
    root = fresh_copy(tbx, tmp_path)
    path = jpath(root, 'TBX11K_train.json')
    coco = load_json(path)
    swap = {1: 2, 2: 1, 3: 3}
    for c in coco['categories']:
        c['id'] = swap[c['id']]
    coco['categories'].sort(key=lambda c: c['id'])  # latent now listed first, with id 1
    for a in coco['annotations']:
        a['category_id'] = swap[a['category_id']]
    save_json(path, coco)
    swapped = build(root, split='train', split_mode='official')
    original = build(tbx, split='train', split_mode='official')
    assert [i['instances'] for i in infos(swapped)] == [i['instances'] for i in infos(original)]


def test_config_may_narrow_the_classes(tbx):
    active = build(
        tbx, split='train', split_mode='official', metainfo=dict(classes=('ActiveTuberculosis', )))
    coco = load_json(jpath(tbx, 'TBX11K_train.json'))
    labels = [i['bbox_label'] for info in infos(active) for i in info['instances']]
    assert labels == [0] * sum(a['category_id'] == 1 for a in coco['annotations'])


def test_unknown_category_name_is_an_error(tbx, tmp_path):
    root = fresh_copy(tbx, tmp_path)
    for name in ('TBX11K_train.json', 'TBX11K_trainval_only_tb.json'):
        coco = load_json(jpath(root, name))
        coco['categories'][0]['name'] = 'Pneumonia'
        save_json(jpath(root, name), coco)
    with pytest.raises(DatasetFormatError, match=r"TBX11K_train.json: unknown category.*Pneumonia"):
        build(root, split_mode='official')
    with pytest.raises(DatasetFormatError, match=r'trainval_only_tb.json: unknown category'):
        build(root)


@pytest.mark.parametrize('mode', ['official', 'muscle'])
def test_uncertain_tb_box_is_an_error(tbx, tmp_path, mode):
    root = fresh_copy(tbx, tmp_path)
    name = 'TBX11K_train.json' if mode == 'official' else 'TBX11K_trainval_only_tb.json'
    coco = load_json(jpath(root, name))
    coco['annotations'][0]['category_id'] = 3
    save_json(jpath(root, name), coco)
    with pytest.raises(DatasetFormatError, match=f"{name}: annotation 1 .*'PulmonaryTuberculosis'"):
        build(root, split_mode=mode)


def test_box_partly_outside_is_clipped_with_a_warning(tbx, tmp_path, monkeypatch):
    root = fresh_copy(tbx, tmp_path)
    logs = []
    monkeypatch.setattr(tbx_module, 'print_log', lambda msg, **kw: logs.append(msg))
    for name in ('TBX11K_train.json', 'TBX11K_trainval_only_tb.json'):
        coco = load_json(jpath(root, name))
        coco['annotations'][0]['bbox'] = [50.0, 40.0, 30.0, 10.0]  # reaches x=80 in a 64 image
        save_json(jpath(root, name), coco)
    ds = build(root, split_mode='official')
    boxes = [i['bbox'] for info in infos(ds) for i in info['instances']]
    assert [50.0, 40.0, 64.0, 50.0] in boxes
    clip = [m for m in logs if 'clipped' in m]
    assert len(clip) == 1 and '1 box(es)' in clip[0] and 'TBX11K_train.json' in clip[0]
    # names the annotation and its image, and the box before and after
    assert 'annotation 1 of tb/tb0001.png: [50.0, 40.0, 30.0, 10.0] -> [50.0, 40.0, 14.0, 10.0]' \
        in clip[0]
    build(root, split_mode='official')
    assert len([m for m in logs if 'clipped' in m]) == 1  # the same box is not reported again
    logs.clear()
    parts = [build(root, split=s, test_mode=True) for s in ('train', 'val', 'test')]
    clip = [m for m in logs if 'clipped' in m]
    assert len(clip) == 1  # once, though three split datasets read the same json
    assert '1 box(es)' in clip[0] and 'trainval_only_tb.json' in clip[0]
    assert 'annotation 1 of tb/tb0001.png' in clip[0]
    written = [a['bbox'] for d in parts for a in load_json(d.ann_file)['annotations']]
    assert [50.0, 40.0, 14.0, 10.0] in written  # the metric's json holds the clipped box too


def test_box_entirely_outside_is_an_error(tbx, tmp_path):
    root = fresh_copy(tbx, tmp_path)
    coco = load_json(jpath(root, 'TBX11K_train.json'))
    coco['annotations'][0]['bbox'] = [70.0, 10.0, 5.0, 5.0]
    save_json(jpath(root, 'TBX11K_train.json'), coco)
    with pytest.raises(DatasetFormatError, match='annotation 1 .*outside the 64x64 image'):
        build(root, split_mode='official')


def test_missing_and_corrupt_images(tbx, tmp_path):
    root = fresh_copy(tbx, tmp_path)
    ds = build(root, split='val', pipeline=PIPELINE)
    path = ds.get_data_info(0)['img_path']
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + b'\0' * 20)
    with pytest.raises(DatasetFormatError, match=osp.basename(path)):
        ds[0]
    os.remove(path)
    with pytest.raises(DatasetFormatError, match=f'{osp.basename(path)}.*TBX11K_trainval_only_tb'):
        build(root, split='val')


def test_missing_layout_and_stale_split(tbx, tmp_path):
    with pytest.raises(DatasetFormatError, match='no imgs/ and annotations/'):
        build(str(tmp_path))
    root = fresh_copy(tbx, tmp_path)
    build(root)
    coco = load_json(jpath(root, 'TBX11K_trainval_only_tb.json'))
    coco['images'] = coco['images'][1:]
    save_json(jpath(root, 'TBX11K_trainval_only_tb.json'), coco)
    with pytest.raises(DatasetFormatError, match='no longer exist'):
        build(root)
    with pytest.raises(ValueError, match='ann_file'):
        build(tbx, ann_file='x.json')
