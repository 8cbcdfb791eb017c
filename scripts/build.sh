#!/usr/bin/env bash
# Configures and builds edgeinfer (Release) into ./build. Used by both README commands.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
GEN=(); command -v ninja >/dev/null && GEN=(-G Ninja)
[ -f build/CMakeCache.txt ] || cmake -S . -B build "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j "$(nproc)"
