#!/usr/bin/env bash
# Create or reuse the project-local virtual environment (.venv) with the pinned OpenMMLab stack.
#
# Layers, each installed only when the hash of the files that define it changed:
#   base    uv + build tools (requirements/build.txt)
#   torch   torch/torchvision (requirements/torch.txt)           -> forces an mmcv rebuild
#   mmcv    mmcv 2.1.0 built with ops, cached as a wheel keyed on mmcv, torch, python and CUDA
#   runtime mmengine/mmpretrain/mmdet/mmseg/... and muscle_mm itself (editable)
#   bytecode .pyc for all of site-packages and muscle_mm, once per runtime key (see below)
# A second run with unchanged pins installs nothing; DRY_RUN=1 only reports what a run would do.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VENV=${VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-python3}
UV_VERSION=0.13.9
WHEELHOUSE=${MUSCLE_MM_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/muscle_mm/wheels}
STAMPS=$VENV/.muscle_mm_stamps
REQ=${MUSCLE_MM_REQUIREMENTS:-requirements}

# The machine-wide pip config of these hosts points at a CPU-only torch wheel that breaks
# torchvision; nothing here may read it.
export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL || true
# uv installs no .pyc by default, and many hosts and Docker images set PYTHONDONTWRITEBYTECODE=1,
# so Python never caches them either: every process would compile torch, sklearn and the mm repos
# from source again (`import muscle_mm` ~36 s instead of ~12 s on 2 cores). Compile at install.
export UV_COMPILE_BYTECODE=1

say() { printf '[setup_env] %s\n' "$*"; }
hash_of() { cat "$@" | sha256sum | cut -c1-16; }
stamp_ok() { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }
stamp_set() { mkdir -p "$STAMPS"; printf '%s' "$2" >"$STAMPS/$1"; }

changed=0

# Each layer's key covers its own pins and the key of the layer below it.
base_key=$(hash_of "$REQ/build.txt" <(echo "uv==$UV_VERSION $($PYTHON -V 2>&1)"))
torch_key=$(hash_of "$REQ/torch.txt" <(echo "$base_key"))
mmcv_key=$(hash_of "$REQ/mmcv.txt" <(echo "$torch_key"))
rt_key=$(hash_of "$REQ/runtime.txt" "$REQ/tests.txt" "$REQ/dicom_gpl.txt" "$REQ/lint.txt" setup.py <(echo "$mmcv_key"))
bytecode_key=$(hash_of <(echo "compileall $rt_key"))

if [ -n "${DRY_RUN:-}" ]; then  # report which layers a real run would (re)install, change nothing
  todo=""
  for layer in base torch mmcv runtime bytecode; do
    key_var="${layer}_key"; [ "$layer" = runtime ] && key_var=rt_key
    stamp_ok "$layer" "${!key_var}" || todo="$todo $layer"
  done
  say "would install:${todo:- nothing}"
  exit 0
fi

# --- base -----------------------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV with $($PYTHON -V 2>&1)"
  "$PYTHON" -m venv "$VENV"
fi
if ! stamp_ok base "$base_key"; then
  say "installing uv $UV_VERSION and build tools"
  "$VENV/bin/python" -m pip install -q "uv==$UV_VERSION"
  "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" -r "$REQ/build.txt"
  stamp_set base "$base_key"; changed=1
fi
UV=("$VENV/bin/uv" pip install --python "$VENV/bin/python")

# --- torch ----------------------------------------------------------------------------------
if ! stamp_ok torch "$torch_key"; then
  say "installing torch/torchvision ($REQ/torch.txt)"
  "${UV[@]}" -r "$REQ/torch.txt" -c "$REQ/build.txt"
  stamp_set torch "$torch_key"; changed=1
fi

# --- mmcv (with ops) ------------------------------------------------------------------------
if ! stamp_ok mmcv "$mmcv_key"; then
  mmcv_spec=$(grep -E '^mmcv' "$REQ/mmcv.txt" | head -n1)
  # mmcv compiles its CUDA ops when torch sees a GPU (or FORCE_CUDA=1); that needs nvcc, and
  # on an nvcc-only toolkit the math libraries' headers from pip's CUDA packages: cuda_env.py
  # decides (CPU / full toolkit / nvcc only / none, with a clear stop), exports what the build
  # needs (CUDA_HOME, TORCH_CUDA_ARCH_LIST, include paths) and names the wheel cache key, which
  # holds the arch list. MUSCLE_MM_MMCV_CPU_ONLY=1 builds the CPU ops only.
  cuda_env=$(MMCV_SHIM_DIR="$VENV/.muscle_mm_cuda_include" \
    "$VENV/bin/python" "$ROOT/tools/mmcv_build/cuda_env.py") || exit 1
  eval "$cuda_env"
  tag=$MMCV_TAG
  dest="$WHEELHOUSE/${mmcv_spec//=/}-$tag"
  if ! ls "$dest"/mmcv-*.whl >/dev/null 2>&1; then
    if [ "$FORCE_CUDA" = 1 ]; then
      say "building $mmcv_spec with CPU and CUDA ops for $tag (about 25 min per arch on 2" \
        "cores, a few on 16; cached in $dest; log in $dest.tmp/build.log)"
    else
      say "building $mmcv_spec with ops for $tag (10-25 min on 2 cores; cached in $dest)"
    fi
    rm -rf "$dest.tmp"; mkdir -p "$dest.tmp"
    start=$SECONDS
    if ! MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
      "$VENV/bin/python" -m pip wheel -v --no-deps --no-build-isolation --no-cache-dir \
      -w "$dest.tmp" "$mmcv_spec" >"$dest.tmp/build.log" 2>&1 \
      || ! ls "$dest.tmp"/mmcv-*.whl >/dev/null 2>&1; then
      grep -n -m 20 -E 'error|Error' "$dest.tmp/build.log" || true
      tail -n 30 "$dest.tmp/build.log"
      say "building $mmcv_spec failed (above: its first errors and last lines; the whole log is" \
        "$dest.tmp/build.log)"
      exit 1
    fi
    say "built $(basename "$dest.tmp"/mmcv-*.whl) in $(( (SECONDS - start) / 60 )) min" \
      "($(grep -c -i 'warning' "$dest.tmp/build.log" || true) warning lines in the log)"
    if [ "$FORCE_CUDA" = 1 ]; then  # a wheel without the asked-for cubins is never cached
      "$VENV/bin/python" "$ROOT/tools/mmcv_build/cuda_ext.py" verify "$dest.tmp"/mmcv-*.whl \
        --archs "$TORCH_CUDA_ARCH_LIST" || exit 1
    fi
    rm -rf "$dest"; mv "$dest.tmp" "$dest"
  else
    say "reusing cached mmcv wheel $dest"
  fi
  "${UV[@]}" --reinstall-package mmcv --no-deps "$dest"/mmcv-*.whl
  # mmcv's own light dependencies (addict, yapf, ...), resolved against the pins.
  "${UV[@]}" -q mmcv --find-links "$dest" -c "$REQ/torch.txt" -c "$REQ/mmcv.txt"
  stamp_set mmcv "$mmcv_key"; changed=1
fi

# --- runtime + muscle_mm --------------------------------------------------------------------
if ! stamp_ok runtime "$rt_key"; then
  say "installing the OpenMMLab stack and muscle_mm (editable)"
  "${UV[@]}" -r "$REQ/runtime.txt" -r "$REQ/tests.txt" -r "$REQ/dicom_gpl.txt" -r "$REQ/lint.txt" \
    -c "$REQ/torch.txt" -c "$REQ/mmcv.txt" -c "$REQ/build.txt"
  "${UV[@]}" --no-deps --no-build-isolation -e "$ROOT"
  changed=1
  rm -f "$STAMPS/runtime"
fi

# --- bytecode -------------------------------------------------------------------------------
# UV_COMPILE_BYTECODE covers what uv installs; this also covers what pip installed (uv itself),
# muscle_mm's own sources, and environments made before this layer existed. Keyed on the runtime
# key, so it runs once after any change of pins and never again; compileall skips up-to-date
# files. A file that does not compile (e.g. a test template of some package) is reported, never
# fatal: nothing imports it.
if ! stamp_ok bytecode "$bytecode_key"; then
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  say "compiling bytecode (.pyc) for $site and muscle_mm (once; 1-3 min on 2 cores)"
  "$VENV/bin/python" -m compileall -q -j 0 "$site" "$ROOT/muscle_mm" >"$STAMPS.compileall.log" 2>&1 \
    || say "some files did not compile (never imported; see $STAMPS.compileall.log)"
  stamp_set bytecode "$bytecode_key"
fi

# --- verify ---------------------------------------------------------------------------------
if [ "$changed" = 1 ] || ! stamp_ok runtime "$rt_key"; then
  say "verifying the stack"
  if ! "$VENV/bin/python" "$ROOT/tools/misc/check_env.py"; then
    say "the environment in $VENV is broken (see above). Fix it, or remove $VENV and run again."
    exit 1
  fi
  stamp_set runtime "$rt_key"
else
  say "up to date ($VENV)"
fi
