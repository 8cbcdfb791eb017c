// The INT8 arithmetic of edgeinfer, in one place (docs/int8-arithmetic.md explains it).
// Every device that runs INT8 (reference, fast CPU, emulated DLA, CUDA) uses these functions or
// reproduces them exactly, so results are bit-exact across devices.
//
//   activations: int8, symmetric per tensor (zero point 0), real = scale * q
//   weights:     int8, symmetric per output channel, real = w_scale[k] * q
//   bias:        int32 = round_half_even(b / (x_scale * w_scale[k]))
//   accumulate:  int32 += int8 * int8 (no overflow for K*R*S <= 2^17 terms at |q|<=127)
//   requantize:  q_out = sat_int8(MulByQuantizedMultiplier(acc, M_k)), M_k = x_scale*w_scale[k]/y_scale
//                as a Q31 fixed-point multiplier and a power-of-two shift, with the
//                gemmlowp/TFLite rounding: rounding doubling high multiply (round half away from
//                zero) then rounding right shift (round half away from zero).
//   residual add: acc_y = MulByQuantizedMultiplier(acc, M_k) + MulByQuantizedMultiplier(r, M_r),
//                M_r = r_scale / y_scale, then activation, then saturation.
//   ReLU / Clip: clamp in the output's integer domain; other activations: a 256-entry int8 LUT
//                built once from the float function (table is data, so every device agrees).
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

// The integer steps below are also compiled into the CUDA kernels (devices/cuda), so they are
// host+device functions there: one definition of the arithmetic for every engine.
#if defined(__CUDACC__)
#define EI_INT8_FN __host__ __device__ __forceinline__
#else
#define EI_INT8_FN inline
#endif

namespace edgeinfer::int8 {

struct Multiplier {
  int32_t multiplier = 0;   // Q31, in [2^30, 2^31) for a non-zero real
  int shift = 0;            // real = multiplier * 2^(shift - 31)
};

// Decomposes a positive real multiplier (any magnitude) into Q31 mantissa and shift.
inline Multiplier QuantizeMultiplier(double real) {
  Multiplier m;
  if (real <= 0.0) return m;
  int exp = 0;
  double q = std::frexp(real, &exp);   // real = q * 2^exp, q in [0.5, 1)
  int64_t q_fixed = static_cast<int64_t>(std::llround(q * (1ll << 31)));
  if (q_fixed == (1ll << 31)) { q_fixed /= 2; ++exp; }
  if (exp < -31) { exp = 0; q_fixed = 0; }   // underflows to zero
  m.multiplier = static_cast<int32_t>(q_fixed);
  m.shift = exp;
  return m;
}

// (a * b * 2) >> 32 with round-half-away-from-zero and saturation of the single overflow case.
EI_INT8_FN int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  int64_t nudge = ab >= 0 ? (1ll << 30) : (1 - (1ll << 30));
  return static_cast<int32_t>((ab + nudge) / (1ll << 31));
}

// x / 2^exponent, rounding half away from zero. exponent in [0, 31].
EI_INT8_FN int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  if (exponent <= 0) return x;
  const int32_t mask = static_cast<int32_t>((1ll << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + ((x < 0) ? 1 : 0);
  return (x >> exponent) + ((remainder > threshold) ? 1 : 0);
}

// round(x * real) for the real encoded in m. Left shifts saturate.
EI_INT8_FN int32_t MulByQuantizedMultiplier(int32_t x, Multiplier m) {
  int left = m.shift > 0 ? m.shift : 0;
  int right = m.shift > 0 ? 0 : -m.shift;
  int64_t shifted = static_cast<int64_t>(x) * (1ll << left);
  if (shifted > INT32_MAX) shifted = INT32_MAX;
  if (shifted < INT32_MIN) shifted = INT32_MIN;
  return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(static_cast<int32_t>(shifted), m.multiplier), right);
}

// MulByQuantizedMultiplier in fewer operations, for the GPU epilogues: the same value for every x
// and every multiplier QuantizeMultiplier produces (multiplier in [0, 2^31)), checked exhaustively
// over edge cases and randomly in tests/graph/quant/int8_math_test.cc. Why it is equal: for
// multiplier >= 0 the product can only be INT32_MIN * INT32_MIN if multiplier == INT32_MIN (never),
// and the nudge-then-truncate of SaturatingRoundingDoublingHighMul, (ab + 2^30) / 2^31 for ab >= 0
// and (ab + 1 - 2^30) / 2^31 rounded toward zero for ab < 0, is floor((ab + 2^30) / 2^31) in both
// cases (for integers u and d > 0, ceil((u + 1) / d) - 1 == floor(u / d)): one multiply-add and an
// arithmetic shift. RoundingDivideByPOT is unchanged, written without the exponent-0 branch.
EI_INT8_FN int32_t MulByQuantizedMultiplierFast(int32_t x, int32_t multiplier, int shift) {
  if (shift > 0) {
    int64_t shifted = static_cast<int64_t>(x) * (1ll << shift);
    x = static_cast<int32_t>(shifted > INT32_MAX ? INT32_MAX : (shifted < INT32_MIN ? INT32_MIN : shifted));
  }
  const int32_t high = static_cast<int32_t>((static_cast<int64_t>(x) * multiplier + (int64_t{1} << 30)) >> 31);
  const int right = shift < 0 ? -shift : 0;
  const int32_t mask = static_cast<int32_t>((uint32_t{1} << right) - 1u);
  const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
  return (high >> right) + ((high & mask) > threshold ? 1 : 0);
}

// MulByQuantizedMultiplierFast for shift <= 0 only (right = -shift), without the left-shift step:
// what the GPU epilogues run when none of their channels has a multiplier >= 1.
EI_INT8_FN int32_t MulByQuantizedMultiplierRight(int32_t x, int32_t multiplier, int right) {
  const int32_t high = static_cast<int32_t>((static_cast<int64_t>(x) * multiplier + (int64_t{1} << 30)) >> 31);
  const int32_t mask = static_cast<int32_t>((uint32_t{1} << right) - 1u);
  const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
  return (high >> right) + ((high & mask) > threshold ? 1 : 0);
}

// int32 sum saturated to int32 (the residual add of the requantization); one instruction on the GPU.
EI_INT8_FN int32_t SaturatingAdd(int32_t a, int32_t b) {
#if defined(__CUDA_ARCH__)
  int32_t r;
  asm("add.sat.s32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(b));
  return r;
#else
  const int64_t s = static_cast<int64_t>(a) + b;
  return static_cast<int32_t>(s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : s));
#endif
}

EI_INT8_FN int8_t SaturateInt8(int32_t v) {
  return static_cast<int8_t>(v < -128 ? -128 : (v > 127 ? 127 : v));
}

// Float -> int8 with ONNX QuantizeLinear rounding (half to even) and saturation; zero point 0.
inline int8_t QuantizeToInt8(float x, float scale) {
  float q = std::nearbyint(x / scale);   // default rounding mode: half to even
  if (std::isnan(q)) return 0;
  return static_cast<int8_t>(q < -128.f ? -128 : (q > 127.f ? 127 : static_cast<int>(q)));
}

inline float DequantizeInt8(int8_t q, float scale) { return scale * static_cast<float>(q); }

// int32 bias for output channel k: round_half_even(b / (x_scale * w_scale)).
inline int32_t QuantizeBias(float b, float x_scale, float w_scale) {
  double q = std::nearbyint(static_cast<double>(b) / (static_cast<double>(x_scale) * w_scale));
  if (q > 2147483647.0) q = 2147483647.0;
  if (q < -2147483648.0) q = -2147483648.0;
  return static_cast<int32_t>(q);
}

}  // namespace edgeinfer::int8
