"""MD-MoCo's two views (flip + rotation) made on the device, batched, after the batch arrives."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MessageHub

from muscle_mm.registry import MODELS
from muscle_mm.utils.counter_rng import counter_uniforms, step_seed


def rotation_flip_theta(angles: torch.Tensor, flips: torch.Tensor, height: int,
                        width: int) -> torch.Tensor:
    """``N x 2 x 3`` ``affine_grid`` matrices: optional h-flip, then rotation by ``angles``
    (degrees, positive = clockwise, mmcv.imrotate's convention) about the image centre.

    With ``align_corners=True`` the normalized corners are pixel centres, so the centre is
    ``((w - 1) / 2, (h - 1) / 2)`` as in mmcv/cv2. The rotation is built in pixel units and
    scaled back (``S^-1 R S``), so it stays a rotation on non-square images.
    """
    a = torch.deg2rad(angles.double())
    cos, sin = torch.cos(a), torch.sin(a)
    sx, sy = (width - 1) / 2.0, (height - 1) / 2.0
    sx, sy = max(sx, 1e-12), max(sy, 1e-12)
    # output pixel -> source pixel (relative to the centre): [[c, s], [-s, c]]
    theta = torch.zeros(angles.shape[0], 2, 3, dtype=torch.float64)
    theta[:, 0, 0] = cos
    theta[:, 0, 1] = sin * sy / sx
    theta[:, 1, 0] = -sin * sx / sy
    theta[:, 1, 1] = cos
    sign = torch.where(flips.bool(), -1.0, 1.0).double()
    theta[:, 0, :2] *= sign[:, None]  # flip: sample the mirrored column of the rotated grid
    return theta.float()


@MODELS.register_module()
class XRayViews(nn.Module):
    """Batch augment that turns a batch of images into MD-MoCo's views on the device.

    MUSCLE (`arXiv:2310.02000 <https://arxiv.org/abs/2310.02000>`_, §2.1) keeps MoCo-CXR's
    X-ray views (horizontal flip with p=0.5, rotation by a uniform angle in [-10, 10] degrees,
    always applied) and drops MoCo v2's crop, blur and colour jitter. On the CPU these run per
    image in the dataloader workers and cost more than decoding; here every view of a batch
    is one ``affine_grid`` + ``grid_sample`` call on whatever device the batch is on (torch
    only, no new dependency), after the data preprocessor has moved it there.

    Each sample gets its own flip and angle per view, drawn by a counter-based hash of
    ``(seed, iteration, sample_idx)`` (:func:`counter_uniforms`) rather than from a global
    random state: the stream does not depend on workers, processes or how often the run was
    resumed, so 1 + 1 resumed epochs equal 2 uninterrupted ones. ``sample_idx`` comes from the
    data samples' metainfo (mmengine datasets set it), the iteration from the message hub that
    mmengine's ``RuntimeInfoHook`` updates before each step. The seed is a buffer, so it is
    saved in and restored from checkpoints.

    The distribution equals the CPU ``view_pipeline`` of
    ``configs/_base_/datasets/xray_mdmoco_views.py`` (mmcv ``RandomFlip(prob=0.5)`` then
    mmpretrain ``Rotate`` with angle ``+-Uniform(0, 10)``; tested). Pixels differ only by the
    CPU path's rounding to uint8 after the rotation.

    Args:
        num_views (int): Views per image. Defaults to 2 (MoCo's query and key).
        flip_prob (float): Probability of a horizontal flip per view. Defaults to 0.5.
        max_angle (float): Angles are uniform in ``[-max_angle, max_angle]`` degrees.
            Defaults to 10.0 (MoCo-CXR's ``RandomRotation(10)``).
        pad_val (float): Value outside the rotated image, in input units. Defaults to 0
            (black, like a collimated border; the CPU path's ``pad_val=0``).
        interpolation (str): ``'bilinear'`` or ``'nearest'``. Defaults to 'bilinear'.
        seed (int, optional): Seed of the view stream. Defaults to None: the seed torch was
            last seeded with (``torch.initial_seed()``, the runner's ``randomness.seed``).
        reseed_global (bool): After drawing the views, seed torch's global generators (CPU
            and CUDA) from ``(seed, iteration)``, so that what the rest of the training step
            draws from them, i.e. MoCo's key shuffle for shuffle-BN / split-batch BN, is a
            function of the same keys and a resumed run repeats it. Without it that stream
            continues from wherever the main process left it, which differs after a resume
            (e.g. a new dataloader iterator draws its base seed). Defaults to False.
    """

    def __init__(self,
                 num_views: int = 2,
                 flip_prob: float = 0.5,
                 max_angle: float = 10.0,
                 pad_val: float = 0.0,
                 interpolation: str = 'bilinear',
                 seed: Optional[int] = None,
                 reseed_global: bool = False) -> None:
        super().__init__()
        if num_views < 1:
            raise ValueError(f'XRayViews: num_views must be >= 1, got {num_views}')
        if not 0.0 <= flip_prob <= 1.0:
            raise ValueError(f'XRayViews: flip_prob must be in [0, 1], got {flip_prob}')
        if interpolation not in ('bilinear', 'nearest'):
            raise ValueError("XRayViews: interpolation must be 'bilinear' or 'nearest', "
                             f'got {interpolation!r}')
        self.num_views = num_views
        self.flip_prob = float(flip_prob)
        self.max_angle = float(max_angle)
        self.pad_val = float(pad_val)
        self.interpolation = interpolation
        self.reseed_global = reseed_global
        seed = torch.initial_seed() if seed is None else int(seed)
        self._seed = seed & ((1 << 63) - 1)
        self.register_buffer('seed', torch.tensor(self._seed, dtype=torch.int64))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self._seed = int(self.seed)  # a resumed run continues the saved stream

    def draw(self, step: int, index: Sequence[int]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Flips (bool) and angles (degrees), each ``num_views x len(index)``, on the CPU."""
        u = counter_uniforms(self._seed, step, index, 2 * self.num_views)
        u = torch.from_numpy(u.T.copy()).view(self.num_views, 2, len(index))
        flips = u[:, 0] < self.flip_prob
        angles = (2.0 * u[:, 1] - 1.0) * self.max_angle
        return flips, angles

    @staticmethod
    def _batch_keys(batch: int, data_samples) -> Tuple[int, List[int]]:
        hub = MessageHub.get_current_instance()
        step = int(hub.get_info('iter', 0) or 0)
        index = None
        if data_samples is not None and len(data_samples) == batch:
            index = [s.metainfo.get('sample_idx') for s in data_samples]
            index = None if any(i is None for i in index) else [int(i) for i in index]
        if index is None:  # no sample_idx: position in the batch (still a function of iter)
            index = list(range(batch))
        return step, index

    def warp(self, inputs: torch.Tensor, flips: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
        """Flip then rotate each image of ``N x C x H x W`` ``inputs`` (float) as given.

        The sampling grid is fp32 and so is the sampling (bf16/fp16 inputs are sampled in fp32
        and returned in their dtype): bf16 holds 8 significant bits, so a bf16 grid of an
        800-pixel axis would misplace samples by up to ~3 pixels, and grid_sample needs input
        and grid of one dtype (CPU autocast does not cast them, CUDA autocast does).
        """
        n, _, h, w = inputs.shape
        # N x 2 x 3 from the CPU draws: one small explicit copy per view and step
        theta = rotation_flip_theta(angles, flips, h, w).to(inputs.device, non_blocking=True)
        with torch.autocast(inputs.device.type, enabled=False):
            grid = F.affine_grid(theta, [n, 1, h, w], align_corners=True)
            x = inputs.float()
            x = x - self.pad_val if self.pad_val else x
            out = F.grid_sample(
                x, grid, mode=self.interpolation, padding_mode='zeros', align_corners=True)
            out = out + self.pad_val if self.pad_val else out
        return out.to(inputs.dtype)

    def forward(self, inputs: torch.Tensor, data_samples=None) -> Tuple[List[torch.Tensor], list]:
        """``N x C x H x W`` images -> ``num_views`` tensors of the same shape (float)."""
        if not inputs.is_floating_point():
            inputs = inputs.float()
        step, index = self._batch_keys(inputs.shape[0], data_samples)
        flips, angles = self.draw(step, index)
        views = [self.warp(inputs, flips[v], angles[v]) for v in range(self.num_views)]
        if self.reseed_global:
            torch.manual_seed(self.step_seed(step))
        return views, data_samples

    def step_seed(self, step: int) -> int:
        """A 63-bit seed that is a function of ``(seed, step)`` only (as StepSeedHook's)."""
        return step_seed(self._seed, step)

    def extra_repr(self) -> str:
        return (f'num_views={self.num_views}, flip_prob={self.flip_prob}, '
                f'max_angle={self.max_angle}, pad_val={self.pad_val}, '
                f'interpolation={self.interpolation!r}, seed={self._seed}, '
                f'reseed_global={self.reseed_global}')


__all__ = ['XRayViews', 'counter_uniforms', 'rotation_flip_theta']
