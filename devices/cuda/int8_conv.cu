// INT8 convolutions with the requantization fused into the epilogue (contracts in kernels.h).
//
// ConvInt8Fused is an implicit GEMM: out[m, k] = epilogue(sum_kk A[m, kk] * W[k, kk]) with m over
// output pixels (N*OH*OW, NHWC order), kk = (r*S + s)*C + c, A gathered on the fly from the NHWC
// input. Block tile 128 (m) x 128 or 64 (k) x 64 (kk), 8 warps, each warp 64 x 32 (or 32 x 32) of
// mma.sync.m16n8k32 tiles; global->shared by 16-byte cp.async (zero-filled outside the image) in a
// 3-stage pipeline, the loader stepping its (r, s, c) position instead of dividing; fragments by
// ldmatrix from rows padded to 80 bytes (conflict free). Why not cuBLASLt: its INT8 GEMM must write
// the int32 accumulator (4 bytes per output) and read it back for our requantization; fused, each
// output is written once as one byte.
// The epilogue is most of the time of layers with few input channels (one or two K tiles), so it
// is kept short: the fixed-point requantization in its fast form (graph/quant/int8_math.h,
// MulByQuantizedMultiplierRight: one 64-bit multiply-add and one shift), the residual's term looked
// up in a 256-entry table (it depends only on the int8 residual value), the saturating add in one
// instruction; or, when the caller asks for it, float scaling of the main term (within 1 LSB).
// Known limits: mma.sync (no wgmma / TMA on sm_90), no swizzle, one output tile per block (the
// epilogue does not overlap the next tile's loads).
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "devices/cuda/kernels.h"
#include "devices/cuda/int8_conv_acc.cuh"
#include "devices/cuda/kernel_math.cuh"
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

// The requantization of graph/quant/int8_math.h itself (host+device there, not a copy), in its fast
// form (MulByQuantizedMultiplierFast: equal to the reference form for every input, test-checked).
__device__ __forceinline__ int8_t Requant(const KEpilogue& e, int32_t acc, int32_t mult, int shift, int8_t r) {
  int32_t t = edgeinfer::int8::MulByQuantizedMultiplierFast(acc, mult, shift);
  if (e.res) t = edgeinfer::int8::SaturatingAdd(t, edgeinfer::int8::MulByQuantizedMultiplierFast(r, e.res_mult.multiplier, e.res_mult.shift));
  t = t < e.act.lo ? e.act.lo : (t > e.act.hi ? e.act.hi : t);
  t = t < -128 ? -128 : (t > 127 ? 127 : t);
  if (e.act.lut) t = e.act.lut[t + 128];
  return static_cast<int8_t>(t);
}
__device__ __forceinline__ int8_t Epi(const KEpilogue& e, int32_t acc, int ch, int64_t idx) {
  if (e.bias) acc += e.bias[ch];
  return Requant(e, acc, e.mult[ch].multiplier, e.mult[ch].shift, e.res ? e.res[idx] : int8_t(0));
}

__device__ __forceinline__ void CpAsync16(void* smem, const void* gmem, bool valid) {
  unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  int bytes = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(bytes));
}

__device__ __forceinline__ void LdMatrixX4(unsigned (&r)[4], const void* smem) {
  unsigned a = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(a));
}

constexpr int kStages = 3;
constexpr int kTile = 144;   // epilogue output/residual tile row stride in bytes
// Pipeline stages; the output tile and the residual table reuse them after the main loop.
template <int kBN> __host__ __device__ constexpr int FusedSmemBytes() { return kStages * (kBM + kBN) * kRow; }
// The residual tile has its own region after them: it is fetched (cp.async) before the main loop.
constexpr int kResTileBytes = kBM * kTile;
constexpr int kGatherTableMax = 1024;   // reduction length (R*S*C) of the byte-gather path

// kBN = 128: 8 warps as 2 (m) x 4 (n), each 64 x 32; kBN = 64 (layers of <= 64 output channels):
// 4 x 2 warps, each 32 x 32. kStages-deep cp.async pipeline; fragments by ldmatrix (80-byte rows:
// the eight 16-byte row segments of one 8x8 matrix fall in distinct bank quads, conflict free).
template <int kBN, bool kFloatEpi, bool kGather>
__global__ void __launch_bounds__(256) ConvInt8FusedK(const int8_t* __restrict__ in, const int8_t* __restrict__ w, int ldw,
                                                      ConvGeom g, KEpilogue e, int8_t* __restrict__ out) {
  constexpr int kWarpsN = kBN / 32, kWarpsM = 8 / kWarpsN, kMT = kBM / (16 * kWarpsM), kWM = kBM / kWarpsM;
  extern __shared__ __align__(16) int8_t smem[];
  int8_t* As = smem;                              // [kStages][kBM * kRow]
  int8_t* Bs = smem + kStages * kBM * kRow;        // [kStages][kBN * kRow]
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int warp_m = warp / kWarpsN, warp_n = warp % kWarpsN;
  const int M = g.n * g.oh * g.ow;                 // < 2^31 (checked by the launcher)
  const int block_m = blockIdx.x * kBM;
  const int block_n = blockIdx.y * kBN;
  const int kd = g.r * g.s * g.c;
  const int ktiles = (kd + kBK - 1) / kBK;
  // This thread loads chunks tid and tid + 256 of each tile: rows tid/4 and tid/4 + 64, column
  // chunk tid%4 (16 bytes). Its (r, s, c) position in the KRSC reduction advances by kBK per tile.
  const int chunk = tid & 3;
  int row[2], iy0[2], ix0[2];
  bool mvalid[2];
  const int8_t* base[2];
  for (int j = 0; j < 2; ++j) {
    row[j] = (tid >> 2) + j * 64;
    const int m = block_m + row[j];
    mvalid[j] = m < M;
    const unsigned mm = mvalid[j] ? static_cast<unsigned>(m) : 0u;
    const unsigned ox = mm % static_cast<unsigned>(g.ow), t = mm / static_cast<unsigned>(g.ow);
    const unsigned oy = t % static_cast<unsigned>(g.oh), n = t / static_cast<unsigned>(g.oh);
    iy0[j] = static_cast<int>(oy) * g.sh - g.ph;
    ix0[j] = static_cast<int>(ox) * g.sw - g.pw;
    base[j] = in + static_cast<int64_t>(n) * g.h * g.w * g.c;
  }
  int lc = chunk * 16, ls = 0, lr = 0, lkk = chunk * 16;   // loader position: channel, tap column, tap row, kk
  while (lc >= g.c) { lc -= g.c; if (++ls == g.s) { ls = 0; ++lr; } }
  const int8_t* wrow[2];
  bool nvalid[2];
  for (int j = 0; j < 2; ++j) {
    const int nrow = block_n + row[j];
    nvalid[j] = row[j] < kBN && nrow < g.k;
    wrow[j] = w + static_cast<int64_t>(nvalid[j] ? nrow : 0) * ldw;
  }
  auto load = [&](int stage) {
    const bool kvalid = lkk < kd;
    int8_t* as = As + stage * kBM * kRow;
    int8_t* bs = Bs + stage * kBN * kRow;
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      if constexpr (!kGather) {
        const int iy = iy0[j] + lr * g.dh, ix = ix0[j] + ls * g.dw;
        const bool v = kvalid && mvalid[j] && iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
        const int8_t* src = v ? base[j] + (static_cast<int64_t>(iy) * g.w + ix) * g.c + lc : in;
        CpAsync16(as + row[j] * kRow + chunk * 16, src, v);
      }
      if (row[j] < kBN) {
        const bool wv = nvalid[j] && lkk < ldw;
        CpAsync16(bs + row[j] * kRow + chunk * 16, wv ? wrow[j] + lkk : w, wv);
      }
    }
    lkk += kBK;
    if constexpr (!kGather) {
      lc += kBK;
      while (lc >= g.c) { lc -= g.c; if (++ls == g.s) { ls = 0; ++lr; } }
    }
  };
  // Few input channels (C % 16 != 0, the first layer): 16 consecutive reduction indices are not one
  // 16-byte run of the input, so A is gathered byte by byte through a table kk -> (row, column,
  // channel offset) into registers, and stored to shared memory after the tile in flight is computed.
  int* tab = reinterpret_cast<int*>(smem + FusedSmemBytes<kBN>() + kResTileBytes);
  uint32_t gw[2][4];
  auto gather = [&](int ktile) {
#pragma unroll
    for (int j = 0; j < 2; ++j) {
#pragma unroll
      for (int q = 0; q < 4; ++q) gw[j][q] = 0;
      if (!mvalid[j]) continue;
#pragma unroll
      for (int b = 0; b < 16; ++b) {
        const int kk = ktile * kBK + chunk * 16 + b;
        if (kk >= kd) break;
        const int t = tab[kk];
        const int iy = iy0[j] + (t >> 20), ix = ix0[j] + ((t >> 10) & 1023);
        if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w)
          gw[j][b / 4] |= static_cast<uint32_t>(static_cast<uint8_t>(base[j][(static_cast<int64_t>(iy) * g.w + ix) * g.c + (t & 1023)])) << (8 * (b % 4));
      }
    }
  };
  auto commit = [&](int stage) {
    int8_t* as = As + stage * kBM * kRow;
#pragma unroll
    for (int j = 0; j < 2; ++j) *reinterpret_cast<uint4*>(as + row[j] * kRow + chunk * 16) = make_uint4(gw[j][0], gw[j][1], gw[j][2], gw[j][3]);
  };
  if constexpr (kGather) {
    for (int kk = tid; kk < kd; kk += 256) {
      const int c = kk % g.c, rs = kk / g.c;
      tab[kk] = ((rs / g.s) * g.dh << 20) | ((rs % g.s) * g.dw << 10) | c;
    }
    __syncthreads();
  }

  int acc[kMT][4][4];
#pragma unroll
  for (int a = 0; a < kMT; ++a)
#pragma unroll
    for (int b = 0; b < 4; ++b)
#pragma unroll
      for (int c = 0; c < 4; ++c) acc[a][b][c] = 0;

  // The residual tile, fetched now so that it arrives during the main loop (its own cp.async group,
  // the oldest, so the main loop's first wait already covers it).
  int8_t* rtile = smem + FusedSmemBytes<kBN>();
  const bool vec = (g.k % 16) == 0;
  const bool res_async = e.res != nullptr && vec;
  if (res_async) {
    for (int id = tid; id < kBM * (kBN / 16); id += 256) {
      const int r = id / (kBN / 16), c16 = (id % (kBN / 16)) * 16;
      const int m = block_m + r, n = block_n + c16;
      const bool v = m < M && n < g.k;
      CpAsync16(rtile + r * kTile + c16, v ? e.res + static_cast<int64_t>(m) * g.k + n : e.res, v);
    }
  }
  asm volatile("cp.async.commit_group;\n" ::);
#pragma unroll
  for (int st = 0; st < kStages - 1; ++st) {
    if (st < ktiles) {
      load(st);
      if constexpr (kGather) {
        gather(st);
        commit(st);
      }
    }
    asm volatile("cp.async.commit_group;\n" ::);
  }
  // ldmatrix lane addresses: A x4 = rows 0-15 x k 0-31 of a 16-row tile; B x4 = two 8-row n tiles x k 0-31.
  const int a_row = lane & 15, a_col = (lane >> 4) * 16;
  const int b_row = (lane & 7) + ((lane >> 4) << 3), b_col = ((lane >> 3) & 1) * 16;
  for (int kt = 0; kt < ktiles; ++kt) {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(kStages - 2));
    __syncthreads();
    const bool prefetch = kt + kStages - 1 < ktiles;
    if (prefetch) {
      load((kt + kStages - 1) % kStages);
      if constexpr (kGather) gather(kt + kStages - 1);   // into registers; stored after this tile's MMAs
    }
    asm volatile("cp.async.commit_group;\n" ::);
    const int8_t* as = As + (kt % kStages) * kBM * kRow;
    const int8_t* bs = Bs + (kt % kStages) * kBN * kRow;
#pragma unroll
    for (int ks = 0; ks < kBK; ks += 32) {
      unsigned a[kMT][4], b[4][2];
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt) LdMatrixX4(a[mt], as + (warp_m * kWM + mt * 16 + a_row) * kRow + ks + a_col);
#pragma unroll
      for (int np = 0; np < 2; ++np) {
        unsigned r[4];
        LdMatrixX4(r, bs + (warp_n * 32 + np * 16 + b_row) * kRow + ks + b_col);
        b[np * 2][0] = r[0];
        b[np * 2][1] = r[1];
        b[np * 2 + 1][0] = r[2];
        b[np * 2 + 1][1] = r[3];
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
    if constexpr (kGather) {
      if (prefetch) commit((kt + kStages - 1) % kStages);
    }
  }
  asm volatile("cp.async.wait_group 0;\n" ::);
  __syncthreads();
  // Epilogue through shared memory (the pipeline buffers are free now): the residual tile is read
  // and the int8 output tile written with coalesced 16-byte accesses; each thread requantizes its own
  // accumulators (c0,c1 at (gid, 2*tig + {0,1}), c2,c3 at (gid + 8, ...)).
  static_assert(kBM * kTile + 256 * 4 <= FusedSmemBytes<kBN>(), "the output tile and table must fit the pipeline buffers");
  int8_t* otile = smem;
  auto tile_io = [&](bool load_res) {
    for (int id = tid; id < kBM * (kBN / 16); id += 256) {
      const int r = id / (kBN / 16), c16 = (id % (kBN / 16)) * 16;
      const int m = block_m + r;
      const int n = block_n + c16;
      if (m >= M || n >= g.k) continue;
      const int64_t gi = static_cast<int64_t>(m) * g.k + n;
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
  // The residual's requantized term depends only on its int8 value: a 256-entry table (after the tiles).
  int32_t* rtab = reinterpret_cast<int32_t*>(smem + kBM * kTile);
  if (e.res) {
    rtab[tid] = edgeinfer::int8::MulByQuantizedMultiplierFast(tid - 128, e.res_mult.multiplier, e.res_mult.shift);
    if (!res_async) tile_io(true);
    __syncthreads();
  }
  // This thread's 8 output channels: bias and multiplier (fixed-point, or float) loaded once.
  const int gid = lane >> 2, tig = lane & 3;
  int32_t cbias[4][2], cmul[4][2], cshift[4][2];
  float cf[4][2];
  bool left = false;
#pragma unroll
  for (int nt = 0; nt < 4; ++nt)
#pragma unroll
    for (int q = 0; q < 2; ++q) {
      const int n = block_n + warp_n * 32 + nt * 8 + tig * 2 + q;
      cbias[nt][q] = (e.bias && n < g.k) ? e.bias[n] : 0;
      if constexpr (kFloatEpi) {
        cf[nt][q] = n < g.k ? e.fmult[n] : 0.f;
      } else {
        cmul[nt][q] = n < g.k ? e.mult[n].multiplier : 0;
        cshift[nt][q] = n < g.k ? e.mult[n].shift : 0;
        left = left || cshift[nt][q] > 0;
      }
    }
  const int lo = e.act.lo, hi = e.act.hi;
  const bool has_res = e.res != nullptr;
  const int8_t* lut = e.act.lut;
  // One output: the main term (fixed-point; or in float, one rounding half to even), then the
  // residual's term from the table (exact in both, so the two are rounded apart as in the
  // fixed-point form), the activation's clamp or table, int8 saturation.
  auto requant = [&](int32_t a, int nt, int q, int8_t r) -> uint32_t {
    int32_t t;
    if constexpr (kFloatEpi) {
      t = __float2int_rn(static_cast<float>(a) * cf[nt][q]);
    } else {
      t = left ? edgeinfer::int8::MulByQuantizedMultiplierFast(a, cmul[nt][q], cshift[nt][q])
               : edgeinfer::int8::MulByQuantizedMultiplierRight(a, cmul[nt][q], -cshift[nt][q]);
    }
    if (has_res) t = edgeinfer::int8::SaturatingAdd(t, rtab[r + 128]);
    t = t < lo ? lo : (t > hi ? hi : t);
    t = t < -128 ? -128 : (t > 127 ? 127 : t);
    if (lut) t = lut[t + 128];
    return static_cast<uint8_t>(t);
  };
#pragma unroll
  for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int lrow = warp_m * kWM + mt * 16 + gid + half * 8;
#pragma unroll
      for (int nt = 0; nt < 4; ++nt) {
        const int lcol = warp_n * 32 + nt * 8 + tig * 2;
        const uint32_t r2 = has_res ? *reinterpret_cast<const uint16_t*>(rtile + lrow * kTile + lcol) : 0u;
        const uint32_t y0 = requant(acc[mt][nt][half * 2] + cbias[nt][0], nt, 0, static_cast<int8_t>(r2 & 0xff));
        const uint32_t y1 = requant(acc[mt][nt][half * 2 + 1] + cbias[nt][1], nt, 1, static_cast<int8_t>(r2 >> 8));
        *reinterpret_cast<uint16_t*>(otile + lrow * kTile + lcol) = static_cast<uint16_t>(y0 | (y1 << 8));
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
        yv[v] = FromF<T>(ApplyAct(act, a));
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

template <int kBN, bool kFloatEpi, bool kGather>
cudaError_t LaunchFused(const int8_t* in, const int8_t* w, int ldw, const ConvGeom& g, const KEpilogue& e, int8_t* out, dim3 blocks,
                        cudaStream_t s) {
  constexpr int kSmemMax = FusedSmemBytes<kBN>() + kResTileBytes + (kGather ? kGatherTableMax * 4 : 0);
  static const cudaError_t attr = cudaFuncSetAttribute(ConvInt8FusedK<kBN, kFloatEpi, kGather>, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemMax);
  if (attr != cudaSuccess) return attr;
  const int smem = kGather ? FusedSmemBytes<kBN>() + kResTileBytes + g.r * g.s * g.c * 4 : FusedSmemBytes<kBN>() + (e.res ? kResTileBytes : 0);
  ConvInt8FusedK<kBN, kFloatEpi, kGather><<<blocks, 256, smem, s>>>(in, w, ldw, g, e, out);
  return cudaGetLastError();
}

template <int kBN, bool kGather>
cudaError_t LaunchFusedEpi(const int8_t* in, const int8_t* w, int ldw, const ConvGeom& g, const KEpilogue& e, int8_t* out, dim3 blocks,
                           cudaStream_t s) {
  return e.fmult ? LaunchFused<kBN, true, kGather>(in, w, ldw, g, e, out, blocks, s) : LaunchFused<kBN, false, kGather>(in, w, ldw, g, e, out, blocks, s);
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
                          cudaStream_t s, int tile_n) {
  const int kd = g.r * g.s * g.c;
  const bool gather = g.c % 16 != 0;   // byte gather through a table (first layers), else 16-byte cp.async runs
  if (g.group != 1 || ldw < kd || ldw % 16 != 0 || (gather && (kd > kGatherTableMax || g.r * g.dh >= 1024 || g.s * g.dw >= 1024))) return cudaErrorInvalidValue;
  if (tile_n == 0) tile_n = g.k <= 64 ? 64 : 128;
  if (tile_n != 64 && tile_n != 128) return cudaErrorInvalidValue;
  const int64_t M = static_cast<int64_t>(g.n) * g.oh * g.ow;
  if (M == 0) return cudaSuccess;
  if (M > INT32_MAX - kBM) return cudaErrorInvalidValue;   // 32-bit pixel indices in the kernel
  const dim3 blocks(static_cast<unsigned>((M + kBM - 1) / kBM), static_cast<unsigned>((g.k + tile_n - 1) / tile_n));
  if (gather) return tile_n == 64 ? LaunchFusedEpi<64, true>(in, w, ldw, g, e, out, blocks, s) : LaunchFusedEpi<128, true>(in, w, ldw, g, e, out, blocks, s);
  return tile_n == 64 ? LaunchFusedEpi<64, false>(in, w, ldw, g, e, out, blocks, s) : LaunchFusedEpi<128, false>(in, w, ldw, g, e, out, blocks, s);
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
