"""Helpers shared by muscle_mm models (and the engine layer above them)."""
from .moco_queue import check_queue_divisible

__all__ = ['check_queue_divisible']
