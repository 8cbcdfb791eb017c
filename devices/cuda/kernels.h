// Our own CUDA kernels for everything cuDNN and cuBLAS do not do (or do not do exactly the way
// edgeinfer defines it): format conversion, bias/activation/residual epilogues, pooling, binary
// elementwise with broadcasting, softmax, concat, resize, and the INT8 path (im2col, requantization
// bit-exact to graph/quant/int8_math.h, depthwise INT8 convolution, quantize/dequantize).
//
// Every launcher is asynchronous on `stream`, takes device pointers, allocates nothing and returns
// cudaGetLastError() of its launch. Element counts are in elements, never bytes. 4-D activations are
// NHWC ("channels last") unless a name says NCHW.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace edgeinfer::devices::cuda {

// Element type of a device buffer as the kernels see it.
enum class KType : int { kF32 = 0, kF16 = 1, kI8 = 2, kI32 = 3 };

// Activation as kernels apply it (mirrors ops::ActKind; kept separate so kernels do not see graph/).
enum class KAct : int { kNone = 0, kRelu, kLeakyRelu, kClip, kSigmoid, kTanh, kHardSigmoid, kHardSwish };
struct KActParams {
  KAct kind = KAct::kNone;
  float alpha = 0.f, beta = 0.f, min = 0.f, max = 0.f;
};

// dst[n,h,w,c] = src[n,c,h,w] (or the reverse), converting element type (F32/F16 any direction, or
// same type for I8).
cudaError_t NchwToNhwc(const void* src, KType st, void* dst, KType dt, int n, int c, int h, int w, cudaStream_t s);
cudaError_t NhwcToNchw(const void* src, KType st, void* dst, KType dt, int n, int c, int h, int w, cudaStream_t s);
// Plain element-wise type conversion (F32 <-> F16).
cudaError_t Convert(const void* src, KType st, void* dst, KType dt, int64_t count, cudaStream_t s);

// y[i] = act(y[i] + bias[i % c] + (res ? res[i] : 0)) in place, F32 or F16. bias may be null (F32
// bias always, so FP16 runs add an exactly-represented FP32 bias before rounding once).
cudaError_t BiasActResidual(void* y, KType t, const float* bias, const void* res, int64_t count, int c,
                            KActParams act, cudaStream_t s);
// out[i] = act(in[i]); in and out may alias.
cudaError_t Activation(const void* in, void* out, KType t, int64_t count, KActParams act, cudaStream_t s);

// Binary elementwise with broadcasting. Shapes are given right-aligned as rank-`rank` strides in
// elements (a stride of 0 broadcasts). out is contiguous with dims out_dims.
enum class KBinary : int { kAdd = 0, kSub, kMul, kDiv, kMax, kMin, kPow };
constexpr int kMaxRank = 6;
struct BroadcastDesc {
  int rank = 0;
  int64_t out_dims[kMaxRank] = {};
  int64_t a_strides[kMaxRank] = {};
  int64_t b_strides[kMaxRank] = {};
};
cudaError_t Binary(KBinary op, const void* a, const void* b, void* out, KType t, const BroadcastDesc& d,
                   cudaStream_t s);

// Pooling over NHWC. kind 0 = max, 1 = average. Output dims are given (the caller computed them,
// ceil mode included). count_include_pad as ONNX AveragePool. I8 average is integer: sum / count
// rounded half away from zero (graph/quant/int8_kernels.h Pool2D); an all-padding I8 max window is -128.
struct PoolDesc {
  int n, h, w, c, oh, ow;
  int kh, kw, sh, sw, ph, pw;   // pads: begin (top/left)
  int pb = 0, pr = 0;           // end pads (bottom/right): only count_include_pad reads them
  int dh = 1, dw = 1;
  bool count_include_pad = false;
  int kind = 0;
};
cudaError_t Pool(const void* in, void* out, KType t, const PoolDesc& d, cudaStream_t s);
// Pooling that applies y = act(x + bias[c]) to each input element before pooling: the epilogue of a
// convolution fused into the pool that follows it (ConvBiasActPool when cuDNN cannot fuse the
// activation). bias may be null.
cudaError_t BiasActPool(const void* in, void* out, KType t, const float* bias, KActParams act, const PoolDesc& d,
                        cudaStream_t s);
// Global average pool: NHWC [n, hw, c] -> [n, c]. Accumulates in F32.
cudaError_t GlobalAvgPool(const void* in, void* out, KType t, int n, int hw, int c, cudaStream_t s);

// Softmax over the middle axis of [outer, axis, inner], F32 accumulation.
cudaError_t Softmax(const void* in, void* out, KType t, int64_t outer, int64_t axis, int64_t inner, cudaStream_t s);

// Copies a [outer, len] block of `in` into columns [offset, offset+len) of `out` rows of width
// out_len: the concat of contiguous tensors along one axis (len and out_len in elements).
cudaError_t ConcatPart(const void* in, void* out, int elem_bytes, int64_t outer, int64_t len, int64_t out_len,
                       int64_t offset, cudaStream_t s);

// Gather copy of a rank <= kMaxRank tensor: out (contiguous, dims out_dims) element at index
// (i_0 .. i_{r-1}) = in[in_offset + sum_k i_k * in_strides[k]], strides and offset in elements.
// One kernel for Transpose (permuted strides), Split (one part: an offset along the split axis) and
// any NCHW <-> NHWC change folded into either. in and out must not overlap. The launcher drops
// size-1 axes and merges axes that are contiguous in both tensors before launching.
struct CopyDesc {
  int rank = 0;
  int64_t out_dims[kMaxRank] = {};
  int64_t in_strides[kMaxRank] = {};
  int64_t in_offset = 0;
};
cudaError_t StridedCopy(const void* in, void* out, int elem_bytes, const CopyDesc& d, cudaStream_t s);

// Resize over NHWC. mode 0 = nearest (ONNX round_prefer_floor / asymmetric), 1 = linear
// (half_pixel). Scales are out/in per axis as ONNX defines.
struct ResizeDesc {
  int n, h, w, c, oh, ow;
  float scale_h, scale_w;
  int mode = 0;
  int coord = 0;   // 0 half_pixel, 1 asymmetric, 2 align_corners, 3 pytorch_half_pixel
  int nearest = 0; // 0 round_prefer_floor, 1 floor, 2 round_prefer_ceil, 3 ceil
};
cudaError_t Resize(const void* in, void* out, KType t, const ResizeDesc& d, cudaStream_t s);

// ---- INT8 ----
// Requantization constants of one output channel: int8_math.h's Multiplier.
struct KMultiplier {
  int32_t multiplier;
  int32_t shift;
};
// Integer activation applied after requantization: clamp to [lo, hi] (ReLU, Clip, none) or, when
// lut is non-null, q = lut[q + 128] after saturation.
struct KIntAct {
  int32_t lo = -128, hi = 127;
  const int8_t* lut = nullptr;   // device pointer to 256 entries, or null
};
// out[m, k] = act(sat(MBQM(acc[m,k] + bias[k], mult[k]) + (res ? MBQM(res[m,k], res_mult) : 0)))
// over an M x K row-major int32 accumulator; bias may be null. The sum with the residual is taken in
// int64 and saturated to int32 before the activation. Bit-exact to graph/quant/int8_kernels.h.
cudaError_t Requantize(const int32_t* acc, int64_t m, int k, const int32_t* bias, const KMultiplier* mult,
                       const int8_t* res, KMultiplier res_mult, KIntAct act, int8_t* out, cudaStream_t s);
// im2col of NHWC int8 input for a (group 1) convolution: col[m, (r*S+s)*C + c], m over N*OH*OW,
// row width ldc >= R*S*C (the tail is zero-filled so the GEMM K dim can be padded).
struct ConvGeom {
  int n, h, w, c, k, r, s, oh, ow, sh, sw, ph, pw, dh, dw, group;
};
cudaError_t Im2ColInt8(const int8_t* in, int8_t* col, const ConvGeom& g, int ldc, cudaStream_t s);
// im2col of an NHWC tensor of 2-byte elements (FP16) for a group-1 convolution: col[m, (r*S+s)*C + c],
// rows of ldc >= R*S*C elements, the tail zero-filled.
cudaError_t Im2Col16(const void* in, void* col, const ConvGeom& g, int ldc, cudaStream_t s);
// Direct INT8 convolution with int32 accumulation for grouped/depthwise layers (weights [K, R, S,
// C/group] int8), writing the int32 accumulator M x K (bias added later by Requantize).
cudaError_t GroupConvInt8(const int8_t* in, const int8_t* w, int32_t* acc, const ConvGeom& g, cudaStream_t s);
// The requantization epilogue of one INT8 node, as device pointers (see Requantize).
struct KEpilogue {
  const int32_t* bias = nullptr;      // [K] or null
  const KMultiplier* mult = nullptr;  // [K]
  const int8_t* res = nullptr;        // residual [M, K] or null
  KMultiplier res_mult{0, 0};
  KIntAct act;
  // Float scaling instead of the fixed-point steps (CudaOptions::int8_exact_epilogue = false; used by
  // ConvInt8Fused only): q = round_half_even(float(acc + bias[k]) * fmult[k] + r * res_fmult), then
  // the same clamps / LUT. Within 1 LSB of the exact result before a LUT activation (docs/gpu.md).
  const float* fmult = nullptr;       // [K] or null (exact)
  float res_fmult = 0.f;
};
// Implicit-GEMM INT8 convolution (group 1) with the requantization fused into its epilogue: tensor
// core mma.sync m16n8k32 (int8 x int8 -> int32) on 128 x tile_n x 64 tiles (tile_n 64 or 128; 0 =
// 64 for K <= 64, else 128), a 3-stage cp.async pipeline doing the im2col gather (zero fill for
// padding), ldmatrix fragments, int8 NHWC output written once. Needs C % 16 == 0 and weights
// [K, ldw] (KRSC rows, ldw = R*S*C rounded up to 16). Bit-exact to the reference (integer
// accumulation, the same epilogue arithmetic as Requantize).
cudaError_t ConvInt8Fused(const int8_t* in, const int8_t* w, int ldw, const ConvGeom& g, const KEpilogue& e, int8_t* out,
                          cudaStream_t s, int tile_n = 0);
// Grouped/depthwise INT8 convolution with the same fused epilogue (direct, one thread per output).
cudaError_t GroupConvInt8Fused(const int8_t* in, const int8_t* w, const ConvGeom& g, const KEpilogue& e, int8_t* out,
                               cudaStream_t s);
// Depthwise convolution (group == C == K) over NHWC with the epilogue fused, V channels per thread.
// Weights are [R*S, C] (RSC: channel fastest). Float path (F32/F16): y = act(conv + bias[c] (+ res));
// INT8 path: the requantization epilogue of KEpilogue (bit exact).
cudaError_t DepthwiseConv(const void* in, const void* w, KType t, const ConvGeom& g, const float* bias, const void* res,
                          KActParams act, void* out, cudaStream_t s);
cudaError_t DepthwiseConvInt8(const int8_t* in, const int8_t* w, const ConvGeom& g, const KEpilogue& e, int8_t* out,
                              cudaStream_t s);
// QuantizeInt8 of an NCHW F32/F16 tensor of c <= 4 channels straight into NHWC int8 (a network's
// input: one pass instead of a layout change and a quantization).
cudaError_t QuantizeNchwToNhwcInt8(const void* in, KType t, int8_t* out, int n, int c, int hw, float scale, cudaStream_t s);
// Global average pool of an int8 NHWC tensor with its dequantization folded in:
// out[n, c] = scale * (sum of the int8 values) / hw, written as F32/F16.
cudaError_t GlobalAvgPoolInt8(const int8_t* in, void* out, KType ot, int n, int hw, int c, float scale, cudaStream_t s);
// INT8 GlobalAveragePool requantized to its output scale (docs/int8-arithmetic.md step 5): NHWC int8
// in, [n, c] int8 out, y = sat8(MulByQuantizedMultiplier(sum, {multiplier, shift})).
cudaError_t GlobalAvgPoolInt8Requant(const int8_t* in, int8_t* out, int n, int hw, int c, int32_t multiplier, int shift,
                                     cudaStream_t s);
// q = sat(round_half_even(x / scale)) from F32/F16; and x = scale * q to F32/F16.
cudaError_t QuantizeInt8(const void* in, KType t, int8_t* out, int64_t count, float scale, cudaStream_t s);
cudaError_t DequantizeInt8(const int8_t* in, void* out, KType t, int64_t count, float scale, cudaStream_t s);

}  // namespace edgeinfer::devices::cuda
