"""Synthetic Indiana University CXR set, Kaggle or official Open-i layout (tests, ``make demo``).

Kaggle (``raddar/chest-xrays-indiana-university``): ``images/images_normalized/<uid>_IM-NNNN-
<4001|3001>.dcm.png``, ``indiana_projections.csv`` (``uid,filename,projection``) and
``indiana_reports.csv`` (``uid,MeSH,Problems,image,indication,comparison,findings,impression``).
Official: ``NLMCXR_png/CXR<uid>_1_IM-NNNN-<4001|3001>.png`` and ``ecgen-radiology/<uid>.xml`` with
``<uId id="CXR<uid>">`` and one ``<parentImage id>`` per image; as in the real reports, one
report has no image. Reports with ``Opacity`` findings get lung opacity in the phantom.
"""
import csv
import os
import os.path as osp

import numpy as np

from .phantom import chest_phantom, imwrite

PROBLEMS = (('normal', 'normal', 0.0), ('normal', 'normal', 0.0), ('Opacity/lung/base/left',
                                                                   'Opacity', 0.7),
            ('Cardiomegaly/borderline;Pulmonary Artery/enlarged', 'Cardiomegaly',
             0.0), ('Pneumonia/lower lobe/right;Opacity/lung', 'Pneumonia;Opacity', 0.9))
_XML = '''<?xml version="1.0" encoding="utf-8"?>
<eCitation>
  <meta type="rr"/>
  <uId id="CXR{uid}"/>
  <pmcId id="{uid}"/>
  <MedlineCitation Owner="Indiana University" Status="supplied">
    <Article PubModel="Electronic">
      <Abstract>
        <AbstractText Label="INDICATION">Chest pain</AbstractText>
        <AbstractText Label="FINDINGS">{findings}</AbstractText>
        <AbstractText Label="IMPRESSION">{impression}</AbstractText>
      </Abstract>
    </Article>
  </MedlineCitation>
  <MeSH>
    <major>{mesh}</major>
  </MeSH>
{images}</eCitation>
'''


def generate(root: str,
             num: int = 6,
             seed: int = 0,
             layout: str = 'kaggle',
             height: int = 64,
             width: int = 64) -> str:
    """Write ``num`` reports (each one frontal image, most also a lateral one) and return the
    ``data_root`` for ``IndianaCXR``.

    Args:
        root (str): output folder (created).
        num (int): number of reports with images. Defaults to 6.
        seed (int): seed of all randomness. Defaults to 0.
        layout (str): ``'kaggle'`` or ``'official'``. Defaults to ``'kaggle'``.
        height (int): image height. Defaults to 64.
        width (int): image width. Defaults to 64.
    """
    if layout not in ('kaggle', 'official'):
        raise ValueError(f"layout must be 'kaggle' or 'official', got {layout!r}")
    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    img_dir = osp.join(root, 'images', 'images_normalized') if layout == 'kaggle' else \
        osp.join(root, 'NLMCXR_png')
    projections, reports = [], []
    for uid in range(1, num + 1):
        mesh, problems, opacity = PROBLEMS[int(rng.integers(len(PROBLEMS)))]
        views = [('Frontal', 4001)] + ([('Lateral', 3001)] if rng.random() < 0.75 else [])
        names = []
        for proj, code in views:
            if proj == 'Frontal':
                img, _ = chest_phantom(rng, height, width, opacity=opacity)
            else:  # lateral: one narrower, spine-shifted projection of the same chest
                img, _ = chest_phantom(rng, height, max(16, int(width * 0.85)), opacity=opacity)
            name = (f'{uid}_IM-{uid:04d}-{code}.dcm.png'
                    if layout == 'kaggle' else f'CXR{uid}_1_IM-{uid:04d}-{code}.png')
            imwrite(osp.join(img_dir, name), img)
            names.append(name)
            projections.append((uid, name, proj))
        findings = 'The lungs are clear.' if mesh == 'normal' else 'Focal airspace opacity.'
        reports.append((uid, mesh, problems, findings, names))

    if layout == 'kaggle':
        with open(osp.join(root, 'indiana_projections.csv'), 'w', newline='') as f:
            w = csv.writer(f)
            w.writerow(['uid', 'filename', 'projection'])
            w.writerows(projections)
        with open(osp.join(root, 'indiana_reports.csv'), 'w', newline='') as f:
            w = csv.writer(f)
            w.writerow([
                'uid', 'MeSH', 'Problems', 'image', 'indication', 'comparison', 'findings',
                'impression'
            ])
            for uid, mesh, problems, findings, names in reports:
                w.writerow([
                    uid, mesh, problems, 'Xray Chest PA and Lateral', 'Chest pain', 'None.',
                    findings, 'No acute disease.' if mesh == 'normal' else 'Abnormal.'
                ])
        return root

    xml_dir = osp.join(root, 'ecgen-radiology')
    os.makedirs(xml_dir, exist_ok=True)
    reports.append((num + 1, 'normal', 'normal', 'No images.', []))  # a report without image
    for uid, mesh, _, findings, names in reports:
        images = ''.join(f'  <parentImage id="{osp.splitext(n)[0]}">\n'
                         f'    <figureId>F{k + 1}</figureId>\n  </parentImage>\n'
                         for k, n in enumerate(names))
        with open(osp.join(xml_dir, f'{uid}.xml'), 'w') as f:
            f.write(
                _XML.format(
                    uid=uid,
                    findings=findings,
                    impression='No acute disease.',
                    mesh=mesh,
                    images=images))
    return root
