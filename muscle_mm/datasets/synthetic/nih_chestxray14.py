"""Synthetic NIH ChestX-ray14 in the Kaggle or NIH Box layout (tests and ``make demo``).

Same names and quirks as the real set: ``<patient:08d>_<follow-up:03d>.png``,
``Data_Entry_2017.csv`` with its unquoted ``OriginalImage[Width,Height]`` header and a trailing
comma on every line (or ``Data_Entry_2017_v2020.csv`` with ``Patient Sex``),
``BBox_List_2017.csv``, and a patient-disjoint ``train_val_list.txt`` / ``test_list.txt``.
Findings are drawn into the phantom: consolidation-type findings as lung opacity, Nodule/Mass as a
lesion in the box written to ``BBox_List_2017.csv``.
"""
import os
import os.path as osp

import numpy as np

from .phantom import chest_phantom, imwrite

# (Finding Labels, opacity, lesion) with the real set's flavour: 'No Finding' most common.
FINDINGS = (('No Finding', 0.0, False), ('No Finding', 0.0, False), ('Effusion', 0.6, False),
            ('Infiltration', 0.5, False), ('Consolidation|Effusion', 0.9, False),
            ('Nodule', 0.0, True), ('Mass', 0.0, True), ('Atelectasis|Nodule', 0.4,
                                                         True), ('Pneumonia', 0.8, False))


def generate(root: str,
             num: int = 12,
             seed: int = 0,
             layout: str = 'kaggle',
             v2020: bool = False,
             junk: bool = False,
             num_folders: int = 3,
             size: int = 64) -> str:
    """Write ``num`` images and return the ``data_root`` for ``NIHChestXray14``.

    Args:
        root (str): output folder (created).
        num (int): number of images (about two per patient; a quarter of the patients go to
            ``test_list.txt``). Defaults to 12.
        seed (int): seed of all randomness. Defaults to 0.
        layout (str): ``'kaggle'`` (``images_001/images/`` ...) or ``'flat'`` (Box
            ``images/``). Defaults to ``'kaggle'``.
        v2020 (bool): write ``Data_Entry_2017_v2020.csv`` with ``Patient Sex`` and no trailing
            comma instead of the 2017 file. Defaults to False.
        junk (bool): add ``.DS_Store``, ``._*`` resource forks and ``Thumbs.db`` to the image
            folders. Defaults to False.
        num_folders (int): Kaggle ``images_0NN`` folders to spread the images over.
            Defaults to 3.
        size (int): image height and width (the real set is 1024). Defaults to 64.
    """
    if layout not in ('kaggle', 'flat'):
        raise ValueError(f"layout must be 'kaggle' or 'flat', got {layout!r}")
    if num < 2:
        raise ValueError('NIH synthetic set needs num >= 2 (one train and one test patient)')
    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    n_pat = max(2, (num + 1) // 2)
    patients = np.sort(rng.choice(np.arange(1, 30806), n_pat, replace=False))
    per = np.full(n_pat, num // n_pat)
    per[:num % n_pat] += 1
    names, rows, bboxes = [], [], []
    for pid, k in zip(patients, per):
        age, sex = int(rng.integers(1, 95)), 'MF'[int(rng.integers(2))]
        for fu in range(k):
            name = f'{pid:08d}_{fu:03d}.png'
            labels, opacity, lesion = FINDINGS[int(rng.integers(len(FINDINGS)))]
            boxes = []
            if lesion:
                bw = size * rng.uniform(0.12, 0.2)
                boxes.append(
                    (size * rng.uniform(0.2, 0.65), size * rng.uniform(0.25, 0.55), bw, bw))
                bboxes.append((name, labels.split('|')[-1], *boxes[0]))
            img, _ = chest_phantom(rng, size, size, opacity=opacity, lesions=boxes)
            names.append((name, img))
            rows.append([
                name, labels,
                str(fu),
                str(int(pid)),
                str(age), sex, 'PA' if rng.random() < 0.6 else 'AP',
                str(size),
                str(size), '0.143', '0.143'
            ])

    if layout == 'flat':
        folders = [osp.join(root, 'images')] * len(names)
    else:
        nf = max(1, min(num_folders, len(names)))
        bounds = np.array_split(np.arange(len(names)), nf)  # contiguous ranges, like Kaggle's
        folders = [None] * len(names)
        for f, idx in enumerate(bounds):
            for i in idx:
                folders[i] = osp.join(root, f'images_{f + 1:03d}', 'images')
    for (name, img), folder in zip(names, folders):
        imwrite(osp.join(folder, name), img)
    if junk:
        for folder in sorted(set(folders)):
            for j in ('.DS_Store', 'Thumbs.db', '._' + names[0][0]):
                with open(osp.join(folder, j), 'wb') as f:
                    f.write(b'\x00\x05\x16\x07junk')

    sex_col = 'Patient Sex' if v2020 else 'Patient Gender'
    header = ('Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,' + sex_col +
              ',View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]')
    tail = '' if v2020 else ','
    csv_name = 'Data_Entry_2017_v2020.csv' if v2020 else 'Data_Entry_2017.csv'
    with open(osp.join(root, csv_name), 'w', newline='') as f:
        f.write(header + tail + '\n')
        for r in rows:
            f.write(','.join(r) + tail + '\n')
    with open(osp.join(root, 'BBox_List_2017.csv'), 'w', newline='') as f:
        f.write('Image Index,Finding Label,Bbox [x,y,w,h],,,\n')
        for name, label, x, y, w, h in bboxes:
            f.write(f'{name},{label},{x:.6f},{y:.6f},{w:.6f},{h:.6f},,,\n')

    n_test_pat = max(1, n_pat // 4)
    test_pids = set(int(p) for p in patients[-n_test_pat:])
    with open(osp.join(root, 'train_val_list.txt'), 'w') as ftr, \
            open(osp.join(root, 'test_list.txt'), 'w') as fte:
        for r in rows:
            (fte if int(r[3]) in test_pids else ftr).write(r[0] + '\n')
    return root
