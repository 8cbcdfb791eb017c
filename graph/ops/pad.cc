// Pad reference: for each output element, map its index per axis back into the input (constant:
// out of range -> the constant; edge: clamp; reflect: mirror without repeating the border; wrap:
// modulo). Negative pads crop. Dtype-agnostic: elements are copied as bytes.
#include "graph/ops/pad.h"

#include <cstring>

namespace edgeinfer::ops {
namespace {

Status Fail(const Node& n, const std::string& rule) { return Status::Error(n.op + " '" + n.name + "': " + rule); }

std::string Join(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

Result<std::vector<int64_t>> IntValues(const InferContext& ctx, size_t i, const char* what) {
  if (!ctx.HasInput(i)) return std::vector<int64_t>{};
  const Tensor* t = ctx.in_value[i];
  if (!t) return ctx.Fail(std::string("input ") + what + " must be a constant (or foldable at import)");
  if (!IsInteger(t->dtype())) return ctx.Fail(std::string("input ") + what + " must be int64 (got " + DTypeName(t->dtype()) + ")");
  std::vector<int64_t> v;
  for (int64_t k = 0; k < t->numel(); ++k) v.push_back(t->GetAsInt64(k));
  return v;
}

// Maps an output coordinate to an input coordinate, or -1 for "use the constant".
int64_t MapIndex(PadMode mode, int64_t i, int64_t n) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case PadMode::kConstant: return -1;
    case PadMode::kEdge: return i < 0 ? 0 : n - 1;
    case PadMode::kWrap: return ((i % n) + n) % n;
    case PadMode::kReflect: {
      if (n == 1) return 0;
      const int64_t period = 2 * (n - 1);
      int64_t m = ((i % period) + period) % period;
      return m < n ? m : period - m;
    }
  }
  return -1;
}

}  // namespace

Result<PadParams> ParsePad(const Node& n, const Shape& x, const std::vector<int64_t>& pads,
                           const std::vector<int64_t>& axes_in) {
  PadParams p;
  const std::string mode = n.attrs.GetString("mode", "constant");
  if (mode == "constant") p.mode = PadMode::kConstant;
  else if (mode == "reflect") p.mode = PadMode::kReflect;
  else if (mode == "edge") p.mode = PadMode::kEdge;
  else if (mode == "wrap") p.mode = PadMode::kWrap;
  else return Fail(n, "mode='" + mode + "' is not one of constant, reflect, edge, wrap");
  const int64_t r = static_cast<int64_t>(x.rank());
  std::vector<int64_t> axes = axes_in;
  if (axes.empty()) for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  if (pads.size() != 2 * axes.size()) {
    return Fail(n, "pads=" + Join(pads) + " has " + std::to_string(pads.size()) + " entries; expected " +
                       std::to_string(2 * axes.size()) + " (begin and end for each of " + std::to_string(axes.size()) +
                       " axes)");
  }
  p.in_dims = x.dims;
  p.pads_begin.assign(x.rank(), 0);
  p.pads_end.assign(x.rank(), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = axes[i];
    if (a < -r || a >= r) return Fail(n, "axes=" + Join(axes) + " has an entry out of range for rank " + std::to_string(r));
    if (a < 0) a += r;
    p.pads_begin[static_cast<size_t>(a)] = pads[i];
    p.pads_end[static_cast<size_t>(a)] = pads[axes.size() + i];
  }
  for (size_t i = 0; i < x.rank(); ++i) {
    const int64_t d = x[i];
    if (d < 0) {
      p.out_dims.push_back(kDynamic);
      continue;
    }
    const int64_t o = d + p.pads_begin[i] + p.pads_end[i];
    if (o < 0) return Fail(n, "pads=" + Join(pads) + " crop axis " + std::to_string(i) + " (extent " + std::to_string(d) + ") below zero");
    if (p.mode != PadMode::kConstant && d == 0 && o > 0) {
      return Fail(n, "mode '" + mode + "' cannot pad axis " + std::to_string(i) + " of extent 0");
    }
    p.out_dims.push_back(o);
  }
  return p;
}

void PadRef(const PadParams& p, const void* x, void* y, size_t elem_size, const void* constant) {
  const size_t r = p.out_dims.size();
  int64_t total = 1;
  for (int64_t d : p.out_dims) total *= d;
  const std::vector<int64_t> in_strides = ContiguousStrides(p.in_dims);
  std::vector<int64_t> idx(r, 0);
  const auto* xb = static_cast<const unsigned char*>(x);
  auto* yb = static_cast<unsigned char*>(y);
  for (int64_t o = 0; o < total; ++o) {
    int64_t src = 0;
    for (size_t a = 0; a < r && src >= 0; ++a) {
      const int64_t i = MapIndex(p.mode, idx[a] - p.pads_begin[a], p.in_dims[a]);
      src = i < 0 ? -1 : src + i * in_strides[a];
    }
    unsigned char* dst = yb + static_cast<size_t>(o) * elem_size;
    if (src >= 0) std::memcpy(dst, xb + static_cast<size_t>(src) * elem_size, elem_size);
    else if (constant) std::memcpy(dst, constant, elem_size);
    else std::memset(dst, 0, elem_size);
    for (size_t a = r; a-- > 0;) {
      if (++idx[a] < p.out_dims[a]) break;
      idx[a] = 0;
    }
  }
}

Status InferPad(InferContext& ctx) {
  const DType t = ctx.in_dtype[0];
  if (DTypeSize(t) == 0) return ctx.Fail(std::string("input data is ") + DTypeName(t) + "; Pad needs a numeric dtype");
  if (ctx.HasInput(2) && ctx.in_dtype[2] != t) {
    return ctx.Fail(std::string("constant_value is ") + DTypeName(ctx.in_dtype[2]) + " but data is " + DTypeName(t) +
                    " (rule: same dtype)");
  }
  std::vector<int64_t> pads;
  if ((ctx.HasInput(1) && !ctx.in_value[1]) || (ctx.HasInput(3) && !ctx.in_value[3])) {
    // pads/axes not known before run time (a graph input): rank is kept, every dim is dynamic.
    if (ctx.HasInput(1) && ctx.in_shape[1].rank() != 1) {
      return ctx.Fail("input pads " + ctx.in_shape[1].ToString() + " must be 1-D");
    }
    ctx.SetOutput(0, t, Shape(std::vector<int64_t>(ctx.in_shape[0].rank(), kDynamic)));
    return Status::Ok();
  }
  if (ctx.HasInput(1)) {
    EI_ASSIGN_OR_RETURN(pads, IntValues(ctx, 1, "pads"));
  } else {
    pads = ctx.node.attrs.GetInts("pads");  // tolerate the pre-opset-11 attribute form
  }
  EI_ASSIGN_OR_RETURN(std::vector<int64_t> axes, IntValues(ctx, 3, "axes"));
  EI_ASSIGN_OR_RETURN(PadParams p, ParsePad(ctx.node, ctx.in_shape[0], pads, axes));
  ctx.SetOutput(0, t, Shape(p.out_dims));
  return Status::Ok();
}

Status PadReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  auto ints = [&](size_t i) {
    std::vector<int64_t> v;
    if (i < in.size() && in[i]) for (int64_t k = 0; k < in[i]->numel(); ++k) v.push_back(in[i]->GetAsInt64(k));
    return v;
  };
  std::vector<int64_t> pads = in.size() > 1 && in[1] ? ints(1) : node.attrs.GetInts("pads");
  EI_ASSIGN_OR_RETURN(PadParams p, ParsePad(node, in[0]->shape(), pads, ints(3)));
  const void* constant = nullptr;
  float legacy_value = node.attrs.GetFloat("value", 0.f);  // pre-opset-11 attribute form
  if (in.size() > 2 && in[2] && in[2]->numel() > 0) constant = in[2]->raw();
  if (!constant && node.attrs.Has("value") && in[0]->dtype() == DType::kFloat32) constant = &legacy_value;
  PadRef(p, in[0]->raw(), out[0]->raw(), DTypeSize(in[0]->dtype()), constant);
  return Status::Ok();
}

}  // namespace edgeinfer::ops
