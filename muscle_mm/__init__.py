"""muscle_mm: MUSCLE (Liao et al. 2022, https://arxiv.org/abs/2310.02000) for OpenMMLab 2.x.

``import muscle_mm`` (or ``custom_imports=dict(imports=['muscle_mm'])`` in a config) makes every
module of the plugin findable in the mmpretrain / mmdet / mmseg registries and makes mmengine's
checkpoint loading work on torch>=2.6 without unpickling untrusted code.

Registration is lazy, through mmengine's registry ``locations`` (the mechanism mmpretrain, mmdet
and mmseg use for their own modules): each registry muscle_mm registers into learns which
muscle_mm subpackage holds its modules, and imports it on its first lookup, i.e. when a config
is built. Importing the subpackages here would import mmpretrain.models, which imports
mmdet.models and with it scikit-learn and pandas, and mmdet/mmseg's datasets (matplotlib,
scipy): about 3x the cost of ``import torch``, paid by every command, also those that build no
model (issue 18). ``register_all_modules()`` imports them all at once; ``muscle_mm.datasets``
and the other subpackages are imported on first attribute access.
"""
import importlib
import warnings

# mmengine 0.10.7 imports pkg_resources for mmdet::-style configs (setuptools<81 keeps it); its
# deprecation warning says nothing a user of this plugin can act on.
warnings.filterwarnings('ignore', message='pkg_resources is deprecated', category=UserWarning)

from mmdet.registry import MODELS as _MMDET_MODELS  # noqa: E402
from mmdet.registry import VISBACKENDS as _MMDET_VISBACKENDS  # noqa: E402
from mmpretrain.registry import VISBACKENDS as _MMPRETRAIN_VISBACKENDS  # noqa: E402
from mmseg.registry import VISBACKENDS as _MMSEG_VISBACKENDS  # noqa: E402

from . import registry as _reg  # noqa: E402
from .utils import checkpoint_loading as _checkpoint_loading  # noqa: E402
from .version import __version__  # noqa: E402

_checkpoint_loading.install()

#: The subpackages that register modules, and the registries they register into. A registry's
#: first lookup imports its subpackages (tests/test_import.py checks this table against what each
#: subpackage registers when imported alone).
REGISTERING_SUBPACKAGES = {
    'muscle_mm.datasets': (_reg.DATASETS, _reg.MMDET_DATASETS, _reg.MMSEG_DATASETS, _reg.TRANSFORMS,
                           _reg.MMDET_TRANSFORMS, _reg.MMSEG_TRANSFORMS, _reg.DATA_SAMPLERS),
    'muscle_mm.engine': (_reg.HOOKS, _reg.LOOPS, _reg.LOG_PROCESSORS, _reg.PARAM_SCHEDULERS),
    'muscle_mm.evaluation': (_reg.METRICS, _reg.MMDET_METRICS, _reg.MMSEG_METRICS),
    'muscle_mm.models': (_reg.MODELS, _MMDET_MODELS),
    # registers in mmengine's root VISBACKENDS, whose locations a scoped lookup never imports:
    # the scopes' registries import it
    'muscle_mm.visualization.optional_tensorboard_vis_backend':
    (_MMPRETRAIN_VISBACKENDS, _MMDET_VISBACKENDS, _MMSEG_VISBACKENDS),
}
_SUBPACKAGES = ('cli', 'datasets', 'engine', 'evaluation', 'experiments', 'models', 'registry',
                'utils', 'visualization')


def _add_locations() -> None:
    """Append each subpackage to its registries' import locations. A registry that has already
    imported its locations (something was built before ``import muscle_mm``) would never read
    the new entry, so its subpackage is imported now."""
    for module, registries in REGISTERING_SUBPACKAGES.items():
        for registry in registries:
            if module in registry._locations:
                continue
            # a new list: registries must not share one by accident
            registry._locations = list(registry._locations) + [module]
            if registry._imported:
                importlib.import_module(module)


def register_all_modules() -> None:
    """Import every registering subpackage now (what ``import muscle_mm`` did before it became
    lazy), e.g. to list the registries' contents without a lookup."""
    for module in REGISTERING_SUBPACKAGES:
        importlib.import_module(module)


def __getattr__(name: str):
    """``muscle_mm.datasets`` etc. without importing them at ``import muscle_mm`` (PEP 562)."""
    if name in _SUBPACKAGES:
        return importlib.import_module(f'{__name__}.{name}')
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


_add_locations()

__all__ = ['__version__', 'register_all_modules', 'REGISTERING_SUBPACKAGES']
