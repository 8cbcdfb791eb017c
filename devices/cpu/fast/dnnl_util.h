// Small helpers between edgeinfer's types and oneDNN 2.x (memory descriptors, dtypes, activations).
// Header-only; used by the fast CPU path and its tests.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "graph/dtype.h"
#include "graph/ops/activation.h"

namespace edgeinfer::devices::fast {

using dnnl_dt = dnnl::memory::data_type;
using dnnl_tag = dnnl::memory::format_tag;

inline dnnl::memory::dims ToDims(const std::vector<int64_t>& d) { return dnnl::memory::dims(d.begin(), d.end()); }

// oneDNN data type of an edgeinfer dtype; undef when oneDNN has none.
inline dnnl_dt ToDnnl(DType t) {
  switch (t) {
    case DType::kFloat32: return dnnl_dt::f32;
    case DType::kInt8: return dnnl_dt::s8;
    case DType::kUInt8: return dnnl_dt::u8;
    case DType::kInt32: return dnnl_dt::s32;
    case DType::kFloat16: return dnnl_dt::f16;
    case DType::kBFloat16: return dnnl_dt::bf16;
    default: return dnnl_dt::undef;
  }
}

// Dense row-major descriptor (what edgeinfer Tensors hold). A scalar is described as [1].
inline dnnl::memory::desc PlainMd(std::vector<int64_t> dims, dnnl_dt t) {
  if (dims.empty()) dims = {1};
  dnnl::memory::dims strides(dims.size());
  int64_t s = 1;
  for (size_t i = dims.size(); i-- > 0;) {
    strides[i] = s;
    s *= dims[i] > 0 ? dims[i] : 1;
  }
  return dnnl::memory::desc(ToDims(dims), t, strides);
}

inline bool IsPlain(const dnnl::memory::desc& md) { return md == PlainMd(md.dims(), md.data_type()); }

// Channels-last descriptor of an N,C,spatial... tensor (nwc / nhwc / ndhwc).
inline dnnl::memory::desc ChannelsLastMd(const std::vector<int64_t>& dims, dnnl_dt t) {
  switch (dims.size()) {
    case 3: return dnnl::memory::desc(ToDims(dims), t, dnnl_tag::acb);
    case 4: return dnnl::memory::desc(ToDims(dims), t, dnnl_tag::acdb);
    case 5: return dnnl::memory::desc(ToDims(dims), t, dnnl_tag::acdeb);
    default: return PlainMd(dims, t);
  }
}

// Appends one activation as eltwise post-op(s). False when oneDNN 2.6 has no equivalent.
inline bool AppendActivation(const ops::ActParams& a, dnnl::post_ops* po) {
  using alg = dnnl::algorithm;
  switch (a.kind) {
    case ops::ActKind::kRelu: po->append_eltwise(1.f, alg::eltwise_relu, 0.f, 0.f); return true;
    case ops::ActKind::kLeakyRelu: po->append_eltwise(1.f, alg::eltwise_relu, a.alpha, 0.f); return true;
    case ops::ActKind::kClip: po->append_eltwise(1.f, alg::eltwise_clip_v2, a.min, a.max); return true;
    case ops::ActKind::kSigmoid: po->append_eltwise(1.f, alg::eltwise_logistic, 0.f, 0.f); return true;
    case ops::ActKind::kTanh: po->append_eltwise(1.f, alg::eltwise_tanh, 0.f, 0.f); return true;
    case ops::ActKind::kHardSwish:
      // oneDNN 2.6's hardswish is x * relu6(x + 3) / 6, ONNX's HardSwish exactly.
      po->append_eltwise(1.f, alg::eltwise_hardswish, 0.f, 0.f);
      return true;
    case ops::ActKind::kHardSigmoid:
      // max(0, min(1, alpha*x + beta)) as linear then clip.
      po->append_eltwise(1.f, alg::eltwise_linear, a.alpha, a.beta);
      po->append_eltwise(1.f, alg::eltwise_clip_v2, 0.f, 1.f);
      return true;
    case ops::ActKind::kIdentity: return true;
  }
  return false;
}

// The implementation oneDNN picked ("brgconv:avx512_core"), for --explain and the quality check.
template <class PD>
std::string ImplName(const PD& pd) {
  const char* s = pd.impl_info_str();
  return s ? s : "?";
}
// A reference (naive) oneDNN implementation: we would rather reorder than use it.
inline bool IsSlowImpl(const std::string& impl) { return impl.rfind("ref", 0) == 0 || impl.find(":ref") != std::string::npos; }

}  // namespace edgeinfer::devices::fast
