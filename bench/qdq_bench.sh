#!/usr/bin/env bash
# Explicitly quantized (Q/DQ) models: edgeinfer against ONNX Runtime on the same files, in one run
# (host clock). Per model: layers before -> after `edgeinfer compile` (the Q/DQ layers become
# native INT8), CPU latency of both at batch 1 (and 8) with the ratio (the issue's goal for ORT's
# QDQ ResNet-50: <= 0.6), argmax agreement per batch row, max output difference.
#
#   bench/qdq_bench.sh [BUILD_DIR]        # default build/
#
# Models (written to BUILD_DIR/models_qdq/, not committed):
#   * tools/qdq/qdq_models.py: the small convnet and the zoo's ResNet-50 / MobileNetV2 quantized in
#     ONNX Runtime's quantize_static QDQ layout (per-channel QInt8 weights; activations QUInt8 =
#     ORT's default, and QInt8 symmetric), MinMax over 2 seeded samples;
#   * the reverse: `edgeinfer compile resnet50.onnx --precision int8 -o resnet50_ei_qdq.onnx` (our
#     own INT8 decisions written as Q/DQ), which ORT then runs as well.
# The peer is ONNX Runtime's CPU library from the npm package onnxruntime-node
# (bench/ort_peer/install_ort.sh), called by edgeinfer-bench-cpu through its C API in a fresh
# worker process per engine (see bench/cpu_bench.cc); real ORT-quantized files from the GPU
# machine go through the same command: put them in BUILD_DIR/models_qdq and name them with --model.
set -euo pipefail
BUILD="${1:-build}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$BUILD/models_qdq"
PY=/usr/bin/python3
E="$BUILD/apps/edgeinfer"
mkdir -p "$OUT"
"$ROOT/bench/ort_peer/install_ort.sh" >/dev/null
$PY "$ROOT/tools/qdq/qdq_models.py" small "$OUT" --variants u8,s8sym
models=(small_qdq_u8 small_qdq_s8sym)
for m in resnet50 mobilenetv2; do
  if [ -f "$BUILD/models/$m.onnx" ]; then
    [ -f "$OUT/${m}_qdq_u8.onnx" ] || $PY "$ROOT/tools/qdq/qdq_models.py" "$BUILD/models/$m.onnx" "$OUT" --variants u8,s8sym --samples 2
    models+=("${m}_qdq_u8" "${m}_qdq_s8sym")
  fi
done
if [ -f "$BUILD/models/resnet50.onnx" ]; then
  $PY -c "import numpy as np; np.save('$OUT/calib.npy', np.random.default_rng(5).standard_normal((2,3,224,224)).astype(np.float32))"
  "$E" compile "$BUILD/models/resnet50.onnx" --precision int8 --calib "$OUT/calib.npy" --calibrator minmax --batch 1 \
    -o "$OUT/resnet50_ei_qdq.onnx" >/dev/null
  models+=(resnet50_ei_qdq)
fi
echo "layers before -> after edgeinfer compile (default precision: the Q/DQ layers are INT8):"
for m in "${models[@]}"; do
  "$E" compile "$OUT/$m.onnx" --json | $PY -c "import json,sys; j=json.load(sys.stdin); print('  %-22s %4d -> %d' % ('$m', j['layers_before'], j['layers_after']))"
done
args=()
for m in "${models[@]}"; do args+=(--model "$m"); done
"$BUILD/bench/edgeinfer-bench-cpu" --models-dir "$OUT" "${args[@]}" --batch 1 --rounds 3 --runs 10 --json "$OUT/qdq_bench.json"
