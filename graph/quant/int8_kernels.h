// INT8 reference kernels of the fused ops: the definition every device is tested against, bit for bit.
//
// Steps of one fused INT8 node (docs/int8-arithmetic.md states them with the formulas):
//   1. accumulate: acc[k] = bias_i32[k] + sum x_i8 * w_i8            (int32, exact, no overflow check
//      needed for K*R*S <= 2^17 terms; longer sums are refused at quantization time)
//   2. requantize: v = MulByQuantizedMultiplier(acc, M_k)            (int8_math.h rounding)
//      M_k = (double)x_scale * (double)w_scale[k] / (double)t_scale, t_scale = y_scale, or
//      act_in_scale when the activation runs through a LUT
//   3. residual (ConvEltwiseAct): v += MulByQuantizedMultiplier(r_i8, M_r), M_r = r_scale / t_scale,
//      the sum taken in int64 and saturated to int32
//   4. activation: none -> sat8(v); Relu -> sat8(max(v,0)); Clip -> sat8(clamp(v, lo, hi)) with
//      lo/hi = act_min/y_scale, act_max/y_scale rounded half to even and saturated to int8;
//      any other activation -> lut[sat8(v) + 128] (table from BuildActivationLut)
//   5. pooling (ConvBiasActPool), in the int8 domain at y_scale: MaxPool = max of the window's
//      in-bounds elements; AveragePool = sum / count rounded half away from zero.
// Kernels are pure functions over raw pointers with plain params: no allocation, no logging.
// Known limits: 2-D convolution and pooling only (NCHW), Gemm with transA=0, alpha=beta=1.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "graph/attributes.h"
#include "graph/ops/activation.h"
#include "graph/quant/int8_math.h"
#include "graph/status.h"

namespace edgeinfer::int8 {

// 2-D convolution geometry with explicit pads (auto_pad resolved).
struct Conv2DGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0;      // input NCHW
  int64_t k = 0, r = 0, s = 0;             // output channels, kernel height, kernel width
  int64_t group = 1;
  int64_t stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;
  int64_t pad_t = 0, pad_l = 0, pad_b = 0, pad_r = 0;
  int64_t oh = 0, ow = 0;
};

// Reads Conv attributes (kernel_shape, strides, pads, dilations, group, auto_pad) for an input of
// dims x_dims (NCHW) and weights w_dims (K, C/group, R, S). Error names the rule broken.
Result<Conv2DGeometry> ResolveConv2D(const Attributes& attrs, const std::vector<int64_t>& x_dims,
                                     const std::vector<int64_t>& w_dims);

// acc[n,k,oh,ow] = (bias ? bias[k] : 0) + sum_{c,r,s} x * w, zero padding (int8 zero = real 0).
// acc holds n*k*oh*ow int32 elements.
void ConvAccumulate(const Conv2DGeometry& g, const int8_t* x, const int8_t* w, const int32_t* bias, int32_t* acc);

// acc[m,n] = (bias ? bias[n] : 0) + sum_k a[m,k] * b(k,n); b is [N,K] when b_transposed, else [K,N].
void GemmAccumulate(int64_t m, int64_t n, int64_t k, const int8_t* a, const int8_t* b, bool b_transposed,
                    const int32_t* bias, int32_t* acc);

// The 256-entry table of a non-clamp activation: lut[i] = QuantizeToInt8(f((i-128) * in_scale), out_scale),
// the float argument computed as static_cast<float>(i - 128) * in_scale and f = ops::ApplyActivation.
// Devices build it with this host function (the table is data, so every device agrees).
std::array<int8_t, 256> BuildActivationLut(const ops::ActParams& act, float in_scale, float out_scale);

// The requantize + residual + activation epilogue of one fused node (steps 2-4 above).
struct Epilogue {
  enum class Mode { kNone, kRelu, kClamp, kLut };
  Mode mode = Mode::kNone;
  std::vector<Multiplier> m;    // per output channel (size 1 = per tensor)
  bool has_residual = false;
  Multiplier m_r;
  int32_t lo = -128, hi = 127;  // kClamp bounds in the output's integer domain
  std::array<int8_t, 256> lut{};
};

// Builds the epilogue from the node's scales. w_scale has one entry per output channel (or one).
// act_in_scale is read only for LUT activations; r_scale only when has_residual.
Result<Epilogue> MakeEpilogue(const ops::ActParams& act, bool has_act, float x_scale, const std::vector<float>& w_scale,
                              float y_scale, float act_in_scale, bool has_residual, float r_scale);

inline int8_t ApplyEpilogue(const Epilogue& e, int32_t acc, size_t channel, int8_t residual) {
  const Multiplier& mk = e.m.size() == 1 ? e.m[0] : e.m[channel];
  int64_t v = MulByQuantizedMultiplier(acc, mk);
  if (e.has_residual) v += MulByQuantizedMultiplier(residual, e.m_r);
  if (v > 2147483647ll) v = 2147483647ll;
  if (v < -2147483648ll) v = -2147483648ll;
  int32_t t = static_cast<int32_t>(v);
  switch (e.mode) {
    case Epilogue::Mode::kNone: return SaturateInt8(t);
    case Epilogue::Mode::kRelu: return SaturateInt8(t > 0 ? t : 0);
    case Epilogue::Mode::kClamp: return SaturateInt8(t < e.lo ? e.lo : (t > e.hi ? e.hi : t));
    case Epilogue::Mode::kLut: return e.lut[static_cast<size_t>(SaturateInt8(t) + 128)];
  }
  return SaturateInt8(t);
}

// 2-D pooling in the int8 domain (step 5). Output dims oh, ow come from shape inference.
struct Pool2DParams {
  bool is_max = true;
  int64_t kh = 1, kw = 1, stride_h = 1, stride_w = 1;
  int64_t pad_t = 0, pad_l = 0, pad_b = 0, pad_r = 0;
  bool count_include_pad = false;
};
void Pool2D(const Pool2DParams& p, int64_t n, int64_t c, int64_t h, int64_t w, const int8_t* x, int64_t oh, int64_t ow,
            int8_t* y);

// GlobalAveragePool requantized to its own output scale (step 5): per (n, c) plane of hw int8 values,
// y = sat8(MulByQuantizedMultiplier(sum, m)), m = QuantizeMultiplier(x_scale / (hw * y_scale)).
void GlobalAveragePoolRequant(int64_t planes, int64_t hw, const int8_t* x, Multiplier m, int8_t* y);
// The multiplier of a requantized GlobalAveragePool; an error names the bad scale.
Result<Multiplier> GlobalAveragePoolMultiplier(float x_scale, float y_scale, int64_t hw);

// sum / count rounded half away from zero (count > 0).
inline int32_t RoundedDivide(int32_t sum, int32_t count) {
  return sum >= 0 ? (sum + count / 2) / count : -((-sum + count / 2) / count);
}

}  // namespace edgeinfer::int8
