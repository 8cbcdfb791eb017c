// What each device asks of the compiler (fusions::CompileForDevice): the layout and alignment needs
// that the passes are given instead of the device re-deciding them (docs/device-contract.md).
// Header-only and always built, so the CLI and the runtime can compile for a device whose back end
// is a plugin that is not loaded (or not built).
#pragma once
#include "fusions/compile_for_device.h"

namespace edgeinfer::devices {

// The CUDA executor (devices/cuda): rank-4 activations live NHWC, every buffer it hands a kernel or
// library call is 256-byte aligned, and it copies the Concat inputs it does not place (so partial
// marking helps). Sibling-conv merging is skipped: each branch already is one fused cuDNN call.
// It re-checks contiguity and alignment at each planned batch (the batch and its FP16 storage are
// only known then) and copies an input whose mark does not hold there.
inline fusions::DeviceCapabilities CudaCompileCapabilities() {
  fusions::DeviceCapabilities c;
  c.device = "cuda";
  c.merge_sibling_convs = false;
  c.concat_layout = "nhwc";
  c.concat_align_bytes = 256;
  c.concat_partial = true;
  return c;
}

// The fast CPU path (devices/cpu/fast): no layout need the passes must know of; its Concat is a
// oneDNN primitive (it does not write in place), so the marks are informational to it.
inline fusions::DeviceCapabilities CpuFastCompileCapabilities() {
  fusions::DeviceCapabilities c;
  c.device = "cpu-fast";
  return c;
}

}  // namespace edgeinfer::devices
