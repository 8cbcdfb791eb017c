#!/usr/bin/env bash
# INT8 accuracy on real models, every calibrator: prints the table of tools/real_models/suite.py
# (FP32 vs INT8 task metric, top-1 agreement, output SQNR, emulated DLA == CPU INT8) and writes it
# as JSON. Models and data are generated/fetched into the work folder on first use (the glyph CNN
# trains a few minutes on the CPU; PaddleOCR's models come from npm).
#
#   bench/real_models/run.sh [BUILD_DIR] [-- suite.py options, e.g. --tasks glyph --calibrators entropy]
#
# Needs /usr/bin/python3 with numpy, onnx, PIL and torch (apt-get install python3-numpy python3-onnx
# python3-pil python3-torch fonts-dejavu-core), and npm for the OCR models. Clock: host.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$ROOT/build}"
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
exec /usr/bin/python3 "$ROOT/tools/real_models/suite.py" --edgeinfer "$BUILD/apps/edgeinfer" \
  --work "$BUILD/real_models" --json "$BUILD/real_models/results.json" "$@"
