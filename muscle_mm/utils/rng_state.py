"""Capture and restore the process's random number generators (python, numpy, torch, CUDA).

mmengine checkpoints hold no random state, so a resumed run draws different random numbers than
the uninterrupted one (mmdet's RPN / RoI samplers, dropout, augmentations in the main process).
Saving these states with the checkpoint and restoring them at the same point makes a resumed run
continue bit for bit on the CPU. Each process of a multi-process run has its own state (with
``randomness.diff_rank_seed`` they differ from the start, and data-dependent draws make them
drift apart anyway), so :func:`gather_rng_states` collects every rank's, and each rank restores
its own (:func:`own_rng_state`).
"""
import random
from typing import List, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size


def get_rng_state() -> dict:
    state = dict(python=random.getstate(), numpy=np.random.get_state(), torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(_as_python_state(state['python']))
    np.random.set_state(tuple(state['numpy']))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


def gather_rng_states() -> dict:
    """``dict(world_size, ranks=[state of rank 0, 1, ...])`` on every rank.

    A collective when there are several processes: every rank must call it at the same point.
    """
    own = get_rng_state()
    world = get_world_size()
    return dict(world_size=world, ranks=all_gather_object(own) if world > 1 else [own])


def saved_world_size(saved: dict) -> int:
    """How many processes wrote ``saved`` (a state of :func:`gather_rng_states`, or one
    process's :func:`get_rng_state` as checkpoints before per-rank states held)."""
    return 1 if 'python' in saved else int(saved['world_size'])


def own_rng_state(saved: dict) -> Optional[dict]:
    """This rank's state from ``saved``; a world size other than the saving run's raises."""
    ranks: List[dict] = [saved] if 'python' in saved else saved['ranks']
    if len(ranks) != get_world_size():
        raise RuntimeError(f'the random state was saved by {len(ranks)} process(es), this run '
                           f'has {get_world_size()}: each rank can only continue its own stream')
    return ranks[get_rank()]


def _as_python_state(state):
    """random.setstate wants tuples; a checkpoint round trip may give lists."""
    version, internal, gauss = state
    return version, tuple(internal), gauss
