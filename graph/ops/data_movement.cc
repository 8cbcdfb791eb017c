// Data-movement kernels walk the output in row-major order and compute each element's source
// offset from per-dim strides (Transpose: permuted strides; Slice: strides times steps), copying
// DTypeSize bytes per element. Concat/Split/Gather copy contiguous inner blocks. Naive by design:
// these are the goldens, not the fast path.
#include "graph/ops/data_movement.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <type_traits>

#include "graph/ops/op_util.h"

namespace edgeinfer::ops {

namespace {

int64_t Prod(const std::vector<int64_t>& d, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) {
    if (d[i] < 0) return kDynamic;
    p *= d[i];
  }
  return p;
}

// Copies element `src_i` of src to element `dst_i` of dst, esize bytes each.
inline void CopyElem(uint8_t* dst, int64_t dst_i, const uint8_t* src, int64_t src_i, size_t esize) {
  std::memcpy(dst + static_cast<size_t>(dst_i) * esize, src + static_cast<size_t>(src_i) * esize, esize);
}

// "[0,-1,2]": a list of integers as given (unlike Shape::ToString, -1 stays -1).
std::string ListToString(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(v[i]);
  }
  return s + "]";
}

// Split sizes of a node for an axis extent `dim` (kDynamic when unknown). `sizes_value` is input 1
// when known. Fills `sizes` (kDynamic entries when unknown).
Status SplitSizes(const InferContext* ctx, const Node& node, const Tensor* sizes_value, bool sizes_present,
                  int64_t dim, size_t n, std::vector<int64_t>* sizes) {
  auto fail = [&](const std::string& r) { return ctx ? ctx->Fail(r) : NodeError(node, r); };
  if (node.attrs.Has("num_outputs") && static_cast<size_t>(node.attrs.GetInt("num_outputs", 0)) != n) {
    return fail("num_outputs=" + std::to_string(node.attrs.GetInt("num_outputs", 0)) + " but the node has " +
                std::to_string(n) + " outputs (rule: they agree)");
  }
  if (sizes_present) {
    if (!sizes_value) {
      sizes->assign(n, kDynamic);
      return Status::Ok();
    }
    *sizes = ToInt64Vector(*sizes_value);
    if (sizes->size() != n) {
      return fail("split has " + std::to_string(sizes->size()) + " sizes for " + std::to_string(n) +
                  " outputs (rule: one size per output)");
    }
    int64_t sum = 0;
    for (int64_t s : *sizes) {
      if (s < 0) return fail("split " + ListToString(*sizes) + " has a negative size");
      sum += s;
    }
    if (dim >= 0 && sum != dim) {
      return fail("split " + ListToString(*sizes) + " sums to " + std::to_string(sum) + ", not the axis extent " +
                  std::to_string(dim));
    }
    return Status::Ok();
  }
  if (dim < 0) {
    sizes->assign(n, kDynamic);
    return Status::Ok();
  }
  // Equal parts; opset 18: the last part is smaller when n does not divide the extent.
  int64_t chunk = (dim + static_cast<int64_t>(n) - 1) / static_cast<int64_t>(n);
  int64_t last = dim - chunk * static_cast<int64_t>(n - 1);
  if (last < 0) {
    return fail("axis extent " + std::to_string(dim) + " cannot be split into " + std::to_string(n) + " parts");
  }
  sizes->assign(n, chunk);
  sizes->back() = last;
  return Status::Ok();
}

}  // namespace

// ---------------------------------------------------------------- Flatten, Reshape, copies

Status InferFlatten(InferContext& ctx) {
  const Shape& s = ctx.in_shape[0];
  int64_t r = static_cast<int64_t>(s.rank());
  int64_t axis = ctx.node.attrs.GetInt("axis", 1);
  if (axis < -r || axis > r) {
    return ctx.Fail("axis=" + std::to_string(axis) + " is out of range for rank " + std::to_string(r) + " (rule: -r <= axis <= r)");
  }
  if (axis < 0) axis += r;
  ctx.SetOutput(0, ctx.in_dtype[0], Shape({Prod(s.dims, 0, static_cast<size_t>(axis)), Prod(s.dims, static_cast<size_t>(axis), s.rank())}));
  return Status::Ok();
}

Status InferReshape(InferContext& ctx) {
  const Shape& in = ctx.in_shape[0];
  if (ctx.in_dtype[1] != DType::kInt64) {
    return ctx.Fail(std::string("shape input is ") + DTypeName(ctx.in_dtype[1]) + " (rule: int64)");
  }
  if (!ctx.in_value[1]) {
    if (ctx.in_shape[1].rank() == 1 && ctx.in_shape[1].dims[0] >= 0) {
      ctx.SetOutput(0, ctx.in_dtype[0], Shape(std::vector<int64_t>(static_cast<size_t>(ctx.in_shape[1].dims[0]), kDynamic)));
      return Status::Ok();
    }
    return ctx.Fail("the shape input must be constant (rule: output rank known at compile time)");
  }
  std::vector<int64_t> spec = ToInt64Vector(*ctx.in_value[1]);
  bool allowzero = ctx.node.attrs.GetInt("allowzero", 0) != 0;
  std::vector<int64_t> out(spec.size());
  int infer_at = -1;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t v = spec[i];
    if (v == -1) {
      if (infer_at >= 0) return ctx.Fail("shape " + ListToString(spec) + " has more than one -1");
      infer_at = static_cast<int>(i);
      out[i] = kDynamic;
    } else if (v == 0 && !allowzero) {
      if (i >= in.rank()) {
        return ctx.Fail("shape " + ListToString(spec) + " copies dim " + std::to_string(i) + " (0) but the input " +
                        in.ToString() + " has rank " + std::to_string(in.rank()));
      }
      out[i] = in.dims[i];
    } else if (v < 0) {
      return ctx.Fail("shape " + ListToString(spec) + " has a negative extent " + std::to_string(v));
    } else {
      out[i] = v;
    }
  }
  if (allowzero && infer_at >= 0) {
    for (int64_t v : spec) {
      if (v == 0) return ctx.Fail("shape " + ListToString(spec) + " has both 0 and -1 with allowzero=1");
    }
  }
  // Element-count check and the -1 extent. Dims copied by 0 appear on both sides and cancel, so a
  // dynamic batch copied by 0 still lets -1 resolve ([N,3,4] -> [0,-1] gives [N,12]).
  auto copied = [&](size_t i) { return i < spec.size() && spec[i] == 0 && !allowzero && i < in.rank(); };
  int64_t in_rest = 1;
  bool in_known = true;
  for (size_t i = 0; i < in.rank(); ++i) {
    if (copied(i)) continue;
    if (in.dims[i] < 0) in_known = false;
    else in_rest *= in.dims[i];
  }
  int64_t out_rest = 1;
  bool out_known = true;
  for (size_t i = 0; i < out.size(); ++i) {
    if (copied(i) || static_cast<int>(i) == infer_at) continue;
    if (out[i] < 0) out_known = false;
    else out_rest *= out[i];
  }
  if (in_known && out_known) {
    if (infer_at >= 0) {
      if (out_rest == 0 || in_rest % out_rest != 0) {
        return ctx.Fail("cannot reshape " + in.ToString() + " to " + ListToString(spec) + " (rule: element counts agree)");
      }
      out[static_cast<size_t>(infer_at)] = in_rest / out_rest;
    } else if (in_rest != out_rest) {
      return ctx.Fail("cannot reshape " + in.ToString() + " (" + std::to_string(in.NumElements()) + " elements) to " +
                      ListToString(out) + " (rule: element counts agree)");
    }
  }
  ctx.SetOutput(0, ctx.in_dtype[0], Shape(out));
  return Status::Ok();
}

Status CopyReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  if (in[0]->bytes() != out[0]->bytes()) return NodeError(node, "input and output sizes differ");
  if (in[0]->bytes()) std::memcpy(out[0]->raw(), in[0]->raw(), in[0]->bytes());
  return Status::Ok();
}

// ---------------------------------------------------------------- Transpose

namespace {
Result<std::vector<int64_t>> PermOf(const Node& node, size_t rank, const InferContext* ctx) {
  std::vector<int64_t> perm = node.attrs.GetInts("perm");
  if (!node.attrs.Has("perm")) {
    for (size_t i = 0; i < rank; ++i) perm.push_back(static_cast<int64_t>(rank - 1 - i));
  }
  std::vector<bool> seen(rank, false);
  bool ok = perm.size() == rank;
  for (int64_t p : perm) {
    if (!ok || p < 0 || p >= static_cast<int64_t>(rank) || seen[static_cast<size_t>(p)]) { ok = false; break; }
    seen[static_cast<size_t>(p)] = true;
  }
  if (!ok) {
    std::string r = "perm=" + ListToString(perm) + " is not a permutation of " + std::to_string(rank) + " axes";
    return ctx ? ctx->Fail(r) : NodeError(node, r);
  }
  return perm;
}
}  // namespace

Status InferTranspose(InferContext& ctx) {
  const Shape& s = ctx.in_shape[0];
  EI_ASSIGN_OR_RETURN(std::vector<int64_t> perm, PermOf(ctx.node, s.rank(), &ctx));
  std::vector<int64_t> d(s.rank());
  for (size_t i = 0; i < d.size(); ++i) d[i] = s.dims[static_cast<size_t>(perm[i])];
  ctx.SetOutput(0, ctx.in_dtype[0], Shape(d));
  return Status::Ok();
}

void TransposeRef(const std::vector<int64_t>& perm, const Tensor& in, Tensor& out) {
  std::vector<int64_t> is = ContiguousStrides(in.dims());
  std::vector<int64_t> sa(perm.size()), sb(perm.size(), 0);
  for (size_t k = 0; k < perm.size(); ++k) sa[k] = is[static_cast<size_t>(perm[k])];
  const size_t es = DTypeSize(in.dtype());
  const uint8_t* src = static_cast<const uint8_t*>(in.raw());
  uint8_t* dst = static_cast<uint8_t*>(out.raw());
  ForEachBroadcast(out.dims(), sa, sb, [&](int64_t i, int64_t ia, int64_t) { CopyElem(dst, i, src, ia, es); });
}

Status TransposeReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  EI_ASSIGN_OR_RETURN(std::vector<int64_t> perm, PermOf(node, in[0]->rank(), nullptr));
  TransposeRef(perm, *in[0], *out[0]);
  return Status::Ok();
}

// ---------------------------------------------------------------- Concat

Status InferConcat(InferContext& ctx) {
  if (!ctx.node.attrs.Has("axis")) return ctx.Fail("attribute axis is required");
  const Shape& s0 = ctx.in_shape[0];
  int64_t r = static_cast<int64_t>(s0.rank());
  int64_t axis = NormalizeAxis(ctx.node.attrs.GetInt("axis", 0), r);
  if (axis < 0) {
    return ctx.Fail("axis=" + std::to_string(ctx.node.attrs.GetInt("axis", 0)) + " is out of range for rank " + std::to_string(r));
  }
  std::vector<int64_t> out = s0.dims;
  for (size_t i = 1; i < ctx.num_inputs(); ++i) {
    if (!ctx.HasInput(i)) return ctx.Fail("input " + std::to_string(i) + " is missing");
    if (ctx.in_dtype[i] != ctx.in_dtype[0]) {
      return ctx.Fail(std::string("input dtypes ") + DTypeName(ctx.in_dtype[0]) + " and " + DTypeName(ctx.in_dtype[i]) +
                      " differ (rule: inputs share one dtype)");
    }
    const Shape& s = ctx.in_shape[i];
    if (s.rank() != s0.rank()) {
      return ctx.Fail("input shapes " + s0.ToString() + " and " + s.ToString() + " differ in rank (rule: inputs share one rank)");
    }
    for (size_t k = 0; k < s.rank(); ++k) {
      if (static_cast<int64_t>(k) == axis) {
        out[k] = (out[k] < 0 || s.dims[k] < 0) ? kDynamic : out[k] + s.dims[k];
      } else if (out[k] >= 0 && s.dims[k] >= 0 && out[k] != s.dims[k]) {
        return ctx.Fail("input shapes " + s0.ToString() + " and " + s.ToString() + " differ outside axis " +
                        std::to_string(axis) + " (rule: other dims agree)");
      } else if (out[k] < 0) {
        out[k] = s.dims[k];
      }
    }
  }
  ctx.SetOutput(0, ctx.in_dtype[0], Shape(out));
  return Status::Ok();
}

Status ConcatReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& y = *out[0];
  size_t axis = static_cast<size_t>(NormalizeAxis(node.attrs.GetInt("axis", 0), static_cast<int64_t>(y.rank())));
  const size_t es = DTypeSize(y.dtype());
  int64_t outer = Prod(y.dims(), 0, axis);
  int64_t inner = Prod(y.dims(), axis + 1, y.rank());
  uint8_t* dst = static_cast<uint8_t*>(out[0]->raw());
  size_t row = static_cast<size_t>(y.dim(axis) * inner) * es;
  size_t offset = 0;
  for (const Tensor* t : in) {
    size_t block = static_cast<size_t>(t->dim(axis) * inner) * es;
    const uint8_t* src = static_cast<const uint8_t*>(t->raw());
    for (int64_t o = 0; o < outer; ++o) {
      if (block) std::memcpy(dst + static_cast<size_t>(o) * row + offset, src + static_cast<size_t>(o) * block, block);
    }
    offset += block;
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- Split

Status InferSplit(InferContext& ctx) {
  const Shape& s = ctx.in_shape[0];
  int64_t axis = NormalizeAxis(ctx.node.attrs.GetInt("axis", 0), static_cast<int64_t>(s.rank()));
  if (axis < 0) {
    return ctx.Fail("axis=" + std::to_string(ctx.node.attrs.GetInt("axis", 0)) + " is out of range for rank " + std::to_string(s.rank()));
  }
  std::vector<int64_t> sizes;
  EI_RETURN_IF_ERROR(SplitSizes(&ctx, ctx.node, ctx.HasInput(1) ? ctx.in_value[1] : nullptr, ctx.HasInput(1),
                                s.dims[static_cast<size_t>(axis)], ctx.out_dtype.size(), &sizes));
  for (size_t i = 0; i < sizes.size(); ++i) {
    Shape o = s;
    o.dims[static_cast<size_t>(axis)] = sizes[i];
    ctx.SetOutput(i, ctx.in_dtype[0], o);
  }
  return Status::Ok();
}

Status SplitReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  size_t axis = static_cast<size_t>(NormalizeAxis(node.attrs.GetInt("axis", 0), static_cast<int64_t>(x.rank())));
  const size_t es = DTypeSize(x.dtype());
  int64_t outer = Prod(x.dims(), 0, axis);
  int64_t inner = Prod(x.dims(), axis + 1, x.rank());
  const uint8_t* src = static_cast<const uint8_t*>(x.raw());
  size_t row = static_cast<size_t>(x.dim(axis) * inner) * es;
  size_t offset = 0;
  for (Tensor* t : out) {
    if (!t) continue;
    size_t block = static_cast<size_t>(t->dim(axis) * inner) * es;
    uint8_t* dst = static_cast<uint8_t*>(t->raw());
    for (int64_t o = 0; o < outer; ++o) {
      if (block) std::memcpy(dst + static_cast<size_t>(o) * block, src + static_cast<size_t>(o) * row + offset, block);
    }
    offset += block;
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- Slice

Result<SliceParams> ResolveSlice(const std::vector<int64_t>& dims, const std::vector<int64_t>& starts,
                                 const std::vector<int64_t>& ends, const std::vector<int64_t>& axes_in,
                                 const std::vector<int64_t>& steps_in) {
  const int64_t r = static_cast<int64_t>(dims.size());
  if (starts.size() != ends.size()) {
    return Status::Error("starts " + ListToString(starts) + " and ends " + ListToString(ends) + " differ in length");
  }
  std::vector<int64_t> axes = axes_in;
  if (axes.empty()) for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  std::vector<int64_t> steps = steps_in.empty() ? std::vector<int64_t>(starts.size(), 1) : steps_in;
  if (axes.size() != starts.size() || steps.size() != starts.size()) {
    return Status::Error("starts, ends, axes and steps differ in length (rule: one entry per sliced axis)");
  }
  SliceParams p;
  p.start.assign(dims.size(), 0);
  p.step.assign(dims.size(), 1);
  p.count = dims;
  std::set<int64_t> seen;
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = NormalizeAxis(axes[i], r);
    if (a < 0) return Status::Error("axis " + std::to_string(axes[i]) + " is out of range for rank " + std::to_string(r));
    if (!seen.insert(a).second) return Status::Error("axis " + std::to_string(axes[i]) + " is repeated");
    int64_t step = steps[i];
    if (step == 0) return Status::Error("step 0 on axis " + std::to_string(axes[i]) + " (rule: steps are non-zero)");
    int64_t d = dims[static_cast<size_t>(a)];
    int64_t s = starts[i], e = ends[i];
    if (s < 0) s += d;
    if (e < 0) e += d;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, d);
      e = std::clamp<int64_t>(e, 0, d);
    } else {
      s = std::clamp<int64_t>(s, 0, d - 1);
      e = std::clamp<int64_t>(e, -1, d - 1);
    }
    int64_t n = step > 0 ? (e - s + step - 1) / step : (s - e + (-step) - 1) / (-step);
    p.start[static_cast<size_t>(a)] = s;
    p.step[static_cast<size_t>(a)] = step;
    p.count[static_cast<size_t>(a)] = std::max<int64_t>(0, n);
  }
  return p;
}

namespace {
// Reads Slice's list inputs; false when one present input is not known.
bool SliceLists(const std::vector<const Tensor*>& v, size_t n_in, std::vector<int64_t>* st, std::vector<int64_t>* en,
                std::vector<int64_t>* ax, std::vector<int64_t>* sp, const std::vector<bool>& present) {
  std::vector<int64_t>* lists[4] = {st, en, ax, sp};
  for (size_t i = 1; i <= 4; ++i) {
    if (i >= n_in || !present[i]) continue;
    if (!v[i]) return false;
    *lists[i - 1] = ToInt64Vector(*v[i]);
  }
  return true;
}
}  // namespace

Status InferSlice(InferContext& ctx) {
  const Shape& s = ctx.in_shape[0];
  std::vector<bool> present(ctx.num_inputs());
  for (size_t i = 0; i < present.size(); ++i) {
    present[i] = ctx.HasInput(i);
    if (i >= 1 && present[i] && ctx.in_dtype[i] != DType::kInt64 && ctx.in_dtype[i] != DType::kInt32) {
      return ctx.Fail("input " + std::to_string(i) + " is " + DTypeName(ctx.in_dtype[i]) + " (rule: int32 or int64)");
    }
  }
  std::vector<int64_t> st, en, ax, sp;
  if (!SliceLists(ctx.in_value, ctx.num_inputs(), &st, &en, &ax, &sp, present)) {
    ctx.SetOutput(0, ctx.in_dtype[0], Shape(std::vector<int64_t>(s.rank(), kDynamic)));
    return Status::Ok();
  }
  // Resolve against the dims, treating dynamic extents as "unknown": those sliced dims become dynamic.
  std::vector<int64_t> dims = s.dims;
  for (int64_t& d : dims) if (d < 0) d = std::numeric_limits<int32_t>::max();
  Result<SliceParams> p = ResolveSlice(dims, st, en, ax, sp);
  if (!p.ok()) return ctx.Fail(p.status().message());
  std::vector<int64_t> out(s.rank());
  for (size_t k = 0; k < s.rank(); ++k) {
    out[k] = s.dims[k] < 0 ? kDynamic : p->count[k];
  }
  ctx.SetOutput(0, ctx.in_dtype[0], Shape(out));
  return Status::Ok();
}

void SliceRef(const SliceParams& p, const Tensor& in, Tensor& out) {
  std::vector<int64_t> is = ContiguousStrides(in.dims());
  std::vector<int64_t> sa(is.size()), sb(is.size(), 0);
  int64_t base = 0;
  for (size_t k = 0; k < is.size(); ++k) {
    sa[k] = is[k] * p.step[k];
    base += is[k] * p.start[k];
  }
  const size_t es = DTypeSize(in.dtype());
  const uint8_t* src = static_cast<const uint8_t*>(in.raw());
  uint8_t* dst = static_cast<uint8_t*>(out.raw());
  ForEachBroadcast(p.count, sa, sb, [&](int64_t i, int64_t ia, int64_t) { CopyElem(dst, i, src, base + ia, es); });
}

Status SliceReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  std::vector<bool> present(in.size());
  for (size_t i = 0; i < in.size(); ++i) present[i] = in[i] != nullptr;
  std::vector<int64_t> st, en, ax, sp;
  SliceLists(in, in.size(), &st, &en, &ax, &sp, present);
  Result<SliceParams> p = ResolveSlice(in[0]->dims(), st, en, ax, sp);
  if (!p.ok()) return NodeError(node, p.status().message());
  SliceRef(*p, *in[0], *out[0]);
  return Status::Ok();
}

// ---------------------------------------------------------------- Squeeze, Unsqueeze

Status InferSqueeze(InferContext& ctx) {
  const Shape& s = ctx.in_shape[0];
  const int64_t r = static_cast<int64_t>(s.rank());
  std::vector<bool> drop(s.rank(), false);
  if (!ctx.HasInput(1)) {
    // No axes: drop every extent-1 dim. A dynamic dim is kept (assumed not 1; a batch dim).
    for (size_t k = 0; k < s.rank(); ++k) drop[k] = s.dims[k] == 1;
  } else {
    if (!ctx.in_value[1]) {
      // Axes known at run time only: the rank is known from the axes' length, the dims are not.
      const Shape& as = ctx.in_shape[1];
      int64_t k = as.rank() == 0 ? 1 : (as.rank() == 1 ? as.dims[0] : -1);
      if (k < 0 || k > r) return ctx.Fail("the axes input must be constant (rule: output rank known at compile time)");
      ctx.SetOutput(0, ctx.in_dtype[0], Shape(std::vector<int64_t>(static_cast<size_t>(r - k), kDynamic)));
      return Status::Ok();
    }
    for (int64_t a : ToInt64Vector(*ctx.in_value[1])) {
      int64_t n = NormalizeAxis(a, r);
      if (n < 0) return ctx.Fail("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(r));
      if (drop[static_cast<size_t>(n)]) return ctx.Fail("axis " + std::to_string(a) + " is repeated");
      int64_t d = s.dims[static_cast<size_t>(n)];
      if (d >= 0 && d != 1) {
        return ctx.Fail("axis " + std::to_string(a) + " of shape " + s.ToString() + " has extent " + std::to_string(d) +
                        " (rule: squeezed dims are 1)");
      }
      drop[static_cast<size_t>(n)] = true;
    }
  }
  std::vector<int64_t> out;
  for (size_t k = 0; k < s.rank(); ++k) if (!drop[k]) out.push_back(s.dims[k]);
  ctx.SetOutput(0, ctx.in_dtype[0], Shape(out));
  return Status::Ok();
}

Status InferUnsqueeze(InferContext& ctx) {
  const Shape& s = ctx.in_shape[0];
  if (!ctx.in_value[1]) {
    if (ctx.in_shape[1].rank() == 1 && ctx.in_shape[1].dims[0] >= 0) {
      ctx.SetOutput(0, ctx.in_dtype[0], Shape(std::vector<int64_t>(s.rank() + static_cast<size_t>(ctx.in_shape[1].dims[0]), kDynamic)));
      return Status::Ok();
    }
    return ctx.Fail("the axes input must be constant (rule: output rank known at compile time)");
  }
  std::vector<int64_t> axes = ToInt64Vector(*ctx.in_value[1]);
  const int64_t r = static_cast<int64_t>(s.rank() + axes.size());
  std::vector<bool> ins(static_cast<size_t>(r), false);
  for (int64_t a : axes) {
    int64_t n = NormalizeAxis(a, r);
    if (n < 0) return ctx.Fail("axis " + std::to_string(a) + " is out of range for output rank " + std::to_string(r));
    if (ins[static_cast<size_t>(n)]) return ctx.Fail("axis " + std::to_string(a) + " is repeated");
    ins[static_cast<size_t>(n)] = true;
  }
  std::vector<int64_t> out;
  size_t j = 0;
  for (size_t k = 0; k < ins.size(); ++k) out.push_back(ins[k] ? 1 : s.dims[j++]);
  ctx.SetOutput(0, ctx.in_dtype[0], Shape(out));
  return Status::Ok();
}

// ---------------------------------------------------------------- Gather

Status InferGather(InferContext& ctx) {
  const Shape& s = ctx.in_shape[0];
  if (ctx.in_dtype[1] != DType::kInt64 && ctx.in_dtype[1] != DType::kInt32) {
    return ctx.Fail(std::string("indices are ") + DTypeName(ctx.in_dtype[1]) + " (rule: int32 or int64)");
  }
  int64_t a = ctx.node.attrs.GetInt("axis", 0);
  int64_t axis = NormalizeAxis(a, static_cast<int64_t>(s.rank()));
  if (axis < 0) return ctx.Fail("axis=" + std::to_string(a) + " is out of range for rank " + std::to_string(s.rank()));
  std::vector<int64_t> out(s.dims.begin(), s.dims.begin() + axis);
  for (int64_t d : ctx.in_shape[1].dims) out.push_back(d);
  for (size_t k = static_cast<size_t>(axis) + 1; k < s.rank(); ++k) out.push_back(s.dims[k]);
  ctx.SetOutput(0, ctx.in_dtype[0], Shape(out));
  return Status::Ok();
}

Status GatherReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const Tensor& idx = *in[1];
  size_t axis = static_cast<size_t>(NormalizeAxis(node.attrs.GetInt("axis", 0), static_cast<int64_t>(x.rank())));
  const size_t es = DTypeSize(x.dtype());
  int64_t outer = Prod(x.dims(), 0, axis);
  int64_t d = x.dim(axis);
  size_t block = static_cast<size_t>(Prod(x.dims(), axis + 1, x.rank())) * es;
  const int64_t ni = idx.numel();
  const uint8_t* src = static_cast<const uint8_t*>(x.raw());
  uint8_t* dst = static_cast<uint8_t*>(out[0]->raw());
  for (int64_t j = 0; j < ni; ++j) {
    int64_t v = idx.GetAsInt64(j);
    if (v < -d || v >= d) {
      return NodeError(node, "index " + std::to_string(v) + " is out of range for axis extent " + std::to_string(d) +
                                 " (rule: -d <= index < d)");
    }
  }
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < ni; ++j) {
      int64_t v = idx.GetAsInt64(j);
      if (v < 0) v += d;
      if (block) std::memcpy(dst + static_cast<size_t>(o * ni + j) * block, src + static_cast<size_t>(o * d + v) * block, block);
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- Shape

namespace {
void ShapeRange(const Node& node, int64_t r, int64_t* start, int64_t* end) {
  int64_t s = node.attrs.GetInt("start", 0);
  int64_t e = node.attrs.GetInt("end", r);
  if (s < 0) s += r;
  if (e < 0) e += r;
  *start = std::clamp<int64_t>(s, 0, r);
  *end = std::clamp<int64_t>(e, 0, r);
}
}  // namespace

Status InferShapeOp(InferContext& ctx) {
  int64_t s, e;
  ShapeRange(ctx.node, static_cast<int64_t>(ctx.in_shape[0].rank()), &s, &e);
  ctx.SetOutput(0, DType::kInt64, Shape({std::max<int64_t>(0, e - s)}));
  return Status::Ok();
}

Status ShapeReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  int64_t s, e;
  ShapeRange(node, static_cast<int64_t>(in[0]->rank()), &s, &e);
  for (int64_t k = s; k < e; ++k) out[0]->data<int64_t>()[k - s] = in[0]->dim(static_cast<size_t>(k));
  return Status::Ok();
}

// ---------------------------------------------------------------- Cast

namespace {
struct BF16 { uint16_t bits; };
struct Bool8 { uint8_t v; };

float BF16ToFloat(uint16_t b) {
  uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
uint16_t FloatToBF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if (std::isnan(f)) return static_cast<uint16_t>((u >> 16) | 0x40);   // stays a (quiet) NaN
  // Truncation: what the ONNX reference (onnx <= 1.13, the version of Debian's libonnx-testdata)
  // does in test_cast_FLOAT_to_BFLOAT16; the Cast spec of opsets 6-18 leaves rounding open.
  return static_cast<uint16_t>(u >> 16);
}

template <class F>
bool DispatchCastable(DType t, F&& f) {
  if (t == DType::kBFloat16) { f(BF16{}); return true; }
  if (t == DType::kBool) { f(Bool8{}); return true; }
  return DispatchNumeric(t, f);
}

// Element i of a source type as the widest exact representation: double for floats, int64/uint64
// for integers.
template <class S> auto ReadElem(const S* p, int64_t i) {
  if constexpr (std::is_same_v<S, Half>) return static_cast<double>(HalfToFloat(p[i].bits));
  else if constexpr (std::is_same_v<S, BF16>) return static_cast<double>(BF16ToFloat(p[i].bits));
  else if constexpr (std::is_same_v<S, Bool8>) return static_cast<int64_t>(p[i].v != 0);
  else if constexpr (std::is_same_v<S, float>) return p[i];
  else return p[i];
}

// Float -> integer: NaN gives 0, out-of-range saturates (ONNX leaves it undefined; C++ makes it UB).
template <class T, class V> T FloatToInt(V v) {
  if (std::isnan(v)) return T(0);
  if (v <= static_cast<V>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (v >= static_cast<V>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

template <class D, class V> void WriteElem(D* p, int64_t i, V v) {
  if constexpr (std::is_same_v<D, Half>) p[i].bits = FloatToHalf(static_cast<float>(v));
  else if constexpr (std::is_same_v<D, BF16>) p[i].bits = FloatToBF16(static_cast<float>(v));
  else if constexpr (std::is_same_v<D, Bool8>) p[i].v = v != V(0) ? 1 : 0;
  else if constexpr (std::is_integral_v<D> && std::is_floating_point_v<V>) p[i] = FloatToInt<D>(v);
  else p[i] = static_cast<D>(v);
}
}  // namespace

Status CastRef(const Tensor& in, Tensor& out) {
  bool ok_out = true;
  bool ok_in = DispatchCastable(in.dtype(), [&](auto stag) {
    using S = decltype(stag);
    ok_out = DispatchCastable(out.dtype(), [&](auto dtag) {
      using D = decltype(dtag);
      const S* sp = in.data<S>();
      D* dp = out.data<D>();
      for (int64_t i = 0; i < in.numel(); ++i) WriteElem<D>(dp, i, ReadElem<S>(sp, i));
    });
  });
  if (!ok_in || !ok_out) {
    return Status::Error(std::string("cast from ") + DTypeName(in.dtype()) + " to " + DTypeName(out.dtype()) +
                         " is not supported (rule: numeric and bool dtypes only)");
  }
  return Status::Ok();
}

Status InferCast(InferContext& ctx) {
  if (!ctx.node.attrs.Has("to")) return ctx.Fail("attribute to is required");
  int64_t to = ctx.node.attrs.GetInt("to", 0);
  DType t = DTypeFromOnnx(static_cast<int32_t>(to));
  if (t == DType::kUndefined || t == DType::kString || ctx.in_dtype[0] == DType::kString) {
    return ctx.Fail("cast from " + std::string(DTypeName(ctx.in_dtype[0])) + " to " +
                    (t == DType::kUndefined ? "onnx type " + std::to_string(to) : std::string(DTypeName(t))) +
                    " is not supported (rule: numeric and bool dtypes only)");
  }
  ctx.SetOutput(0, t, ctx.in_shape[0]);
  return Status::Ok();
}

Status CastReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  Status s = CastRef(*in[0], *out[0]);
  return s.ok() ? s : NodeError(node, s.message());
}

Status InferCastLike(InferContext& ctx) {
  DType t = ctx.in_dtype[1];
  if (t == DType::kString || ctx.in_dtype[0] == DType::kString) {
    return ctx.Fail("cast from " + std::string(DTypeName(ctx.in_dtype[0])) + " to " + DTypeName(t) +
                    " is not supported (rule: numeric and bool dtypes only)");
  }
  ctx.SetOutput(0, t, ctx.in_shape[0]);
  return Status::Ok();
}

// ---------------------------------------------------------------- ConstantOfShape

Status InferConstantOfShape(InferContext& ctx) {
  DType t = DType::kFloat32;
  if (const Tensor* v = ctx.node.attrs.GetTensor("value")) {
    if (v->numel() != 1) return ctx.Fail("value has " + std::to_string(v->numel()) + " elements (rule: one element)");
    t = v->dtype();
  } else if (ctx.node.attrs.Has("value")) {
    return ctx.Fail("attribute value is not a tensor");
  }
  if (ctx.in_dtype[0] != DType::kInt64) {
    return ctx.Fail(std::string("shape input is ") + DTypeName(ctx.in_dtype[0]) + " (rule: int64)");
  }
  if (!ctx.in_value[0]) {
    if (ctx.in_shape[0].rank() == 1 && ctx.in_shape[0].dims[0] >= 0) {
      ctx.SetOutput(0, t, Shape(std::vector<int64_t>(static_cast<size_t>(ctx.in_shape[0].dims[0]), kDynamic)));
      return Status::Ok();
    }
    return ctx.Fail("the shape input must be constant (rule: output rank known at compile time)");
  }
  std::vector<int64_t> d = ToInt64Vector(*ctx.in_value[0]);
  for (int64_t x : d) {
    if (x < 0) return ctx.Fail("shape " + ListToString(d) + " has a negative extent");
  }
  ctx.SetOutput(0, t, Shape(d));
  return Status::Ok();
}

Status ConstantOfShapeReference(const Node& node, const std::vector<const Tensor*>&, const std::vector<Tensor*>& out) {
  const Tensor* v = node.attrs.GetTensor("value");
  Tensor& y = *out[0];
  if (!v) {   // float 0
    if (y.bytes()) std::memset(y.raw(), 0, y.bytes());
    return Status::Ok();
  }
  const size_t es = DTypeSize(y.dtype());
  uint8_t* dst = static_cast<uint8_t*>(y.raw());
  for (int64_t i = 0; i < y.numel(); ++i) std::memcpy(dst + static_cast<size_t>(i) * es, v->raw(), es);
  return Status::Ok();
}

}  // namespace edgeinfer::ops
