"""tools/mmcv_build: how setup_env.sh builds mmcv's CUDA ops on each kind of host (full toolkit,
nvcc only, none), the wheel cache key, and the cubin check run before a CUDA wheel is cached."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

from _helpers import REPO

CUDA_ENV = osp.join(REPO, 'tools', 'mmcv_build', 'cuda_env.py')
CUDA_EXT = osp.join(REPO, 'tools', 'mmcv_build', 'cuda_ext.py')
MATH = ('cusparse.h', 'cublas_v2.h', 'cublasLt.h', 'cusolverDn.h', 'curand.h', 'cufft.h')

sys.path.insert(0, osp.dirname(CUDA_ENV))
import cuda_env as cuda_env_mod  # noqa: E402


class Result:

    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def cuda_env(tmp_path, **env):
    """Run tools/mmcv_build/cuda_env.py's main in this process (torch is imported already)."""
    import contextlib
    import io
    saved = dict(os.environ)
    for k in ('CUDA_HOME', 'CUDA_PATH', 'FORCE_CUDA', 'TORCH_CUDA_ARCH_LIST',
              'MUSCLE_MM_MMCV_CPU_ONLY'):
        os.environ.pop(k, None)
    os.environ.update(MMCV_SHIM_DIR=str(tmp_path / 'shim'), **env)
    out, err, code = io.StringIO(), io.StringIO(), 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            cuda_env_mod.main()
    except SystemExit as e:
        code = 1 if e.code else 0
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Result(code, out.getvalue(), err.getvalue())


def fake_toolkit(root, release='13.0', headers=MATH):
    """A CUDA_HOME whose nvcc answers --version and --list-gpu-arch like nvcc 13.0's."""
    os.makedirs(root / 'bin')
    os.makedirs(root / 'include')
    nvcc = root / 'bin' / 'nvcc'
    nvcc.write_text('#!/bin/sh\ncase "$1" in --version) echo "Cuda compilation tools, release '
                    f'{release}, V{release}.88";; --list-gpu-arch) printf "compute_75\\n'
                    'compute_80\\ncompute_90\\ncompute_120\\n";; esac\n')
    nvcc.chmod(0o755)
    for h in ('cuda_runtime.h', ) + tuple(headers):
        (root / 'include' / h).write_text('')
    return root


def test_cpu_build_keeps_its_cache_key(tmp_path):
    out = cuda_env(tmp_path)
    assert out.returncode == 0, out.stderr
    assert 'export FORCE_CUDA=0' in out.stdout
    tag = out.stdout.strip().splitlines()[-1]
    assert tag.startswith('MMCV_TAG=torch') and tag.endswith('-cpu')  # the CPU wheels' key


def test_full_toolkit_builds_as_is_and_keys_the_archs(tmp_path):
    home = fake_toolkit(tmp_path / 'cuda')
    out = cuda_env(tmp_path, FORCE_CUDA='1', CUDA_HOME=str(home), TORCH_CUDA_ARCH_LIST='8.0 9.0')
    assert out.returncode == 0, out.stderr
    assert 'full toolkit' in out.stderr and 'CPATH' not in out.stdout
    assert f'CUDA_HOME={home}' in out.stdout and 'TORCH_CUDA_ARCH_LIST="8.0 9.0"' in out.stdout
    assert out.stdout.strip().endswith('-sm80_sm90')


def test_nvcc_only_toolkit_takes_the_missing_headers_from_pip(tmp_path):
    if not any(osp.isfile(osp.join(d, 'cusparse.h')) for d in cuda_env_mod.pip_header_dirs()):
        pytest.skip('no pip CUDA headers in this environment (CPU-only torch)')
    home = fake_toolkit(tmp_path / 'cuda', headers=())
    out = cuda_env(tmp_path, FORCE_CUDA='1', CUDA_HOME=str(home), TORCH_CUDA_ARCH_LIST='9.0')
    assert out.returncode == 0, out.stderr
    assert 'nvcc-only toolkit' in out.stderr and 'no cusparse.h' in out.stderr
    shim = tmp_path / 'shim'
    assert f'export CPATH="{shim}' in out.stdout and f'-I{shim}' in out.stdout
    assert all((shim / h).exists() for h in MATH)
    assert not (shim / 'cuda_runtime.h').exists()  # the toolkit's own is never shadowed


@pytest.mark.parametrize('env,message', [
    (dict(TORCH_CUDA_ARCH_LIST=''), 'set TORCH_CUDA_ARCH_LIST'),
    (dict(TORCH_CUDA_ARCH_LIST='5.0'), 'cannot build for 5.0'),
    (dict(TORCH_CUDA_ARCH_LIST='9.0', release='12.4'), 'refuses a different major version'),
    (dict(TORCH_CUDA_ARCH_LIST='9.0', home='missing'), 'has no bin/nvcc'),
])
def test_hosts_that_cannot_build_stop_with_what_to_do(tmp_path, env, message):
    home = (
        tmp_path / 'missing' if env.pop('home', None) else fake_toolkit(
            tmp_path / 'cuda', release=env.pop('release', '13.0')))
    out = cuda_env(tmp_path, FORCE_CUDA='1', CUDA_HOME=str(home), **env)
    assert out.returncode == 1 and message in out.stderr, out.stderr


@pytest.fixture(scope='module')
def tiny_cuda_ext(tmp_path_factory):
    nvcc = shutil.which('nvcc') or '/usr/local/cuda/bin/nvcc'
    if not osp.isfile(nvcc):
        pytest.skip('no nvcc')
    d = tmp_path_factory.mktemp('ext')
    (d / 'k.cu').write_text(
        'template <typename T> __global__ void roi_align_forward_cuda_kernel(T* x) {'
        ' x[threadIdx.x] += 1; }\n__global__ void nms_cuda(float* x) { x[0] = 0; }\n'
        'void launch(float* x) { roi_align_forward_cuda_kernel<float><<<1, 1>>>(x);'
        ' nms_cuda<<<1, 1>>>(x); }\n')
    subprocess.run([
        nvcc, '-shared', '-Xcompiler', '-fPIC', '-gencode', 'arch=compute_90,code=sm_90',
        str(d / 'k.cu'), '-o',
        str(d / '_ext.so')
    ],
                   check=True)
    return d / '_ext.so'


def test_cubin_check_reads_archs_and_ops(tiny_cuda_ext):
    sys.path.insert(0, osp.dirname(CUDA_EXT))
    from cuda_ext import find_cuobjdump
    if find_cuobjdump() is None:
        pytest.skip('no cuobjdump')
    ok = subprocess.run([sys.executable, CUDA_EXT, 'verify',
                         str(tiny_cuda_ext), '--archs', '9.0'],
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        text=True)
    assert ok.returncode == 0, ok.stdout
    assert 'cubins for sm_90' in ok.stdout and 'ops: nms roi_align' in ok.stdout
    bad = subprocess.run(
        [sys.executable, CUDA_EXT, 'verify',
         str(tiny_cuda_ext), '--archs', '8.0 9.0'],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True)
    assert bad.returncode == 1 and 'no cubins for sm_[80]' in bad.stdout
