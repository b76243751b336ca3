"""Verify the installed stack; print what is wrong and how to fix it.

Run by tools/setup_env.sh after every install, and usable by hand:
    .venv/bin/python tools/misc/check_env.py
"""
import importlib
import json
import os.path as osp
import subprocess
import sys
import traceback

# run, not imported: this check imports nothing of the project (it must work before it installs)
CUDA_EXT = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'mmcv_build', 'cuda_ext.py')

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
    _, inds = nms(
        torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.]]), torch.tensor([0.9, 0.8]), 0.5)
    assert inds.tolist() == [0], inds
    out = RoIAlign((2, 2), 1.0, 0)(torch.ones(1, 1, 8, 8), torch.tensor([[0., 0., 0., 4., 4.]]))
    assert out.shape == (1, 1, 2, 2)
    return f'mmcv {mmcv.__version__} with ops'


@check('mmcv._ext lacks CUDA code for this GPU: rebuild it on this host (rm -rf '
       '~/.cache/muscle_mm/wheels/mmcv*cuda* .venv/.muscle_mm_stamps/mmcv && make env), or for '
       'another host with FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="<its arch>" (docs/gpu.md)')
def mmcv_cuda_ops():
    """Which GPU archs and ops mmcv._ext holds (cuobjdump); on a GPU, that its arch is among them
    and that nms / RoIAlign on CUDA equal the CPU ops."""
    import torch
    info = ext_cuda_code()
    if info is None:
        built = 'CUDA code not inspected (no cuobjdump in CUDA_HOME/bin, PATH or triton)'
    elif not info['archs']:
        built = 'CPU ops only (no CUDA code in _ext)'
    else:
        built = (f'CUDA ops for sm_{",".join(map(str, info["archs"]))}: {info["kernels"]} '
                 f'kernels of {len(info["ops"])} ops ({", ".join(info["ops"][:8])}, ...)')
    if not torch.cuda.is_available():
        return f'{built}; no GPU visible'
    major, minor = torch.cuda.get_device_capability()
    if info is not None and major * 10 + minor not in info['archs']:
        raise RuntimeError(f'{built}, but the GPU ({torch.cuda.get_device_name()}) is '
                           f'sm_{major}{minor}')
    from mmcv.ops import RoIAlign, nms
    g = torch.Generator().manual_seed(0)
    xy = torch.rand(64, 2, generator=g) * 50
    boxes = torch.cat([xy, xy + 5 + torch.rand(64, 2, generator=g) * 20], 1)
    scores = torch.rand(64, generator=g)
    keep_cpu = nms(boxes, scores, 0.5)[1]
    keep_gpu = nms(boxes.cuda(), scores.cuda(), 0.5)[1].cpu()
    assert torch.equal(keep_cpu, keep_gpu), (keep_cpu, keep_gpu)
    feat = torch.rand(2, 4, 32, 32, generator=g)
    rois = torch.cat([torch.tensor([[0.], [1.]]), boxes[:2] / 2], 1)
    roi = RoIAlign((7, 7), 1.0, 2)
    diff = (roi(feat, rois) - roi(feat.cuda(), rois.cuda()).cpu()).abs().max().item()
    assert diff < 1e-4, f'RoIAlign CUDA vs CPU differ by {diff}'
    return f'{built}; on {torch.cuda.get_device_name()}: nms and RoIAlign equal the CPU ops'


def ext_cuda_code():
    """tools/mmcv_build/cuda_ext.py's report on the installed mmcv._ext (archs, ops, kernels),
    None when there is no cuobjdump to read it with."""
    out = subprocess.run([sys.executable, CUDA_EXT, 'report', '--json'],
                         capture_output=True,
                         text=True)
    if out.returncode:
        raise RuntimeError(f'{CUDA_EXT} report: {(out.stdout + out.stderr).strip()}')
    return json.loads(out.stdout.strip().splitlines()[-1])


@check('setuptools>=81 dropped pkg_resources, which mmengine needs for mmdet::/mmseg:: '
       'config inheritance: install "setuptools>=77.0.3,<81"')
def pkg_resources():
    import setuptools

    import pkg_resources  # noqa: F401
    return f'setuptools {setuptools.__version__}'


@check('install the pinned OpenMMLab packages: make env (requirements/runtime.txt)')
def mm_repos():
    versions = []
    for name in ('mmengine', 'mmpretrain', 'mmdet', 'mmseg'):
        versions.append(f'{name} {importlib.import_module(name).__version__}')
    return ', '.join(versions)


@check('muscle_mm is not importable: pip install -e . (or make env)')
def plugin():
    from mmpretrain.registry import MODELS  # noqa: F401

    import muscle_mm
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
