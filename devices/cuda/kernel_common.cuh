// Launch geometry and element access shared by the CUDA kernel files (kernels.cu,
// int8_kernels.cu). Device code only; internal linkage in each translation unit.
#pragma once
#include <cuda_fp16.h>

#include <cstdint>

#include "devices/cuda/kernels.h"

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

}  // namespace
}  // namespace edgeinfer::devices::cuda
