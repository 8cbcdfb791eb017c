#!/usr/bin/env bash
# Installs the Debian 12 packages edgeinfer needs to build, test and benchmark. Idempotent and quiet
# when everything is already there. Needs root (or sudo) only when something is missing.
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config git
      libonnx-dev libonnx-testdata libprotobuf-dev protobuf-compiler
      libdnnl-dev ocl-icd-opencl-dev libtbb-dev libyaml-cpp-dev libopencv-dev libdrm-dev
      nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
      ccache python3-onnx)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js + npm (for the ONNX Runtime peer in bench/) may come from Debian or elsewhere: check the commands.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
