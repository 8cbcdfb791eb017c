// Each kernel walks the broadcast output once (ForEachBroadcast / ForEachBroadcastN) with per-input
// strides; comparisons load both sides in the compute type of their dtype.
#include "graph/ops/logical.h"

#include <cstring>
#include <type_traits>

#include "graph/ops/op_util.h"
#include "graph/ops/unary_math.h"

namespace edgeinfer::ops {

namespace {

bool IsNumeric(DType t) { return (IsFloating(t) && t != DType::kBFloat16) || IsInteger(t); }

Status SameDTypeBroadcast(InferContext& ctx, Shape* out) {
  if (ctx.in_dtype[0] != ctx.in_dtype[1]) {
    return ctx.Fail(std::string("input dtypes ") + DTypeName(ctx.in_dtype[0]) + " and " + DTypeName(ctx.in_dtype[1]) +
                    " differ (rule: inputs share one dtype)");
  }
  if (!BroadcastShapes(ctx.in_shape[0], ctx.in_shape[1], out)) {
    return ctx.Fail("shapes " + ctx.in_shape[0].ToString() + " and " + ctx.in_shape[1].ToString() +
                    " do not broadcast (rule: numpy broadcasting)");
  }
  return Status::Ok();
}

}  // namespace

Status InferCompare(InferContext& ctx) {
  Shape out;
  EI_RETURN_IF_ERROR(SameDTypeBroadcast(ctx, &out));
  DType t = ctx.in_dtype[0];
  if (!(IsNumeric(t) || (ctx.node.op == "Equal" && t == DType::kBool))) {
    return ctx.Fail(std::string("input dtype ") + DTypeName(t) + " is not supported (rule: numeric inputs" +
                    (ctx.node.op == "Equal" ? " or bool)" : ")"));
  }
  ctx.SetOutput(0, DType::kBool, out);
  return Status::Ok();
}

Status InferLogic(InferContext& ctx) {
  Shape out;
  EI_RETURN_IF_ERROR(SameDTypeBroadcast(ctx, &out));
  if (ctx.in_dtype[0] != DType::kBool) {
    return ctx.Fail(std::string("input dtype ") + DTypeName(ctx.in_dtype[0]) + " is not supported (rule: bool inputs)");
  }
  ctx.SetOutput(0, DType::kBool, out);
  return Status::Ok();
}

Status InferNot(InferContext& ctx) {
  if (ctx.in_dtype[0] != DType::kBool) {
    return ctx.Fail(std::string("input dtype ") + DTypeName(ctx.in_dtype[0]) + " is not supported (rule: bool input)");
  }
  ctx.SetOutput(0, DType::kBool, ctx.in_shape[0]);
  return Status::Ok();
}

Status InferWhere(InferContext& ctx) {
  if (ctx.in_dtype[0] != DType::kBool) {
    return ctx.Fail(std::string("condition is ") + DTypeName(ctx.in_dtype[0]) + " (rule: bool condition)");
  }
  if (ctx.in_dtype[1] != ctx.in_dtype[2]) {
    return ctx.Fail(std::string("X is ") + DTypeName(ctx.in_dtype[1]) + " and Y is " + DTypeName(ctx.in_dtype[2]) +
                    " (rule: X and Y share one dtype)");
  }
  if (DTypeSize(ctx.in_dtype[1]) == 0) {
    return ctx.Fail(std::string("dtype ") + DTypeName(ctx.in_dtype[1]) + " is not supported (rule: fixed-size elements)");
  }
  Shape s01, out;
  if (!BroadcastShapes(ctx.in_shape[0], ctx.in_shape[1], &s01) || !BroadcastShapes(s01, ctx.in_shape[2], &out)) {
    return ctx.Fail("shapes " + ctx.in_shape[0].ToString() + ", " + ctx.in_shape[1].ToString() + " and " +
                    ctx.in_shape[2].ToString() + " do not broadcast (rule: numpy broadcasting)");
  }
  ctx.SetOutput(0, ctx.in_dtype[1], out);
  return Status::Ok();
}

Status CompareRef(CompareKind kind, const Tensor& a, const Tensor& b, Tensor& y) {
  std::vector<int64_t> sa = BroadcastStrides(a.dims(), y.dims());
  std::vector<int64_t> sb = BroadcastStrides(b.dims(), y.dims());
  uint8_t* yp = y.data<uint8_t>();
  auto run = [&](auto tag) {
    using T = decltype(tag);
    const T* ap = a.data<T>();
    const T* bp = b.data<T>();
    ForEachBroadcast(y.dims(), sa, sb, [&](int64_t i, int64_t ia, int64_t ib) {
      auto x = Load<T>(ap, ia);
      auto z = Load<T>(bp, ib);
      bool r = false;
      switch (kind) {
        case CompareKind::kEqual: r = x == z; break;
        case CompareKind::kLess: r = x < z; break;
        case CompareKind::kLessOrEqual: r = x <= z; break;
        case CompareKind::kGreater: r = x > z; break;
        case CompareKind::kGreaterOrEqual: r = x >= z; break;
      }
      yp[i] = r ? 1 : 0;
    });
  };
  if (a.dtype() == DType::kBool) {
    run(uint8_t{});
    return Status::Ok();
  }
  if (!DispatchNumeric(a.dtype(), run)) return Status::Error(std::string("dtype ") + DTypeName(a.dtype()) + " is not supported");
  return Status::Ok();
}

void LogicRef(LogicKind kind, const Tensor& a, const Tensor& b, Tensor& y) {
  std::vector<int64_t> sa = BroadcastStrides(a.dims(), y.dims());
  std::vector<int64_t> sb = BroadcastStrides(b.dims(), y.dims());
  const uint8_t* ap = a.data<uint8_t>();
  const uint8_t* bp = b.data<uint8_t>();
  uint8_t* yp = y.data<uint8_t>();
  ForEachBroadcast(y.dims(), sa, sb, [&](int64_t i, int64_t ia, int64_t ib) {
    bool x = ap[ia] != 0, z = bp[ib] != 0;
    bool r = kind == LogicKind::kAnd ? (x && z) : kind == LogicKind::kOr ? (x || z) : (x != z);
    yp[i] = r ? 1 : 0;
  });
}

void WhereRef(const Tensor& cond, const Tensor& x, const Tensor& z, Tensor& y) {
  std::vector<std::vector<int64_t>> st = {BroadcastStrides(cond.dims(), y.dims()), BroadcastStrides(x.dims(), y.dims()),
                                          BroadcastStrides(z.dims(), y.dims())};
  const size_t es = DTypeSize(y.dtype());
  const uint8_t* cp = cond.data<uint8_t>();
  const uint8_t* xp = static_cast<const uint8_t*>(x.raw());
  const uint8_t* zp = static_cast<const uint8_t*>(z.raw());
  uint8_t* yp = static_cast<uint8_t*>(y.raw());
  ForEachBroadcastN(y.dims(), st, [&](int64_t i, const int64_t* idx) {
    const uint8_t* src = cp[idx[0]] ? xp + static_cast<size_t>(idx[1]) * es : zp + static_cast<size_t>(idx[2]) * es;
    std::memcpy(yp + static_cast<size_t>(i) * es, src, es);
  });
}

Status CompareReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  CompareKind k;
  if (node.op == "Equal") k = CompareKind::kEqual;
  else if (node.op == "Less") k = CompareKind::kLess;
  else if (node.op == "LessOrEqual") k = CompareKind::kLessOrEqual;
  else if (node.op == "Greater") k = CompareKind::kGreater;
  else if (node.op == "GreaterOrEqual") k = CompareKind::kGreaterOrEqual;
  else return NodeError(node, "is not a comparison");
  Status s = CompareRef(k, *in[0], *in[1], *out[0]);
  return s.ok() ? s : NodeError(node, s.message());
}

Status LogicReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  LogicKind k;
  if (node.op == "And") k = LogicKind::kAnd;
  else if (node.op == "Or") k = LogicKind::kOr;
  else if (node.op == "Xor") k = LogicKind::kXor;
  else return NodeError(node, "is not And, Or or Xor");
  LogicRef(k, *in[0], *in[1], *out[0]);
  return Status::Ok();
}

Status NotReference(const Node&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const uint8_t* x = in[0]->data<uint8_t>();
  uint8_t* y = out[0]->data<uint8_t>();
  for (int64_t i = 0; i < in[0]->numel(); ++i) y[i] = x[i] ? 0 : 1;
  return Status::Ok();
}

Status WhereReference(const Node&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  WhereRef(*in[0], *in[1], *in[2], *out[0]);
  return Status::Ok();
}

Status InferBitShift(InferContext& ctx) {
  Shape out;
  EI_RETURN_IF_ERROR(SameDTypeBroadcast(ctx, &out));
  DType t = ctx.in_dtype[0];
  if (t != DType::kUInt8 && t != DType::kUInt16 && t != DType::kUInt32 && t != DType::kUInt64) {
    return ctx.Fail(std::string("input dtype ") + DTypeName(t) + " is not supported (rule: unsigned integers)");
  }
  std::string dir = ctx.node.attrs.GetString("direction", "");
  if (dir != "LEFT" && dir != "RIGHT") return ctx.Fail("direction='" + dir + "' (rule: LEFT or RIGHT)");
  ctx.SetOutput(0, t, out);
  return Status::Ok();
}

Status BitShiftReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const bool left = node.attrs.GetString("direction", "") == "LEFT";
  const Tensor& a = *in[0];
  const Tensor& b = *in[1];
  Tensor& y = *out[0];
  std::vector<int64_t> sa = BroadcastStrides(a.dims(), y.dims());
  std::vector<int64_t> sb = BroadcastStrides(b.dims(), y.dims());
  DispatchNumeric(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_unsigned_v<T>) {
      const T* ap = a.data<T>();
      const T* bp = b.data<T>();
      T* yp = y.data<T>();
      ForEachBroadcast(y.dims(), sa, sb, [&](int64_t i, int64_t ia, int64_t ib) {
        const T s = bp[ib];
        yp[i] = s >= sizeof(T) * 8 ? T(0) : static_cast<T>(left ? ap[ia] << s : ap[ia] >> s);
      });
    }
  });
  return Status::Ok();
}

}  // namespace edgeinfer::ops
