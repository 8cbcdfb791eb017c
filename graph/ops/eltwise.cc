// Broadcasting: each input gets per-output-dim strides (0 on broadcast dims) and one odometer walk
// over the output visits every element once, in row-major order.
#include "graph/ops/eltwise.h"

#include <type_traits>

#include "graph/ops/op_util.h"

namespace edgeinfer::ops {

bool EltwiseKindFromOp(const std::string& op, EltwiseKind* kind) {
  if (op == "Add") *kind = EltwiseKind::kAdd;
  else if (op == "Sub") *kind = EltwiseKind::kSub;
  else if (op == "Mul") *kind = EltwiseKind::kMul;
  else if (op == "Div") *kind = EltwiseKind::kDiv;
  else return false;
  return true;
}

Status InferEltwise(InferContext& ctx) {
  DType a = ctx.in_dtype[0], b = ctx.in_dtype[1];
  if (a != b) {
    return ctx.Fail(std::string("input dtypes ") + DTypeName(a) + " and " + DTypeName(b) +
                    " differ (rule: inputs share one dtype)");
  }
  if (!(IsFloating(a) || IsInteger(a)) || a == DType::kBFloat16) {
    return ctx.Fail(std::string("input dtype ") + DTypeName(a) + " is not supported (rule: numeric inputs)");
  }
  Shape out;
  if (!BroadcastShapes(ctx.in_shape[0], ctx.in_shape[1], &out)) {
    return ctx.Fail("shapes " + ctx.in_shape[0].ToString() + " and " + ctx.in_shape[1].ToString() + " do not broadcast");
  }
  ctx.SetOutput(0, a, out);
  return Status::Ok();
}

namespace {

template <class T>
bool Run(EltwiseKind kind, const Tensor& a, const Tensor& b, Tensor& y) {
  using C = typename Compute<T>::type;
  const T* ap = a.data<T>();
  const T* bp = b.data<T>();
  T* yp = y.data<T>();
  std::vector<int64_t> sa = BroadcastStrides(a.dims(), y.dims());
  std::vector<int64_t> sb = BroadcastStrides(b.dims(), y.dims());
  bool div_by_zero = false;
  ForEachBroadcast(y.dims(), sa, sb, [&](int64_t i, int64_t ia, int64_t ib) {
    C x = Load<T>(ap, ia), z = Load<T>(bp, ib);
    C r;
    switch (kind) {
      case EltwiseKind::kAdd: r = static_cast<C>(x + z); break;
      case EltwiseKind::kSub: r = static_cast<C>(x - z); break;
      case EltwiseKind::kMul: r = static_cast<C>(x * z); break;
      default:
        if constexpr (std::is_integral_v<C>) {
          if (z == 0) { div_by_zero = true; r = 0; break; }
          // INT_MIN / -1 overflows in C++; two's complement wraps like numpy.
          if constexpr (std::is_signed_v<C>) {
            if (z == C(-1)) { r = static_cast<C>(static_cast<std::make_unsigned_t<C>>(0) - static_cast<std::make_unsigned_t<C>>(x)); break; }
          }
        }
        r = static_cast<C>(x / z);
    }
    Store<T>(yp, i, r);
  });
  return !div_by_zero;
}

}  // namespace

Status EltwiseRef(const EltwiseParams& p, const Tensor& a, const Tensor& b, Tensor& y) {
  bool no_div_zero = true;
  bool ok = DispatchNumeric(a.dtype(), [&](auto tag) { no_div_zero = Run<decltype(tag)>(p.kind, a, b, y); });
  if (!ok) return Status::Error(std::string("dtype ") + DTypeName(a.dtype()) + " is not supported");
  if (!no_div_zero) return Status::Error("integer division by zero");
  return Status::Ok();
}

Status EltwiseReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  EltwiseParams p;
  if (!EltwiseKindFromOp(node.op, &p.kind)) return NodeError(node, "is not Add, Sub, Mul or Div");
  Status s = EltwiseRef(p, *in[0], *in[1], *out[0]);
  if (!s.ok()) return NodeError(node, s.message());
  return Status::Ok();
}

}  // namespace edgeinfer::ops
