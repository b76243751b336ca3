"""Parameter schedulers (registered in mmpretrain PARAM_SCHEDULERS)."""
from .cyclic_cosine_lr import CyclicCosineLR

__all__ = ['CyclicCosineLR']
