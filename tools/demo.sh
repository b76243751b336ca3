#!/usr/bin/env bash
# `make demo`: MUSCLE stage 1 (MD-MoCo) end to end on generated X-ray data, on the CPU.
#   1. write small versions of the nine datasets' real layouts (X-ray phantoms)
#   2. report pre-training/downstream leakage, as for real data
#   3. MD-MoCo pre-training through tools/train.py (configs/muscle/mdmoco_r18_demo.py)
#   4. extract the backbone (mm checkpoint) and export it for torchvision
#   5. linear probe on the Pneumonia task: Kaiming-initialized backbone vs MD-MoCo backbone
# Usage: tools/demo.sh [OUT_DIR]   (default work_dirs/demo; PYTHON=... to pick the interpreter)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-work_dirs/demo}
PY=${PYTHON:-$ROOT/.venv/bin/python}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
step() { printf '\n==== [demo] %s\n' "$*"; }

step "1/5 generating the nine X-ray layouts under $OUT/data"
rm -rf "$OUT/data"
"$PY" "$ROOT/tools/dataset_converters/generate_synthetic.py" "$OUT/data" --num 48 --seed 0 \
    --only NIHChestXray14 ShenzhenCXR MontgomeryCXR IndianaCXR RSNABoneAge MURA ChestXrayMasks TBX11K
# more Pneumonia images, so that the linear probe's test split (10%) means something
"$PY" "$ROOT/tools/dataset_converters/generate_synthetic.py" "$OUT/data" --num 240 --seed 0 \
    --only PneumoniaCXR

cd "$OUT"  # the configs' data roots are data/<Name>, relative to here
CFG="$ROOT/configs/muscle/mdmoco_r18_demo.py"

step "2/5 leakage between the MD-MoCo pool and the downstream val/test splits"
"$PY" "$ROOT/tools/analysis_tools/check_leakage.py" "$CFG"

step "3/5 MD-MoCo pre-training (ResNet-18, CPU-sized)"
"$PY" "$ROOT/tools/train.py" "$CFG" --work-dir "$OUT/mdmoco_r18"
CKPT=$(cat "$OUT/mdmoco_r18/last_checkpoint")

step "4/5 backbone export"
"$PY" "$ROOT/tools/model_converters/extract_backbone.py" "$CKPT" "$OUT/mdmoco_r18_backbone.pth"
"$PY" "$ROOT/tools/model_converters/mm2torchvision.py" "$OUT/mdmoco_r18_backbone.pth" \
    "$OUT/mdmoco_r18_torchvision.pth" --arch resnet18

step "5/5 linear probe on PneumoniaCXR (frozen features, logistic regression)"
"$PY" "$ROOT/tools/analysis_tools/linear_probe.py" "$CFG" \
    --checkpoints kaiming "$OUT/mdmoco_r18_backbone.pth" --dataset PneumoniaCXR \
    --out "$OUT/linear_probe.json"

step "done. Outputs in $OUT:"
printf '  %s\n' "mdmoco_r18/ (logs, checkpoints)" "mdmoco_r18_backbone.pth: init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')" \
    "mdmoco_r18_torchvision.pth: torchvision.models.resnet18().load_state_dict(..., strict=False)" \
    "linear_probe.json"
