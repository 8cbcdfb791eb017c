// Element conversions and the float activations shared by the CUDA kernels (kernels.cu,
// int8_conv.cu). Device code only; internal linkage in each translation unit.
#pragma once
#include <cuda_fp16.h>

#include <cstdint>

#include "devices/cuda/kernels.h"

namespace edgeinfer::devices::cuda {
namespace {

template <class T> __device__ __forceinline__ float ToF(T v);
template <> __device__ __forceinline__ float ToF<float>(float v) { return v; }
template <> __device__ __forceinline__ float ToF<__half>(__half v) { return __half2float(v); }
template <> __device__ __forceinline__ float ToF<int8_t>(int8_t v) { return static_cast<float>(v); }
template <class T> __device__ __forceinline__ T FromF(float v);
template <> __device__ __forceinline__ float FromF<float>(float v) { return v; }
template <> __device__ __forceinline__ __half FromF<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ int8_t FromF<int8_t>(float v) { return static_cast<int8_t>(v); }

__device__ __forceinline__ float ApplyAct(const KActParams& p, float x) {
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

}  // namespace
}  // namespace edgeinfer::devices::cuda
