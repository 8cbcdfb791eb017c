// Windowed and global pooling: params, pure reference kernels (FP32; MaxPool also int8/uint8),
// shape inference and table adapters. Layout NC[D]HW, 1 to 3 spatial dims.
#pragma once
#include <vector>

#include "graph/op_table.h"
#include "graph/quant/int8_kernels.h"

namespace edgeinfer::ops {

enum class PoolKind { kMax, kAverage };

struct PoolParams {
  PoolKind kind = PoolKind::kMax;
  int64_t batch = 0;
  int64_t channels = 0;
  size_t spatial = 2;
  std::vector<int64_t> in_dims, kernel, out_dims, strides, dilations, pads_begin, pads_end;
  bool ceil_mode = false;
  bool count_include_pad = false;  // AveragePool: divide by the window size clipped to the padded input
  bool column_major_indices = false;  // MaxPool storage_order=1 (only affects the Indices output)
  Shape OutputShape() const;
};

// Reads MaxPool/AveragePool (by node.op) attributes against X's shape; resolves auto_pad and
// ceil_mode. Errors name the node and the rule (kernel_shape required, lengths, window too large).
Result<PoolParams> ParsePool(const Node& node, const Shape& x);
// Params for GlobalAveragePool/GlobalMaxPool: one window covering all spatial dims.
Result<PoolParams> ParseGlobalPool(const Node& node, const Shape& x);
// Params built directly (fused ops: ConvBiasActPool's pool_* attributes). Spatial vectors empty
// = defaults (strides 1, dilations 1, pads 0). Errors name `label`.
Result<PoolParams> MakePoolParams(const std::string& label, PoolKind kind, const Shape& x, std::vector<int64_t> kernel,
                                  std::vector<int64_t> strides, std::vector<int64_t> pads, bool ceil_mode,
                                  bool count_include_pad, std::vector<int64_t> dilations = {});

// y[N,C,out...] = pool(x[N,C,in...]). indices (MaxPool only, may be nullptr): flat index into x of
// each maximum (row-major, or column-major spatial when column_major_indices). Windows with no
// input element give -inf (max) / 0 (average). Dense caller-owned buffers; no allocation.
void PoolRef(const PoolParams& p, const float* x, float* y, int64_t* indices = nullptr);
// MaxPool over 8-bit integers (quantized activations pool exactly).
void MaxPoolRef(const PoolParams& p, const int8_t* x, int8_t* y);
void MaxPoolRef(const PoolParams& p, const uint8_t* x, uint8_t* y);
// INT8 average pooling (docs/int8-arithmetic.md step 5) is int8::Pool2D with these parameters:
// 2-D, undilated; the same scale in and out.
Result<int8::Pool2DParams> Int8AveragePoolParams(const PoolParams& p);

Status InferPool(InferContext& ctx);
Status InferGlobalPool(InferContext& ctx);
Status PoolReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status GlobalPoolReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);

}  // namespace edgeinfer::ops
