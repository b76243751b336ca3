"""muscle_mm: MUSCLE (Liao et al. 2022, https://arxiv.org/abs/2310.02000) for OpenMMLab 2.x.

``import muscle_mm`` (or ``custom_imports=dict(imports=['muscle_mm'])`` in a config) registers every
module of the plugin in the mmpretrain / mmdet / mmseg registries and makes mmengine's checkpoint
loading work on torch>=2.6 without unpickling untrusted code.
"""
import warnings

# mmengine 0.10.7 imports pkg_resources for mmdet::-style configs (setuptools<81 keeps it); its
# deprecation warning says nothing a user of this plugin can act on.
warnings.filterwarnings('ignore', message='pkg_resources is deprecated', category=UserWarning)

from .utils import checkpoint_loading as _checkpoint_loading  # noqa: E402
from .version import __version__

_checkpoint_loading.install()

from . import datasets, engine, evaluation, models  # noqa: E402,F401  (registers modules)

__all__ = ['__version__']
