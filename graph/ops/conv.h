// Convolution and transposed convolution: params, pure FP32 reference kernels, shape inference and
// table adapters. Also the spatial helpers (output extent, auto_pad resolution) that pooling and the
// fused conv ops share.
//
// Layout NC[D]HW; weights (M, C/group, k...) for Conv and (C, M/group, k...) for ConvTranspose.
// 1-D, 2-D and 3-D spatial ranks are supported: the kernels normalise every case to 3 spatial dims
// (leading dims of extent 1), so there is one loop nest per op.
#pragma once
#include <string>
#include <vector>

#include "graph/op_table.h"

namespace edgeinfer::ops {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

// Parses the `auto_pad` string; an unknown spelling is an error naming the node.
Result<AutoPad> ParseAutoPad(const Node& node);

// Extent of the effective (dilated) window: (k-1)*d+1.
inline int64_t DilatedKernel(int64_t k, int64_t d) { return (k - 1) * d + 1; }

// Output extent of a sliding window over `in` padded by pad_begin/pad_end (floor, or ceil when
// ceil_mode, with PyTorch's rule that the last window must start inside input or left padding).
// kDynamic in gives kDynamic out; a result < 1 is returned as is so callers can name the rule.
int64_t WindowOutDim(int64_t in, int64_t k, int64_t stride, int64_t dilation, int64_t pad_begin, int64_t pad_end,
                     bool ceil_mode = false);

// Resolves SAME_UPPER/SAME_LOWER/VALID into explicit pads for one spatial axis (ONNX rules:
// SAME gives out = ceil(in/stride); the odd pad goes to the end for UPPER, the start for LOWER).
// NOTSET leaves the pads untouched. `in` must be static for SAME.
void ResolveAutoPad(AutoPad mode, int64_t in, int64_t k, int64_t stride, int64_t dilation, int64_t* pad_begin,
                    int64_t* pad_end);

// Everything a Conv/ConvTranspose kernel needs; spatial vectors have `spatial` entries in ONNX order.
struct ConvParams {
  bool transpose = false;
  int64_t batch = 0;        // N (kDynamic during compile-time inference of a symbolic batch)
  int64_t in_channels = 0;  // C
  int64_t out_channels = 0; // M
  int64_t group = 1;
  size_t spatial = 2;
  std::vector<int64_t> in_dims, kernel, out_dims, strides, dilations, pads_begin, pads_end;
  std::vector<int64_t> output_padding;  // ConvTranspose only
  // Output shape [N, M, out_dims...].
  Shape OutputShape() const;
};

// Reads and validates the Conv (or ConvTranspose, by node.op / `transpose`) attributes against the
// input and weight shapes: rank, group divisibility, kernel_shape vs W, pads/strides lengths,
// auto_pad, window not larger than the padded input. Errors name the node and the rule.
Result<ConvParams> ParseConv(const Node& node, const Shape& x, const Shape& w);
Result<ConvParams> ParseConvTranspose(const Node& node, const Shape& x, const Shape& w);

// y = conv(x, w) + b. x: [N,C,in...], w: [M,C/group,k...], b: [M] or nullptr, y: [N,M,out...].
// All buffers dense row-major FP32, caller-owned; no allocation; single-threaded.
void ConvRef(const ConvParams& p, const float* x, const float* w, const float* b, float* y);
// y = conv_transpose(x, w) + b. w: [C, M/group, k...]. Same contract as ConvRef.
void ConvTransposeRef(const ConvParams& p, const float* x, const float* w, const float* b, float* y);

Status InferConv(InferContext& ctx);
Status InferConvTranspose(InferContext& ctx);
Status ConvReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status ConvTransposeReference(const Node& node, const std::vector<const Tensor*>& in,
                              const std::vector<Tensor*>& out);

// "needs float (got int8)" style dtype check shared by the FP32 reference ops.
Status RequireFloat32(const InferContext& ctx, size_t input, const char* what);

}  // namespace edgeinfer::ops
