"""Does a checkpoint fit a model? mmengine's ``load_checkpoint`` loads with ``strict=False``: a
backbone-only file, or a ResNet-50 in a ResNet-18 config, loads with warnings and the model is
scored with random tensors. Testing tools compare first and refuse, naming the keys."""
from typing import Dict, List, Tuple

import torch

# mmengine's load_checkpoint default revise_keys: DDP's 'module.' prefix is stripped
_REVISE_PREFIX = 'module.'


class CheckpointMismatchError(ValueError):
    """A checkpoint's state dict does not fit the model it is loaded into."""


def checkpoint_state(checkpoint) -> Dict[str, torch.Tensor]:
    """The state dict of a loaded checkpoint (``state_dict`` of a runner file, else the file),
    with DDP's ``module.`` prefix stripped as mmengine's ``load_checkpoint`` does."""
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise CheckpointMismatchError(f'not a state dict but a {type(checkpoint).__name__}')
    return {
        k[len(_REVISE_PREFIX):] if k.startswith(_REVISE_PREFIX) else k: v
        for k, v in state.items()
    }


def state_mismatch(model: torch.nn.Module, state: Dict[str, torch.Tensor]) -> Dict[str, list]:
    """``missing`` (model keys the checkpoint lacks), ``unexpected`` (checkpoint keys the model
    lacks) and ``shape`` (``(key, checkpoint shape, model shape)``) lists."""
    own = model.state_dict()
    shape: List[Tuple[str, tuple, tuple]] = [
        (k, tuple(v.shape), tuple(own[k].shape)) for k, v in state.items()
        if k in own and hasattr(v, 'shape') and tuple(v.shape) != tuple(own[k].shape)
    ]
    return dict(
        missing=[k for k in own if k not in state],
        unexpected=[k for k in state if k not in own],
        shape=shape)


def format_mismatch(mismatch: Dict[str, list], limit: int = 8) -> str:
    """A few lines naming the first ``limit`` keys of each kind of mismatch."""
    lines = []
    for kind, items in mismatch.items():
        if not items:
            continue
        shown = [f'{k} (checkpoint {list(a)}, model {list(b)})' for k, a, b in items[:limit]] \
            if kind == 'shape' else items[:limit]
        more = f', ... ({len(items) - limit} more)' if len(items) > limit else ''
        what = dict(
            missing='missing in the checkpoint',
            unexpected='not in the model',
            shape='of another shape')[kind]
        lines.append(f'  {len(items)} keys {what}: {", ".join(shown)}{more}')
    return '\n'.join(lines)


def check_checkpoint_fits(model: torch.nn.Module,
                          checkpoint,
                          filename: str,
                          allow_partial: bool = False) -> Dict[str, list]:
    """Raise :class:`CheckpointMismatchError` naming the keys unless every model tensor is in the
    checkpoint with its shape and the checkpoint holds nothing else; with ``allow_partial`` log
    the same text as a warning instead. Return the mismatch."""
    mismatch = state_mismatch(model, checkpoint_state(checkpoint))
    if any(mismatch.values()):
        text = (f'checkpoint {filename} does not fit the model of the config:\n'
                f'{format_mismatch(mismatch)}')
        if not allow_partial:
            raise CheckpointMismatchError(
                text + '\nThe model would be scored with these tensors left as initialized. '
                'Pass --allow-partial-checkpoint to score it anyway.')
        from mmengine.logging import print_log
        print_log(
            text + '\n(--allow-partial-checkpoint: scored anyway)', logger='current', level=30)
    return mismatch
