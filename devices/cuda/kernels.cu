// Our CUDA kernels (see kernels.h for the contracts). Simple grid-stride kernels: every one here is
// memory bound, so the design goal is one pass over the data with coalesced NHWC access (the channel
// index is the fastest-moving one) and F32 arithmetic inside. Known limits: no vectorised 16-byte
// loads yet; pooling and resize recompute window bounds per output element.
#include <cuda_fp16.h>

#include "devices/cuda/kernels.h"
#include "devices/cuda/kernel_math.cuh"
#include "devices/cuda/int8_conv_acc.cuh"
#include "graph/quant/int8_math.h"

namespace edgeinfer::devices::cuda {
namespace {

constexpr int kThreads = 256;

inline unsigned Blocks(int64_t count) {
  int64_t b = (count + kThreads - 1) / kThreads;
  if (b > 65535LL * 16) b = 65535LL * 16;
  if (b < 1) b = 1;
  return static_cast<unsigned>(b);
}

#define GRID_STRIDE(i, count) \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (count); i += static_cast<int64_t>(blockDim.x) * gridDim.x)

// x / d and x % d, in 32-bit arithmetic when x fits (64-bit division is a long instruction sequence).
__device__ __forceinline__ int64_t DivMod(int64_t x, int d, int* rem) {
  if (x >= 0 && x < 0x7fffffffLL) {
    unsigned q = static_cast<unsigned>(x) / static_cast<unsigned>(d);
    *rem = static_cast<int>(static_cast<unsigned>(x) - q * static_cast<unsigned>(d));
    return q;
  }
  int64_t q = x / d;
  *rem = static_cast<int>(x - q * d);
  return q;
}

__device__ __forceinline__ float Load(const void* p, KType t, int64_t i) {
  switch (t) {
    case KType::kF32: return static_cast<const float*>(p)[i];
    case KType::kF16: return __half2float(static_cast<const __half*>(p)[i]);
    case KType::kI8: return static_cast<float>(static_cast<const int8_t*>(p)[i]);
    case KType::kI32: return static_cast<float>(static_cast<const int32_t*>(p)[i]);
  }
  return 0.f;
}

__device__ __forceinline__ void Store(void* p, KType t, int64_t i, float v) {
  switch (t) {
    case KType::kF32: static_cast<float*>(p)[i] = v; break;
    case KType::kF16: static_cast<__half*>(p)[i] = __float2half_rn(v); break;
    case KType::kI8: static_cast<int8_t*>(p)[i] = static_cast<int8_t>(v); break;
    case KType::kI32: static_cast<int32_t*>(p)[i] = static_cast<int32_t>(v); break;
  }
}

// ---- layout conversion: tiled transpose of the [C, HW] plane of each image ----
// kToNhwc: src [C, HW] -> dst [HW, C] per image; else the reverse. A 32x32 tile through shared
// memory so both the read and the write are coalesced.
template <class Ti, class To, bool kToNhwc>
__global__ void TransposePlaneK(const Ti* __restrict__ src, To* __restrict__ dst, int c, int hw) {
  __shared__ float tile[32][33];
  const int n = blockIdx.z;
  const int c0 = blockIdx.y * 32, p0 = blockIdx.x * 32;
  const Ti* s = src + static_cast<int64_t>(n) * c * hw;
  To* d = dst + static_cast<int64_t>(n) * c * hw;
  // Reads walk the source's contiguous axis with threadIdx.x, writes the destination's.
  for (int j = threadIdx.y; j < 32; j += blockDim.y) {
    const int cc = kToNhwc ? c0 + j : c0 + threadIdx.x, pp = kToNhwc ? p0 + threadIdx.x : p0 + j;
    if (cc < c && pp < hw) tile[j][threadIdx.x] = ToF<Ti>(kToNhwc ? s[static_cast<int64_t>(cc) * hw + pp] : s[static_cast<int64_t>(pp) * c + cc]);
  }
  __syncthreads();
  for (int j = threadIdx.y; j < 32; j += blockDim.y) {
    const int cc = kToNhwc ? c0 + threadIdx.x : c0 + j, pp = kToNhwc ? p0 + j : p0 + threadIdx.x;
    if (cc < c && pp < hw) {
      const To v = FromF<To>(tile[threadIdx.x][j]);
      if (kToNhwc) d[static_cast<int64_t>(pp) * c + cc] = v;
      else d[static_cast<int64_t>(cc) * hw + pp] = v;
    }
  }
}

// Few channels (the network input, C = 3): one thread per pixel; reads are coalesced across
// threads (consecutive pixels of one plane), each thread writes its C values.
template <class Ti, class To>
__global__ void NchwToNhwcSmallK(const Ti* __restrict__ src, To* __restrict__ dst, int c, int hw, int64_t count) {
  GRID_STRIDE(i, count) {
    int p;
    int64_t n = DivMod(i, hw, &p);
    const Ti* sp = src + n * c * hw + p;
    To* dp = dst + i * c;
    for (int k = 0; k < c; ++k) dp[k] = FromF<To>(ToF<Ti>(sp[static_cast<int64_t>(k) * hw]));
  }
}

template <class Ti, class To>
void LaunchOne(bool to_nhwc, const void* src, void* dst, int n, int c, int hw, cudaStream_t s) {
  if (to_nhwc && c <= 4) {
    const int64_t count = static_cast<int64_t>(n) * hw;
    NchwToNhwcSmallK<Ti, To><<<Blocks(count), kThreads, 0, s>>>(static_cast<const Ti*>(src), static_cast<To*>(dst), c, hw, count);
    return;
  }
  dim3 block(32, 8);
  dim3 grid((hw + 31) / 32, (c + 31) / 32, n);
  if (to_nhwc) TransposePlaneK<Ti, To, true><<<grid, block, 0, s>>>(static_cast<const Ti*>(src), static_cast<To*>(dst), c, hw);
  else TransposePlaneK<Ti, To, false><<<grid, block, 0, s>>>(static_cast<const Ti*>(src), static_cast<To*>(dst), c, hw);
}

template <class Ti>
cudaError_t LaunchLayoutTo(bool to_nhwc, const void* src, void* dst, KType dt, int n, int c, int hw, cudaStream_t s) {
  switch (dt) {
    case KType::kF32: LaunchOne<Ti, float>(to_nhwc, src, dst, n, c, hw, s); break;
    case KType::kF16: LaunchOne<Ti, __half>(to_nhwc, src, dst, n, c, hw, s); break;
    case KType::kI8: LaunchOne<Ti, int8_t>(to_nhwc, src, dst, n, c, hw, s); break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

cudaError_t LaunchLayout(bool to_nhwc, const void* src, KType st, void* dst, KType dt, int n, int c, int hw, cudaStream_t s) {
  if ((st == KType::kI8) != (dt == KType::kI8)) return cudaErrorInvalidValue;   // no int8<->float here
  if (n == 0 || c == 0 || hw == 0) return cudaSuccess;
  switch (st) {
    case KType::kF32: return LaunchLayoutTo<float>(to_nhwc, src, dst, dt, n, c, hw, s);
    case KType::kF16: return LaunchLayoutTo<__half>(to_nhwc, src, dst, dt, n, c, hw, s);
    case KType::kI8: return LaunchLayoutTo<int8_t>(to_nhwc, src, dst, dt, n, c, hw, s);
    default: return cudaErrorInvalidValue;
  }
}

__global__ void ConvertK(const void* src, KType st, void* dst, KType dt, int64_t count) {
  GRID_STRIDE(i, count) Store(dst, dt, i, Load(src, st, i));
}

// ---- epilogues and activations ----
template <class T>
__global__ void BiasActResidualK(T* y, const float* __restrict__ bias, const T* __restrict__ res, int64_t count, int c,
                                 KActParams act) {
  GRID_STRIDE(i, count) {
    float v = ToF<T>(y[i]);
    int ch;
    DivMod(i, c, &ch);
    if (bias) v += bias[ch];
    if (res) v += ToF<T>(res[i]);
    y[i] = FromF<T>(ApplyAct(act, v));
  }
}

template <class T>
__global__ void ActivationK(const T* in, T* out, int64_t count, KActParams act) {
  GRID_STRIDE(i, count) out[i] = FromF<T>(ApplyAct(act, ToF<T>(in[i])));
}

template <class T>
__global__ void BinaryK(KBinary op, const T* a, const T* b, T* out, BroadcastDesc d, int64_t count) {
  GRID_STRIDE(i, count) {
    int64_t rem = i, ai = 0, bi = 0;
    for (int k = d.rank - 1; k >= 0; --k) {
      int64_t idx = rem % d.out_dims[k];
      rem /= d.out_dims[k];
      ai += idx * d.a_strides[k];
      bi += idx * d.b_strides[k];
    }
    float x = ToF<T>(a[ai]), y = ToF<T>(b[bi]), r = 0.f;
    switch (op) {
      case KBinary::kAdd: r = x + y; break;
      case KBinary::kSub: r = x - y; break;
      case KBinary::kMul: r = x * y; break;
      case KBinary::kDiv: r = x / y; break;
      case KBinary::kMax: r = fmaxf(x, y); break;
      case KBinary::kMin: r = fminf(x, y); break;
      case KBinary::kPow: r = powf(x, y); break;
    }
    out[i] = FromF<T>(r);
  }
}

// ---- pooling ----
template <class T>
__global__ void PoolK(const T* __restrict__ in, T* __restrict__ out, PoolDesc d, const float* __restrict__ bias,
                      KActParams act, bool pre) {
  const int64_t count = static_cast<int64_t>(d.n) * d.oh * d.ow * d.c;
  GRID_STRIDE(i, count) {
    int c, ox, oy;
    int64_t t = DivMod(i, d.c, &c);
    t = DivMod(t, d.ow, &ox);
    int n = static_cast<int>(DivMod(t, d.oh, &oy));
    int y0 = oy * d.sh - d.ph, x0 = ox * d.sw - d.pw;
    float acc = d.kind == 0 ? -INFINITY : 0.f;
    int32_t iacc = 0;
    int cnt = 0, valid = 0;
    for (int ky = 0; ky < d.kh; ++ky) {
      int y = y0 + ky * d.dh;
      for (int kx = 0; kx < d.kw; ++kx) {
        int x = x0 + kx * d.dw;
        bool inside = y >= 0 && y < d.h && x >= 0 && x < d.w;
        if (!inside) {
          // ONNX count_include_pad counts the begin/end padding, not ceil-mode overhang past it.
          if (d.count_include_pad && y >= -d.ph && x >= -d.pw && y < d.h + d.pb && x < d.w + d.pr) ++cnt;
          continue;
        }
        T raw = in[((static_cast<int64_t>(n) * d.h + y) * d.w + x) * d.c + c];
        float v = ToF<T>(raw);
        if (pre) v = ApplyAct(act, bias ? v + bias[c] : v);
        if (d.kind == 0) acc = fmaxf(acc, v); else acc += v;
        iacc += static_cast<int32_t>(v);
        ++cnt;
        ++valid;
      }
    }
    if (sizeof(T) == 1) {   // int8: exact integer pooling
      int32_t r;
      if (d.kind == 0) {
        r = valid > 0 ? static_cast<int32_t>(acc) : -128;
      } else {
        r = cnt > 0 ? (iacc >= 0 ? (iacc + cnt / 2) / cnt : -((-iacc + cnt / 2) / cnt)) : 0;
        r = r < -128 ? -128 : (r > 127 ? 127 : r);
      }
      out[i] = static_cast<T>(r);
      continue;
    }
    if (d.kind == 1) acc = cnt > 0 ? acc / static_cast<float>(cnt) : 0.f;
    out[i] = FromF<T>(acc);
  }
}

// Max pooling, V channels per thread with one 16-byte load per tap (int8: 16 channels, half: 8).
template <class T, int V>
__global__ void MaxPoolVecK(const T* __restrict__ in, T* __restrict__ out, PoolDesc d) {
  const int cg = d.c / V;
  const int64_t count = static_cast<int64_t>(d.n) * d.oh * d.ow * cg;
  GRID_STRIDE(i, count) {
    int cgi, ox, oy;
    int64_t t = DivMod(i, cg, &cgi);
    t = DivMod(t, d.ow, &ox);
    int n = static_cast<int>(DivMod(t, d.oh, &oy));
    const int y0 = oy * d.sh - d.ph, x0 = ox * d.sw - d.pw;
    float best[V];
#pragma unroll
    for (int v = 0; v < V; ++v) best[v] = -INFINITY;
    bool any = false;
    for (int ky = 0; ky < d.kh; ++ky) {
      const int y = y0 + ky * d.dh;
      if (y < 0 || y >= d.h) continue;
      for (int kx = 0; kx < d.kw; ++kx) {
        const int x = x0 + kx * d.dw;
        if (x < 0 || x >= d.w) continue;
        T v[V];
        *reinterpret_cast<uint4*>(v) = *reinterpret_cast<const uint4*>(in + ((static_cast<int64_t>(n) * d.h + y) * d.w + x) * d.c + cgi * V);
#pragma unroll
        for (int k = 0; k < V; ++k) best[k] = fmaxf(best[k], ToF<T>(v[k]));
        any = true;
      }
    }
    T o[V];
#pragma unroll
    for (int k = 0; k < V; ++k) o[k] = any ? FromF<T>(best[k]) : (sizeof(T) == 1 ? static_cast<T>(-128) : FromF<T>(-INFINITY));
    *reinterpret_cast<uint4*>(out + i * V) = *reinterpret_cast<uint4*>(o);
  }
}

template <class T>
__global__ void GlobalAvgPoolK(const T* __restrict__ in, T* __restrict__ out, int n, int hw, int c) {
  // One thread per (n, c); consecutive threads read consecutive channels (coalesced).
  const int64_t count = static_cast<int64_t>(n) * c;
  GRID_STRIDE(i, count) {
    int cc = static_cast<int>(i % c);
    int64_t nn = i / c;
    const T* p = in + nn * hw * c + cc;
    float acc = 0.f;
    for (int k = 0; k < hw; ++k) acc += ToF<T>(p[static_cast<int64_t>(k) * c]);
    out[i] = FromF<T>(acc / static_cast<float>(hw));
  }
}

template <class T>
__global__ void SoftmaxK(const T* __restrict__ in, T* __restrict__ out, int64_t outer, int64_t axis, int64_t inner) {
  const int64_t rows = outer * inner;
  GRID_STRIDE(r, rows) {
    int64_t o = r / inner, in_i = r % inner;
    const T* p = in + o * axis * inner + in_i;
    T* q = out + o * axis * inner + in_i;
    float m = -INFINITY;
    for (int64_t k = 0; k < axis; ++k) m = fmaxf(m, ToF<T>(p[k * inner]));
    float sum = 0.f;
    for (int64_t k = 0; k < axis; ++k) sum += expf(ToF<T>(p[k * inner]) - m);
    for (int64_t k = 0; k < axis; ++k) q[k * inner] = FromF<T>(expf(ToF<T>(p[k * inner]) - m) / sum);
  }
}

__global__ void ConcatK(const uint8_t* __restrict__ in, uint8_t* __restrict__ out, int eb, int64_t outer, int64_t len,
                        int64_t out_len, int64_t offset) {
  const int64_t count = outer * len * eb;
  const int64_t row_bytes = len * eb;
  GRID_STRIDE(i, count) {
    int64_t o = i / row_bytes, j = i % row_bytes;
    out[(o * out_len + offset) * eb + j] = in[i];
  }
}

// One thread per output element; the innermost (merged) axis is split off in 32-bit arithmetic so
// that consecutive threads write consecutive addresses and read with a fixed stride.
template <class T>
__global__ void StridedCopyK(const T* __restrict__ in, T* __restrict__ out, CopyDesc d, int64_t count) {
  const int last = d.rank - 1;
  const int inner = static_cast<int>(d.out_dims[last]);
  GRID_STRIDE(i, count) {
    int r = 0;
    int64_t rem = DivMod(i, inner, &r);
    int64_t src = d.in_offset + r * d.in_strides[last];
    for (int k = last - 1; k >= 0; --k) {
      int idx = 0;
      rem = DivMod(rem, static_cast<int>(d.out_dims[k]), &idx);
      src += idx * d.in_strides[k];
    }
    out[i] = in[src];
  }
}

__device__ __forceinline__ float SrcCoord(int o, float scale, int in_len, int out_len, int coord) {
  switch (coord) {
    case 0: return (o + 0.5f) / scale - 0.5f;
    case 1: return o / scale;
    case 2: return out_len > 1 ? o * static_cast<float>(in_len - 1) / (out_len - 1) : 0.f;
    case 3: return out_len > 1 ? (o + 0.5f) / scale - 0.5f : 0.f;
  }
  return o / scale;
}

__device__ __forceinline__ int NearestIdx(float x, int mode, int len) {
  int i;
  switch (mode) {
    case 0: i = static_cast<int>(ceilf(x - 0.5f)); break;    // round_prefer_floor
    case 1: i = static_cast<int>(floorf(x)); break;
    case 2: i = static_cast<int>(floorf(x + 0.5f)); break;   // round_prefer_ceil
    default: i = static_cast<int>(ceilf(x)); break;
  }
  return i < 0 ? 0 : (i >= len ? len - 1 : i);
}

template <class T>
__global__ void ResizeK(const T* __restrict__ in, T* __restrict__ out, ResizeDesc d) {
  const int64_t count = static_cast<int64_t>(d.n) * d.oh * d.ow * d.c;
  GRID_STRIDE(i, count) {
    int c, ox, oy;
    int64_t t = DivMod(i, d.c, &c);
    t = DivMod(t, d.ow, &ox);
    int n = static_cast<int>(DivMod(t, d.oh, &oy));
    float fy = SrcCoord(oy, d.scale_h, d.h, d.oh, d.coord), fx = SrcCoord(ox, d.scale_w, d.w, d.ow, d.coord);
    const T* base = in + static_cast<int64_t>(n) * d.h * d.w * d.c + c;
    if (d.mode == 0) {
      int y = NearestIdx(fy, d.nearest, d.h), x = NearestIdx(fx, d.nearest, d.w);
      out[i] = base[(static_cast<int64_t>(y) * d.w + x) * d.c];
    } else {
      fy = fminf(fmaxf(fy, 0.f), static_cast<float>(d.h - 1));
      fx = fminf(fmaxf(fx, 0.f), static_cast<float>(d.w - 1));
      int y0 = static_cast<int>(floorf(fy)), x0 = static_cast<int>(floorf(fx));
      int y1 = min(y0 + 1, d.h - 1), x1 = min(x0 + 1, d.w - 1);
      float ly = fy - y0, lx = fx - x0;
      auto at = [&](int y, int x) { return ToF<T>(base[(static_cast<int64_t>(y) * d.w + x) * d.c]); };
      float v = (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) + ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1));
      out[i] = FromF<T>(v);
    }
  }
}

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

cudaError_t NchwToNhwc(const void* src, KType st, void* dst, KType dt, int n, int c, int h, int w, cudaStream_t s) {
  return LaunchLayout(true, src, st, dst, dt, n, c, h * w, s);
}
cudaError_t NhwcToNchw(const void* src, KType st, void* dst, KType dt, int n, int c, int h, int w, cudaStream_t s) {
  return LaunchLayout(false, src, st, dst, dt, n, c, h * w, s);
}
cudaError_t Convert(const void* src, KType st, void* dst, KType dt, int64_t count, cudaStream_t s) {
  if (count == 0) return cudaSuccess;
  ConvertK<<<Blocks(count), kThreads, 0, s>>>(src, st, dst, dt, count);
  return cudaGetLastError();
}

cudaError_t BiasActResidual(void* y, KType t, const float* bias, const void* res, int64_t count, int c, KActParams act,
                            cudaStream_t s) {
  if (count == 0) return cudaSuccess;
  if (t == KType::kF32) {
    BiasActResidualK<float><<<Blocks(count), kThreads, 0, s>>>(static_cast<float*>(y), bias, static_cast<const float*>(res), count, c, act);
  } else if (t == KType::kF16) {
    BiasActResidualK<__half><<<Blocks(count), kThreads, 0, s>>>(static_cast<__half*>(y), bias, static_cast<const __half*>(res), count, c, act);
  } else {
    return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

cudaError_t Activation(const void* in, void* out, KType t, int64_t count, KActParams act, cudaStream_t s) {
  if (count == 0) return cudaSuccess;
  if (t == KType::kF32) {
    ActivationK<float><<<Blocks(count), kThreads, 0, s>>>(static_cast<const float*>(in), static_cast<float*>(out), count, act);
  } else if (t == KType::kF16) {
    ActivationK<__half><<<Blocks(count), kThreads, 0, s>>>(static_cast<const __half*>(in), static_cast<__half*>(out), count, act);
  } else {
    return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

cudaError_t Binary(KBinary op, const void* a, const void* b, void* out, KType t, const BroadcastDesc& d, cudaStream_t s) {
  int64_t count = 1;
  for (int i = 0; i < d.rank; ++i) count *= d.out_dims[i];
  if (count == 0) return cudaSuccess;
  if (t == KType::kF32) {
    BinaryK<float><<<Blocks(count), kThreads, 0, s>>>(op, static_cast<const float*>(a), static_cast<const float*>(b), static_cast<float*>(out), d, count);
  } else if (t == KType::kF16) {
    BinaryK<__half><<<Blocks(count), kThreads, 0, s>>>(op, static_cast<const __half*>(a), static_cast<const __half*>(b), static_cast<__half*>(out), d, count);
  } else {
    return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

static cudaError_t PoolImpl(const void* in, void* out, KType t, const float* bias, KActParams act, bool pre,
                            const PoolDesc& d, cudaStream_t s) {
  int64_t count = static_cast<int64_t>(d.n) * d.oh * d.ow * d.c;
  if (count == 0) return cudaSuccess;
  if (!pre && d.kind == 0 && t == KType::kI8 && d.c % 16 == 0) {
    MaxPoolVecK<int8_t, 16><<<Blocks(count / 16), kThreads, 0, s>>>(static_cast<const int8_t*>(in), static_cast<int8_t*>(out), d);
    return cudaGetLastError();
  }
  if (!pre && d.kind == 0 && t == KType::kF16 && d.c % 8 == 0) {
    MaxPoolVecK<__half, 8><<<Blocks(count / 8), kThreads, 0, s>>>(static_cast<const __half*>(in), static_cast<__half*>(out), d);
    return cudaGetLastError();
  }
  switch (t) {
    case KType::kF32: PoolK<float><<<Blocks(count), kThreads, 0, s>>>(static_cast<const float*>(in), static_cast<float*>(out), d, bias, act, pre); break;
    case KType::kF16: PoolK<__half><<<Blocks(count), kThreads, 0, s>>>(static_cast<const __half*>(in), static_cast<__half*>(out), d, bias, act, pre); break;
    case KType::kI8:
      if (pre) return cudaErrorInvalidValue;
      PoolK<int8_t><<<Blocks(count), kThreads, 0, s>>>(static_cast<const int8_t*>(in), static_cast<int8_t*>(out), d, bias, act, pre);
      break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

cudaError_t Pool(const void* in, void* out, KType t, const PoolDesc& d, cudaStream_t s) {
  return PoolImpl(in, out, t, nullptr, KActParams{}, false, d, s);
}
cudaError_t BiasActPool(const void* in, void* out, KType t, const float* bias, KActParams act, const PoolDesc& d,
                        cudaStream_t s) {
  return PoolImpl(in, out, t, bias, act, true, d, s);
}

cudaError_t GlobalAvgPool(const void* in, void* out, KType t, int n, int hw, int c, cudaStream_t s) {
  int64_t count = static_cast<int64_t>(n) * c;
  if (count == 0) return cudaSuccess;
  if (t == KType::kF32) {
    GlobalAvgPoolK<float><<<Blocks(count), kThreads, 0, s>>>(static_cast<const float*>(in), static_cast<float*>(out), n, hw, c);
  } else if (t == KType::kF16) {
    GlobalAvgPoolK<__half><<<Blocks(count), kThreads, 0, s>>>(static_cast<const __half*>(in), static_cast<__half*>(out), n, hw, c);
  } else {
    return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

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

cudaError_t Softmax(const void* in, void* out, KType t, int64_t outer, int64_t axis, int64_t inner, cudaStream_t s) {
  int64_t rows = outer * inner;
  if (rows == 0) return cudaSuccess;
  if (t == KType::kF32) {
    SoftmaxK<float><<<Blocks(rows), kThreads, 0, s>>>(static_cast<const float*>(in), static_cast<float*>(out), outer, axis, inner);
  } else if (t == KType::kF16) {
    SoftmaxK<__half><<<Blocks(rows), kThreads, 0, s>>>(static_cast<const __half*>(in), static_cast<__half*>(out), outer, axis, inner);
  } else {
    return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

cudaError_t ConcatPart(const void* in, void* out, int elem_bytes, int64_t outer, int64_t len, int64_t out_len,
                       int64_t offset, cudaStream_t s) {
  int64_t count = outer * len * elem_bytes;
  if (count == 0) return cudaSuccess;
  if (outer == 1 || len == out_len) {
    return cudaMemcpyAsync(static_cast<uint8_t*>(out) + offset * elem_bytes, in, count, cudaMemcpyDeviceToDevice, s);
  }
  ConcatK<<<Blocks(count), kThreads, 0, s>>>(static_cast<const uint8_t*>(in), static_cast<uint8_t*>(out), elem_bytes, outer,
                                             len, out_len, offset);
  return cudaGetLastError();
}

cudaError_t StridedCopy(const void* in, void* out, int elem_bytes, const CopyDesc& d0, cudaStream_t s) {
  if (d0.rank < 0 || d0.rank > kMaxRank) return cudaErrorInvalidValue;
  // Canonical form: size-1 axes dropped, then an axis merged into the one before it when that one
  // steps over exactly it (in the output this always holds: it is contiguous).
  CopyDesc d;
  d.in_offset = d0.in_offset;
  int64_t count = 1;
  for (int k = 0; k < d0.rank; ++k) {
    count *= d0.out_dims[k];
    if (d0.out_dims[k] == 1) continue;
    if (d.rank > 0 && d.in_strides[d.rank - 1] == d0.in_strides[k] * d0.out_dims[k]) {
      d.out_dims[d.rank - 1] *= d0.out_dims[k];
      d.in_strides[d.rank - 1] = d0.in_strides[k];
      continue;
    }
    d.out_dims[d.rank] = d0.out_dims[k];
    d.in_strides[d.rank] = d0.in_strides[k];
    ++d.rank;
  }
  if (count == 0) return cudaSuccess;
  for (int k = 0; k < d.rank; ++k)
    if (d.out_dims[k] > 0x7fffffffLL) return cudaErrorInvalidValue;   // DivMod takes an int divisor
  if (d.rank == 0 || (d.rank == 1 && d.in_strides[0] == 1)) {   // one contiguous block
    return cudaMemcpyAsync(out, static_cast<const uint8_t*>(in) + d.in_offset * elem_bytes, static_cast<size_t>(count) * elem_bytes,
                           cudaMemcpyDeviceToDevice, s);
  }
  switch (elem_bytes) {
    case 1: StridedCopyK<uint8_t><<<Blocks(count), kThreads, 0, s>>>(static_cast<const uint8_t*>(in), static_cast<uint8_t*>(out), d, count); break;
    case 2: StridedCopyK<uint16_t><<<Blocks(count), kThreads, 0, s>>>(static_cast<const uint16_t*>(in), static_cast<uint16_t*>(out), d, count); break;
    case 4: StridedCopyK<uint32_t><<<Blocks(count), kThreads, 0, s>>>(static_cast<const uint32_t*>(in), static_cast<uint32_t*>(out), d, count); break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

cudaError_t Resize(const void* in, void* out, KType t, const ResizeDesc& d, cudaStream_t s) {
  int64_t count = static_cast<int64_t>(d.n) * d.oh * d.ow * d.c;
  if (count == 0) return cudaSuccess;
  switch (t) {
    case KType::kF32: ResizeK<float><<<Blocks(count), kThreads, 0, s>>>(static_cast<const float*>(in), static_cast<float*>(out), d); break;
    case KType::kF16: ResizeK<__half><<<Blocks(count), kThreads, 0, s>>>(static_cast<const __half*>(in), static_cast<__half*>(out), d); break;
    case KType::kI8:
      if (d.mode != 0) return cudaErrorInvalidValue;
      ResizeK<int8_t><<<Blocks(count), kThreads, 0, s>>>(static_cast<const int8_t*>(in), static_cast<int8_t*>(out), d);
      break;
    default: return cudaErrorInvalidValue;
  }
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
