#!/usr/bin/env bash
# Builds the GPU tests and bench here (CUDA 13 + cuDNN headers, sm_87 and sm_90) and bundles them with
# the non-system shared libraries they need into .bundle/ (git-ignored), ready to be carried to the
# GPU machine, where scripts/gpu_run.sh runs them.
#   usage: scripts/gpu_bundle.sh [build-dir]     (default: build)
# The device tool carries at most 64 MiB with the working tree; the whole bundle is larger, so keep
# only what the run needs: BUNDLE_DROP="edgeinfer edgeinfer-bench-gpu" (space-separated .bundle/bin
# names) leaves those out (a GPU test run needs neither; MODEL_CHECK=1 needs edgeinfer, GPU_BENCH=1
# the bench). Default: drop edgeinfer (needed only for MODEL_CHECK).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
TARGETS="edgeinfer edgeinfer_cuda test_devices_cuda_cuda_device_test test_devices_cuda_compiled_int8_test test_devices_cuda_plugin_test test_runtime_unified_memory_test edgeinfer-bench-gpu"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="87;90"
fi
flock /tmp/ei-build.lock cmake --build "$BUILD" --target $TARGETS -j2
rm -rf .bundle/bin .bundle/lib
mkdir -p .bundle/bin .bundle/lib
cp "$BUILD/tests/test_devices_cuda_cuda_device_test" "$BUILD/tests/test_devices_cuda_compiled_int8_test" "$BUILD/tests/test_devices_cuda_plugin_test" \
   "$BUILD/tests/test_runtime_unified_memory_test" "$BUILD/bench/gpu/edgeinfer-bench-gpu" "$BUILD/apps/edgeinfer" .bundle/bin/
# The CUDA executor is the plugin libedgeinfer_cuda.so: the cuda test and the bench link it, the others
# dlopen it; the loader finds it in <bin>/../lib, i.e. .bundle/lib (gpu_run.sh also sets
# EDGEINFER_PLUGIN_DIR there).
cp -L "$BUILD/devices/cuda/libedgeinfer_cuda.so" .bundle/lib/
# Libraries the GPU machine has itself (glibc, the C++ runtime, the driver, CUDA, cuDNN) stay behind;
# everything else the binaries load (yaml-cpp, protobuf, onnx, TBB, oneDNN, OpenCV, ...) travels.
SYSTEM='^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|librt\.|libpthread\.|libgcc_s\.|libstdc\+\+\.|libcuda\.|libcudart\.|libcublas|libcudnn|libnvrtc|libnvJitLink)'
for b in .bundle/bin/* .bundle/lib/libedgeinfer_cuda.so; do
  ldd "$b" | awk '$3 ~ /^\// {print $1, $3}'
done | sort -u | while read -r name path; do
  if [[ ! "$name" =~ $SYSTEM ]]; then cp -L "$path" .bundle/lib/; fi
done
strip --strip-unneeded .bundle/bin/* .bundle/lib/* 2>/dev/null || true
echo "bundle: $(du -sh .bundle | cut -f1) in .bundle/ (bin: $(ls .bundle/bin | tr '\n' ' '); lib: $(ls .bundle/lib | tr '\n' ' '))"
for b in ${BUNDLE_DROP-edgeinfer}; do rm -f ".bundle/bin/$b"; done
SIZE=$(du -sb .bundle | cut -f1)
echo "bundle after BUNDLE_DROP='${BUNDLE_DROP-edgeinfer}': $SIZE bytes (carry limit with the tree: 64 MiB)"
if [ "$SIZE" -gt 60000000 ]; then
  echo "warning: the carry may be refused; drop what this run does not need, e.g. for the GPU tests only:" >&2
  echo "  BUNDLE_DROP=\"edgeinfer edgeinfer-bench-gpu\" scripts/gpu_bundle.sh   (then GPU_BENCH=0 scripts/gpu_run.sh there)" >&2
fi
