// Reductions walk the input once in row-major order; the output index comes from strides that are 0
// on reduced dims (the keepdims layout), so every input element is folded into its output slot.
// Arg-reductions view the input as [outer, d, inner] and scan d.
#include "graph/ops/reduce.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "graph/ops/op_util.h"

namespace edgeinfer::ops {

bool ReduceKindFromOp(const std::string& op, ReduceKind* kind) {
  static const struct { const char* op; ReduceKind kind; } kOps[] = {
      {"ReduceSum", ReduceKind::kSum}, {"ReduceMean", ReduceKind::kMean}, {"ReduceMax", ReduceKind::kMax},
      {"ReduceMin", ReduceKind::kMin}, {"ReduceProd", ReduceKind::kProd}, {"ReduceL1", ReduceKind::kL1},
      {"ReduceL2", ReduceKind::kL2}, {"ReduceLogSum", ReduceKind::kLogSum},
      {"ReduceLogSumExp", ReduceKind::kLogSumExp}, {"ReduceSumSquare", ReduceKind::kSumSquare},
  };
  for (const auto& e : kOps) {
    if (op == e.op) { *kind = e.kind; return true; }
  }
  return false;
}

namespace {

std::string ListStr(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  return s + "]";
}

// Resolves which dims are reduced. `axes_known` false: input 1 is given but its value is unknown.
// Returns an error string (empty when fine).
std::string ResolveAxes(const Node& node, const Tensor* axes_input, bool axes_input_present, size_t rank,
                        std::vector<bool>* reduced, bool* identity) {
  std::vector<int64_t> axes;
  if (axes_input_present) {
    if (axes_input) axes = ToInt64Vector(*axes_input);
  } else {
    axes = node.attrs.GetInts("axes");
  }
  *identity = false;
  reduced->assign(rank, false);
  if (axes.empty()) {
    if (node.attrs.GetInt("noop_with_empty_axes", 0) != 0) *identity = true;
    else reduced->assign(rank, true);
    return "";
  }
  for (int64_t a : axes) {
    int64_t n = NormalizeAxis(a, static_cast<int64_t>(rank));
    if (n < 0) return "axes " + ListStr(axes) + " has " + std::to_string(a) + ", out of range for rank " + std::to_string(rank) + " (rule: -r <= axis < r)";
    if ((*reduced)[static_cast<size_t>(n)]) return "axes " + ListStr(axes) + " repeats axis " + std::to_string(a) + " (rule: each axis once)";
    (*reduced)[static_cast<size_t>(n)] = true;
  }
  return "";
}

template <class T, class A>
void RunReduce(const ReduceParams& p, const Tensor& x, Tensor& y) {
  using C = typename Compute<T>::type;
  const std::vector<int64_t>& xd = x.dims();
  std::vector<int64_t> kd = xd;   // keepdims layout of y
  for (size_t k = 0; k < kd.size(); ++k) if (p.reduced[k]) kd[k] = 1;
  std::vector<int64_t> sx = ContiguousStrides(xd);
  std::vector<int64_t> sy = BroadcastStrides(kd, xd);
  const int64_t ny = y.numel();
  const int64_t count = ny > 0 ? x.numel() / ny : 0;
  const T* xp = x.data<T>();
  T* yp = y.data<T>();
  std::vector<A> acc(static_cast<size_t>(ny));
  std::vector<double> mx;   // LogSumExp: per-output max
  A init = A(0);
  switch (p.kind) {
    case ReduceKind::kProd: init = A(1); break;
    case ReduceKind::kMax:
      init = std::is_floating_point_v<A> ? -std::numeric_limits<A>::infinity() : std::numeric_limits<A>::lowest();
      if constexpr (!std::is_floating_point_v<A>) init = static_cast<A>(std::numeric_limits<T>::lowest());
      break;
    case ReduceKind::kMin:
      init = std::is_floating_point_v<A> ? std::numeric_limits<A>::infinity() : std::numeric_limits<A>::max();
      if constexpr (!std::is_floating_point_v<A>) init = static_cast<A>(std::numeric_limits<T>::max());
      break;
    default: break;
  }
  std::fill(acc.begin(), acc.end(), init);
  if (p.kind == ReduceKind::kLogSumExp) {
    mx.assign(static_cast<size_t>(ny), -std::numeric_limits<double>::infinity());
    ForEachBroadcast(xd, sx, sy, [&](int64_t, int64_t ix, int64_t iy) {
      double v = static_cast<double>(Load<T>(xp, ix));
      if (v > mx[static_cast<size_t>(iy)]) mx[static_cast<size_t>(iy)] = v;
    });
    for (double& m : mx) if (!std::isfinite(m)) m = 0.0;   // all -inf (or +inf/NaN): no shift
  }
  ForEachBroadcast(xd, sx, sy, [&](int64_t, int64_t ix, int64_t iy) {
    A& a = acc[static_cast<size_t>(iy)];
    C cv = Load<T>(xp, ix);
    A v = static_cast<A>(cv);
    switch (p.kind) {
      case ReduceKind::kSum: case ReduceKind::kMean: case ReduceKind::kLogSum: a = static_cast<A>(a + v); break;
      case ReduceKind::kMax: if (v > a || (std::is_floating_point_v<A> && v != v)) a = v; break;
      case ReduceKind::kMin: if (v < a || (std::is_floating_point_v<A> && v != v)) a = v; break;
      case ReduceKind::kProd: a = static_cast<A>(a * v); break;
      case ReduceKind::kL1:
        if constexpr (std::is_signed_v<A>) a = static_cast<A>(a + (v < 0 ? -v : v));
        else a = static_cast<A>(a + v);
        break;
      case ReduceKind::kL2: case ReduceKind::kSumSquare: a = static_cast<A>(a + v * v); break;
      case ReduceKind::kLogSumExp: a = static_cast<A>(a + static_cast<A>(std::exp(static_cast<double>(v) - mx[static_cast<size_t>(iy)]))); break;
    }
  });
  for (int64_t i = 0; i < ny; ++i) {
    A a = acc[static_cast<size_t>(i)];
    double r;
    switch (p.kind) {
      case ReduceKind::kMean: r = static_cast<double>(a) / static_cast<double>(count); break;
      case ReduceKind::kL2: r = std::sqrt(static_cast<double>(a)); break;
      case ReduceKind::kLogSum: r = std::log(static_cast<double>(a)); break;
      case ReduceKind::kLogSumExp: r = std::log(static_cast<double>(a)) + mx[static_cast<size_t>(i)]; break;
      default:
        Store<T>(yp, i, static_cast<C>(a));   // exact kinds: no detour through double
        continue;
    }
    if constexpr (std::is_integral_v<C>) Store<T>(yp, i, static_cast<C>(std::trunc(r)));
    else Store<T>(yp, i, static_cast<C>(r));
  }
}

}  // namespace

Status ReduceRef(const ReduceParams& p, const Tensor& x, Tensor& y) {
  const bool exact = p.kind == ReduceKind::kSum || p.kind == ReduceKind::kProd || p.kind == ReduceKind::kMax ||
                     p.kind == ReduceKind::kMin || p.kind == ReduceKind::kL1 || p.kind == ReduceKind::kSumSquare;
  bool ok = DispatchNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = typename Compute<T>::type;
    if constexpr (std::is_floating_point_v<C>) {
      RunReduce<T, double>(p, x, y);
    } else {
      using I = std::conditional_t<std::is_signed_v<C>, int64_t, uint64_t>;
      if (exact) RunReduce<T, I>(p, x, y);
      else RunReduce<T, double>(p, x, y);
    }
  });
  if (!ok) return Status::Error(std::string("dtype ") + DTypeName(x.dtype()) + " is not supported");
  return Status::Ok();
}

Status InferReduce(InferContext& ctx) {
  DType t = ctx.in_dtype[0];
  if (!((IsFloating(t) && t != DType::kBFloat16) || IsInteger(t))) {
    return ctx.Fail(std::string("input dtype ") + DTypeName(t) + " is not supported (rule: numeric input)");
  }
  const Shape& s = ctx.in_shape[0];
  const bool keepdims = ctx.node.attrs.GetInt("keepdims", 1) != 0;
  const bool axes_in = ctx.HasInput(1);
  if (axes_in && ctx.in_dtype[1] != DType::kInt64) {
    return ctx.Fail(std::string("axes input is ") + DTypeName(ctx.in_dtype[1]) + " (rule: int64)");
  }
  if (axes_in && !ctx.in_value[1]) {
    // Unknown axes: with keepdims the rank stays; without, the rank is known from the axes count.
    int64_t k = ctx.in_shape[1].rank() == 1 ? ctx.in_shape[1].dims[0] : kDynamic;
    if (keepdims) {
      ctx.SetOutput(0, t, Shape(std::vector<int64_t>(s.rank(), kDynamic)));
      return Status::Ok();
    }
    if (k > 0 && static_cast<size_t>(k) <= s.rank()) {
      ctx.SetOutput(0, t, Shape(std::vector<int64_t>(s.rank() - static_cast<size_t>(k), kDynamic)));
      return Status::Ok();
    }
    return ctx.Fail("the axes input must be constant when keepdims=0 (rule: output rank known at compile time)");
  }
  std::vector<bool> reduced;
  bool identity = false;
  std::string err = ResolveAxes(ctx.node, axes_in ? ctx.in_value[1] : nullptr, axes_in, s.rank(), &reduced, &identity);
  if (!err.empty()) return ctx.Fail(err);
  if (identity) {
    ctx.SetOutput(0, t, s);
    return Status::Ok();
  }
  std::vector<int64_t> out;
  for (size_t k = 0; k < s.rank(); ++k) {
    if (!reduced[k]) out.push_back(s.dims[k]);
    else if (keepdims) out.push_back(1);
  }
  ctx.SetOutput(0, t, Shape(out));
  return Status::Ok();
}

Status ReduceReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  ReduceParams p;
  if (!ReduceKindFromOp(node.op, &p.kind)) return NodeError(node, "is not a Reduce op");
  const bool axes_in = in.size() > 1 && in[1] != nullptr;
  bool identity = false;
  std::string err = ResolveAxes(node, axes_in ? in[1] : nullptr, axes_in, in[0]->rank(), &p.reduced, &identity);
  if (!err.empty()) return NodeError(node, err);
  p.keepdims = node.attrs.GetInt("keepdims", 1) != 0;
  if (identity) p.reduced.assign(in[0]->rank(), false);   // every output element folds one input element
  Status s = ReduceRef(p, *in[0], *out[0]);
  return s.ok() ? s : NodeError(node, s.message());
}

// ---------------------------------------------------------------- ArgMax, ArgMin

Status InferArgReduce(InferContext& ctx) {
  DType t = ctx.in_dtype[0];
  if (!((IsFloating(t) && t != DType::kBFloat16) || IsInteger(t))) {
    return ctx.Fail(std::string("input dtype ") + DTypeName(t) + " is not supported (rule: numeric input)");
  }
  const Shape& s = ctx.in_shape[0];
  int64_t a = ctx.node.attrs.GetInt("axis", 0);
  int64_t axis = NormalizeAxis(a, static_cast<int64_t>(s.rank()));
  if (axis < 0) return ctx.Fail("axis=" + std::to_string(a) + " is out of range for rank " + std::to_string(s.rank()) + " (rule: -r <= axis < r)");
  if (s.dims[static_cast<size_t>(axis)] == 0) return ctx.Fail("axis " + std::to_string(a) + " has extent 0 (rule: a non-empty axis)");
  const bool keepdims = ctx.node.attrs.GetInt("keepdims", 1) != 0;
  std::vector<int64_t> out;
  for (size_t k = 0; k < s.rank(); ++k) {
    if (static_cast<int64_t>(k) != axis) out.push_back(s.dims[k]);
    else if (keepdims) out.push_back(1);
  }
  ctx.SetOutput(0, DType::kInt64, Shape(out));
  return Status::Ok();
}

void ArgReduceRef(bool is_max, int64_t axis, bool select_last, const Tensor& x, Tensor& y) {
  const std::vector<int64_t>& d = x.dims();
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= d[static_cast<size_t>(k)];
  for (size_t k = static_cast<size_t>(axis) + 1; k < d.size(); ++k) inner *= d[k];
  const int64_t n = d[static_cast<size_t>(axis)];
  int64_t* yp = y.data<int64_t>();
  DispatchNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t base = o * n * inner + i;
        auto best = Load<T>(xp, base);
        int64_t bi = 0;
        for (int64_t j = 1; j < n; ++j) {
          auto v = Load<T>(xp, base + j * inner);
          bool better = is_max ? (select_last ? v >= best : v > best) : (select_last ? v <= best : v < best);
          if (better) { best = v; bi = j; }
        }
        yp[o * inner + i] = bi;
      }
    }
  });
}

Status ArgReduceReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  int64_t axis = NormalizeAxis(node.attrs.GetInt("axis", 0), static_cast<int64_t>(in[0]->rank()));
  if (axis < 0) return NodeError(node, "axis is out of range");
  ArgReduceRef(node.op == "ArgMax", axis, node.attrs.GetInt("select_last_index", 0) != 0, *in[0], *out[0]);
  return Status::Ok();
}

}  // namespace edgeinfer::ops
