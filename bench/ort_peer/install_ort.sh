#!/usr/bin/env bash
# Installs ONNX Runtime's CPU library from the npm package onnxruntime-node into a cache folder
# (no system changes, no root) and prints the path of libonnxruntime.so.1.
#
#   bench/ort_peer/install_ort.sh            # -> ~/.cache/edgeinfer/ort/libonnxruntime.so.1
#   EDGEINFER_ORT_DIR=/tmp/ort ORT_VERSION=1.30.0 bench/ort_peer/install_ort.sh
#
# --ignore-scripts: the package's install script tries to download CUDA libraries and fails offline;
# the CPU library ships inside the package (bin/napi-v6/linux/x64/libonnxruntime.so.1).
# The npm package has no C headers: edgeinfer-bench-cpu dlopens the library and calls it through
# bench/ort_peer/ort_c_api.h, our own declaration of the few C ABI entries it needs.
set -euo pipefail
VERSION="${ORT_VERSION:-1.30.0}"
CACHE="${EDGEINFER_ORT_DIR:-$HOME/.cache/edgeinfer/ort}"
PKG="$CACHE/node_modules/onnxruntime-node"
mkdir -p "$CACHE"
if ! grep -q "\"version\": \"$VERSION\"" "$PKG/package.json" 2>/dev/null; then
  command -v npm >/dev/null || { echo "install_ort.sh: npm is not installed (apt-get install npm)" >&2; exit 1; }
  (cd "$CACHE" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error "onnxruntime-node@$VERSION" >&2)
fi
case "$(uname -m)" in
  x86_64) ARCH=x64 ;;
  aarch64) ARCH=arm64 ;;
  *) echo "install_ort.sh: no ONNX Runtime library for $(uname -m) in the npm package" >&2; exit 1 ;;
esac
LIB="$PKG/bin/napi-v6/linux/$ARCH/libonnxruntime.so.1"
[ -f "$LIB" ] || { echo "install_ort.sh: $LIB is missing from the package" >&2; exit 1; }
ln -sf "$LIB" "$CACHE/libonnxruntime.so.1"
echo "$CACHE/libonnxruntime.so.1"
