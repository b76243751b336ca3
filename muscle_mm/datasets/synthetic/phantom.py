"""X-ray-like phantoms for the synthetic datasets (tests and ``make demo``).

The images only need to look enough like radiographs for the pipelines to be exercised end to end,
but the label signal must be real: a small network trained on them has to beat chance, because the
demo trains on them. So each label maps to a visible, localised structure:

* chest: dark lung fields, ribs, a bright mediastinum/spine and heart; ``opacity`` adds patchy
  consolidation inside the lungs (pneumonia), ``lesions`` adds bright nodules in given boxes (TB);
  the returned lung mask is the segmentation target.
* limb: bone shafts/joints laid out per MURA body part; ``abnormal`` adds a fracture gap or bright
  orthopaedic hardware.
* hand: bone length, density, number of ossified carpals and the open growth plates all follow
  ``age_months``.

Only numpy is used, so every phantom is deterministic given the ``numpy.random.Generator``;
:func:`imwrite` stores them the way the real archives do (8-bit gray, RGB or 16-bit PNG/JPEG).

Difficulty. ``chest_phantom`` and ``limb_phantom`` take ``difficulty`` d in [0, 1] (:func:`knobs`;
0: the least difficult): lesion contrast x ``1 - 0.75 d``, detector noise sigma ``3 + 9 d``,
lesion-sized patchy densities ``30 d`` in every image (so a bright patch alone proves nothing),
anatomical jitter x ``1 + 2 d``, lung / soft-tissue gap ``50 - 25 d``. Lesions are always drawn
where the label says: the signal stays real, weaker and in more clutter. Metal hardware stays
saturated at any difficulty, as on real films (so on MURA the hardware half of the positives is
the easy half, the fractures the hard one). The phantom functions default to 0; the four downstream
generators (and the Shenzhen / Montgomery images they share) to :data:`DIFFICULTY`, chosen for
headroom.

Scratch ResNet-18 on the test split, measured with ``tools/dataset_converters/
calibrate_synthetic.py`` (the ``<task>_scratch_r18.py`` configs at 128x80, 6 epochs, seed 0;
240 Pneumonia / 240 MURA images, 96 lung masks, 120 TB + 120 healthy + 60 sick; 2 shared CPU
cores, 2026-11-27; one seed, so each figure is +-0.1 or so on these 10-30 test images):

| task                        | difficulty 0          | difficulty 0.6 (default)       |
|-----------------------------|-----------------------|--------------------------------|
| Pneumonia AUC / Acc         | 0.957 / 0.750         | 0.714 / 0.667                  |
| MURA AUC image / study      | 0.518 / 0.446         | 0.649 / 0.643                  |
| lung Dice (lung) / mDice    | 0.941 / 0.961         | 0.881 / 0.923                  |
| TB AP50 active / latent     | 0.925 / 0.604 (0.764) | 0.907 / 0.000 (mAP50 0.453)    |

MURA is the task that needs the most steps. Over seeds 0-2 (data and training) at 0.6, image /
study AUC: 36 SGD steps (6 epochs of batch 32) 0.553 +- 0.133 / 0.583 +- 0.096, barely off chance;
240 steps (``--cfg-options train_dataloader.batch_size=8 --epochs 10``) 0.699 +- 0.055 /
0.674 +- 0.093. The first MURA phantoms had hair-thin fractures and plates (Scratch at chance even
after 20 epochs); the lesions are now a few pixels wide at 128x80 and the metal saturated. The
small CNN of tests/test_datasets/test_synthetic.py, 400 Adam steps on 336 limbs (40x40), reaches
accuracy 0.97 at 0 and 0.75 at 0.6 on 168 others.
"""
import os
import os.path as osp
from typing import Iterable, Sequence, Tuple

import numpy as np

MURA_BODY_PARTS = ('XR_ELBOW', 'XR_FINGER', 'XR_FOREARM', 'XR_HAND', 'XR_HUMERUS', 'XR_SHOULDER',
                   'XR_WRIST')

# Default difficulty of the downstream dataset generators (see the table above).
DIFFICULTY = 0.6


def knobs(difficulty: float) -> dict:
    """The named settings one ``difficulty`` in [0, 1] stands for (0: the least difficult).

    ``contrast``: factor on every lesion's contrast but metal's; ``noise``: detector noise sigma
    (gray levels); ``clutter``: amplitude of lesion-like patchy densities in every image;
    ``variation``: factor on the anatomical jitter; ``lung_gap``: lung-to-soft-tissue gray-level
    difference.
    """
    d = float(difficulty)
    if not 0.0 <= d <= 1.0:
        raise ValueError(f'difficulty must be in [0, 1], got {difficulty}')
    return dict(
        contrast=1.0 - 0.75 * d,
        noise=3.0 + 9.0 * d,
        clutter=30.0 * d,
        variation=1.0 + 2.0 * d,
        lung_gap=50.0 - 25.0 * d)


def _grid(height: int, width: int) -> Tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    return yy, xx


def _ellipse(yy, xx, cy, cx, ry, rx) -> np.ndarray:
    return ((yy - cy) / max(ry, 1e-3))**2 + ((xx - cx) / max(rx, 1e-3))**2 <= 1.0


def _segment_dist(yy, xx, p0, p1) -> np.ndarray:
    """Distance of every pixel to the segment p0-p1 (points given as (x, y))."""
    (x0, y0), (x1, y1) = p0, p1
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    if length2 < 1e-6:
        return np.hypot(xx - x0, yy - y0)
    t = np.clip(((xx - x0) * dx + (yy - y0) * dy) / length2, 0.0, 1.0)
    return np.hypot(xx - (x0 + t * dx), yy - (y0 + t * dy))


def _smooth_noise(rng: np.random.Generator, height: int, width: int, cells: int) -> np.ndarray:
    """Low-frequency noise in [0, 1]: a random ``cells`` x ``cells`` grid, bilinearly upsampled."""
    grid = rng.random((cells + 1, cells + 1)).astype(np.float32)
    gy = np.linspace(0, cells, height, dtype=np.float32)
    gx = np.linspace(0, cells, width, dtype=np.float32)
    y0 = np.minimum(gy.astype(int), cells - 1)
    x0 = np.minimum(gx.astype(int), cells - 1)
    fy = (gy - y0)[:, None]
    fx = (gx - x0)[None, :]
    g00 = grid[y0][:, x0]
    g01 = grid[y0][:, x0 + 1]
    g10 = grid[y0 + 1][:, x0]
    g11 = grid[y0 + 1][:, x0 + 1]
    return (g00 * (1 - fy) * (1 - fx) + g01 * (1 - fy) * fx + g10 * fy * (1 - fx) + g11 * fy * fx)


def _box_blur(img: np.ndarray, radius: int) -> np.ndarray:
    """Separable box blur (edge-padded) to soften the drawn shapes like a real projection."""
    if radius < 1:
        return img
    k = 2 * radius + 1
    out = img
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (radius + 1, radius)
        c = np.cumsum(np.pad(out, pad, mode='edge'), axis=axis, dtype=np.float64)
        if axis == 0:
            out = (c[k:] - c[:-k]) / k
        else:
            out = (c[:, k:] - c[:, :-k]) / k
    return out.astype(np.float32)


def _clutter(rng: np.random.Generator, img: np.ndarray, where: np.ndarray, amount: float):
    """Add zero-mean patchy densities of lesion size inside ``where`` (nothing at ``amount`` 0)."""
    if amount > 0:
        h, w = img.shape
        patches = _smooth_noise(rng, h, w, 6) + 0.5 * _smooth_noise(rng, h, w, 12) - 0.75
        img[where] += (amount * 2.0 * patches)[where]


def _finish(rng: np.random.Generator, img: np.ndarray, blur: int, noise: float = 3.0) -> np.ndarray:
    """Blur, add detector noise (sigma ``noise``) and a small global contrast jitter, clip to
    uint8."""
    img = _box_blur(img, blur)
    gain = rng.uniform(0.92, 1.08)
    img = (img - 120.0) * gain + 120.0 + rng.uniform(-6, 6)
    img = img + rng.normal(0.0, noise, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def chest_phantom(rng: np.random.Generator,
                  height: int,
                  width: int,
                  opacity: float = 0.0,
                  lesions: Iterable[Sequence[float]] = (),
                  difficulty: float = 0.0) -> Tuple[np.ndarray, np.ndarray]:
    """A frontal chest radiograph and its lung mask.

    Args:
        rng (numpy.random.Generator): source of all randomness (anatomy jitter, noise).
        height (int): image height in pixels (>= 16).
        width (int): image width in pixels (>= 16).
        opacity (float): diffuse pneumonia-like consolidation inside the lungs, in [0, 1].
            Defaults to 0.0 (clear lungs).
        lesions (Iterable[Sequence[float]]): boxes ``(x, y, w, h)`` in pixels; each gets a bright
            nodular TB-like lesion drawn inside it. Defaults to ``()``.
        difficulty (float): in [0, 1], see :func:`knobs`. Defaults to 0.0 (the original
            phantoms; the dataset generators use :data:`DIFFICULTY`).

    Returns:
        tuple: ``(img, lung_mask)``: uint8 HxW image, uint8 HxW mask in {0, 1} (lungs without the
        heart and mediastinum, as in the Montgomery/Shenzhen manual masks).
    """
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f'opacity must be in [0, 1], got {opacity}')
    kn = knobs(difficulty)
    h, w = int(height), int(width)
    yy, xx = _grid(h, w)
    var = kn['variation']
    j = lambda s: rng.uniform(-s * var, s * var)  # noqa: E731  (relative jitter)

    cx = w * (0.5 + j(0.02))
    img = np.full((h, w), 28.0, np.float32)
    body = _ellipse(yy, xx, h * (0.58 + j(0.02)), cx, h * 0.62, w * (0.47 + j(0.02)))
    img[body] = 105.0 + j(8)

    # Lungs: two ellipses cut by a domed diaphragm; heart and mediastinum are excluded from them.
    lung_cy, lung_ry = h * (0.45 + j(0.02)), h * (0.30 + j(0.02))
    off, lung_rx = w * (0.19 + j(0.015)), w * (0.14 + j(0.01))
    lungs = (
        _ellipse(yy, xx, lung_cy, cx - off, lung_ry, lung_rx)
        | _ellipse(yy, xx, lung_cy, cx + off, lung_ry, lung_rx))
    heart = _ellipse(yy, xx, h * (0.66 + j(0.02)), cx + w * (0.06 + j(0.01)), h * 0.13,
                     w * (0.14 + j(0.01)))
    mediastinum = np.abs(xx - cx) < w * 0.055
    lung_mask = lungs & ~heart & ~mediastinum & body
    img[lung_mask] = 105.0 - kn['lung_gap'] + j(6)
    img[heart & body] = 150.0 + j(8)
    spine = mediastinum & body
    vert = 0.5 + 0.5 * np.cos(2 * np.pi * yy / max(h * 0.06, 2.0))
    img[spine] = (165.0 + 20.0 * vert)[spine]

    # Ribs: curved bands sweeping down laterally from the spine, over lungs and soft tissue.
    rib_t = max(h * 0.016, 0.7)
    lateral = np.clip(np.abs(xx - cx) / (w * 0.42), 0, 1.2)
    ribs = np.zeros((h, w), bool)
    start = h * (0.16 + j(0.015))
    for k in range(9):
        y0 = start + k * h * 0.065
        ribs |= np.abs(yy - (y0 + h * 0.10 * lateral**2)) < rib_t
    ribs &= body & (np.abs(xx - cx) > w * 0.05) & (lateral < 1.0)
    img[ribs] += 38.0
    # Clavicles.
    for side in (-1, 1):
        clav = _segment_dist(yy, xx, (cx + side * w * 0.06, h * 0.17),
                             (cx + side * w * 0.33, h * (0.12 + j(0.01))))
        img[clav < max(h * 0.015, 0.7)] += 45.0

    # Lung texture (vessels) so clear lungs are not flat.
    img[lung_mask] += (10.0 * _smooth_noise(rng, h, w, 12))[lung_mask]
    _clutter(rng, img, body, kn['clutter'])

    if opacity > 0:
        patches = np.clip((_smooth_noise(rng, h, w, 6) - 0.15) / 0.6, 0, 1)
        lower = np.clip((yy - lung_cy + lung_ry) / (2 * lung_ry), 0.4, 1.0)  # lower lobes first
        img[lung_mask] += (opacity * 120.0 * kn['contrast'] * patches * lower)[lung_mask]

    for (bx, by, bw, bh) in lesions:
        ncx, ncy = bx + bw / 2.0, by + bh / 2.0
        inside = (xx >= bx) & (xx < bx + bw) & (yy >= by) & (yy < by + bh)
        sx, sy = max(bw / 4.0, 0.6), max(bh / 4.0, 0.6)
        nod = np.exp(-0.5 * (((xx - ncx) / sx)**2 + ((yy - ncy) / sy)**2))
        for _ in range(2):  # satellite nodules, typical of TB infiltrates
            scx, scy = ncx + j(0.3) * bw, ncy + j(0.3) * bh
            nod = np.maximum(
                nod,
                0.8 * np.exp(-0.5 * (((xx - scx) / (0.5 * sx))**2 + ((yy - scy) / (0.5 * sy))**2)))
        img[inside] += (110.0 * kn['contrast'] * nod)[inside]

    blur = 1 if min(h, w) >= 48 else 0
    return _finish(rng, img, blur, kn['noise']), lung_mask.astype(np.uint8)


def _bone(img, yy, xx, p0, p1, radius, value):
    """Draw a long bone as a capsule with a brighter cortex; returns its mask."""
    d = _segment_dist(yy, xx, p0, p1)
    inside = d < radius
    shade = value + 45.0 * (d / max(radius, 1e-3))**2  # cortical rim brighter than the marrow
    img[inside] = np.maximum(img[inside], shade[inside])
    return inside


def _limb_layout(part: str, h: int, w: int, rng: np.random.Generator, variation: float = 1.0):
    """Bone segments ((x0, y0), (x1, y1), radius) and joint blobs ((x, y), r) per body part;
    ``variation`` scales the positional jitter."""
    j = lambda s: rng.uniform(-s * variation, s * variation)  # noqa: E731
    cx, s = w * (0.5 + j(0.04)), min(h, w)
    bones, blobs = [], []
    if part == 'XR_HUMERUS':
        bones.append(((cx, h * 0.06), (cx + j(0.05) * w, h * 0.94), s * 0.085))
        blobs += [((cx, h * 0.08), s * 0.13), ((bones[0][1][0], h * 0.92), s * 0.11)]
    elif part == 'XR_FOREARM':
        for dx in (-0.09, 0.09):
            bones.append(
                ((cx + dx * w, h * 0.05), (cx + (dx * 0.7 + j(0.02)) * w, h * 0.95), s * 0.05))
    elif part == 'XR_ELBOW':
        knee = (cx, h * 0.5)
        bones.append(((cx + j(0.05) * w, h * 0.02), knee, s * 0.08))
        ang = j(0.15)
        for dx in (-0.07, 0.07):
            bones.append(((cx + dx * w, h * 0.56), (cx + (dx + ang) * w, h * 0.98), s * 0.05))
        blobs.append((knee, s * 0.12))
    elif part == 'XR_SHOULDER':
        head = (cx + w * 0.08, h * 0.35)
        bones.append((head, (cx + w * (0.15 + j(0.04)), h * 0.98), s * 0.085))
        blobs.append((head, s * 0.16))
        bones.append(((w * 0.05, h * 0.12), (cx + w * 0.2, h * 0.14), s * 0.035))  # clavicle
        bones.append(((cx - w * 0.1, h * 0.25), (w * 0.05, h * 0.8), s * 0.05))  # scapula edge
    elif part == 'XR_FINGER':
        y = h * 0.04
        seg = h * 0.3
        for k in range(3):
            bones.append(((cx, y), (cx + j(0.02) * w, y + seg * (1 - 0.15 * k)), s * 0.07))
            y += seg * (1 - 0.15 * k) + h * 0.03
    else:  # XR_WRIST, XR_HAND
        wrist_y = h * (0.62 if part == 'XR_WRIST' else 0.75)
        for dx in (-0.08, 0.08):
            bones.append(
                ((cx + dx * w, wrist_y + h * 0.07), (cx + dx * w * 0.8, h * 1.0), s * 0.045))
        for k in range(6):
            blobs.append(((cx + (k % 3 - 1) * w * 0.07, wrist_y - (k // 3) * h * 0.07), s * 0.04))
        top = h * (0.05 if part == 'XR_HAND' else 0.2)
        for k in range(5):
            x0 = cx + (k - 2) * w * 0.065
            x1 = cx + (k - 2) * w * 0.13
            bones.append(((x0, wrist_y - h * 0.14), (x1, top + h * 0.2), s * 0.025))
            if part == 'XR_HAND':
                bones.append(((x1, top + h * 0.17), (x1 + (k - 2) * w * 0.02, top), s * 0.02))
    return bones, blobs


def limb_phantom(rng: np.random.Generator,
                 height: int,
                 width: int,
                 body_part: str,
                 abnormal: bool,
                 difficulty: float = 0.0) -> np.ndarray:
    """A MURA-style upper-extremity radiograph.

    Args:
        rng (numpy.random.Generator): source of all randomness.
        height (int): image height in pixels.
        width (int): image width in pixels.
        body_part (str): one of MURA's seven parts, with or without the ``XR_`` prefix, any case
            (e.g. ``'XR_WRIST'``, ``'wrist'``).
        abnormal (bool): add a pathology: a dark fracture gap across a bone with a slight offset,
            or bright metal hardware (plate and screws), chosen at random.
        difficulty (float): in [0, 1], see :func:`knobs`. Defaults to 0.0 (the least
            difficult; the MURA generator uses :data:`DIFFICULTY`).

    Returns:
        numpy.ndarray: uint8 HxW image.
    """
    part = body_part.upper()
    part = part if part.startswith('XR_') else 'XR_' + part
    if part not in MURA_BODY_PARTS:
        raise ValueError(f'unknown MURA body part {body_part!r}; expected one of {MURA_BODY_PARTS}')
    kn = knobs(difficulty)
    c = kn['contrast']
    h, w = int(height), int(width)
    yy, xx = _grid(h, w)
    img = np.full((h, w), 18.0, np.float32)
    bones, blobs = _limb_layout(part, h, w, rng, kn['variation'])
    # Soft tissue envelope around the bones.
    soft = np.zeros((h, w), bool)
    for p0, p1, r in bones:
        soft |= _segment_dist(yy, xx, p0, p1) < r * 2.6 + min(h, w) * 0.04
    for (bx, by), r in blobs:
        soft |= np.hypot(xx - bx, yy - by) < r * 1.8
    img[soft] = 70.0 + rng.uniform(-8, 8)
    img[soft] += (12.0 * _smooth_noise(rng, h, w, 5))[soft]
    density = 150.0 + rng.uniform(-10, 10)
    bone_masks = [_bone(img, yy, xx, p0, p1, r, density) for p0, p1, r in bones]
    for (bx, by), r in blobs:
        blob = np.hypot(xx - bx, yy - by) < r
        img[blob] = np.maximum(img[blob], density + 15.0)
    _clutter(rng, img, soft, kn['clutter'])

    if abnormal:
        k = int(rng.integers(len(bones)))
        (x0, y0), (x1, y1), r = bones[k]
        t = rng.uniform(0.35, 0.65)
        fx, fy = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        if rng.random() < 0.5:
            # Fracture: a dark gap across the shaft, oblique to it.
            ang = np.arctan2(y1 - y0, x1 - x0) + np.pi / 2 + rng.uniform(-0.5, 0.5)
            half = r * 1.6
            ex, ey = np.cos(ang) * half, np.sin(ang) * half
            gap = _segment_dist(yy, xx, (fx - ex, fy - ey), (fx + ex, fy + ey))
            shaft = _segment_dist(yy, xx, (x0, y0), (x1, y1))
            callus = (gap < r * 2.4) & (shaft < r * 2.2) & ~bone_masks[k]
            img[callus] += 45.0 * c  # periosteal reaction around the break
            crack = (gap < max(min(h, w) * 0.06, 2.0)) & (shaft < r * 1.05)
            img[crack] = img[crack] * (1.0 - c) + 35.0 * c
        else:
            # Hardware: a near-saturated plate along the shaft with screw heads.
            ux, uy = (x1 - x0), (y1 - y0)
            n = max(np.hypot(ux, uy), 1e-3)
            ux, uy = ux / n, uy / n
            half = min(0.4 * n, max(h, w) * 0.3)
            plate = _segment_dist(yy, xx, (fx - ux * half, fy - uy * half),
                                  (fx + ux * half, fy + uy * half)) < max(r * 0.8, 1.5)
            img[plate] = 250.0  # metal: saturated at any difficulty, as on real films
            for s in (-0.7, 0.0, 0.7):
                sx, sy = fx + ux * half * s, fy + uy * half * s
                screw = np.hypot(xx - sx, yy - sy) < max(r * 1.1, 1.5)
                img[screw] = 245.0
    return _finish(rng, img, 1 if min(h, w) >= 48 else 0, kn['noise'])


def hand_phantom(rng: np.random.Generator, height: int, width: int, age_months: int) -> np.ndarray:
    """An RSNA-bone-age-style left hand radiograph whose anatomy follows the age.

    Older hands have longer, denser bones, more ossified carpals (0 at birth, 8 by ~13 years) and
    narrower, finally fused growth plates (the dark gap between each epiphysis and its shaft).

    Args:
        rng (numpy.random.Generator): source of all randomness.
        height (int): image height in pixels.
        width (int): image width in pixels.
        age_months (int): bone age in months, clipped to [0, 228].

    Returns:
        numpy.ndarray: uint8 HxW image.
    """
    h, w = int(height), int(width)
    a = float(np.clip(age_months, 0, 228)) / 228.0
    yy, xx = _grid(h, w)
    img = np.full((h, w), 15.0, np.float32)
    cx, s = w * (0.5 + rng.uniform(-0.03, 0.03)), min(h, w)
    scale = 0.7 + 0.3 * a
    density = 120.0 + 70.0 * a + rng.uniform(-6, 6)
    gap = max((1.0 - a) * s * 0.035, 0.0) if a < 0.85 else 0.0  # physis closes near adulthood
    wrist_y = h * 0.72
    soft = np.hypot((xx - cx) / (w * 0.4), (yy - h * 0.55) / (h * 0.52)) < 1.0
    img[soft] = 65.0 + rng.uniform(-6, 6)

    def long_bone(p0, p1, r):
        # Shaft from p0 (proximal) to p1, epiphysis cap beyond p1 separated by the physis gap.
        _bone(img, yy, xx, p0, p1, r, density)
        ux, uy = p1[0] - p0[0], p1[1] - p0[1]
        n = max(np.hypot(ux, uy), 1e-3)
        ux, uy = ux / n, uy / n
        c = (p1[0] + ux * (gap + r * 0.6), p1[1] + uy * (gap + r * 0.6))
        cap = np.hypot(xx - c[0], yy - c[1]) < r * (0.5 + 0.5 * a)
        img[cap] = np.maximum(img[cap], density + 10.0)

    for dx in (-0.09, 0.09):  # radius and ulna
        long_bone((cx + dx * w * 0.8, h * 1.0), (cx + dx * w, wrist_y + h * 0.06), s * 0.04)
    n_carpals = int(round(8 * min(1.0, (age_months / 156.0))))
    for k in range(n_carpals):
        bx = cx + ((k % 4) - 1.5) * w * 0.055
        by = wrist_y - (k // 4) * h * 0.055
        blob = np.hypot(xx - bx, yy - by) < s * (0.012 + 0.018 * a)
        img[blob] = np.maximum(img[blob], density)
    for k in range(5):  # metacarpals, then proximal/middle/distal phalanges
        base = (cx + (k - 2) * w * 0.06, wrist_y - h * 0.11)
        ang = (k - 2) * 0.28 + (0.35 if k == 0 else 0.0)
        ux, uy = np.sin(ang), -np.cos(ang)
        p = base
        lengths = (0.14, 0.09, 0.06, 0.045) if k else (0.11, 0.07, 0.045)
        for i, seg in enumerate(lengths):
            L = seg * h * scale
            q = (p[0] + ux * L, p[1] + uy * L)
            long_bone(p, q, s * (0.022 - 0.003 * i))
            p = (q[0] + ux * (gap + s * 0.03), q[1] + uy * (gap + s * 0.03))
    return _finish(rng, img, 1 if min(h, w) >= 48 else 0)


def imwrite(path: str, img: np.ndarray, mode: str = 'gray') -> str:
    """Write a uint8 gray phantom as ``mode`` 'gray', 'rgb' (gray replicated) or '16bit'
    (scaled to 0..65535), creating folders; the format follows the extension. Returns ``path``."""
    import cv2
    if mode == 'rgb':
        img = np.repeat(img[..., None], 3, axis=2)
    elif mode == '16bit':
        img = img.astype(np.uint16) * np.uint16(257)
    elif mode != 'gray':
        raise ValueError(f"mode must be 'gray', 'rgb' or '16bit', got {mode!r}")
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    if not cv2.imwrite(path, img):
        raise OSError(f'could not write {path}')
    return path
