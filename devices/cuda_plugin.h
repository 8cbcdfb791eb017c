// The always-built side of the CUDA back end: finds and dlopen's libedgeinfer_cuda.so (see
// devices/cuda_plugin_abi.h and graph/plugin_loader.h) the first time a GPU engine is requested, so
// the CLI and the runtime never link or map CUDA, cuDNN or cuBLASLt otherwise.
// "GPU engine unavailable: <why>" covers every way it can be absent: built without CUDA, plugin
// not found, plugin's libraries (libcudart, libcudnn, ...) missing, no CUDA device.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "devices/cuda_plugin_abi.h"
#include "devices/device.h"
#include "graph/dtype.h"
#include "graph/status.h"

namespace edgeinfer::devices {

struct CudaOptions {
  // How float values are stored and computed on the GPU: kFloat32 or kFloat16.
  DType float_precision = DType::kFloat32;
  bool cuda_graphs = true;        // capture each batch size into a CUDA graph
  bool autotune = true;           // time cuDNN / cuBLASLt algorithms at the first run of a batch size
  std::string timing_cache;       // file read at Prepare and rewritten after new layers were tuned
  int device_index = 0;
  size_t max_workspace_bytes = size_t(1) << 30;   // largest per-layer library workspace accepted
  // INT8 requantization of the implicit-GEMM convolutions: true = the fixed-point steps of
  // graph/quant/int8_math.h (bit-exact to the reference); false = float scaling, within 1 LSB of it
  // before a LUT activation and cheaper per output (docs/gpu.md gives the measured difference).
  bool int8_exact_epilogue = true;
  // FP16 convolutions through the cuDNN graph API (conv + bias + residual + activation in one
  // engine): 0 never, 1 built and timed against the other paths per layer, 2 wherever it builds.
  int cudnn_graph = 1;
};

// The plugin's function table (loaded on first call, cached), or an error "GPU engine unavailable:
// ..." saying why not. Thread-safe.
Result<const EiCudaPluginApi*> CudaPlugin();

// Whether the plugin loads AND a usable CUDA device is present; `why` gets the reason when not.
bool CudaAvailable(std::string* why = nullptr);

// A CudaDevice created (and later destroyed) inside the plugin, behind the Device interface.
Result<std::unique_ptr<Device>> CreateCudaDevice(const CudaOptions& options = {});

}  // namespace edgeinfer::devices
