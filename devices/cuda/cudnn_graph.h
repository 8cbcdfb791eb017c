// A convolution + bias + residual add + activation as one cuDNN operation graph (the backend "graph"
// API): conv_fprop -> add bias -> add residual -> pointwise activation, the intermediates virtual
// (FP32, never written to memory), so cuDNN's runtime-fusion engines run the whole chain as one
// kernel. It covers what the legacy fused call (cudnnConvolutionBiasActivationForward: ReLU or
// identity only) cannot: Clip / ReLU6, LeakyReLU, Sigmoid, Tanh. The executor times it against its
// other paths per layer (docs/gpu.md).
#pragma once
#include <cudnn.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "devices/cuda/kernels.h"
#include "graph/status.h"

namespace edgeinfer::devices::cuda {

struct ConvGraphDesc {
  cudnnDataType_t io_type = CUDNN_DATA_HALF;   // X, W, bias, residual and Y (NHWC; W as KRSC)
  int64_t n = 0, c = 0, h = 0, w = 0, k = 0, r = 0, s = 0, oh = 0, ow = 0;
  int64_t pre_pad[2] = {0, 0}, post_pad[2] = {0, 0}, stride[2] = {1, 1}, dilation[2] = {1, 1};
  bool bias = true, residual = false;
  KActParams act;
};

// Whether the chain can be expressed: group 1, channel counts multiple of 8 (16-byte rows), an
// activation cuDNN has as a pointwise mode. `why` says what does not fit.
bool ConvGraphSupported(const ConvGraphDesc& d, std::string* why);

class CudnnConvGraph {
 public:
  // Builds the operation graph and the first execution plan cuDNN's heuristics offer that
  // finalizes within `max_workspace` bytes; an error says why none did.
  static Result<std::shared_ptr<CudnnConvGraph>> Build(cudnnHandle_t handle, const ConvGraphDesc& d, int64_t max_workspace);
  ~CudnnConvGraph();
  CudnnConvGraph(const CudnnConvGraph&) = delete;
  CudnnConvGraph& operator=(const CudnnConvGraph&) = delete;

  int64_t workspace_bytes() const { return workspace_; }
  const std::string& engine() const { return engine_; }
  // y = act(conv(x, w) + bias (+ z)); bias / z may be null when the graph has none.
  cudnnStatus_t Run(cudnnHandle_t handle, const void* x, const void* w, const void* bias, const void* z, void* y, void* workspace) const;

 private:
  CudnnConvGraph() = default;
  std::vector<cudnnBackendDescriptor_t> owned_;   // destroyed in reverse order
  cudnnBackendDescriptor_t plan_ = nullptr;
  std::vector<int64_t> uids_;                     // x, w, [bias], [z], y
  bool bias_ = false, residual_ = false;
  int64_t workspace_ = 0;
  std::string engine_;
};

}  // namespace edgeinfer::devices::cuda
