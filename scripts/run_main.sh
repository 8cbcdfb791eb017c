#!/usr/bin/env bash
# README command A: installs what is missing, builds, and runs the main job: the heterogeneous
# runtime's bench on the built-in default model (the zoo's ResNet-50, generated at build time) and
# the default SoC profile (orin-agx at MAXN), INT8, Offline. It compiles for the GPU and both DLA
# cores, tunes the per-engine batch plan, and prints one screen: modeled throughput of GPU-only,
# one-DLA and GPU+2DLA plans, the tuner's candidates and why the winner won, the target-clock result
# (throughput, latency, DRAM utilisation, busy % per engine) and a host-clock run of real numerics
# on a bounded number of samples. Extra arguments go to `edgeinfer bench` (e.g. --power-mode 15W,
# --scenario server --server-qps 4000, --exhaustive, --json, --io-format int8 for NVIDIA's harness
# setup: INT8 input and output, no GPU fallback on the DLAs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
MODEL=build/models/resnet50.onnx
exec build/apps/edgeinfer bench "$MODEL" --soc orin-agx --power-mode MAXN --scenario offline --precision int8 \
  --engines gpu,dla0,dla1 "$@"
