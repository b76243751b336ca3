"""What CUDA code an mmcv `_ext` extension holds: the GPU architectures of its cubins and the ops
its kernels belong to, read with `cuobjdump` (no GPU needed).

    python tools/mmcv_build/cuda_ext.py verify WHEEL_OR_SO --archs "8.0 9.0"
        exit 1 unless every requested arch has cubins (run by tools/setup_env.sh after a build,
        before the wheel is cached)
    python tools/mmcv_build/cuda_ext.py report [WHEEL_OR_SO]   (default: the installed mmcv._ext)
    python tools/mmcv_build/cuda_ext.py report --json   the same as one JSON line (null: no
        cuobjdump to read it with), for tools/misc/check_env.py

A build that silently compiled no CUDA (FORCE_CUDA ignored, nvcc not found) yields an `_ext` with
no cubins at all; one built for the wrong arch yields cubins the GPU cannot run.
"""
import argparse
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile


def find_cuobjdump():
    """cuobjdump from CUDA_HOME, PATH, /usr/local/cuda, or the copy triton ships (these build
    machines' toolkit has none)."""
    cands = [
        osp.join(os.environ.get('CUDA_HOME', '/usr/local/cuda'), 'bin', 'cuobjdump'),
        shutil.which('cuobjdump') or '', '/usr/local/cuda/bin/cuobjdump'
    ]
    try:
        import triton
        cands.append(
            osp.join(osp.dirname(triton.__file__), 'backends', 'nvidia', 'bin', 'cuobjdump'))
    except ImportError:
        pass
    for c in cands:
        if c and osp.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


def _extract_so(path, tmp):
    if path.endswith('.whl'):
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if re.fullmatch(r'mmcv/_ext[^/]*\.so', n)]
            if not names:
                raise SystemExit(f'[cuda_ext] {path} holds no mmcv/_ext*.so (built without ops)')
            return z.extract(names[0], tmp)
    return path


def installed_ext():
    import importlib.util
    spec = importlib.util.find_spec('mmcv._ext')
    if spec is None or not spec.origin:
        raise SystemExit('[cuda_ext] mmcv._ext is not installed (mmcv built without ops)')
    return spec.origin


def inspect(so, cuobjdump):
    """{'archs': sorted sm numbers with cubins, 'ptx': archs with PTX, 'ops': sorted op names,
    'kernels': number of kernels}."""

    def run(*args):
        r = subprocess.run([cuobjdump, *args, so],
                           stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT,
                           text=True)
        # cuobjdump exits non-zero on a file without device code
        return r.stdout if r.returncode == 0 else ''

    elfs = run('--list-elf')
    ptx = run('--list-ptx')
    archs = sorted({int(m) for m in re.findall(r'\.sm_(\d+)[af]?\.cubin', elfs)})
    ptx_archs = sorted({int(m) for m in re.findall(r'\.sm_(\d+)[af]?\.ptx', ptx)})
    syms = run('--dump-elf-symbols')
    kernels = set(re.findall(r'STT_FUNC\s+STB_GLOBAL\s+STO_ENTRY\s+(\S+)', syms))
    # op of a kernel: its own name less _forward/_backward, _cuda, _kernel (mmcv's naming:
    # roi_align_forward_cuda_kernel, nms_cuda); namespaced kernels (torch's) are not ops
    ops = {
        re.sub(r'(_(forward|backward))?(_cuda)?(_kernel)?$', '', demangle(k))
        for k in kernels if re.match(r'_Z\d', k)
    }
    return {
        'archs': archs,
        'ptx': ptx_archs,
        'ops': sorted(ops),
        'kernels': len(kernels),
        'cubins': len(re.findall(r'\.cubin', elfs))
    }


def demangle(sym):
    m = re.match(r'_Z(\d+)', sym)  # enough for the kernel's own name: _Z<len><name>...
    if m:
        n = int(m.group(1))
        start = m.end()
        return sym[start:start + n]
    return sym


def want_archs(spec):
    """'8.0 9.0+PTX' -> [80, 90]."""
    return [
        int(re.sub(r'[af]?(\+PTX)?$', '', a).replace('.', ''))
        for a in spec.replace(';', ' ').split()
    ]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('cmd', choices=['verify', 'report'])
    ap.add_argument('path', nargs='?', help='a wheel or an _ext*.so (default: installed mmcv)')
    ap.add_argument('--archs', help='verify: the TORCH_CUDA_ARCH_LIST the build was asked for')
    ap.add_argument(
        '--json',
        action='store_true',
        help='report: print the archs, PTX, ops and kernel counts as one JSON line')
    args = ap.parse_args(argv)
    cuobjdump = find_cuobjdump()
    if cuobjdump is None and args.json and args.cmd == 'report':
        print('null')  # not inspected: the caller says so
        return 0
    if cuobjdump is None:
        raise SystemExit('[cuda_ext] no cuobjdump (CUDA_HOME/bin, PATH, triton) to read _ext')
    with tempfile.TemporaryDirectory() as tmp:
        so = _extract_so(args.path or installed_ext(), tmp)
        info = inspect(so, cuobjdump)
    if args.json and args.cmd == 'report':
        print(json.dumps(info))
        return 0
    line = (f'{info["cubins"]} cubins for sm_{",".join(map(str, info["archs"])) or "-"}'
            f'{" (+PTX " + ",".join(map(str, info["ptx"])) + ")" if info["ptx"] else ""}, '
            f'{info["kernels"]} kernels of {len(info["ops"])} ops: {" ".join(info["ops"])}')
    print(f'[cuda_ext] {args.path or so}: {line}')
    if args.cmd == 'verify':
        if not args.archs:
            ap.error('verify needs --archs')
        missing = [a for a in want_archs(args.archs) if a not in info['archs']]
        if not info['archs']:
            raise SystemExit('[cuda_ext] FAIL: _ext holds no CUDA code: the build compiled the '
                             'CPU ops only (FORCE_CUDA ignored or nvcc not found)')
        if missing:
            raise SystemExit(f'[cuda_ext] FAIL: no cubins for sm_{missing} (asked for '
                             f'{args.archs}; built sm_{info["archs"]})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
