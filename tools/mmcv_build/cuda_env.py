"""Decide how tools/setup_env.sh builds mmcv's ops, and prepare what a CUDA build needs.

Run with the venv's python (torch installed). Prints shell assignments for setup_env.sh to
`eval` (``MMCV_TAG=...`` and the ``export``s the build needs); every message goes to stderr, and a
host that cannot build what was asked for exits non-zero with what to do.

CPU build: no GPU visible and no FORCE_CUDA=1, or MUSCLE_MM_MMCV_CPU_ONLY=1.
CUDA build: a GPU visible, or FORCE_CUDA=1. Three kinds of host are handled:
  full toolkit  nvcc and the math libraries' headers (cusparse.h, cublas_v2.h, ...): built as is.
  nvcc only     the toolkit has nvcc but not those headers (these build machines: torch's
                ATen/cuda/CUDAContextLight.h stops at `fatal error: cusparse.h`). The headers of
                pip's CUDA packages, which torch pulled into the venv (nvidia/cu13/include), are
                linked one by one into a folder that goes on g++'s and nvcc's include paths
                (CPATH, NVCC_APPEND_FLAGS). Only headers the toolkit lacks are linked, so the
                toolkit's own cuda_runtime.h etc. are never shadowed by another minor version.
  none          no nvcc: stop, with what to install (or MUSCLE_MM_MMCV_CPU_ONLY=1).
The arch list (TORCH_CUDA_ARCH_LIST, else the visible GPUs' capabilities) is part of the wheel
cache key: a wheel built for sm_90 alone must not be reused on an sm_80 host.
"""
import glob
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

# What torch's CUDA headers include beyond the CUDA runtime (ATen/cuda/CUDAContextLight.h,
# ATen/cuda/CUDAContext.h); the CUDA build compiles every mmcv .cu file against them.
MATH_HEADERS = ('cusparse.h', 'cublas_v2.h', 'cublasLt.h', 'cusolverDn.h', 'curand.h', 'cufft.h')


def say(msg):
    print(f'[setup_env] {msg}', file=sys.stderr)


def fail(msg):
    print(f'[setup_env] ERROR: {msg}', file=sys.stderr)
    sys.exit(1)


def find_cuda_home(torch_cuda):
    """The toolkit root: CUDA_HOME/CUDA_PATH, else where nvcc lives, else /usr/local/cuda[-X.Y].

    torch itself takes dirname(dirname(which nvcc)), which is wrong where nvcc on PATH is a
    wrapper (/usr/local/bin/nvcc here, a shell script exec'ing /usr/local/cuda-13.0/bin/nvcc):
    it gives /usr/local. So the root is chosen here and exported as CUDA_HOME.
    """
    env = os.environ.get('CUDA_HOME') or os.environ.get('CUDA_PATH')
    if env:
        if not osp.isfile(osp.join(env, 'bin', 'nvcc')):
            fail(f'CUDA_HOME={env} has no bin/nvcc. Point CUDA_HOME at the CUDA {torch_cuda} '
                 'toolkit, or unset it.')
        return env
    cands = []
    nvcc = shutil.which('nvcc')
    if nvcc:
        cands.append(osp.dirname(osp.dirname(osp.realpath(nvcc))))
    cands += [f'/usr/local/cuda-{torch_cuda}', '/usr/local/cuda']
    for c in cands:
        if osp.isfile(osp.join(c, 'bin', 'nvcc')) and osp.isfile(
                osp.join(c, 'include', 'cuda_runtime.h')):
            return c
    return None


def nvcc_version(cuda_home):
    out = subprocess.run([osp.join(cuda_home, 'bin', 'nvcc'), '--version'],
                         stdout=subprocess.PIPE,
                         text=True,
                         check=True).stdout
    m = re.search(r'release (\d+)\.(\d+)', out)
    if not m:
        fail(f'cannot read the version of {cuda_home}/bin/nvcc:\n{out}')
    return f'{m.group(1)}.{m.group(2)}'


def nvcc_archs(cuda_home):
    out = subprocess.run([osp.join(cuda_home, 'bin', 'nvcc'), '--list-gpu-arch'],
                         stdout=subprocess.PIPE,
                         text=True).stdout
    return {a.split('_')[1] for a in out.split()}  # compute_90 -> '90'


def arch_list(torch):
    archs = os.environ.get('TORCH_CUDA_ARCH_LIST', '').replace(';', ' ').split()
    if not archs and torch.cuda.is_available():
        caps = sorted(
            {torch.cuda.get_device_capability(i)
             for i in range(torch.cuda.device_count())})
        archs = [f'{a}.{b}' for a, b in caps]
        say(f'TORCH_CUDA_ARCH_LIST not set: building for the visible GPUs ({" ".join(archs)})')
    if not archs:
        fail('FORCE_CUDA=1 without a visible GPU needs the GPUs\' architectures: set '
             'TORCH_CUDA_ARCH_LIST, e.g. TORCH_CUDA_ARCH_LIST="8.0 9.0" (A100, H100). Without '
             'it torch would build every architecture nvcc knows (hours).')
    for a in archs:
        if not re.fullmatch(r'\d+\.\d+[af]?(\+PTX)?', a):
            fail(f'TORCH_CUDA_ARCH_LIST entry {a!r} is not of the form 9.0, 9.0a or 9.0+PTX')
    return archs


def arch_tag(archs):
    """'8.0 9.0+PTX' -> 'sm80_sm90+ptx': part of the wheel cache key."""
    return '_'.join('sm' + a.replace('.', '').replace('+PTX', '+ptx') for a in archs)


def pip_header_dirs():
    """Include folders of pip's nvidia-* packages in this environment (cu13: one folder
    nvidia/cu13/include; cu12: nvidia/<lib>/include per library)."""
    import sysconfig
    site = sysconfig.get_paths()['purelib']
    return sorted(d for d in glob.glob(osp.join(site, 'nvidia', '*', 'include')) if osp.isdir(d))


def link_missing_headers(cuda_home, shim):
    """Link into `shim` each header of pip's CUDA packages that the toolkit lacks."""
    have = set(os.listdir(osp.join(cuda_home, 'include')))
    dirs = [d for d in pip_header_dirs() if any(osp.isfile(osp.join(d, h)) for h in MATH_HEADERS)]
    if not dirs:
        return None
    shutil.rmtree(shim, ignore_errors=True)
    os.makedirs(shim)
    for d in dirs:
        for name in sorted(os.listdir(d)):
            if name not in have and not osp.exists(osp.join(shim, name)):
                os.symlink(osp.join(d, name), osp.join(shim, name))
    missing = [h for h in MATH_HEADERS if not osp.exists(osp.join(shim, h)) and h not in have]
    if missing:
        fail(f'pip\'s CUDA headers in {", ".join(dirs)} lack {", ".join(missing)}')
    return dirs


def main():
    import torch
    py = f'py{sys.version_info[0]}{sys.version_info[1]}'
    tv = torch.__version__.replace('+', '_')
    cpu_only = os.environ.get('MUSCLE_MM_MMCV_CPU_ONLY')
    cuda = not cpu_only and (torch.cuda.is_available() or os.environ.get('FORCE_CUDA') == '1')
    if not cuda:
        print('export FORCE_CUDA=0')
        if cpu_only:
            print('export CUDA_VISIBLE_DEVICES=""')  # mmcv's setup.py builds CUDA on a GPU
        print(f'MMCV_TAG=torch{tv}-{py}-cpu')
        return
    if torch.version.cuda is None:
        fail(f'torch {torch.__version__} is a CPU-only build; mmcv\'s CUDA ops need a CUDA torch '
             '(requirements/torch.txt), or set MUSCLE_MM_MMCV_CPU_ONLY=1.')
    cuda_home = find_cuda_home(torch.version.cuda)
    if cuda_home is None:
        fail(f'a GPU is visible (or FORCE_CUDA=1) but there is no CUDA compiler (nvcc; '
             f'CUDA_HOME unset) to build mmcv\'s CUDA ops for torch\'s CUDA {torch.version.cuda}. '
             f'Install the CUDA {torch.version.cuda} toolkit (nvcc), set CUDA_HOME to it, or set '
             'MUSCLE_MM_MMCV_CPU_ONLY=1 to build the CPU ops only (mmdet/mmcv then run their '
             'ops on the CPU alone).')
    ver = nvcc_version(cuda_home)
    if ver.split('.')[0] != torch.version.cuda.split('.')[0]:
        fail(f'{cuda_home}/bin/nvcc is CUDA {ver} but torch {torch.__version__} is built for '
             f'CUDA {torch.version.cuda}: torch refuses a different major version. Install the '
             f'CUDA {torch.version.cuda.split(".")[0]}.x toolkit and set CUDA_HOME to it.')
    archs = arch_list(torch)
    known = nvcc_archs(cuda_home)
    bad = [a for a in archs if re.sub(r'[af]?(\+PTX)?$', '', a).replace('.', '') not in known]
    if bad:
        knows = ' '.join(f'sm_{a}' for a in sorted(known, key=int))
        fail(f'nvcc {ver} cannot build for {" ".join(bad)} (it knows {knows})')
    tag = f'torch{tv}-{py}-cuda{torch.version.cuda}-{arch_tag(archs)}'
    print(f'export FORCE_CUDA=1 CUDA_HOME={cuda_home}')
    print(f'export TORCH_CUDA_ARCH_LIST="{" ".join(archs)}"')
    # torch 2.13's headers use default bit-field initializers (C++20) while mmcv 2.1.0 compiles
    # with -std=c++17: nvcc accepts them and warns (#3306-D) hundreds of times, burying any real
    # message. Silence that one warning; no C++ standard change is needed (seen 2026-12-06).
    print('export NVCC_APPEND_FLAGS="${NVCC_APPEND_FLAGS:-} -diag-suppress=3306"')
    missing = [h for h in MATH_HEADERS if not osp.isfile(osp.join(cuda_home, 'include', h))]
    if not missing:
        say(f'CUDA build: full toolkit at {cuda_home} (nvcc {ver}), archs {" ".join(archs)}')
    else:
        shim = os.environ['MMCV_SHIM_DIR']
        dirs = link_missing_headers(cuda_home, shim)
        if dirs is None:
            fail(f'the CUDA toolkit at {cuda_home} has nvcc {ver} but not the math libraries\' '
                 f'headers ({", ".join(missing)}), which torch\'s CUDA headers include, and no '
                 'pip CUDA package in this environment has them either. Install the toolkit\'s '
                 f'library headers (e.g. apt cuda-libraries-dev-{ver.replace(".", "-")}), or '
                 'pip install the nvidia-* packages of your torch, or set '
                 'MUSCLE_MM_MMCV_CPU_ONLY=1.')
        say(f'CUDA build: nvcc-only toolkit at {cuda_home} (nvcc {ver}, no {missing[0]}); '
            f'taking the missing headers from {", ".join(dirs)} via {shim}; archs '
            f'{" ".join(archs)}')
        print(f'export CPATH="{shim}${{CPATH:+:$CPATH}}"')
        print(f'export NVCC_APPEND_FLAGS="$NVCC_APPEND_FLAGS -I{shim}"')
    print(f'MMCV_TAG={tag}')


if __name__ == '__main__':
    main()
