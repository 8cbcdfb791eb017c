#!/usr/bin/env bash
# README command B: installs what is missing, builds, and runs every test through ctest; then lists
# every skipped test case with its reason (a GPU-less machine skips the CUDA cases).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
rc=0
(cd build && ctest --output-on-failure -j "$(nproc)") || rc=$?
scripts/skip_summary.sh build
exit $rc
