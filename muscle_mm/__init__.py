"""muscle_mm: MUSCLE (Liao et al. 2022, https://arxiv.org/abs/2310.02000) for OpenMMLab 2.x.

``import muscle_mm`` (or ``custom_imports=dict(imports=['muscle_mm'])`` in a config) registers every
module of the plugin in the mmpretrain / mmdet / mmseg registries and makes mmengine's checkpoint
loading work on torch>=2.6 without unpickling untrusted code.
"""
from .utils import checkpoint_loading as _checkpoint_loading
from .version import __version__

_checkpoint_loading.install()

from . import datasets, engine, evaluation, models  # noqa: E402,F401  (registers modules)

__all__ = ['__version__']
