#!/usr/bin/env bash
# At most 7 files land in $OUT (the device tool brings back 8): env, two test logs, the peer log, the
# bench log, the per-layer explain file and the timing cache (carry it back as .bundle/ to reuse it).
# Runs on the GPU machine, in the repository root with .bundle/ carried (scripts/gpu_bundle.sh made
# it): finds the machine's CUDA and cuDNN libraries, then runs the GPU tests and/or the GPU bench
# (PyTorch peer first, then edgeinfer, same run). Logs and results go to $OUT (default ./gpu_out).
#   env: GPU_TESTS=1|0  GPU_BENCH=1|0  TEST_FILTER=gtest-filter  BENCH_ARGS="--batches 1,8 ..."
#        PEER_ARGS="--batches ..."  TEST_TIMEOUT / PEER_TIMEOUT / BENCH_TIMEOUT (seconds)
#        MODEL_CHECK=1: also torchvision exports vs ONNX Runtime through `edgeinfer run` (needs
#        .bundle/bin/edgeinfer); MODEL_CHECK_ARGS="--engines gpu --opsets 13,17 --models ..."
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu_out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
# cuDNN and cuBLAS: the machine's own (PyTorch's wheels carry them; the toolkit may too). PyTorch
# itself runs without this path: it brings its own cuDNN and refuses an older one found first.
LIBS="$PWD/.bundle/lib"
PYLIBS=$(python3 - <<'PY' 2>/dev/null
import glob, os, site
dirs = []
for sp in site.getsitepackages():
    dirs += sorted(glob.glob(os.path.join(sp, "nvidia", "*", "lib"))) + sorted(glob.glob(os.path.join(sp, "nvidia", "cu13", "lib")))
print(":".join(d for d in dirs if os.path.isdir(d)))
PY
)
for d in $PYLIBS /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu; do
  [ -d "$d" ] && LIBS="$LIBS:$d"
done
export LD_LIBRARY_PATH="$LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Where the runtime's loader finds the CUDA plugin (libedgeinfer_cuda.so, bundled in .bundle/lib).
export EDGEINFER_PLUGIN_DIR="$PWD/.bundle/lib"
{
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,memory.used,memory.total --format=csv
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  for b in .bundle/bin/* .bundle/lib/libedgeinfer_cuda.so; do echo "== ldd $b"; ldd "$b" | grep -E 'not found|cudnn|cublas|cudart|yaml'; done
} 2>&1 | tee "$OUT/env.log"
CACHE="$PWD/.bundle/gpu_timing_cache.txt"
[ -f "$CACHE" ] || CACHE=/tmp/gpu_timing_cache.txt
RC=0
# Runs a bundled test binary; one left out of the bundle (BUNDLE_DROP) is reported, not failed.
run_test() {
  local bin=".bundle/bin/$1"; shift
  if [ ! -x "$bin" ]; then echo "$(basename "$bin"): not in this bundle (BUNDLE_DROP), skipped"; return 0; fi
  "$bin" "$@"
}
if [ "${GPU_TESTS:-1}" = 1 ]; then
  # The plugin test (loads libedgeinfer_cuda.so through the loader and sees the GPU) shares this log.
  { run_test test_devices_cuda_plugin_test; p=$?; run_test test_runtime_unified_memory_test && [ $p = 0 ]; } 2>&1 | tee "$OUT/test_unified_memory.log" || RC=1
  { timeout ${TEST_TIMEOUT:-400} bash -c "$(declare -f run_test); run_test test_devices_cuda_cuda_device_test --gtest_filter='${TEST_FILTER:-*}'"; c=$?;
    timeout 120 bash -c "$(declare -f run_test); run_test test_devices_cuda_compiled_int8_test" && [ $c = 0 ]; } 2>&1 | tee "$OUT/test_cuda_device.log" || RC=1
fi
if [ "${GPU_BENCH:-1}" = 1 ]; then
  env -u LD_LIBRARY_PATH timeout ${PEER_TIMEOUT:-300} python3 bench/gpu/torch_peer.py --json /tmp/torch_peer.json ${PEER_ARGS:-} 2>&1 | tee "$OUT/torch_peer.log" || RC=1
  timeout ${BENCH_TIMEOUT:-400} .bundle/bin/edgeinfer-bench-gpu --peer /tmp/torch_peer.json --json /tmp/bench.json --cache "$CACHE" \
      --explain "$OUT/explain.txt" ${BENCH_ARGS:-} 2>&1 | tee "$OUT/bench.log" || RC=1
  cp "$CACHE" "$OUT/gpu_timing_cache.txt" 2>/dev/null || true
fi
if [ "${MODEL_CHECK:-0}" = 1 ]; then
  EDGEINFER_LD_LIBRARY_PATH="$LD_LIBRARY_PATH" env -u LD_LIBRARY_PATH timeout ${CHECK_TIMEOUT:-400} python3 tools/model_check/torchvision_check.py --edgeinfer .bundle/bin/edgeinfer ${MODEL_CHECK_ARGS:---engines gpu} \
      2>&1 | grep -v -i warning | tee "$OUT/model_check.log" || RC=1
fi
exit $RC
