#!/usr/bin/env bash
# Download what benchmarks/gpu_device_check.sh installs on the lent GPU machine (no network
# there) into .whl/ (git-ignored; the device call carries it): Python 3.12 wheels of
# requirements/device_py312.txt, the mmcv 2.1.0 sdist (built there against its torch), with no
# dependencies resolved (each one is named in the file). Wheels up to manylinux_2_34
# (pylibjpeg-libjpeg 2.5.0 has no older ones): the machine's glibc is not recorded; its Python
# 3.12.3 is Ubuntu 24.04's (glibc 2.39). Checks the total stays under 32 MiB of the 64 MiB a
# device call carries with the tree.
#   bash tools/misc/fetch_device_wheels.sh [DEST]    (default .whl)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEST=${1:-$ROOT/.whl}
REQ=$ROOT/requirements/device_py312.txt
export PIP_CONFIG_FILE=/dev/null  # the host's pip config points at a local wheel folder
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL || true
mkdir -p "$DEST"
pins=$(grep -v -E '^\s*(#|$)' "$REQ" | grep -v '^mmcv==')
mmcv=$(grep '^mmcv==' "$REQ")
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp --abi cp312 --abi abi3 --abi none --platform manylinux_2_34_x86_64 \
  --platform manylinux_2_31_x86_64 --platform manylinux_2_28_x86_64 \
  --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 --platform any -d "$DEST" $pins
# pip reads an sdist's metadata by running its setup.py, and mmcv's imports torch: use the
# project's venv (make env), whose torch is there (--no-build-isolation).
VPY=${MUSCLE_MM_PYTHON:-$ROOT/.venv/bin/python}
[ -x "$VPY" ] || { echo "[fetch_device_wheels] $VPY missing: run make env first" >&2; exit 1; }
"$VPY" -m pip download -q --no-deps --no-binary=:all: --no-build-isolation -d "$DEST" "$mmcv"
size=$(du -sm "$DEST" | cut -f1)
echo "[fetch_device_wheels] $(ls "$DEST" | wc -l) files, ${size} MiB in $DEST"
if [ "$size" -gt 32 ]; then
  echo "[fetch_device_wheels] over 32 MiB: a device call carries 64 MiB with the tree" >&2
  exit 1
fi
