// The fast INT8 convolution: oneDNN s8 x s8 -> s32 convolution (VNNI where the CPU has it) for the
// exact int32 accumulators, then edgeinfer's own requantization epilogue (graph/quant/int8_math.h
// via int8::Epilogue) in one fused, vectorised, parallel pass.
//
// Why not oneDNN's output scales: they requantize in float, which is not bit-exact to the
// fixed-point arithmetic every edgeinfer device shares. The s32 accumulators are exact (checked by
// tests/devices/cpu/fast_test.cc with extreme operands), so the result is bit-exact to
// int8::ConvAccumulate + int8::ApplyEpilogue.
//
// Layout: activations channels-last (NHWC) int8, which is what oneDNN's int8 brgconv kernels use;
// the accumulator buffer is NHWC int32. Known limits: 2-D only; zero points must be 0.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "graph/quant/int8_kernels.h"
#include "graph/status.h"

namespace edgeinfer::devices::fast {

// y[r, k] = ApplyEpilogue(e, acc[r, k] + bias[k], k, residual[r, k]) for rows r < rows, k < channels.
// acc/residual/y are row-major [rows, channels] (NHWC flattened); bias and residual may be null.
// Bit-exact to int8::ApplyEpilogue; parallel over rows (OpenMP, the pool oneDNN already uses).
void RequantizeRows(const int8::Epilogue& e, const int32_t* acc, const int32_t* bias, const int8_t* residual,
                    int8_t* y, int64_t rows, int64_t channels);

class Int8Conv {
 public:
  // Builds the primitive for geometry g, packs the weights (K, C/group, R, S int8, copied: the
  // caller's buffer may go away) and keeps the bias (K int32, copied) and epilogue.
  // src_nonnegative: every input value is >= 0 (it comes out of a ReLU or a clamp at >= 0), so the
  // int8 bytes read as uint8 unchanged and oneDNN's faster u8 x s8 kernels apply.
  static Result<std::unique_ptr<Int8Conv>> Create(const int8::Conv2DGeometry& g, const int8_t* w_kcrs,
                                                  const int32_t* bias, int8::Epilogue epilogue,
                                                  const dnnl::engine& eng, bool src_nonnegative = false);

  const dnnl::memory::desc& src_md() const { return src_md_; }   // NHWC s8 (u8 when nonnegative)
  const dnnl::memory::desc& dst_md() const { return dst_md_; }   // NHWC s8
  size_t acc_bytes() const { return acc_md_.get_size(); }        // NHWC s32 scratch
  size_t scratch_bytes() const { return pd_.scratchpad_desc().get_size(); }
  size_t weight_bytes() const { return pd_.weights_desc().get_size(); }
  const int8::Epilogue& epilogue() const { return epilogue_; }
  bool shifted_source() const { return shift_src_; }
  std::string impl() const;

  // x: NHWC int8 input; residual: NHWC int8 of y's shape or null; y: NHWC int8 output;
  // acc: acc_bytes() bytes; scratch: scratch_bytes() bytes. Not thread-safe per instance.
  void Run(dnnl::stream& s, const int8_t* x, const int8_t* residual, int8_t* y, int32_t* acc, void* scratch) const;

 private:
  Int8Conv() = default;
  int8::Conv2DGeometry g_;
  int8::Epilogue epilogue_;
  std::vector<int32_t> bias_;
  dnnl::engine eng_;
  dnnl::convolution_forward::primitive_desc pd_;
  dnnl::convolution_forward prim_;
  dnnl::memory::desc src_md_, dst_md_, acc_md_;
  dnnl::memory weights_;   // packed, owned
  bool shift_src_ = false;  // signed input run as uint8 x+128 with a source zero point of 128
  mutable std::vector<uint8_t> shifted_;   // the shifted input (Run is not thread-safe anyway)
};

}  // namespace edgeinfer::devices::fast
