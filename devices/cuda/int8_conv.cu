// INT8 convolutions with the requantization fused into the epilogue (contracts in kernels.h).
//
// ConvInt8Fused is an implicit GEMM: out[m, k] = epilogue(sum_kk A[m, kk] * W[k, kk]) with m over
// output pixels (N*OH*OW, NHWC order), kk = (r*S + s)*C + c, A gathered on the fly from the NHWC
// input. Block tile 128 (m) x 128 (k) x 64 (kk), 8 warps as 2 x 4, each warp 64 x 32 = 4 x 4
// mma.sync.m16n8k32 tiles; global->shared by 16-byte cp.async (zero-filled outside the image),
// double buffered; shared rows padded to 80 bytes so fragment loads are conflict free. Why not
// cuBLASLt: its INT8 GEMM must write the int32 accumulator (4 bytes per output) and read it back
// for our requantization; fused, each output is written once as one byte.
// Known limits: no ldmatrix / no swizzle, two stages only; K tiles of 128 waste half the tile on
// 64-channel layers.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "devices/cuda/kernels.h"
#include "devices/cuda/int8_conv_acc.cuh"
#include "graph/quant/int8_math.h"

namespace edgeinfer::devices::cuda {
namespace {

constexpr int kBM = 128, kBK = 64, kRow = 80;   // shared row stride in bytes

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

// The requantization step of graph/quant/int8_math.h itself (host+device there), not a copy.
__device__ __forceinline__ int32_t MBQM(int32_t x, KMultiplier m) {
  return edgeinfer::int8::MulByQuantizedMultiplier(x, edgeinfer::int8::Multiplier{m.multiplier, m.shift});
}
__device__ __forceinline__ int8_t Epi(const KEpilogue& e, int32_t acc, int ch, int64_t idx) {
  if (e.bias) acc += e.bias[ch];
  long long v = MBQM(acc, e.mult[ch]);
  if (e.res) v += MBQM(static_cast<int32_t>(e.res[idx]), e.res_mult);
  v = v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : v);
  int32_t t = static_cast<int32_t>(v);
  t = t < e.act.lo ? e.act.lo : (t > e.act.hi ? e.act.hi : t);
  t = t < -128 ? -128 : (t > 127 ? 127 : t);
  if (e.act.lut) t = e.act.lut[t + 128];
  return static_cast<int8_t>(t);
}

// The epilogue (as Epi, with a residual value r) with the channel's bias already added and its multiplier in registers.
__device__ __forceinline__ int8_t EpiM(const KEpilogue& e, int32_t acc, KMultiplier m, int8_t r) {
  long long v = MBQM(acc, m);
  if (e.res) v += MBQM(static_cast<int32_t>(r), e.res_mult);
  v = v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : v);
  int32_t t = static_cast<int32_t>(v);
  t = t < e.act.lo ? e.act.lo : (t > e.act.hi ? e.act.hi : t);
  t = t < -128 ? -128 : (t > 127 ? 127 : t);
  if (e.act.lut) t = e.act.lut[t + 128];
  return static_cast<int8_t>(t);
}

__device__ __forceinline__ void CpAsync16(void* smem, const void* gmem, bool valid) {
  unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  int bytes = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(bytes));
}

// kBN = 128: 8 warps as 2 (m) x 4 (n), each 64 x 32; kBN = 64 (layers of <= 64 output channels):
// 4 x 2 warps, each 32 x 32.
template <int kBN>
__global__ void __launch_bounds__(256) ConvInt8FusedK(const int8_t* __restrict__ in, const int8_t* __restrict__ w, int ldw,
                                                      ConvGeom g, KEpilogue e, int8_t* __restrict__ out) {
  constexpr int kWarpsN = kBN / 32, kWarpsM = 8 / kWarpsN, kMT = kBM / (16 * kWarpsM), kWM = kBM / kWarpsM;
  __shared__ __align__(16) int8_t As[2][kBM * kRow];
  __shared__ __align__(16) int8_t Bs[2][(kBN > 64 ? kBN : 128) * kRow];   // >= 128 rows: the epilogue reuses it
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int warp_m = warp / kWarpsN, warp_n = warp % kWarpsN;
  const int64_t M = static_cast<int64_t>(g.n) * g.oh * g.ow;
  const int64_t block_m = static_cast<int64_t>(blockIdx.x) * kBM;
  const int block_n = blockIdx.y * kBN;
  const int kd = g.r * g.s * g.c;
  const int ktiles = (kd + kBK - 1) / kBK;
  // This thread loads chunks tid and tid + 256 of each tile: rows tid/4 and tid/4 + 64, column
  // chunk tid%4 (16 bytes).
  const int chunk = tid & 3;
  int row[2];
  bool mvalid[2];
  int iy0[2], ix0[2];
  int64_t base[2];
  for (int j = 0; j < 2; ++j) {
    row[j] = (tid >> 2) + j * 64;
    int64_t m = block_m + row[j];
    mvalid[j] = m < M;
    int64_t mm = mvalid[j] ? m : 0;
    int ox = static_cast<int>(mm % g.ow);
    int64_t t = mm / g.ow;
    int oy = static_cast<int>(t % g.oh);
    int n = static_cast<int>(t / g.oh);
    iy0[j] = oy * g.sh - g.ph;
    ix0[j] = ox * g.sw - g.pw;
    base[j] = static_cast<int64_t>(n) * g.h * g.w * g.c;
  }
  auto load = [&](int stage, int kt) {
    const int kk = kt * kBK + chunk * 16;
    const bool kvalid = kk < kd;
    int c = 0, r = 0, s = 0;
    if (kvalid) {
      c = kk % g.c;
      int rs = kk / g.c;
      r = rs / g.s;
      s = rs % g.s;
    }
    for (int j = 0; j < 2; ++j) {
      int iy = iy0[j] + r * g.dh, ix = ix0[j] + s * g.dw;
      bool v = kvalid && mvalid[j] && iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
      const int8_t* src = v ? in + base[j] + (static_cast<int64_t>(iy) * g.w + ix) * g.c + c : in;
      CpAsync16(&As[stage][row[j] * kRow + chunk * 16], src, v);
      if (row[j] < kBN) {
        int nrow = block_n + row[j];
        bool wv = kk < ldw && nrow < g.k;
        const int8_t* wsrc = wv ? w + static_cast<int64_t>(nrow) * ldw + kk : w;
        CpAsync16(&Bs[stage][row[j] * kRow + chunk * 16], wsrc, wv);
      }
    }
    asm volatile("cp.async.commit_group;\n" ::);
  };

  int acc[kMT][4][4];
#pragma unroll
  for (int a = 0; a < kMT; ++a)
#pragma unroll
    for (int b = 0; b < 4; ++b)
#pragma unroll
      for (int c = 0; c < 4; ++c) acc[a][b][c] = 0;

  const int gid = lane >> 2, tig = lane & 3;
  load(0, 0);
  for (int kt = 0; kt < ktiles; ++kt) {
    if (kt + 1 < ktiles) {
      load((kt + 1) & 1, kt + 1);
      asm volatile("cp.async.wait_group 1;\n" ::);
    } else {
      asm volatile("cp.async.wait_group 0;\n" ::);
    }
    __syncthreads();
    const int8_t* as = As[kt & 1];
    const int8_t* bs = Bs[kt & 1];
#pragma unroll
    for (int ks = 0; ks < kBK; ks += 32) {
      unsigned a[kMT][4], b[4][2];
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt) {
        const int r0 = warp_m * kWM + mt * 16 + gid;
        a[mt][0] = *reinterpret_cast<const unsigned*>(as + r0 * kRow + ks + tig * 4);
        a[mt][1] = *reinterpret_cast<const unsigned*>(as + (r0 + 8) * kRow + ks + tig * 4);
        a[mt][2] = *reinterpret_cast<const unsigned*>(as + r0 * kRow + ks + 16 + tig * 4);
        a[mt][3] = *reinterpret_cast<const unsigned*>(as + (r0 + 8) * kRow + ks + 16 + tig * 4);
      }
#pragma unroll
      for (int nt = 0; nt < 4; ++nt) {
        const int n0 = warp_n * 32 + nt * 8 + gid;
        b[nt][0] = *reinterpret_cast<const unsigned*>(bs + n0 * kRow + ks + tig * 4);
        b[nt][1] = *reinterpret_cast<const unsigned*>(bs + n0 * kRow + ks + 16 + tig * 4);
      }
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
        for (int nt = 0; nt < 4; ++nt) {
          int* d = acc[mt][nt];
          asm volatile(
              "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
              : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
              : "r"(a[mt][0]), "r"(a[mt][1]), "r"(a[mt][2]), "r"(a[mt][3]), "r"(b[nt][0]), "r"(b[nt][1]));
        }
    }
    __syncthreads();
  }
  // Epilogue through shared memory (the A/B buffers are free now): the residual tile is read and
  // the int8 output tile written with coalesced 16-byte accesses; each thread requantizes its own
  // accumulators (c0,c1 at (gid, 2*tig + {0,1}), c2,c3 at (gid + 8, ...)).
  constexpr int kTile = 144;   // output/residual tile row stride in bytes
  int8_t* otile = &As[0][0];
  int8_t* rtile = &Bs[0][0];
  const bool vec = (g.k % 16) == 0;
  auto tile_io = [&](bool load_res) {
    for (int id = tid; id < kBM * (kBN / 16); id += 256) {
      const int r = id / (kBN / 16), c16 = (id % (kBN / 16)) * 16;
      const int64_t m = block_m + r;
      const int n = block_n + c16;
      if (m >= M || n >= g.k) continue;
      const int64_t gi = m * g.k + n;
      if (vec) {
        if (load_res) *reinterpret_cast<uint4*>(rtile + r * kTile + c16) = *reinterpret_cast<const uint4*>(e.res + gi);
        else *reinterpret_cast<uint4*>(out + gi) = *reinterpret_cast<const uint4*>(otile + r * kTile + c16);
      } else {
        for (int b = 0; b < 16 && n + b < g.k; ++b) {
          if (load_res) rtile[r * kTile + c16 + b] = e.res[gi + b];
          else out[gi + b] = otile[r * kTile + c16 + b];
        }
      }
    }
  };
  if (e.res) {
    tile_io(true);
    __syncthreads();
  }
  // This thread's 8 output channels: bias and multiplier loaded once.
  int32_t cbias[4][2];
  KMultiplier cmult[4][2];
#pragma unroll
  for (int nt = 0; nt < 4; ++nt)
#pragma unroll
    for (int q = 0; q < 2; ++q) {
      const int n = block_n + warp_n * 32 + nt * 8 + tig * 2 + q;
      cbias[nt][q] = (e.bias && n < g.k) ? e.bias[n] : 0;
      cmult[nt][q] = n < g.k ? e.mult[n] : KMultiplier{0, 0};
    }
#pragma unroll
  for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int lr = warp_m * kWM + mt * 16 + gid + half * 8;
#pragma unroll
      for (int nt = 0; nt < 4; ++nt)
#pragma unroll
        for (int q = 0; q < 2; ++q) {
          const int lc = warp_n * 32 + nt * 8 + tig * 2 + q;
          const int n = block_n + lc;
          if (n >= g.k) continue;
          otile[lr * kTile + lc] = EpiM(e, acc[mt][nt][half * 2 + q] + cbias[nt][q], cmult[nt][q], e.res ? rtile[lr * kTile + lc] : int8_t(0));
        }
    }
  __syncthreads();
  tile_io(false);
}

__global__ void GroupConvInt8FusedK(const int8_t* __restrict__ in, const int8_t* __restrict__ w, ConvGeom g, KEpilogue e,
                                    int8_t* __restrict__ out) {
  const int64_t count = static_cast<int64_t>(g.n) * g.oh * g.ow * g.k;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < count; i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    int k;
    const int32_t a = GroupConvInt8Acc(in, w, g, i, &k);
    out[i] = Epi(e, a, k, i);
  }
}

template <class T> __device__ __forceinline__ float ToF(T v) { return static_cast<float>(v); }
template <> __device__ __forceinline__ float ToF<__half>(__half v) { return __half2float(v); }
template <class T> __device__ __forceinline__ T FromF(float v) { return static_cast<T>(v); }
template <> __device__ __forceinline__ __half FromF<__half>(float v) { return __float2half_rn(v); }

__device__ __forceinline__ float Act(const KActParams& p, float x) {
  switch (p.kind) {
    case KAct::kNone: return x;
    case KAct::kRelu: return x > 0.f ? x : 0.f;
    case KAct::kLeakyRelu: return x >= 0.f ? x : p.alpha * x;
    case KAct::kClip: return fminf(fmaxf(x, p.min), p.max);
    case KAct::kSigmoid: return 1.f / (1.f + expf(-x));
    case KAct::kTanh: return tanhf(x);
    case KAct::kHardSigmoid: return fmaxf(0.f, fminf(1.f, p.alpha * x + p.beta));
    case KAct::kHardSwish: return x * fmaxf(0.f, fminf(1.f, x / 6.f + 0.5f));
  }
  return x;
}

// One thread: V consecutive channels of one output pixel. Consecutive threads take consecutive
// channel groups, so every tap is a coalesced load of V * sizeof(T) bytes per thread.
template <class T, int V, bool kInt8>
__global__ void DepthwiseK(const T* __restrict__ in, const T* __restrict__ w, ConvGeom g, const float* __restrict__ bias,
                           const T* __restrict__ res, KActParams act, KEpilogue e, T* __restrict__ out) {
  const int cg = g.c / V;
  const int64_t count = static_cast<int64_t>(g.n) * g.oh * g.ow * cg;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < count; i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    int cgi, ox, oy;
    int64_t t = DivMod(i, cg, &cgi);
    t = DivMod(t, g.ow, &ox);
    const int n = static_cast<int>(DivMod(t, g.oh, &oy));
    const int c0 = cgi * V;
    float facc[V];
    int32_t iacc[V];
#pragma unroll
    for (int v = 0; v < V; ++v) { facc[v] = 0.f; iacc[v] = 0; }
    for (int ry = 0; ry < g.r; ++ry) {
      const int y = oy * g.sh - g.ph + ry * g.dh;
      if (y < 0 || y >= g.h) continue;
      for (int sx = 0; sx < g.s; ++sx) {
        const int x = ox * g.sw - g.pw + sx * g.dw;
        if (x < 0 || x >= g.w) continue;
        const T* ip = in + ((static_cast<int64_t>(n) * g.h + y) * g.w + x) * g.c + c0;
        const T* wp = w + static_cast<int64_t>(ry * g.s + sx) * g.c + c0;
        T xv[V], wv[V];
        if constexpr (V * sizeof(T) == 16) {
          *reinterpret_cast<uint4*>(xv) = *reinterpret_cast<const uint4*>(ip);
          *reinterpret_cast<uint4*>(wv) = *reinterpret_cast<const uint4*>(wp);
        } else if constexpr (V * sizeof(T) == 8) {
          *reinterpret_cast<uint2*>(xv) = *reinterpret_cast<const uint2*>(ip);
          *reinterpret_cast<uint2*>(wv) = *reinterpret_cast<const uint2*>(wp);
        } else {
#pragma unroll
          for (int v = 0; v < V; ++v) { xv[v] = ip[v]; wv[v] = wp[v]; }
        }
#pragma unroll
        for (int v = 0; v < V; ++v) {
          if constexpr (kInt8) iacc[v] += static_cast<int32_t>(xv[v]) * static_cast<int32_t>(wv[v]);
          else facc[v] = fmaf(ToF<T>(xv[v]), ToF<T>(wv[v]), facc[v]);
        }
      }
    }
    const int64_t o = i * V;
    T yv[V];
#pragma unroll
    for (int v = 0; v < V; ++v) {
      if constexpr (kInt8) {
        yv[v] = static_cast<T>(Epi(e, iacc[v], c0 + v, o + v));
      } else {
        float a = facc[v];
        if (bias) a += bias[c0 + v];
        if (res) a += ToF<T>(res[o + v]);
        yv[v] = FromF<T>(Act(act, a));
      }
    }
    if constexpr (V * sizeof(T) == 16) *reinterpret_cast<uint4*>(out + o) = *reinterpret_cast<uint4*>(yv);
    else if constexpr (V * sizeof(T) == 8) *reinterpret_cast<uint2*>(out + o) = *reinterpret_cast<uint2*>(yv);
    else {
#pragma unroll
      for (int v = 0; v < V; ++v) out[o + v] = yv[v];
    }
  }
}

template <class T, int V, bool kInt8>
cudaError_t LaunchDw(const T* in, const T* w, const ConvGeom& g, const float* bias, const T* res, KActParams act, KEpilogue e,
                     T* out, cudaStream_t s) {
  const int64_t count = static_cast<int64_t>(g.n) * g.oh * g.ow * (g.c / V);
  if (count == 0) return cudaSuccess;
  int64_t blocks = (count + 255) / 256;
  if (blocks > 65535LL * 16) blocks = 65535LL * 16;
  DepthwiseK<T, V, kInt8><<<static_cast<unsigned>(blocks), 256, 0, s>>>(in, w, g, bias, res, act, e, out);
  return cudaGetLastError();
}

}  // namespace

cudaError_t DepthwiseConv(const void* in, const void* w, KType t, const ConvGeom& g, const float* bias, const void* res,
                          KActParams act, void* out, cudaStream_t s) {
  if (g.group != g.c || g.k != g.c) return cudaErrorInvalidValue;
  KEpilogue none;
  if (t == KType::kF16) {
    auto* i = static_cast<const __half*>(in);
    auto* wp = static_cast<const __half*>(w);
    auto* r = static_cast<const __half*>(res);
    auto* o = static_cast<__half*>(out);
    if (g.c % 8 == 0) return LaunchDw<__half, 8, false>(i, wp, g, bias, r, act, none, o, s);
    if (g.c % 4 == 0) return LaunchDw<__half, 4, false>(i, wp, g, bias, r, act, none, o, s);
    return LaunchDw<__half, 1, false>(i, wp, g, bias, r, act, none, o, s);
  }
  if (t == KType::kF32) {
    auto* i = static_cast<const float*>(in);
    auto* wp = static_cast<const float*>(w);
    auto* r = static_cast<const float*>(res);
    auto* o = static_cast<float*>(out);
    if (g.c % 4 == 0) return LaunchDw<float, 4, false>(i, wp, g, bias, r, act, none, o, s);
    return LaunchDw<float, 1, false>(i, wp, g, bias, r, act, none, o, s);
  }
  return cudaErrorInvalidValue;
}

cudaError_t DepthwiseConvInt8(const int8_t* in, const int8_t* w, const ConvGeom& g, const KEpilogue& e, int8_t* out,
                              cudaStream_t s) {
  if (g.group != g.c || g.k != g.c) return cudaErrorInvalidValue;
  if (g.c % 16 == 0) return LaunchDw<int8_t, 16, true>(in, w, g, nullptr, nullptr, KActParams{}, e, out, s);
  if (g.c % 8 == 0) return LaunchDw<int8_t, 8, true>(in, w, g, nullptr, nullptr, KActParams{}, e, out, s);
  return LaunchDw<int8_t, 1, true>(in, w, g, nullptr, nullptr, KActParams{}, e, out, s);
}

cudaError_t ConvInt8Fused(const int8_t* in, const int8_t* w, int ldw, const ConvGeom& g, const KEpilogue& e, int8_t* out,
                          cudaStream_t s) {
  if (g.c % 16 != 0 || g.group != 1 || ldw < g.r * g.s * g.c) return cudaErrorInvalidValue;
  const int64_t M = static_cast<int64_t>(g.n) * g.oh * g.ow;
  if (M == 0) return cudaSuccess;
  if (g.k <= 64) {
    dim3 grid(static_cast<unsigned>((M + kBM - 1) / kBM), 1);
    ConvInt8FusedK<64><<<grid, 256, 0, s>>>(in, w, ldw, g, e, out);
  } else {
    dim3 grid(static_cast<unsigned>((M + kBM - 1) / kBM), static_cast<unsigned>((g.k + 127) / 128));
    ConvInt8FusedK<128><<<grid, 256, 0, s>>>(in, w, ldw, g, e, out);
  }
  return cudaGetLastError();
}

cudaError_t GroupConvInt8Fused(const int8_t* in, const int8_t* w, const ConvGeom& g, const KEpilogue& e, int8_t* out,
                               cudaStream_t s) {
  const int64_t count = static_cast<int64_t>(g.n) * g.oh * g.ow * g.k;
  if (count == 0) return cudaSuccess;
  int64_t blocks = (count + 255) / 256;
  if (blocks > 65535LL * 16) blocks = 65535LL * 16;
  GroupConvInt8FusedK<<<static_cast<unsigned>(blocks), 256, 0, s>>>(in, w, g, e, out);
  return cudaGetLastError();
}

}  // namespace edgeinfer::devices::cuda
