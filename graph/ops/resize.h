// Resize (and Upsample, which the importer rewrites to Resize): params, pure FP32 reference
// kernel, shape inference and the table adapter. Canonical inputs: X, roi, scales, sizes.
//
// Modes nearest (round_prefer_floor/round_prefer_ceil/floor/ceil), linear and cubic (N-D,
// separable weights); coordinate_transformation_mode half_pixel, half_pixel_symmetric,
// pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nearest, tf_crop_and_resize;
// opset-18 axes and keep_aspect_ratio_policy. antialias=1 is rejected.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "graph/op_table.h"

namespace edgeinfer::ops {

enum class ResizeMode { kNearest, kLinear, kCubic };

struct ResizeParams {
  ResizeMode mode = ResizeMode::kNearest;
  std::string coord_mode = "half_pixel";
  std::string nearest_mode = "round_prefer_floor";
  double cubic_a = -0.75;
  bool exclude_outside = false;
  float extrapolation_value = 0.f;
  std::vector<int64_t> in_dims, out_dims;
  std::vector<double> scales;            // per axis (1 for axes not resized)
  std::vector<double> roi_start, roi_end;  // per axis, tf_crop_and_resize only (0 and 1 otherwise)
};

// Reads attributes and the roi/scales/sizes values (nullptr = absent; an empty tensor = absent).
// Errors name the node and the rule.
Result<ResizeParams> ParseResize(const Node& node, const Shape& x, const Tensor* roi, const Tensor* scales,
                                 const Tensor* sizes);

// Per-axis sampling taps: for output coordinate o, (input index, weight) pairs; an empty list
// means "outside the crop" (tf_crop_and_resize: the output element is extrapolation_value).
using ResizeTaps = std::vector<std::vector<std::pair<int64_t, double>>>;
ResizeTaps ComputeResizeTaps(const ResizeParams& p, size_t axis);

// y[out_dims] = resize(x[in_dims]). Dense caller-owned FP32 buffers; weights and sums in double.
void ResizeRef(const ResizeParams& p, const float* x, float* y);
// Nearest mode over any dtype (elements copied as elem_size bytes), e.g. int8 activations.
// Requires p.mode == kNearest and a coordinate mode other than tf_crop_and_resize.
void ResizeNearestBytes(const ResizeParams& p, const void* x, void* y, size_t elem_size);

Status InferResize(InferContext& ctx);
Status ResizeReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);

}  // namespace edgeinfer::ops
