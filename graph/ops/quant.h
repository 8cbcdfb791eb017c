// QuantizeLinear / DequantizeLinear (ONNX opset 10 and 13):
//   y = saturate(round_half_even(x / scale) + zero_point)      (float32 x -> uint8 / int8 y)
//   x = (y - zero_point) * scale                               (uint8 / int8 / int32 -> float32)
// Per tensor (scalar scale) or per axis (1-D scale of length dim[axis], `axis` attribute, default
// 1). The zero point is optional (uint8 0 when absent). With zero point 0 and int8 this is exactly
// int8::QuantizeToInt8 / int8::DequantizeInt8 of graph/quant/int8_math.h.
#pragma once
#include "graph/op_table.h"

namespace edgeinfer::ops {

struct QuantLinearParams {
  int64_t axis = -1;       // normalised axis for per-axis, -1 per tensor
  const float* scale = nullptr;
  const Tensor* zero_point = nullptr;   // nullptr: 0
};

// x (float32) -> y (uint8 or int8, dtype of y).
Status QuantizeLinearRef(const QuantLinearParams& p, const Tensor& x, Tensor& y);
// x (uint8, int8 or int32) -> y (float32).
Status DequantizeLinearRef(const QuantLinearParams& p, const Tensor& x, Tensor& y);

Status InferQuantizeLinear(InferContext& ctx);
Status InferDequantizeLinear(InferContext& ctx);
Status QuantizeLinearReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status DequantizeLinearReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);

}  // namespace edgeinfer::ops
