"""Verify the installed stack; print what is wrong and how to fix it.

Run by tools/setup_env.sh after every install, and usable by hand:
    .venv/bin/python tools/misc/check_env.py
"""
import importlib
import sys
import traceback

CHECKS = []


def check(fix):
    def deco(fn):
        CHECKS.append((fn, fix))
        return fn
    return deco


@check('pip/uv picked a CPU-only torch; install the PyPI build: see requirements/torch.txt '
       '(the machine pip config must be bypassed: PIP_CONFIG_FILE=/dev/null, no PIP_FIND_LINKS)')
def torchvision_ops():
    import torch
    import torchvision
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.]])
    keep = torchvision.ops.nms(boxes, torch.tensor([0.9, 0.8]), 0.5)
    assert keep.tolist() == [0], keep
    return f'torch {torch.__version__}, torchvision {torchvision.__version__}'


@check('mmcv was built without its C++ ops. Rebuild: rm -rf ~/.cache/muscle_mm/wheels/mmcv* '
       '.venv/.muscle_mm_stamps/mmcv && make env (or MMCV_WITH_OPS=1 pip install '
       '--no-build-isolation mmcv==2.1.0 with torch already installed)')
def mmcv_ops():
    import mmcv
    import torch
    from mmcv.ops import RoIAlign, nms
    importlib.import_module('mmcv._ext')
    _, inds = nms(torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.]]),
                  torch.tensor([0.9, 0.8]), 0.5)
    assert inds.tolist() == [0], inds
    out = RoIAlign((2, 2), 1.0, 0)(torch.ones(1, 1, 8, 8), torch.tensor([[0., 0., 0., 4., 4.]]))
    assert out.shape == (1, 1, 2, 2)
    return f'mmcv {mmcv.__version__} with ops'


@check('setuptools>=81 dropped pkg_resources, which mmengine needs for mmdet::/mmseg:: '
       'config inheritance: install "setuptools>=77.0.3,<81"')
def pkg_resources():
    import pkg_resources  # noqa: F401
    import setuptools
    return f'setuptools {setuptools.__version__}'


@check('install the pinned OpenMMLab packages: make env (requirements/runtime.txt)')
def mm_repos():
    versions = []
    for name in ('mmengine', 'mmpretrain', 'mmdet', 'mmseg'):
        versions.append(f'{name} {importlib.import_module(name).__version__}')
    return ', '.join(versions)


@check('muscle_mm is not importable: pip install -e . (or make env)')
def plugin():
    import muscle_mm
    from mmpretrain.registry import MODELS  # noqa: F401
    return f'muscle_mm {muscle_mm.__version__} from {muscle_mm.__file__}'


def main() -> int:
    failed = 0
    for fn, fix in CHECKS:
        try:
            print(f'[check_env] ok   {fn.__name__}: {fn()}')
        except Exception as e:  # noqa: BLE001 - report every failure, then exit non-zero
            failed += 1
            print(f'[check_env] FAIL {fn.__name__}: {type(e).__name__}: {e}')
            traceback.print_exc(limit=2, file=sys.stdout)
            print(f'[check_env]      fix: {fix}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
