#!/usr/bin/env bash
# The GPU device check of muscle_mm in one call, on a lent GPU machine (Python 3.12, its own torch
# with CUDA, no network, 16 cores), in at most ~8 minutes:
#   1. install the carried wheels (.whl/, from tools/misc/fetch_device_wheels.sh) into $SITE;
#   2. build mmcv 2.1.0's CUDA ops there against that torch, for this GPU's arch, 16 jobs
#      (tools/mmcv_build/cuda_env.py prepares the toolkit as `make env` does), verify the cubins
#      (tools/mmcv_build/cuda_ext.py) and run tools/misc/check_env.py;
#   3. run benchmarks/gpu_device_check.py (every stage with autocast, CUDA vs CPU, the figures),
#      which writes results.json and RESULTS_section.md to $OUT.
# Each step stops the script with a line saying which and why.
#
#   device tool: command "bash benchmarks/gpu_device_check.sh", carry [".whl"], timeout_s 480
#                (CHECK_PARTS=amp,cuda_vs_cpu,speed picks parts; $OUT gets results.json and
#                RESULTS_section.md after each part, so a run cut off keeps what it measured)
#   here:        bash benchmarks/gpu_device_check.sh --dry-run [--wheels-only]   (CPU: checks the
#                carried wheels resolve for Python 3.12, skips the build, runs the check at tiny
#                sizes; --wheels-only stops after the wheels)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=${OUT:-$ROOT/work_dirs/gpu_device_check}
WHL=${WHL:-$ROOT/.whl}
SITE=${SITE:-/tmp/muscle_mm_site}
PY=${PYTHON:-python3}
BUILD_TIMEOUT=${MMCV_BUILD_TIMEOUT:-300}
CHECK_TIMEOUT=${CHECK_TIMEOUT:-150}
DRY=0 WHEELS_ONLY=0
[ "${1:-}" = --dry-run ] && DRY=1
[ "${2:-}" = --wheels-only ] && WHEELS_ONLY=1  # with --dry-run: step 1 only (the test suite)
mkdir -p "$OUT"
export PIP_CONFIG_FILE=/dev/null PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL || true
say() { printf '[gpu_check %3ds] %s\n' "$SECONDS" "$*"; }
die() { say "STOP: $*"; exit 2; }

ls "$WHL"/mmcv-2.1.0.tar.gz >/dev/null 2>&1 ||
  die "no wheels in $WHL: run tools/misc/fetch_device_wheels.sh here and carry .whl"
say "$("$PY" -V 2>&1), $(nproc) CPUs; $(ls "$WHL" | wc -l) files in $WHL"

# --- 1. the carried wheels --------------------------------------------------------------------
if [ "$DRY" = 1 ]; then
  # every pinned wheel is there and installs on CPython 3.12 x86-64 (no index: only .whl)
  "$PY" -m pip install -q --dry-run --no-index --no-deps --find-links "$WHL" \
    --only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_34_x86_64 \
    --platform manylinux_2_31_x86_64 --platform manylinux_2_28_x86_64 \
    --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --target "$(mktemp -d)" \
    $(grep -v -E '^\s*(#|$)|^mmcv==' requirements/device_py312.txt) ||
    die "the wheels in $WHL do not cover requirements/device_py312.txt for Python 3.12"
  say "wheels: all of requirements/device_py312.txt resolve for cp312 from $WHL alone"
  [ "$WHEELS_ONLY" = 1 ] && exit 0
else
  "$PY" -c 'import torch, sys; assert torch.cuda.is_available(), "no GPU visible"' ||
    die "torch sees no GPU"
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$SITE" "$WHL"/*.whl || die "installing the carried wheels failed"
  export PYTHONPATH=$SITE:$ROOT
  say "wheels installed in $SITE"
fi
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$ROOT

# --- 2. mmcv's CUDA ops, built here -----------------------------------------------------------
if [ "$DRY" = 0 ]; then
  arch=$("$PY" -c 'import torch; print("%d.%d" % torch.cuda.get_device_capability())')
  env_lines=$(FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="$arch" MMCV_SHIM_DIR=/tmp/muscle_mm_cuda_include \
    "$PY" tools/mmcv_build/cuda_env.py) || die "this machine cannot build mmcv's CUDA ops (above)"
  eval "$env_lines"
  # without ninja torch compiles the 136 objects one by one, MAX_JOBS unused: far past the limit
  nb=$("$PY" -c 'import ninja; print(ninja.BIN_DIR)' 2>/dev/null) && export PATH=$nb:$PATH
  command -v ninja >/dev/null || die "no ninja on PATH or as the python package ninja"
  say "building mmcv 2.1.0 for sm_${arch/./} with 16 jobs (at most ${BUILD_TIMEOUT}s)"
  rm -rf /tmp/mmcv_whl
  if ! timeout "$BUILD_TIMEOUT" env MMCV_WITH_OPS=1 MAX_JOBS=16 "$PY" -m pip wheel -v --no-deps \
      --no-build-isolation --no-index -w /tmp/mmcv_whl "$WHL"/mmcv-2.1.0.tar.gz \
      >"$OUT/mmcv_build.log" 2>&1; then
    grep -m 20 -E 'error|Error' "$OUT/mmcv_build.log" || true
    tail -n 20 "$OUT/mmcv_build.log"
    die "the mmcv CUDA build failed or passed ${BUILD_TIMEOUT}s (log: $OUT/mmcv_build.log)"
  fi
  say "mmcv built: $(grep -c -i warning "$OUT/mmcv_build.log" || true) warning lines"
  "$PY" -m pip install -q --no-index --no-deps --no-compile --upgrade --target "$SITE" \
    /tmp/mmcv_whl/mmcv-*.whl || die "installing the built mmcv failed"
  "$PY" tools/mmcv_build/cuda_ext.py verify /tmp/mmcv_whl/mmcv-*.whl --archs "$arch" ||
    die "the built _ext lacks sm_${arch/./} kernels"
  "$PY" tools/misc/check_env.py || die "tools/misc/check_env.py failed (above)"
fi

# --- 3. the check -----------------------------------------------------------------------------
args=(--out "$OUT" --parts "${CHECK_PARTS:-amp,cuda_vs_cpu,speed}")
[ "$DRY" = 1 ] && args+=(--dry-run)
say "running benchmarks/gpu_device_check.py ${args[*]} (at most ${CHECK_TIMEOUT}s)"
rc=0
timeout "$CHECK_TIMEOUT" "$PY" benchmarks/gpu_device_check.py "${args[@]}" \
  >"$OUT/check.log" 2>&1 || rc=$?
grep -E '^\[gpu_check\]|Error|error:' "$OUT/check.log" | grep -v -i 'warning' | tail -n 30 || true
[ -f "$OUT/RESULTS_section.md" ] && cat "$OUT/RESULTS_section.md"
[ "$rc" = 124 ] && die "benchmarks/gpu_device_check.py passed ${CHECK_TIMEOUT}s ($OUT/check.log)"
say "done (exit $rc); $OUT: $(ls "$OUT" | tr '\n' ' ')"
exit "$rc"
