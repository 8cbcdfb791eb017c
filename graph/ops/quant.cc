// Element i's channel for per-axis params is (i / inner) % dim[axis], inner = product of the dims
// after the axis. Rounding is std::nearbyint under the default rounding mode (half to even), the
// same call int8::QuantizeToInt8 makes, so results agree bit for bit.
#include "graph/ops/quant.h"

#include <cmath>

#include "graph/ops/op_util.h"

namespace edgeinfer::ops {

namespace {

// Validates scale / zero point and returns the normalised axis (-1 per tensor).
Status CheckQuantParams(InferContext& ctx, DType q_dtype, int64_t* axis_out) {
  const Shape& x = ctx.in_shape[0];
  if (ctx.in_dtype[1] != DType::kFloat32) {
    return ctx.Fail(std::string("scale is ") + DTypeName(ctx.in_dtype[1]) + " (rule: float scale)");
  }
  if (ctx.HasInput(2) && ctx.in_dtype[2] != q_dtype) {
    return ctx.Fail(std::string("zero point is ") + DTypeName(ctx.in_dtype[2]) + " but the quantized tensor is " +
                    DTypeName(q_dtype) + " (rule: they agree)");
  }
  const Shape& sc = ctx.in_shape[1];
  if (sc.NumElements() == 1 && sc.rank() <= 1) {
    *axis_out = -1;
  } else if (sc.rank() == 1) {
    int64_t a = ctx.node.attrs.GetInt("axis", 1);
    int64_t axis = NormalizeAxis(a, static_cast<int64_t>(x.rank()));
    if (axis < 0) return ctx.Fail("axis=" + std::to_string(a) + " is out of range for rank " + std::to_string(x.rank()));
    int64_t d = x.dims[static_cast<size_t>(axis)];
    if (d >= 0 && sc.dims[0] >= 0 && d != sc.dims[0]) {
      return ctx.Fail("scale has " + std::to_string(sc.dims[0]) + " entries but axis " + std::to_string(axis) + " of " +
                      x.ToString() + " has " + std::to_string(d) + " (rule: one scale per channel)");
    }
    *axis_out = axis;
  } else {
    return ctx.Fail("scale has shape " + sc.ToString() + " (rule: scalar or 1-D per-axis)");
  }
  if (ctx.HasInput(2) && ctx.in_shape[2] != ctx.in_shape[1] &&
      !(ctx.in_shape[2].NumElements() == 1 && ctx.in_shape[1].NumElements() == 1)) {
    return ctx.Fail("zero point shape " + ctx.in_shape[2].ToString() + " differs from scale shape " +
                    ctx.in_shape[1].ToString() + " (rule: they agree)");
  }
  return Status::Ok();
}

QuantLinearParams ParamsOf(const Node& node, const std::vector<const Tensor*>& in) {
  QuantLinearParams p;
  p.scale = in[1]->data<float>();
  p.zero_point = in.size() > 2 ? in[2] : nullptr;
  if (in[1]->numel() != 1) p.axis = NormalizeAxis(node.attrs.GetInt("axis", 1), static_cast<int64_t>(in[0]->rank()));
  return p;
}

// Channel of element i and its extent: inner = product of dims after axis.
struct ChannelOf {
  int64_t inner = 1, dim = 1;
  bool per_axis = false;
  ChannelOf(const Tensor& x, int64_t axis) {
    if (axis < 0) return;
    per_axis = true;
    dim = x.dim(static_cast<size_t>(axis));
    for (size_t k = static_cast<size_t>(axis) + 1; k < x.rank(); ++k) inner *= x.dim(k);
  }
  int64_t operator()(int64_t i) const { return per_axis ? (i / inner) % dim : 0; }
};

}  // namespace

Status InferQuantizeLinear(InferContext& ctx) {
  if (ctx.in_dtype[0] != DType::kFloat32) {
    return ctx.Fail(std::string("input is ") + DTypeName(ctx.in_dtype[0]) + " (rule: float input)");
  }
  DType q = ctx.HasInput(2) ? ctx.in_dtype[2] : DType::kUInt8;
  if (q != DType::kUInt8 && q != DType::kInt8) {
    return ctx.Fail(std::string("zero point is ") + DTypeName(q) + " (rule: uint8 or int8)");
  }
  int64_t axis;
  EI_RETURN_IF_ERROR(CheckQuantParams(ctx, q, &axis));
  ctx.SetOutput(0, q, ctx.in_shape[0]);
  return Status::Ok();
}

Status InferDequantizeLinear(InferContext& ctx) {
  DType q = ctx.in_dtype[0];
  if (q != DType::kUInt8 && q != DType::kInt8 && q != DType::kInt32) {
    return ctx.Fail(std::string("input is ") + DTypeName(q) + " (rule: uint8, int8 or int32)");
  }
  int64_t axis;
  EI_RETURN_IF_ERROR(CheckQuantParams(ctx, q, &axis));
  ctx.SetOutput(0, DType::kFloat32, ctx.in_shape[0]);
  return Status::Ok();
}

Status QuantizeLinearRef(const QuantLinearParams& p, const Tensor& x, Tensor& y) {
  ChannelOf ch(x, p.axis);
  const float* xp = x.data<float>();
  const bool is_int8 = y.dtype() == DType::kInt8;
  if (!is_int8 && y.dtype() != DType::kUInt8) return Status::Error(std::string("output dtype ") + DTypeName(y.dtype()) + " is not supported");
  const float lo = is_int8 ? -128.f : 0.f, hi = is_int8 ? 127.f : 255.f;
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t c = ch(i);
    float zp = p.zero_point ? static_cast<float>(p.zero_point->GetAsInt64(c)) : 0.f;
    float q = std::nearbyint(xp[i] / p.scale[c]);   // half to even, as int8::QuantizeToInt8
    if (std::isnan(q)) q = 0.f;
    q = std::min(hi, std::max(lo, q + zp));
    if (is_int8) y.data<int8_t>()[i] = static_cast<int8_t>(q);
    else y.data<uint8_t>()[i] = static_cast<uint8_t>(q);
  }
  return Status::Ok();
}

Status DequantizeLinearRef(const QuantLinearParams& p, const Tensor& x, Tensor& y) {
  ChannelOf ch(x, p.axis);
  float* yp = y.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t c = ch(i);
    int64_t zp = p.zero_point ? p.zero_point->GetAsInt64(c) : 0;
    // Same expression as int8::DequantizeInt8 (scale * q) when zp == 0.
    yp[i] = p.scale[c] * static_cast<float>(x.GetAsInt64(i) - zp);
  }
  return Status::Ok();
}

Status QuantizeLinearReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  Status s = QuantizeLinearRef(ParamsOf(node, in), *in[0], *out[0]);
  return s.ok() ? s : NodeError(node, s.message());
}

Status DequantizeLinearReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  Status s = DequantizeLinearRef(ParamsOf(node, in), *in[0], *out[0]);
  return s.ok() ? s : NodeError(node, s.message());
}

}  // namespace edgeinfer::ops
