"""Capture and restore the process's random number generators (python, numpy, torch, CUDA).

mmengine checkpoints hold no random state, so a resumed run draws different random numbers than
the uninterrupted one (mmdet's RPN / RoI samplers, dropout, augmentations in the main process).
Saving these states with the checkpoint and restoring them at the same point makes a resumed run
continue bit for bit on the CPU.
"""
import random

import numpy as np
import torch


def get_rng_state() -> dict:
    state = dict(python=random.getstate(), numpy=np.random.get_state(),
                 torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(_as_python_state(state['python']))
    np.random.set_state(tuple(state['numpy']))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


def _as_python_state(state):
    """random.setstate wants tuples; a checkpoint round trip may give lists."""
    version, internal, gauss = state
    return version, tuple(internal), gauss
