#!/usr/bin/env bash
# `make demo`: the whole MUSCLE pipeline on generated X-ray data, on the CPU (tools/demo.py):
# data -> leakage report -> MD-MoCo -> MUSCLE and MUSCLE-- -> fine-tuning of the four tasks from
# Scratch, MD-MoCo, MUSCLE--, MUSCLE -> test -> Tables 2 and 3, figures, continual matrix.
# Usage: tools/demo.sh [OUT_DIR] [--size tiny|demo] [--seeds 0 1 2] [--data-seed 0]
#   (default work_dirs/demo; PYTHON=... to pick the interpreter)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-work_dirs/demo}
PY=${PYTHON:-$ROOT/.venv/bin/python}
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
exec "$PY" "$ROOT/tools/demo.py" "$OUT" "${@:2}"
