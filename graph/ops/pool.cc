// Pooling reference. Steps: validate attributes and resolve auto_pad/ceil_mode into explicit pads
// and output extents (shared helpers in conv.h); then a direct loop nest over a 3-D normalised
// spatial index. AveragePool's divisor follows PyTorch/ONNX: with count_include_pad the window is
// clipped to the padded input (pads_begin..in+pads_end), without it to the real input.
#include "graph/ops/pool.h"

#include <array>
#include <cmath>
#include <limits>

#include "graph/ops/conv.h"

namespace edgeinfer::ops {
namespace {

std::string Join(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

std::array<int64_t, 3> To3(const std::vector<int64_t>& v, int64_t fill) {
  std::array<int64_t, 3> a{fill, fill, fill};
  size_t off = 3 - v.size();
  for (size_t i = 0; i < v.size(); ++i) a[off + i] = v[i];
  return a;
}

Status CheckRank(const std::string& label, const Shape& x) {
  if (x.rank() < 3 || x.rank() > 5) {
    return Status::Error(label + ": input X has rank " + std::to_string(x.rank()) + " " + x.ToString() +
                         "; supported are 3 to 5 (N, C and 1 to 3 spatial dims)");
  }
  return Status::Ok();
}

// Visits every output position of every (n, c) plane and calls acc_fn(plane, nc, in dims, window
// start, kernel, dilations, padded end, &y, &indices) on the 3-D normalised dims.
template <class T, class Acc>
void PoolLoop(const PoolParams& p, const T* x, T* y, int64_t* indices, Acc acc_fn) {
  const auto id = To3(p.in_dims, 1), od = To3(p.out_dims, 1), k = To3(p.kernel, 1), s = To3(p.strides, 1),
             d = To3(p.dilations, 1), pb = To3(p.pads_begin, 0), pe = To3(p.pads_end, 0);
  const int64_t in_sz = id[0] * id[1] * id[2], out_sz = od[0] * od[1] * od[2];
  for (int64_t nc = 0; nc < p.batch * p.channels; ++nc) {
    const T* xc = x + nc * in_sz;
    for (int64_t o0 = 0; o0 < od[0]; ++o0) {
      for (int64_t o1 = 0; o1 < od[1]; ++o1) {
        for (int64_t o2 = 0; o2 < od[2]; ++o2) {
          const int64_t o = (o0 * od[1] + o1) * od[2] + o2;
          acc_fn(xc, nc, id, std::array<int64_t, 3>{o0 * s[0] - pb[0], o1 * s[1] - pb[1], o2 * s[2] - pb[2]}, k, d,
                 std::array<int64_t, 3>{id[0] + pe[0], id[1] + pe[1], id[2] + pe[2]}, y + nc * out_sz + o,
                 indices ? indices + nc * out_sz + o : nullptr);
        }
      }
    }
  }
}

template <class T>
void MaxPoolT(const PoolParams& p, const T* x, T* y, int64_t* indices) {
  const size_t sp = p.spatial;
  PoolLoop(p, x, y, indices,
           [&](const T* xc, int64_t nc, const std::array<int64_t, 3>& id, const std::array<int64_t, 3>& st,
               const std::array<int64_t, 3>& k, const std::array<int64_t, 3>& d, const std::array<int64_t, 3>&,
               T* out, int64_t* idx) {
             T best = std::numeric_limits<T>::lowest();
             if constexpr (std::is_floating_point_v<T>) best = -std::numeric_limits<T>::infinity();
             int64_t best_at = -1;
             std::array<int64_t, 3> best_i{0, 0, 0};
             for (int64_t k0 = 0; k0 < k[0]; ++k0) {
               const int64_t i0 = st[0] + k0 * d[0];
               if (i0 < 0 || i0 >= id[0]) continue;
               for (int64_t k1 = 0; k1 < k[1]; ++k1) {
                 const int64_t i1 = st[1] + k1 * d[1];
                 if (i1 < 0 || i1 >= id[1]) continue;
                 for (int64_t k2 = 0; k2 < k[2]; ++k2) {
                   const int64_t i2 = st[2] + k2 * d[2];
                   if (i2 < 0 || i2 >= id[2]) continue;
                   const int64_t at = (i0 * id[1] + i1) * id[2] + i2;
                   if (best_at < 0 || xc[at] > best) {
                     best = xc[at];
                     best_at = at;
                     best_i = {i0, i1, i2};
                   }
                 }
               }
             }
             *out = best;
             if (idx) {
               const int64_t in_sz = id[0] * id[1] * id[2];
               int64_t flat = best_at;
               if (p.column_major_indices) {
                 // Spatial axes reversed: the first spatial axis varies fastest.
                 const std::array<int64_t, 3> dims = id;
                 flat = 0;
                 int64_t mul = 1;
                 for (size_t a = 3 - sp; a < 3; ++a) {
                   flat += best_i[a] * mul;
                   mul *= dims[a];
                 }
               }
               *idx = nc * in_sz + flat;
             }
           });
}

}  // namespace

Shape PoolParams::OutputShape() const {
  std::vector<int64_t> d = {batch, channels};
  d.insert(d.end(), out_dims.begin(), out_dims.end());
  return Shape(d);
}

Result<PoolParams> MakePoolParams(const std::string& label, PoolKind kind, const Shape& x, std::vector<int64_t> kernel,
                                  std::vector<int64_t> strides, std::vector<int64_t> pads, bool ceil_mode,
                                  bool count_include_pad, std::vector<int64_t> dilations) {
  EI_RETURN_IF_ERROR(CheckRank(label, x));
  PoolParams p;
  p.kind = kind;
  p.spatial = x.rank() - 2;
  const size_t sp = p.spatial;
  p.batch = x[0];
  p.channels = x[1];
  p.in_dims.assign(x.dims.begin() + 2, x.dims.end());
  if (strides.empty()) strides.assign(sp, 1);
  if (dilations.empty()) dilations.assign(sp, 1);
  if (pads.empty()) pads.assign(2 * sp, 0);
  auto check = [&](const char* name, const std::vector<int64_t>& v, size_t len, int64_t min) -> Status {
    if (v.size() != len) {
      return Status::Error(label + ": " + name + "=" + Join(v) + " has " + std::to_string(v.size()) +
                           " entries; expected " + std::to_string(len));
    }
    for (int64_t e : v) {
      if (e < min) return Status::Error(label + ": " + name + "=" + Join(v) + " has an entry below " + std::to_string(min));
    }
    return Status::Ok();
  };
  EI_RETURN_IF_ERROR(check("kernel_shape", kernel, sp, 1));
  EI_RETURN_IF_ERROR(check("strides", strides, sp, 1));
  EI_RETURN_IF_ERROR(check("dilations", dilations, sp, 1));
  EI_RETURN_IF_ERROR(check("pads", pads, 2 * sp, 0));
  p.kernel = kernel;
  p.strides = strides;
  p.dilations = dilations;
  p.pads_begin.assign(pads.begin(), pads.begin() + static_cast<long>(sp));
  p.pads_end.assign(pads.begin() + static_cast<long>(sp), pads.end());
  p.ceil_mode = ceil_mode;
  p.count_include_pad = count_include_pad;
  for (size_t i = 0; i < sp; ++i) {
    if (p.in_dims[i] >= 0 && p.in_dims[i] + p.pads_begin[i] + p.pads_end[i] < DilatedKernel(kernel[i], dilations[i])) {
      return Status::Error(label + ": kernel " + std::to_string(kernel[i]) + " (dilation " +
                           std::to_string(dilations[i]) + ") on spatial axis " + std::to_string(i) +
                           " is larger than the padded input " +
                           std::to_string(p.in_dims[i] + p.pads_begin[i] + p.pads_end[i]) +
                           " (rule: (k-1)*dilation+1 <= in + pads)");
    }
    p.out_dims.push_back(WindowOutDim(p.in_dims[i], kernel[i], strides[i], dilations[i], p.pads_begin[i],
                                      p.pads_end[i], ceil_mode));
  }
  return p;
}

Result<PoolParams> ParsePool(const Node& n, const Shape& x) {
  const std::string label = n.op + " '" + n.name + "'";
  EI_RETURN_IF_ERROR(CheckRank(label, x));
  const size_t sp = x.rank() - 2;
  if (!n.attrs.Has("kernel_shape")) return Status::Error(label + ": attribute kernel_shape is required");
  std::vector<int64_t> kernel = n.attrs.GetInts("kernel_shape");
  std::vector<int64_t> strides = n.attrs.GetInts("strides");
  std::vector<int64_t> dilations = n.attrs.GetInts("dilations");
  std::vector<int64_t> pads = n.attrs.GetInts("pads");
  const PoolKind kind = n.op == "MaxPool" ? PoolKind::kMax : PoolKind::kAverage;
  EI_ASSIGN_OR_RETURN(AutoPad ap, ParseAutoPad(n));
  bool ceil_mode = n.attrs.GetInt("ceil_mode", 0) != 0;
  if (ap != AutoPad::kNotSet) {
    // auto_pad fixes the output extent (SAME: ceil(in/stride)); ceil_mode has no say.
    if (kernel.size() != sp) return Status::Error(label + ": kernel_shape=" + Join(kernel) + " needs " + std::to_string(sp) + " entries");
    if (strides.empty()) strides.assign(sp, 1);
    if (dilations.empty()) dilations.assign(sp, 1);
    if (strides.size() != sp || dilations.size() != sp) {
      return Status::Error(label + ": strides/dilations need " + std::to_string(sp) + " entries");
    }
    pads.assign(2 * sp, 0);
    for (size_t i = 0; i < sp; ++i) {
      ResolveAutoPad(ap, x[2 + i], kernel[i], strides[i], dilations[i], &pads[i], &pads[sp + i]);
    }
    ceil_mode = false;
  }
  auto r = MakePoolParams(label, kind, x, kernel, strides, pads, ceil_mode,
                          n.attrs.GetInt("count_include_pad", 0) != 0, dilations);
  if (r.ok()) r->column_major_indices = n.attrs.GetInt("storage_order", 0) != 0;
  return r;
}

Result<PoolParams> ParseGlobalPool(const Node& n, const Shape& x) {
  const std::string label = n.op + " '" + n.name + "'";
  EI_RETURN_IF_ERROR(CheckRank(label, x));
  PoolParams p;
  p.kind = n.op == "GlobalMaxPool" ? PoolKind::kMax : PoolKind::kAverage;
  p.spatial = x.rank() - 2;
  p.batch = x[0];
  p.channels = x[1];
  p.in_dims.assign(x.dims.begin() + 2, x.dims.end());
  p.kernel = p.in_dims;
  p.out_dims.assign(p.spatial, 1);
  p.strides.assign(p.spatial, 1);
  p.dilations.assign(p.spatial, 1);
  p.pads_begin.assign(p.spatial, 0);
  p.pads_end.assign(p.spatial, 0);
  return p;
}

void PoolRef(const PoolParams& p, const float* x, float* y, int64_t* indices) {
  if (p.kind == PoolKind::kMax) {
    MaxPoolT<float>(p, x, y, indices);
    return;
  }
  const auto pb3 = To3(p.pads_begin, 0);
  PoolLoop(p, x, y, nullptr,
           [&](const float* xc, int64_t, const std::array<int64_t, 3>& id, const std::array<int64_t, 3>& st,
               const std::array<int64_t, 3>& k, const std::array<int64_t, 3>& d,
               const std::array<int64_t, 3>& padded_end, float* out, int64_t*) {
             double sum = 0.0;
             int64_t count = 0, padded_count = 1;
             for (int a = 0; a < 3; ++a) {
               // Taps of this axis that fall inside [-pads_begin, in + pads_end).
               int64_t c = 0;
               for (int64_t t = 0; t < k[a]; ++t) {
                 const int64_t i = st[a] + t * d[a];
                 if (i >= -pb3[static_cast<size_t>(a)] && i < padded_end[static_cast<size_t>(a)]) ++c;
               }
               padded_count *= c;
             }
             for (int64_t k0 = 0; k0 < k[0]; ++k0) {
               const int64_t i0 = st[0] + k0 * d[0];
               if (i0 < 0 || i0 >= id[0]) continue;
               for (int64_t k1 = 0; k1 < k[1]; ++k1) {
                 const int64_t i1 = st[1] + k1 * d[1];
                 if (i1 < 0 || i1 >= id[1]) continue;
                 for (int64_t k2 = 0; k2 < k[2]; ++k2) {
                   const int64_t i2 = st[2] + k2 * d[2];
                   if (i2 < 0 || i2 >= id[2]) continue;
                   sum += xc[(i0 * id[1] + i1) * id[2] + i2];
                   ++count;
                 }
               }
             }
             const int64_t div = p.count_include_pad ? padded_count : count;
             *out = div > 0 ? static_cast<float>(sum / static_cast<double>(div)) : 0.f;
           });
}

Result<int8::Pool2DParams> Int8AveragePoolParams(const PoolParams& p) {
  if (p.spatial != 2) return Status::Error("int8 average pooling is 2-D only");
  for (int64_t d : p.dilations)
    if (d != 1) return Status::Error("int8 average pooling does not take dilations");
  int8::Pool2DParams q;
  q.is_max = false;
  q.kh = p.kernel[0];
  q.kw = p.kernel[1];
  q.stride_h = p.strides[0];
  q.stride_w = p.strides[1];
  q.pad_t = p.pads_begin[0];
  q.pad_l = p.pads_begin[1];
  q.pad_b = p.pads_end[0];
  q.pad_r = p.pads_end[1];
  q.count_include_pad = p.count_include_pad;
  return q;
}

void MaxPoolRef(const PoolParams& p, const int8_t* x, int8_t* y) { MaxPoolT<int8_t>(p, x, y, nullptr); }
void MaxPoolRef(const PoolParams& p, const uint8_t* x, uint8_t* y) { MaxPoolT<uint8_t>(p, x, y, nullptr); }

namespace {

Status CheckPoolDtype(InferContext& ctx) {
  const DType t = ctx.in_dtype[0];
  const bool max = ctx.node.op == "MaxPool" || ctx.node.op == "GlobalMaxPool";
  if (t == DType::kFloat32) return Status::Ok();
  if (max && (t == DType::kInt8 || t == DType::kUInt8)) return Status::Ok();
  if (!max && t == DType::kInt8) {
    // INT8 average pooling (docs/int8-arithmetic.md step 5, standalone): 2-D, undilated.
    if (ctx.in_shape[0].rank() != 4) return ctx.Fail("int8 average pooling is 2-D only; X has rank " + std::to_string(ctx.in_shape[0].rank()));
    for (int64_t d : ctx.node.attrs.GetInts("dilations"))
      if (d != 1) return ctx.Fail("int8 average pooling does not take dilations");
    return Status::Ok();
  }
  return ctx.Fail(std::string("input X is ") + DTypeName(t) + "; the reference kernel runs float" +
                  (max ? ", int8 or uint8" : " or int8 (2-D)"));
}

Status RunPool(const PoolParams& p, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  switch (in[0]->dtype()) {
    case DType::kFloat32:
      PoolRef(p, in[0]->data<float>(), out[0]->data<float>(),
              out.size() > 1 && out[1] ? out[1]->data<int64_t>() : nullptr);
      return Status::Ok();
    case DType::kInt8:
      if (p.kind == PoolKind::kMax) {
        MaxPoolRef(p, in[0]->data<int8_t>(), out[0]->data<int8_t>());
      } else {
        EI_ASSIGN_OR_RETURN(int8::Pool2DParams q, Int8AveragePoolParams(p));
        int8::Pool2D(q, p.batch, p.channels, p.in_dims[0], p.in_dims[1], in[0]->data<int8_t>(), p.out_dims[0],
                     p.out_dims[1], out[0]->data<int8_t>());
      }
      return Status::Ok();
    case DType::kUInt8: MaxPoolRef(p, in[0]->data<uint8_t>(), out[0]->data<uint8_t>()); return Status::Ok();
    default: return Status::Error("pool: unsupported dtype");
  }
}

}  // namespace

Status InferPool(InferContext& ctx) {
  EI_RETURN_IF_ERROR(CheckPoolDtype(ctx));
  EI_ASSIGN_OR_RETURN(PoolParams p, ParsePool(ctx.node, ctx.in_shape[0]));
  if (ctx.node.outputs.size() > 1) {
    if (ctx.node.op != "MaxPool") return ctx.Fail("has " + std::to_string(ctx.node.outputs.size()) + " outputs; the op gives 1");
    if (ctx.in_dtype[0] != DType::kFloat32) return ctx.Fail("the Indices output is supported for float input only");
    ctx.SetOutput(1, DType::kInt64, p.OutputShape());
  }
  ctx.SetOutput(0, ctx.in_dtype[0], p.OutputShape());
  return Status::Ok();
}

Status InferGlobalPool(InferContext& ctx) {
  EI_RETURN_IF_ERROR(CheckPoolDtype(ctx));
  EI_ASSIGN_OR_RETURN(PoolParams p, ParseGlobalPool(ctx.node, ctx.in_shape[0]));
  ctx.SetOutput(0, ctx.in_dtype[0], p.OutputShape());
  return Status::Ok();
}

Status PoolReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  EI_ASSIGN_OR_RETURN(PoolParams p, ParsePool(node, in[0]->shape()));
  return RunPool(p, in, out);
}

Status GlobalPoolReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  EI_ASSIGN_OR_RETURN(PoolParams p, ParseGlobalPool(node, in[0]->shape()));
  if (in[0]->dtype() == DType::kInt8 && node.op == "GlobalAveragePool" && node.attrs.Has("y_scale")) {
    // Requantized to the output's own scale (docs/int8-arithmetic.md step 5).
    int64_t hw = 1;
    for (int64_t d : p.in_dims) hw *= d;
    auto m = int8::GlobalAveragePoolMultiplier(node.attrs.GetFloat("x_scale", 0.f), node.attrs.GetFloat("y_scale", 0.f), hw);
    if (!m.ok()) return m.status().WithContext(node.op + " '" + node.name + "'");
    int8::GlobalAveragePoolRequant(p.batch * p.channels, hw, in[0]->data<int8_t>(), *m, out[0]->data<int8_t>());
    return Status::Ok();
  }
  return RunPool(p, in, out);
}

}  // namespace edgeinfer::ops
