"""The image sets a leakage check compares: built from dataset configs, or a folder's files."""
import os
import os.path as osp
from typing import Dict, List

from ..base import DatasetFormatError
from ..builder import build_xray_dataset, dataset_label
from ..image_reader import IMAGE_EXTS


def dataset_image_paths(dataset) -> List[str]:
    """Image paths of a built dataset (any registry), via ``get_data_info(i)['img_path']``."""
    return [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]


def image_sets_from_configs(cfgs) -> Dict[str, List[str]]:
    """Build dataset configs (list, or dict name -> config) and return name -> image paths. An
    ``XRayPretrainPool`` config is built as training builds it (de-duplicated, downstream images
    dropped if it says so) and its images are returned per source."""
    if isinstance(cfgs, dict) and 'type' in cfgs:
        if str(cfgs['type']).split('.')[-1] == 'XRayPretrainPool':
            pool = build_xray_dataset(dict(cfgs, pipeline=[]))
            out: Dict[str, List[str]] = {k: [] for k in pool.source_counts}
            for i in range(len(pool)):
                info = pool.get_data_info(i)
                out[info['source']].append(info['img_path'])
            return out
        cfgs = [(None, cfgs)]
    elif isinstance(cfgs, dict):
        cfgs = list(cfgs.items())
    else:
        cfgs = [(None, c) for c in cfgs]
    out: Dict[str, List[str]] = {}
    for name, cfg in cfgs:
        if isinstance(cfg, dict):
            cfg = dict(cfg, pipeline=[])
            cfg.setdefault('serialize_data', False)  # only paths are read
        ds = build_xray_dataset(cfg)
        name = name or dataset_label(cfg, ds)
        k, base = 2, name
        while name in out:
            name, k = f'{base}#{k}', k + 1
        out[name] = dataset_image_paths(ds)
    return out


def image_folder(folder: str) -> List[str]:
    """Every image file under ``folder`` (recursive, OS junk skipped)."""
    if not osp.isdir(folder):
        raise DatasetFormatError(f'image folder not found: {folder}')
    out = []
    for d, _, files in os.walk(folder):
        out += [
            osp.join(d, f) for f in files
            if not f.startswith('.') and osp.splitext(f)[1].lower() in IMAGE_EXTS
        ]
    return sorted(out)
