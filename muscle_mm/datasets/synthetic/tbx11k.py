"""Synthetic TBX11K in the archive's layout (tests and ``make demo``).

Writes ``imgs/{health,sick,tb,test}/`` and ``imgs/extra/{da+db,mc+shenzhen}/`` as 8-bit RGB PNGs
(DB extras as ``.jpg``), ``annotations/json/TBX11K_{train,val,trainval}[_only_tb].json`` and
``all_{train,val,trainval,test}.json`` in the official COCO form (three categories, float
``[x, y, w, h]`` boxes, no ``segmentation``, healthy/sick images without annotations, TB images
numbered first), and ``lists/*.txt``. Every box surrounds a lesion drawn by ``chest_phantom``:
active TB as larger infiltrates, latent (obsolete) TB as small dense nodules, so a detector can
learn both. As in the real set (``tb1199.png``), one TB image has no box. The
``mc+shenzhen`` extras are the NLM images themselves: the Montgomery / Shenzhen case of the same
name as :mod:`.montgomery_cxr` / :mod:`.shenzhen_cxr` draw it (at their default sizes), here
stored as 8-bit RGB like the rest of TBX11K, so the leakage check finds them by content.
"""
import json
import os
import os.path as osp

import numpy as np

from . import montgomery_cxr, shenzhen_cxr
from .phantom import DIFFICULTY, chest_phantom, imwrite

CATEGORIES = [
    dict(id=1, name='ActiveTuberculosis', supercategory='Tuberculosis'),
    dict(id=2, name='ObsoletePulmonaryTuberculosis', supercategory='Tuberculosis'),
    dict(id=3, name='PulmonaryTuberculosis', supercategory='Tuberculosis'),
]
DATE = '2020-06-24 12:42:41.793194'


def _lesions(rng: np.random.Generator, size: int):
    """1-2 boxes ``(x, y, w, h, category_id)`` inside the lung fields."""
    boxes = []
    sides = rng.permutation([0.3, 0.7])[:int(rng.integers(1, 3))]
    for cx in sides:
        cat = 1 if rng.random() < 0.7 else 2
        bw = size * (rng.uniform(0.18, 0.26) if cat == 1 else rng.uniform(0.09, 0.13))
        bh = bw * rng.uniform(0.85, 1.15)
        x = cx * size - bw / 2 + rng.uniform(-0.04, 0.04) * size
        y = size * rng.uniform(0.28, 0.5)
        boxes.append((float(x), float(y), float(bw), float(bh), cat))
    return boxes


def generate(root: str,
             num: int = 20,
             seed: int = 0,
             top_folder: bool = False,
             num_health: int = 6,
             num_sick: int = 4,
             num_test: int = 2,
             size: int = 64,
             difficulty: float = DIFFICULTY) -> str:
    """Write ``num`` TB images (plus healthy, sick, test and extra ones) and return the
    ``data_root`` for ``TBX11K``.

    Args:
        root (str): Output folder (created).
        num (int): Number of TB images (at least 4; a quarter go to the official val).
            Defaults to 20.
        seed (int): Seed of all randomness. Defaults to 0.
        top_folder (bool): Keep the archive's top ``TBX11K/`` folder. Defaults to False.
        num_health (int): Healthy images. Defaults to 6.
        num_sick (int): Sick but non-TB images (diffuse opacity, no boxes). Defaults to 4.
        num_test (int): Images in ``imgs/test`` (no labels). Defaults to 2.
        size (int): Image height and width (the real set is 512), except the ``mc+shenzhen``
            extras, which keep their NLM sizes. Defaults to 64.
        difficulty (float): phantom difficulty in [0, 1] (:func:`.phantom.knobs`: lesion
            contrast, noise, clutter, anatomical variation); also given to the ``mc+shenzhen``
            extras, which equal the NLM sets' images at the same value. Defaults to
            ``phantom.DIFFICULTY``.
    """
    if num < 4:
        raise ValueError('TBX11K synthetic set needs num >= 4 TB images')
    rng = np.random.default_rng(seed)
    base = osp.join(root, 'TBX11K') if top_folder else root
    imgs = osp.join(base, 'imgs')
    records = []  # (official split, image dict, [annotation dicts])
    ann_id = 0

    def add(split, file_name, boxes, opacity):
        nonlocal ann_id
        img, _ = chest_phantom(
            rng, size, size, opacity=opacity, lesions=[b[:4] for b in boxes], difficulty=difficulty)
        imwrite(osp.join(imgs, file_name), img, 'rgb')
        image = dict(
            id=len(records) + 1,
            file_name=file_name,
            width=size,
            height=size,
            date_captured=DATE,
            license=1,
            coco_url='',
            flickr_url='')
        anns = []
        for x, y, w, h, cat in boxes:
            ann_id += 1
            anns.append(
                dict(
                    id=ann_id,
                    image_id=image['id'],
                    category_id=cat,
                    iscrowd=0,
                    area=int(round(w * h)),
                    bbox=[x, y, w, h],
                    width=size,
                    height=size))
        records.append((split, image, anns))

    n_val = max(1, num // 4)
    for i in range(num):
        boxes = [] if i == num - 1 else _lesions(rng, size)  # like tb1199.png: TB, but no box
        add('val' if i >= num - n_val else 'train', f'tb/tb{i + 1:04d}.png', boxes, 0.0)
    for i in range(num_health):
        add('val' if i % 4 == 3 else 'train', f'health/h{i + 1:04d}.png', [], 0.0)
    for i in range(num_sick):
        add('val' if i % 4 == 3 else 'train', f'sick/s{i + 1:04d}.png', [], rng.uniform(0.3, 0.6))

    for i in range(num_test):
        img, _ = chest_phantom(rng, size, size, difficulty=difficulty)
        imwrite(osp.join(imgs, 'test', f'{i + 1:04d}.png'), img, 'rgb')

    extra = []

    def add_extra(name, img):
        imwrite(osp.join(imgs, name), img, 'rgb')
        extra.append(
            dict(
                id=100000 + len(extra) + 1,
                file_name=name,
                width=img.shape[1],
                height=img.shape[0],
                date_captured=DATE,
                license=1,
                coco_url='',
                flickr_url=''))

    for name in ('extra/da+db/train/n0001.png', 'extra/da+db/train/p0001.png',
                 'extra/da+db/val/n0002.jpg'):  # DA/DB: n* normal, p* TB
        add_extra(
            name,
            chest_phantom(
                rng, size, size, opacity=0.5 if '/p' in name else 0.0, difficulty=difficulty)[0])
    # The NLM images themselves, TB by their stem: Montgomery case 1 (normal) and Shenzhen
    # case 2 (TB), which every generated Montgomery / Shenzhen set of >= 2 images holds too.
    for module, no in ((montgomery_cxr, 1), (shenzhen_cxr, 2)):
        stem = module.case_stem(no)
        add_extra(f'extra/mc+shenzhen/{stem}.png',
                  module.case_image(stem, difficulty=difficulty)[0])

    jdir = osp.join(base, 'annotations', 'json')
    ldir = osp.join(base, 'lists')
    os.makedirs(jdir, exist_ok=True)
    os.makedirs(ldir, exist_ok=True)

    def dump(name, recs, extra_images=()):
        images = [im for _, im, _ in recs] + list(extra_images)
        coco = dict(
            categories=CATEGORIES,
            images=images,
            annotations=[a for _, _, anns in recs for a in anns])
        with open(osp.join(jdir, name + '.json'), 'w') as f:
            json.dump(coco, f)
        with open(osp.join(ldir, name + '.txt'), 'w') as f:
            f.write(''.join(im['file_name'] + '\n' for im in images))

    for split, wanted in (('train', {'train'}), ('val', {'val'}), ('trainval', {'train', 'val'})):
        recs = [r for r in records if r[0] in wanted]
        dump(f'TBX11K_{split}', recs)
        dump(f'TBX11K_{split}_only_tb', [r for r in recs if r[1]['file_name'].startswith('tb/')])
        dump(f'all_{split}', recs, [
            e
            for e in extra if ('/val/' in e['file_name']) == (split == 'val') or split == 'trainval'
        ])
    test_images = [
        dict(
            id=200000 + i + 1,
            file_name=f'test/{i + 1:04d}.png',
            width=size,
            height=size,
            date_captured=DATE,
            license=1,
            coco_url='',
            flickr_url='') for i in range(num_test)
    ]
    dump('all_test', [], test_images)
    return root
