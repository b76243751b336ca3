"""Synthetic MURA v1.1 in the archive's layout (tests and ``make demo``).

Writes ``<root>/MURA-v1.1/{train,valid}/XR_<PART>/patientNNNNN/studyK_<positive|negative>/
imageJ.png`` for the seven body parts, and the four header-less CSVs with their ``MURA-v1.1/``
prefixes and the trailing ``/`` of study paths. Patients have one or two studies of one to three
images; abnormal studies show a fracture gap or orthopaedic hardware (``limb_phantom``), so a
classifier can learn the label. Valid patients are numbered after the train ones, as in MURA.
``duplicates`` files are byte copies of an image of another patient with the same label (the first
across train/ and valid/), so a split that ignores file content would put one copy on each side.
"""
import os
import os.path as osp
import shutil

import numpy as np

from .phantom import DIFFICULTY, MURA_BODY_PARTS, imwrite, limb_phantom


def generate(root: str,
             num: int = 40,
             seed: int = 0,
             valid_fraction: float = 0.2,
             height: int = 48,
             width: int = 40,
             rgb_every: int = 7,
             duplicates: int = 1,
             difficulty: float = DIFFICULTY) -> str:
    """Write ``num`` images (at least 8) and return the ``data_root`` for ``MURA``.

    Args:
        root (str): Output folder (created).
        num (int): Number of images. Defaults to 40.
        seed (int): Seed of all randomness. Defaults to 0.
        valid_fraction (float): Share of images (whole patients) in ``valid/``. Defaults to 0.2.
        height (int): Base image height (each image adds 0..7 px). Defaults to 48.
        width (int): Base image width (each image adds 0..7 px). Defaults to 40.
        rgb_every (int): Every n-th image is saved as 3-channel PNG (0: none). Defaults to 7.
        duplicates (int): Images overwritten with a byte copy of another patient's image of the
            same label (counted in ``num``). Defaults to 1.
        difficulty (float): phantom difficulty in [0, 1] (:func:`.phantom.knobs`: lesion
            contrast, noise, clutter, anatomical variation). Defaults to ``phantom.DIFFICULTY``.
    """
    if num < 8:
        raise ValueError('MURA synthetic set needs num >= 8')
    rng = np.random.default_rng(seed)
    # Patients: (body part, [(study label, n images), ...]); study labels alternate so that
    # both classes occur in train and valid.
    patients, total, n_study = [], 0, 0
    while total < num:
        part = MURA_BODY_PARTS[len(patients) % len(MURA_BODY_PARTS)]
        studies = []
        for _ in range(int(rng.integers(1, 3))):
            k = min(int(rng.integers(1, 4)), num - total)
            if k == 0:
                break
            studies.append((n_study % 2 == 0, k))
            n_study += 1
            total += k
        patients.append((part, studies))
    n_valid_imgs, first_valid = 0, len(patients)
    while first_valid > 1 and n_valid_imgs < valid_fraction * num:
        first_valid -= 1
        n_valid_imgs += sum(k for _, k in patients[first_valid][1])
    mura = osp.join(root, 'MURA-v1.1')
    lines = {'train': ([], []), 'valid': ([], [])}
    idx, files = 0, []  # (path, patient, abnormal)
    for p, (part, studies) in enumerate(patients):
        official = 'valid' if p >= first_valid else 'train'
        img_lines, study_lines = lines[official]
        for s, (abnormal, k) in enumerate(studies, 1):
            study = (f'{official}/{part}/patient{p + 1:05d}/'
                     f'study{s}_{"positive" if abnormal else "negative"}')
            study_lines.append(f'MURA-v1.1/{study}/,{int(abnormal)}')
            os.makedirs(osp.join(mura, study), exist_ok=True)
            for j in range(1, k + 1):
                img = limb_phantom(rng, height + int(rng.integers(8)), width + int(rng.integers(8)),
                                   part, abnormal, difficulty)
                rgb = bool(rgb_every) and idx % rgb_every == 3
                imwrite(osp.join(mura, study, f'image{j}.png'), img, 'rgb' if rgb else 'gray')
                files.append((osp.join(mura, study, f'image{j}.png'), p, abnormal))
                img_lines.append(f'MURA-v1.1/{study}/image{j}.png')
                idx += 1
    for k in range(duplicates):
        src = files[k]
        dst = [f for f in files if f[1] != src[1] and f[2] == src[2]][-1 - k]
        shutil.copyfile(src[0], dst[0])
    for official, (img_lines, study_lines) in lines.items():
        with open(osp.join(mura, f'{official}_image_paths.csv'), 'w') as f:
            f.write('\n'.join(img_lines) + '\n')
        with open(osp.join(mura, f'{official}_labeled_studies.csv'), 'w') as f:
            f.write('\n'.join(study_lines) + '\n')
    return root
