// Our INT8 CUDA kernels (see kernels.h for the contracts): requantization with the arithmetic of
// graph/quant/int8_math.h, im2col (int8 and FP16), grouped INT8 convolution, quantize/dequantize and
// the INT8 global average pool. Grid-stride, NHWC, as kernels.cu.
#include <cuda_fp16.h>

#include "devices/cuda/kernels.h"
#include "devices/cuda/kernel_common.cuh"
#include "devices/cuda/kernel_math.cuh"
#include "devices/cuda/int8_conv_acc.cuh"
#include "graph/quant/int8_math.h"

namespace edgeinfer::devices::cuda {
namespace {

// ---- INT8: the arithmetic of graph/quant/int8_math.h ----
// Its requantization itself (host+device there), in the fast form that equals the reference form
// for every input (MulByQuantizedMultiplierFast, test-checked in tests/graph/quant).
__device__ __forceinline__ int32_t MBQM(int32_t x, KMultiplier m) {
  return edgeinfer::int8::MulByQuantizedMultiplierFast(x, m.multiplier, m.shift);
}

__global__ void RequantizeK(const int32_t* __restrict__ acc, int64_t m, int k, const int32_t* __restrict__ bias,
                            const KMultiplier* __restrict__ mult, const int8_t* __restrict__ res, KMultiplier res_mult,
                            KIntAct act, int8_t* __restrict__ out) {
  const int64_t count = m * k;
  GRID_STRIDE(i, count) {
    int ch;
    DivMod(i, k, &ch);
    int32_t a = acc[i];
    if (bias) a += bias[ch];
    int32_t v = MBQM(a, mult[ch]);
    if (res) v = edgeinfer::int8::SaturatingAdd(v, MBQM(static_cast<int32_t>(res[i]), res_mult));
    v = v < act.lo ? act.lo : (v > act.hi ? act.hi : v);
    v = v < -128 ? -128 : (v > 127 ? 127 : v);
    if (act.lut) v = act.lut[v + 128];
    out[i] = static_cast<int8_t>(v);
  }
}

// im2col for channel counts that are not a multiple of 4 (the first layer, C = 3): one thread per
// 16-byte chunk of a row, assembled in registers and stored at once; the (r, s, c) tap position is
// divided out once per chunk and then stepped.
__global__ void Im2ColInt8ChunkK(const int8_t* __restrict__ in, int8_t* __restrict__ col, ConvGeom g, int ldc) {
  const int64_t rows = static_cast<int64_t>(g.n) * g.oh * g.ow;
  const int per_row = ldc / 16;
  const int64_t count = rows * per_row;
  const int rsc = g.r * g.s * g.c;
  GRID_STRIDE(i, count) {
    int chunk, ox, oy;
    int64_t row = DivMod(i, per_row, &chunk);
    int64_t t = DivMod(row, g.ow, &ox);
    int n = static_cast<int>(DivMod(t, g.oh, &oy));
    const int8_t* base = in + static_cast<int64_t>(n) * g.h * g.w * g.c;
    const int y0 = oy * g.sh - g.ph, x0 = ox * g.sw - g.pw;
    int j = chunk * 16;
    int c = j % g.c, rs = j / g.c, sx = rs % g.s, ry = rs / g.s;
    alignas(16) int8_t v[16];
#pragma unroll
    for (int b = 0; b < 16; ++b) {
      int8_t x = 0;
      if (j < rsc) {
        const int y = y0 + ry * g.dh, xx = x0 + sx * g.dw;
        if (y >= 0 && y < g.h && xx >= 0 && xx < g.w) x = base[(static_cast<int64_t>(y) * g.w + xx) * g.c + c];
      }
      v[b] = x;
      ++j;
      if (++c == g.c) {
        c = 0;
        if (++sx == g.s) { sx = 0; ++ry; }
      }
    }
    *reinterpret_cast<uint4*>(col + row * ldc + chunk * 16) = *reinterpret_cast<const uint4*>(v);
  }
}

// im2col of a first layer (C = 3, 7x7 or 3x3 kernels): one thread per output pixel assembles its
// whole padded column row (R*S*C bytes rounded up to 16) in registers from R runs of S*C bytes,
// then the block's rows, contiguous in the column matrix, are written through shared memory with
// coalesced 16-byte stores.
template <int kR, int kS, int kC>
__global__ void __launch_bounds__(128) Im2ColInt8PixelK(const int8_t* __restrict__ in, int8_t* __restrict__ col, ConvGeom g) {
  constexpr int kLd = (kR * kS * kC + 15) / 16 * 16, kWords = kLd / 4;
  __shared__ __align__(16) uint32_t rows_s[128 * kWords];
  const int64_t rows = static_cast<int64_t>(g.n) * g.oh * g.ow;
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * 128;
  const int64_t row = row0 + threadIdx.x;
  uint32_t w[kWords];
#pragma unroll
  for (int i = 0; i < kWords; ++i) w[i] = 0;
  if (row < rows) {
    int ox, oy;
    const int64_t t = DivMod(row, g.ow, &ox);
    const int n = static_cast<int>(DivMod(t, g.oh, &oy));
    const int y0 = oy * g.sh - g.ph, x0 = ox * g.sw - g.pw;
#pragma unroll
    for (int r = 0; r < kR; ++r) {
      const int y = y0 + r * g.dh;
      if (y < 0 || y >= g.h) continue;
      const int8_t* src = in + (static_cast<int64_t>(n) * g.h + y) * g.w * kC;
#pragma unroll
      for (int sx = 0; sx < kS; ++sx) {
        const int x = x0 + sx * g.dw;
        if (x < 0 || x >= g.w) continue;
#pragma unroll
        for (int c = 0; c < kC; ++c) {
          const int j = (r * kS + sx) * kC + c;
          w[j / 4] |= static_cast<uint32_t>(static_cast<uint8_t>(src[x * kC + c])) << (8 * (j % 4));
        }
      }
    }
  }
#pragma unroll
  for (int i = 0; i < kWords; i += 4)
    *reinterpret_cast<uint4*>(&rows_s[threadIdx.x * kWords + i]) = make_uint4(w[i], w[i + 1], w[i + 2], w[i + 3]);
  __syncthreads();
  const int64_t valid = rows - row0 < 128 ? rows - row0 : 128;
  const int chunks = static_cast<int>(valid) * (kLd / 16);
  uint4* dst = reinterpret_cast<uint4*>(col + row0 * kLd);
  const uint4* srcs = reinterpret_cast<const uint4*>(rows_s);
  for (int i = threadIdx.x; i < chunks; i += 128) dst[i] = srcs[i];
}

__global__ void Im2ColInt8K(const int8_t* __restrict__ in, int8_t* __restrict__ col, ConvGeom g, int ldc) {
  // One thread per 4 consecutive columns when C % 4 == 0 (a 4-byte word), else per byte.
  const int64_t rows = static_cast<int64_t>(g.n) * g.oh * g.ow;
  const bool vec = (g.c % 4 == 0) && (ldc % 4 == 0);
  const int per_row = vec ? ldc / 4 : ldc;
  const int64_t count = rows * per_row;
  const int rsc = g.r * g.s * g.c;
  GRID_STRIDE(i, count) {
    int colw, ox, oy;
    int64_t row = DivMod(i, per_row, &colw);
    int64_t t = DivMod(row, g.ow, &ox);
    int n = static_cast<int>(DivMod(t, g.oh, &oy));
    if (vec) {
      int j = colw * 4;
      int32_t v = 0;
      if (j < rsc) {
        int c = j % g.c, rs = j / g.c, sx = rs % g.s, ry = rs / g.s;
        int y = oy * g.sh - g.ph + ry * g.dh, x = ox * g.sw - g.pw + sx * g.dw;
        if (y >= 0 && y < g.h && x >= 0 && x < g.w)
          v = *reinterpret_cast<const int32_t*>(in + ((static_cast<int64_t>(n) * g.h + y) * g.w + x) * g.c + c);
      }
      reinterpret_cast<int32_t*>(col + row * ldc)[colw] = v;
    } else {
      int j = colw;
      int8_t v = 0;
      if (j < rsc) {
        int c = j % g.c, rs = j / g.c, sx = rs % g.s, ry = rs / g.s;
        int y = oy * g.sh - g.ph + ry * g.dh, x = ox * g.sw - g.pw + sx * g.dw;
        if (y >= 0 && y < g.h && x >= 0 && x < g.w) v = in[((static_cast<int64_t>(n) * g.h + y) * g.w + x) * g.c + c];
      }
      col[row * ldc + j] = v;
    }
  }
}

__global__ void Im2Col16K(const uint16_t* __restrict__ in, uint16_t* __restrict__ col, ConvGeom g, int ldc) {
  // One thread per 4 consecutive columns (8 bytes) when C % 4 == 0, else per element.
  const int64_t rows = static_cast<int64_t>(g.n) * g.oh * g.ow;
  const bool vec = (g.c % 4 == 0) && (ldc % 4 == 0);
  const int per_row = vec ? ldc / 4 : ldc;
  const int64_t count = rows * per_row;
  const int rsc = g.r * g.s * g.c;
  GRID_STRIDE(i, count) {
    int colw, ox, oy;
    int64_t row = DivMod(i, per_row, &colw);
    int64_t t = DivMod(row, g.ow, &ox);
    int n = static_cast<int>(DivMod(t, g.oh, &oy));
    int j = vec ? colw * 4 : colw;
    bool ok = j < rsc;
    int64_t src = 0;
    if (ok) {
      int c = j % g.c, rs = j / g.c, sx = rs % g.s, ry = rs / g.s;
      int y = oy * g.sh - g.ph + ry * g.dh, x = ox * g.sw - g.pw + sx * g.dw;
      ok = y >= 0 && y < g.h && x >= 0 && x < g.w;
      src = ((static_cast<int64_t>(n) * g.h + y) * g.w + x) * g.c + c;
    }
    if (vec) {
      uint2 v = make_uint2(0, 0);
      if (ok) v = *reinterpret_cast<const uint2*>(in + src);
      *reinterpret_cast<uint2*>(col + row * ldc + j) = v;
    } else {
      col[row * ldc + j] = ok ? in[src] : 0;
    }
  }
}

__global__ void GroupConvInt8K(const int8_t* __restrict__ in, const int8_t* __restrict__ w, int32_t* __restrict__ acc,
                               ConvGeom g) {
  const int64_t count = static_cast<int64_t>(g.n) * g.oh * g.ow * g.k;
  GRID_STRIDE(i, count) {
    int k;
    acc[i] = GroupConvInt8Acc(in, w, g, i, &k);
  }
}

template <class T>
__global__ void QuantizeK(const T* __restrict__ in, int8_t* __restrict__ out, int64_t count, float scale) {
  GRID_STRIDE(i, count) {
    float q = nearbyintf(ToF<T>(in[i]) / scale);   // round half to even, as std::nearbyint
    int v = isnan(q) ? 0 : (q < -128.f ? -128 : (q > 127.f ? 127 : static_cast<int>(q)));
    out[i] = static_cast<int8_t>(v);
  }
}

template <class T>
__global__ void QuantizeNchwToNhwcK(const T* __restrict__ in, int8_t* __restrict__ out, int c, int hw, int64_t pixels, float scale) {
  GRID_STRIDE(i, pixels) {
    int p;
    const int64_t n = DivMod(i, hw, &p);
    const T* src = in + n * c * hw + p;
    for (int k = 0; k < c; ++k) {
      float q = nearbyintf(ToF<T>(src[static_cast<int64_t>(k) * hw]) / scale);   // as QuantizeK
      int v = isnan(q) ? 0 : (q < -128.f ? -128 : (q > 127.f ? 127 : static_cast<int>(q)));
      out[i * c + k] = static_cast<int8_t>(v);
    }
  }
}

// c == 3, F32, hw % 4 == 0: one thread per 4 pixels of a plane, float4 reads, three 32-bit writes.
__global__ void QuantizeNchwToNhwc3x4K(const float* __restrict__ in, int8_t* __restrict__ out, int hw, int64_t quads, float scale) {
  GRID_STRIDE(i, quads) {
    int pq;
    const int64_t n = DivMod(i, hw / 4, &pq);
    const float* src = in + n * 3 * hw + static_cast<int64_t>(pq) * 4;
    uint32_t b[3] = {0, 0, 0};
#pragma unroll
    for (int k = 0; k < 3; ++k) {
      const float4 v = *reinterpret_cast<const float4*>(src + static_cast<int64_t>(k) * hw);
      const float f[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
      for (int px = 0; px < 4; ++px) {
        float q = nearbyintf(f[px] / scale);   // as QuantizeK
        int x = isnan(q) ? 0 : (q < -128.f ? -128 : (q > 127.f ? 127 : static_cast<int>(q)));
        const int j = px * 3 + k;   // NHWC byte of pixel px, channel k
        b[j / 4] |= static_cast<uint32_t>(static_cast<uint8_t>(x)) << (8 * (j % 4));
      }
    }
    uint32_t* dst = reinterpret_cast<uint32_t*>(out + i * 12);
    dst[0] = b[0];
    dst[1] = b[1];
    dst[2] = b[2];
  }
}

template <class T>
__global__ void DequantizeK(const int8_t* __restrict__ in, T* __restrict__ out, int64_t count, float scale) {
  GRID_STRIDE(i, count) out[i] = FromF<T>(scale * static_cast<float>(in[i]));
}

}  // namespace

// Sum of plane i (= n * c + channel) of an NHWC int8 tensor with hw pixels per map.
__device__ __forceinline__ int32_t SumInt8PlaneNhwc(const int8_t* __restrict__ in, int64_t i, int hw, int c) {
  int cc;
  const int64_t nn = DivMod(i, c, &cc);
  const int8_t* p = in + nn * hw * c + cc;
  int32_t acc = 0;
  for (int k = 0; k < hw; ++k) acc += p[static_cast<int64_t>(k) * c];
  return acc;
}

template <class To>
__global__ void GlobalAvgPoolInt8K(const int8_t* __restrict__ in, To* __restrict__ out, int n, int hw, int c, float scale) {
  const int64_t count = static_cast<int64_t>(n) * c;
  GRID_STRIDE(i, count) {
    out[i] = FromF<To>(scale * static_cast<float>(SumInt8PlaneNhwc(in, i, hw, c)) / static_cast<float>(hw));
  }
}

__global__ void GlobalAvgPoolInt8RequantK(const int8_t* __restrict__ in, int8_t* __restrict__ out, int n, int hw, int c,
                                          int32_t multiplier, int shift) {
  const int64_t count = static_cast<int64_t>(n) * c;
  int8::Multiplier m;
  m.multiplier = multiplier;
  m.shift = shift;
  GRID_STRIDE(i, count) { out[i] = int8::SaturateInt8(int8::MulByQuantizedMultiplier(SumInt8PlaneNhwc(in, i, hw, c), m)); }
}

cudaError_t GlobalAvgPoolInt8Requant(const int8_t* in, int8_t* out, int n, int hw, int c, int32_t multiplier, int shift,
                                     cudaStream_t s) {
  const int64_t count = static_cast<int64_t>(n) * c;
  if (count == 0) return cudaSuccess;
  GlobalAvgPoolInt8RequantK<<<Blocks(count), kThreads, 0, s>>>(in, out, n, hw, c, multiplier, shift);
  return cudaGetLastError();
}

cudaError_t GlobalAvgPoolInt8(const int8_t* in, void* out, KType ot, int n, int hw, int c, float scale, cudaStream_t s) {
  const int64_t count = static_cast<int64_t>(n) * c;
  if (count == 0) return cudaSuccess;
  if (ot == KType::kF32) GlobalAvgPoolInt8K<float><<<Blocks(count), kThreads, 0, s>>>(in, static_cast<float*>(out), n, hw, c, scale);
  else if (ot == KType::kF16) GlobalAvgPoolInt8K<__half><<<Blocks(count), kThreads, 0, s>>>(in, static_cast<__half*>(out), n, hw, c, scale);
  else return cudaErrorInvalidValue;
  return cudaGetLastError();
}

cudaError_t Requantize(const int32_t* acc, int64_t m, int k, const int32_t* bias, const KMultiplier* mult,
                       const int8_t* res, KMultiplier res_mult, KIntAct act, int8_t* out, cudaStream_t s) {
  int64_t count = m * k;
  if (count == 0) return cudaSuccess;
  RequantizeK<<<Blocks(count), kThreads, 0, s>>>(acc, m, k, bias, mult, res, res_mult, act, out);
  return cudaGetLastError();
}

cudaError_t Im2ColInt8(const int8_t* in, int8_t* col, const ConvGeom& g, int ldc, cudaStream_t s) {
  int64_t rows = static_cast<int64_t>(g.n) * g.oh * g.ow;
  bool vec = (g.c % 4 == 0) && (ldc % 4 == 0);
  if (g.c == 3 && rows > 0 && rows / 128 < INT32_MAX) {
    const unsigned blocks = static_cast<unsigned>((rows + 127) / 128);
    if (g.r == 7 && g.s == 7 && ldc == 160) {
      Im2ColInt8PixelK<7, 7, 3><<<blocks, 128, 0, s>>>(in, col, g);
      return cudaGetLastError();
    }
    if (g.r == 3 && g.s == 3 && ldc == 32) {
      Im2ColInt8PixelK<3, 3, 3><<<blocks, 128, 0, s>>>(in, col, g);
      return cudaGetLastError();
    }
  }
  if (!vec && ldc % 16 == 0) {
    int64_t chunks = rows * (ldc / 16);
    if (chunks == 0) return cudaSuccess;
    Im2ColInt8ChunkK<<<Blocks(chunks), kThreads, 0, s>>>(in, col, g, ldc);
    return cudaGetLastError();
  }
  int64_t count = rows * (vec ? ldc / 4 : ldc);
  if (count == 0) return cudaSuccess;
  Im2ColInt8K<<<Blocks(count), kThreads, 0, s>>>(in, col, g, ldc);
  return cudaGetLastError();
}

cudaError_t Im2Col16(const void* in, void* col, const ConvGeom& g, int ldc, cudaStream_t s) {
  int64_t rows = static_cast<int64_t>(g.n) * g.oh * g.ow;
  bool vec = (g.c % 4 == 0) && (ldc % 4 == 0);
  int64_t count = rows * (vec ? ldc / 4 : ldc);
  if (count == 0) return cudaSuccess;
  Im2Col16K<<<Blocks(count), kThreads, 0, s>>>(static_cast<const uint16_t*>(in), static_cast<uint16_t*>(col), g, ldc);
  return cudaGetLastError();
}

cudaError_t GroupConvInt8(const int8_t* in, const int8_t* w, int32_t* acc, const ConvGeom& g, cudaStream_t s) {
  int64_t count = static_cast<int64_t>(g.n) * g.oh * g.ow * g.k;
  if (count == 0) return cudaSuccess;
  GroupConvInt8K<<<Blocks(count), kThreads, 0, s>>>(in, w, acc, g);
  return cudaGetLastError();
}

cudaError_t QuantizeNchwToNhwcInt8(const void* in, KType t, int8_t* out, int n, int c, int hw, float scale, cudaStream_t s) {
  const int64_t pixels = static_cast<int64_t>(n) * hw;
  if (c < 1 || c > 4) return cudaErrorInvalidValue;
  if (pixels == 0) return cudaSuccess;
  if (t == KType::kF32 && c == 3 && hw % 4 == 0 && reinterpret_cast<uintptr_t>(in) % 16 == 0 && reinterpret_cast<uintptr_t>(out) % 4 == 0) {
    QuantizeNchwToNhwc3x4K<<<Blocks(pixels / 4), kThreads, 0, s>>>(static_cast<const float*>(in), out, hw, pixels / 4, scale);
    return cudaGetLastError();
  }
  if (t == KType::kF32) QuantizeNchwToNhwcK<float><<<Blocks(pixels), kThreads, 0, s>>>(static_cast<const float*>(in), out, c, hw, pixels, scale);
  else if (t == KType::kF16) QuantizeNchwToNhwcK<__half><<<Blocks(pixels), kThreads, 0, s>>>(static_cast<const __half*>(in), out, c, hw, pixels, scale);
  else return cudaErrorInvalidValue;
  return cudaGetLastError();
}

cudaError_t QuantizeInt8(const void* in, KType t, int8_t* out, int64_t count, float scale, cudaStream_t s) {
  if (count == 0) return cudaSuccess;
  if (t == KType::kF32) {
    QuantizeK<float><<<Blocks(count), kThreads, 0, s>>>(static_cast<const float*>(in), out, count, scale);
  } else if (t == KType::kF16) {
    QuantizeK<__half><<<Blocks(count), kThreads, 0, s>>>(static_cast<const __half*>(in), out, count, scale);
  } else {
    return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

cudaError_t DequantizeInt8(const int8_t* in, void* out, KType t, int64_t count, float scale, cudaStream_t s) {
  if (count == 0) return cudaSuccess;
  if (t == KType::kF32) {
    DequantizeK<float><<<Blocks(count), kThreads, 0, s>>>(in, static_cast<float*>(out), count, scale);
  } else if (t == KType::kF16) {
    DequantizeK<__half><<<Blocks(count), kThreads, 0, s>>>(in, static_cast<__half*>(out), count, scale);
  } else {
    return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

}  // namespace edgeinfer::devices::cuda
