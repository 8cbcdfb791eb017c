// Our float and data-movement CUDA kernels (see kernels.h for the contracts; the INT8 ones are in
// int8_kernels.cu). Simple grid-stride kernels: every one here is
// memory bound, so the design goal is one pass over the data with coalesced NHWC access (the channel
// index is the fastest-moving one) and F32 arithmetic inside. Known limits: no vectorised 16-byte
// loads yet; pooling and resize recompute window bounds per output element.
#include <cuda_fp16.h>

#include "devices/cuda/kernels.h"
#include "devices/cuda/kernel_common.cuh"
#include "devices/cuda/kernel_math.cuh"
#include "devices/cuda/int8_conv_acc.cuh"
#include "graph/quant/int8_math.h"
namespace edgeinfer::devices::cuda {
namespace {

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

}  // namespace edgeinfer::devices::cuda
