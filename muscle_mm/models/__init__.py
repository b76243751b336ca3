"""Models of MUSCLE, registered in mmpretrain MODELS."""
from .selfsup import MDMoCo

__all__ = ['MDMoCo']
