// Direct grouped INT8 convolution for one output element: int8 x int8 products summed in int32
// (graph/quant/int8_math.h's accumulation), NHWC input, weights [K, R, S, C/group]. Shared by the
// fused grouped kernel (int8_conv.cu) and the accumulator-only kernel (kernels.cu). Device code only.
#pragma once
#include <cstdint>

#include "devices/cuda/kernels.h"

namespace edgeinfer::devices::cuda {

// Decodes the NHWC output index `i` into (n, oy, ox, k) and returns the int32 sum for it.
__device__ __forceinline__ int32_t GroupConvInt8Acc(const int8_t* __restrict__ in, const int8_t* __restrict__ w,
                                                    const ConvGeom& g, int64_t i, int* k_out) {
  const int cpg = g.c / g.group, kpg = g.k / g.group;
  int k = static_cast<int>(i % g.k);
  int64_t t = i / g.k;
  int ox = static_cast<int>(t % g.ow);
  t /= g.ow;
  int oy = static_cast<int>(t % g.oh);
  int n = static_cast<int>(t / g.oh);
  int c0 = (k / kpg) * cpg;
  int32_t a = 0;
  for (int ry = 0; ry < g.r; ++ry) {
    int y = oy * g.sh - g.ph + ry * g.dh;
    if (y < 0 || y >= g.h) continue;
    for (int sx = 0; sx < g.s; ++sx) {
      int x = ox * g.sw - g.pw + sx * g.dw;
      if (x < 0 || x >= g.w) continue;
      const int8_t* ip = in + ((static_cast<int64_t>(n) * g.h + y) * g.w + x) * g.c + c0;
      const int8_t* wp = w + ((static_cast<int64_t>(k) * g.r + ry) * g.s + sx) * cpg;
      for (int c = 0; c < cpg; ++c) a += static_cast<int32_t>(ip[c]) * static_cast<int32_t>(wp[c]);
    }
  }
  *k_out = k;
  return a;
}

}  // namespace edgeinfer::devices::cuda
