"""Where ``torchvision://NAME`` checkpoints live on disk, so that a tool can check for them offline.

mmengine loads ``torchvision://resnet18`` from torchvision's model URLs through torch hub's cache:
``$TORCH_HOME/hub/checkpoints/<file name of the URL>`` (``torch.hub.get_dir()``), downloading it
only when the file is missing. Machines without network fail there, after whatever ran first.
"""
import os.path as osp
from typing import Tuple
from urllib.parse import urlparse

PREFIX = 'torchvision://'


def torchvision_url_and_file(uri: str) -> Tuple[str, str]:
    """``torchvision://resnet18`` -> (its download URL, the cache file mmengine reads).

    The URL is the one mmengine picks (``get_torchvision_models``: torchvision's IMAGENET1K_V1
    weights); the file is ``torch.hub.get_dir()/checkpoints/<basename of the URL>``, as
    ``torch.hub.load_state_dict_from_url`` looks it up (``$TORCH_HOME``, default
    ``~/.cache/torch``).
    """
    import torch
    from mmengine.runner.checkpoint import get_torchvision_models
    if not uri.startswith(PREFIX):
        raise ValueError(f'{uri!r} is not a {PREFIX}NAME checkpoint')
    name = uri[len(PREFIX):]
    urls = get_torchvision_models()
    if name not in urls:
        raise KeyError(f'{uri}: torchvision has no model {name!r}')
    url = urls[name]
    return url, osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(urlparse(url).path))
