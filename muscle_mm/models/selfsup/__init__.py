"""Self-supervised pre-training algorithms (registered in mmpretrain MODELS)."""
from .mdmoco import MDMoCo

__all__ = ['MDMoCo']
