#!/usr/bin/env bash
# README command A: installs what is missing, builds, and runs the main job on the built-in default
# model (the zoo's ResNet-50, generated at build time) and the default SoC profile.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
MODEL=build/models/resnet50.onnx
exec build/apps/edgeinfer run "$MODEL" --repeat 3 "$@"
