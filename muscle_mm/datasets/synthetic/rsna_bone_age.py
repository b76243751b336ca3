"""Synthetic RSNA Bone Age set in the Kaggle layout (tests and ``make demo``).

``boneage-training-dataset.csv`` (``id,boneage,male`` with ``True``/``False``) and the
double-nested ``boneage-training-dataset/boneage-training-dataset/<id>.png``; the test part as
``boneage-test-dataset.csv`` (``Case ID,Sex`` with ``M``/``F``) and
``boneage-test-dataset/boneage-test-dataset/<id>.png``. Ids start at 1377 like the real ones.
Each hand is drawn by ``hand_phantom`` at its bone age, so age is learnable from the image.
"""
import csv
import os
import os.path as osp

import numpy as np

from .phantom import hand_phantom, imwrite


def generate(root: str,
             num: int = 8,
             seed: int = 0,
             num_test: int = 2,
             nested: bool = True,
             height: int = 72,
             width: int = 56) -> str:
    """Write ``num`` training and ``num_test`` test hands and return the ``data_root`` for
    ``RSNABoneAge``.

    Args:
        root (str): output folder (created).
        num (int): training images. Defaults to 8.
        seed (int): seed of all randomness. Defaults to 0.
        num_test (int): test images. Defaults to 2.
        nested (bool): the Kaggle double nesting ``X/X/<id>.png``; False writes ``X/<id>.png``.
            Defaults to True.
        height (int): base image height (each image adds 0..7 px). Defaults to 72.
        width (int): image width. Defaults to 56.
    """
    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    ids = 1377 + np.sort(rng.choice(np.arange(14000), num + num_test, replace=False))
    for split, part in (('training', ids[:num]), ('test', ids[num:])):
        name = f'boneage-{split}-dataset'
        img_dir = osp.join(root, name, name) if nested else osp.join(root, name)
        os.makedirs(img_dir, exist_ok=True)
        with open(osp.join(root, name + '.csv'), 'w', newline='') as f:
            w = csv.writer(f)
            w.writerow(['id', 'boneage', 'male'] if split == 'training' else ['Case ID', 'Sex'])
            for image_id in part:
                months = int(rng.integers(6, 229))
                male = bool(rng.random() < 0.54)
                img = hand_phantom(rng, height + int(rng.integers(8)), width, months)
                imwrite(osp.join(img_dir, f'{image_id}.png'), img)
                w.writerow([int(image_id), months, str(male)] if split ==
                           'training' else [int(image_id), 'M' if male else 'F'])
    return root
