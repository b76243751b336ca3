"""Synthetic Kermany pneumonia set in the Kaggle layout (tests and ``make demo``).

Writes ``<root>/chest_xray/{train,val,test}/{NORMAL,PNEUMONIA}/*.jpeg`` with Kaggle's names
(``IM-0115-0001.jpeg``, ``NORMAL2-IM-1427-0001.jpeg``, ``person1_bacteria_1.jpeg``,
``person1_virus_6.jpeg``), several images per person, NORMAL patients with several radiographs as
in the real set (``IM-0011-0001.jpeg``, ``IM-0011-0001-0001.jpeg``, ``IM-0011-0001-0002.jpeg``;
likewise ``NORMAL2-IM-NNNN-...``), person numbers restarting in test/, a few RGB JPEGs, a few
md5-identical files under other names (one across train/ and test/, as reported for the real
set), and optionally the duplicate ``chest_xray/chest_xray/`` tree and ``__MACOSX`` /
``.DS_Store`` junk. PNEUMONIA images carry diffuse lung opacity (bacterial denser than viral),
NORMAL images clear lungs, so a classifier can learn the label.
"""
import os
import os.path as osp
import shutil

import numpy as np

from .phantom import DIFFICULTY, chest_phantom, imwrite


def _patient(name: str) -> str:
    """``IM-0011`` of ``IM-0011-0001-0002.jpeg``, ``person3`` of ``person3_virus_7.jpeg``."""
    return name.split('_')[0] if name.startswith('person') else name.rsplit('IM-', 1)[0] + \
        'IM-' + name.rsplit('IM-', 1)[1][:4]


APPLEDOUBLE = b'\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        '


def generate(root: str,
             num: int = 24,
             seed: int = 0,
             duplicate_tree: bool = True,
             macosx_junk: bool = True,
             height: int = 40,
             width: int = 48,
             rgb_every: int = 5,
             duplicates: int = 2,
             difficulty: float = DIFFICULTY) -> str:
    """Write ``num`` images (at least 8) and return the ``data_root`` for ``PneumoniaCXR``.

    Args:
        root (str): Output folder (created).
        num (int): Number of images (excluding the duplicate tree). Defaults to 24.
        seed (int): Seed of all randomness. Defaults to 0.
        duplicate_tree (bool): Also write the Kaggle zip's ``chest_xray/chest_xray/`` copy.
            Defaults to True.
        macosx_junk (bool): Also write ``__MACOSX/`` resource forks and ``.DS_Store`` files.
            Defaults to True.
        height (int): Base image height (each image adds 0..7 px). Defaults to 40.
        width (int): Base image width (each image adds 0..7 px). Defaults to 48.
        rgb_every (int): Every n-th image is saved as 3-channel JPEG (0: none). Defaults to 5.
        duplicates (int): Files that are byte copies of another image of another patient
            (counted in ``num``): the first is a train/ PNEUMONIA image copied into test/, the
            second a train/ NORMAL image copied under another NORMAL patient's name, then
            alternating (fewer when a small set has no other patient there). Defaults to 2.
        difficulty (float): phantom difficulty in [0, 1] (:func:`.phantom.knobs`: lesion
            contrast, noise, clutter, anatomical variation). Defaults to ``phantom.DIFFICULTY``.
    """
    if num < 8:
        raise ValueError('PneumoniaCXR synthetic set needs num >= 8 (both classes in 3 folders)')
    rng = np.random.default_rng(seed)
    tree = osp.join(root, 'chest_xray')
    n_val = 4 if num >= 16 else 2
    n_test = max(2, int(round(num * 0.2)))
    sizes = dict(train=num - n_val - n_test, val=n_val, test=n_test)
    written, normal_no, image_no, person = [], 100, 0, 1
    for folder in ('train', 'val', 'test'):
        n = sizes[folder]
        n_normal = n // 2
        if folder == 'test':
            person = 1  # Kaggle numbers the persons of test/ anew
        i = 0
        while i < n_normal:  # patients of 1-3 radiographs, every third in the NORMAL2- series
            normal_no += 1 + int(rng.integers(3))
            prefix = 'NORMAL2-' if (normal_no // 2) % 3 == 2 else ''
            for j in range(min(int(rng.integers(1, 4)), n_normal - i)):
                suffix = f'-{j:04d}' if j else ''
                written.append(
                    (folder, 'NORMAL', f'{prefix}IM-{normal_no:04d}-0001{suffix}.jpeg', 0.0))
                i += 1
        left = n - n_normal
        while left > 0:
            k = min(left, int(rng.integers(1, 4)))
            kinds = ['bacteria' if rng.random() < 0.6 else 'virus']
            if k > 1 and rng.random() < 0.25:
                kinds.append('virus' if kinds[0] == 'bacteria' else 'bacteria')
            for j in range(k):
                image_no += 1
                kind = kinds[j % len(kinds)]
                opacity = rng.uniform(0.6, 0.95) if kind == 'bacteria' else rng.uniform(0.45, 0.75)
                written.append(
                    (folder, 'PNEUMONIA', f'person{person}_{kind}_{image_no}.jpeg', opacity))
            person += 1
            left -= k
    for idx, (folder, cls, name, opacity) in enumerate(written):
        h = height + int(rng.integers(8))
        w = width + int(rng.integers(8))
        img, _ = chest_phantom(rng, h, w, opacity=opacity, difficulty=difficulty)
        rgb = bool(rgb_every) and idx % rgb_every == 1
        imwrite(osp.join(tree, folder, cls, name), img, 'rgb' if rgb else 'gray')
    for k in range(duplicates):
        src_folder, dst_folder, cls = (('train', 'test', 'PNEUMONIA') if k % 2 == 0 else
                                       ('train', 'train', 'NORMAL'))
        src = [w for w in written if w[:2] == (src_folder, cls)][k // 2]
        dst = [
            w for w in written
            if w[:2] == (dst_folder, cls) and w is not src and _patient(w[2]) != _patient(src[2])
        ]
        if len(dst) > k // 2:  # a small set may have no second patient to copy onto
            shutil.copyfile(osp.join(tree, *src[:3]), osp.join(tree, *dst[-1 - k // 2][:3]))
    if duplicate_tree:
        for folder in ('train', 'val', 'test'):
            shutil.copytree(
                osp.join(tree, folder), osp.join(tree, 'chest_xray', folder), dirs_exist_ok=True)
    if macosx_junk:
        for folder, cls, name, _ in written[::3]:
            junk = osp.join(tree, '__MACOSX', 'chest_xray', folder, cls, '._' + name)
            os.makedirs(osp.dirname(junk), exist_ok=True)
            with open(junk, 'wb') as f:
                f.write(APPLEDOUBLE)
        for d in (tree, osp.join(tree, 'train'), osp.join(tree, 'test', 'NORMAL')):
            with open(osp.join(d, '.DS_Store'), 'wb') as f:
                f.write(b'\x00\x00\x00\x01Bud1')
        if duplicate_tree:
            with open(osp.join(tree, 'chest_xray', '.DS_Store'), 'wb') as f:
                f.write(b'\x00\x00\x00\x01Bud1')
    return root
