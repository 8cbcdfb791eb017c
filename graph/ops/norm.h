// BatchNormalization (inference) and Softmax / LogSoftmax: params, pure FP32 reference kernels,
// shape inference and table adapters.
#pragma once
#include <vector>

#include "graph/op_table.h"

namespace edgeinfer::ops {

// y = scale[c] * (x - mean[c]) / sqrt(var[c] + epsilon) + bias[c], channel axis 1.
struct BatchNormParams {
  int64_t batch = 0, channels = 0, spatial_size = 1;  // x viewed as [batch, channels, spatial_size]
  float epsilon = 1e-5f;
};

// Validates X rank >= 2, the four [C] parameter inputs, and rejects training mode / extra outputs.
Result<BatchNormParams> ParseBatchNorm(const Node& node, const Shape& x, const std::vector<Shape>& params);
// Dense caller-owned FP32 buffers; the per-channel parameters are [channels]. No allocation.
void BatchNormRef(const BatchNormParams& p, const float* x, const float* scale, const float* bias, const float* mean,
                  const float* var, float* y);

// x viewed as [outer, axis_len, inner]; softmax over the middle dim (max-subtracted, so large
// inputs do not overflow). opset >= 13: the single `axis` dim. Legacy (attr _legacy_2d=1, set by the
// importer for opset < 13): the input is flattened to 2-D at `axis` (default 1), inner = 1.
struct SoftmaxParams {
  int64_t outer = 1, axis_len = 1, inner = 1;
  bool log = false;  // LogSoftmax
};

Result<SoftmaxParams> ParseSoftmax(const Node& node, const Shape& x);
void SoftmaxRef(const SoftmaxParams& p, const float* x, float* y);

Status InferBatchNorm(InferContext& ctx);
Status InferSoftmax(InferContext& ctx);
Status BatchNormReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status SoftmaxReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);

}  // namespace edgeinfer::ops
