// Unary kernels: one switch per element (ApplyFloat for floating types in their compute precision,
// ApplyInt for Abs/Neg/Sign on integers). Binary and variadic kernels walk the broadcast output once
// with per-input strides. Naive by design: these are the goldens.
#include "graph/ops/unary_math.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "graph/ops/op_util.h"

namespace edgeinfer::ops {

namespace {

template <class T>
T ApplyFloat(const UnaryParams& p, T x) {
  const T zero = T(0), one = T(1);
  switch (p.kind) {
    case UnaryKind::kAbs: return std::fabs(x);
    case UnaryKind::kNeg: return -x;
    case UnaryKind::kSign: return x > zero ? one : (x < zero ? -one : (std::isnan(x) ? x : zero));
    case UnaryKind::kExp: return std::exp(x);
    case UnaryKind::kLog: return std::log(x);
    case UnaryKind::kSqrt: return std::sqrt(x);
    case UnaryKind::kReciprocal: return one / x;
    case UnaryKind::kFloor: return std::floor(x);
    case UnaryKind::kCeil: return std::ceil(x);
    case UnaryKind::kRound: return std::nearbyint(x);   // default rounding mode: half to even
    case UnaryKind::kErf: return std::erf(x);
    case UnaryKind::kSin: return std::sin(x);
    case UnaryKind::kCos: return std::cos(x);
    case UnaryKind::kTan: return std::tan(x);
    case UnaryKind::kAsin: return std::asin(x);
    case UnaryKind::kAcos: return std::acos(x);
    case UnaryKind::kAtan: return std::atan(x);
    case UnaryKind::kSinh: return std::sinh(x);
    case UnaryKind::kCosh: return std::cosh(x);
    case UnaryKind::kAsinh: return std::asinh(x);
    case UnaryKind::kAcosh: return std::acosh(x);
    case UnaryKind::kAtanh: return std::atanh(x);
    case UnaryKind::kElu: return x >= zero ? x : T(p.alpha) * std::expm1(x);
    case UnaryKind::kSelu: return T(p.gamma) * (x > zero ? x : T(p.alpha) * std::expm1(x));
    // log(1 + e^x) without overflow: x + log1p(e^-x) for positive x.
    case UnaryKind::kSoftplus: return x > zero ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    case UnaryKind::kSoftsign: return x / (one + std::fabs(x));
    case UnaryKind::kMish: {
      T sp = x > zero ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
      return x * std::tanh(sp);
    }
    case UnaryKind::kThresholdedRelu: return x > T(p.alpha) ? x : zero;
    case UnaryKind::kCelu: return std::max(zero, x) + std::min(zero, T(p.alpha) * std::expm1(x / T(p.alpha)));
    case UnaryKind::kShrink: return x < -T(p.lambd) ? x + T(p.bias) : (x > T(p.lambd) ? x - T(p.bias) : zero);
  }
  return x;
}

template <class T>
T ApplyInt(UnaryKind kind, T x) {
  if constexpr (std::is_unsigned_v<T>) {
    switch (kind) {
      case UnaryKind::kNeg: return static_cast<T>(T(0) - x);   // wraps like numpy
      case UnaryKind::kSign: return x > 0 ? T(1) : T(0);
      default: return x;
    }
  } else {
    using U = std::make_unsigned_t<T>;
    switch (kind) {
      case UnaryKind::kAbs: return x < 0 ? static_cast<T>(U(0) - static_cast<U>(x)) : x;   // INT_MIN stays (numpy)
      case UnaryKind::kNeg: return static_cast<T>(U(0) - static_cast<U>(x));
      case UnaryKind::kSign: return x > 0 ? T(1) : (x < 0 ? T(-1) : T(0));
      default: return x;
    }
  }
}

bool IsFloatDType(DType t) { return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16; }

Status DTypeFail(const InferContext& ctx, size_t i, const char* rule) {
  return ctx.Fail("input " + std::to_string(i) + " dtype " + DTypeName(ctx.in_dtype[i]) + " is not supported (rule: " +
                  rule + ")");
}

}  // namespace

bool UnaryTakesIntegers(UnaryKind kind) {
  return kind == UnaryKind::kAbs || kind == UnaryKind::kNeg || kind == UnaryKind::kSign;
}

Result<UnaryParams> UnaryParamsFromNode(const Node& node) {
  static const struct { const char* op; UnaryKind kind; } kOps[] = {
      {"Abs", UnaryKind::kAbs}, {"Neg", UnaryKind::kNeg}, {"Sign", UnaryKind::kSign}, {"Exp", UnaryKind::kExp},
      {"Log", UnaryKind::kLog}, {"Sqrt", UnaryKind::kSqrt}, {"Reciprocal", UnaryKind::kReciprocal},
      {"Floor", UnaryKind::kFloor}, {"Ceil", UnaryKind::kCeil}, {"Round", UnaryKind::kRound}, {"Erf", UnaryKind::kErf},
      {"Sin", UnaryKind::kSin}, {"Cos", UnaryKind::kCos}, {"Tan", UnaryKind::kTan}, {"Asin", UnaryKind::kAsin},
      {"Acos", UnaryKind::kAcos}, {"Atan", UnaryKind::kAtan}, {"Sinh", UnaryKind::kSinh}, {"Cosh", UnaryKind::kCosh},
      {"Asinh", UnaryKind::kAsinh}, {"Acosh", UnaryKind::kAcosh}, {"Atanh", UnaryKind::kAtanh},
      {"Elu", UnaryKind::kElu}, {"Selu", UnaryKind::kSelu}, {"Softplus", UnaryKind::kSoftplus},
      {"Softsign", UnaryKind::kSoftsign}, {"Mish", UnaryKind::kMish}, {"ThresholdedRelu", UnaryKind::kThresholdedRelu},
      {"Celu", UnaryKind::kCelu}, {"Shrink", UnaryKind::kShrink},
  };
  UnaryParams p;
  bool found = false;
  for (const auto& e : kOps) {
    if (node.op == e.op) { p.kind = e.kind; found = true; break; }
  }
  if (!found) return NodeError(node, "is not a unary math op");
  const Attributes& a = node.attrs;
  switch (p.kind) {
    case UnaryKind::kElu: p.alpha = a.GetFloat("alpha", 1.f); break;
    case UnaryKind::kSelu:
      p.alpha = a.GetFloat("alpha", 1.67326319217681884765625f);
      p.gamma = a.GetFloat("gamma", 1.05070102214813232421875f);
      break;
    case UnaryKind::kThresholdedRelu: p.alpha = a.GetFloat("alpha", 1.f); break;
    case UnaryKind::kCelu:
      p.alpha = a.GetFloat("alpha", 1.f);
      if (p.alpha == 0.f) return NodeError(node, "alpha=0 (rule: Celu divides by alpha)");
      break;
    case UnaryKind::kShrink:
      p.lambd = a.GetFloat("lambd", 0.5f);
      p.bias = a.GetFloat("bias", 0.f);
      break;
    default: break;
  }
  return p;
}

Status UnaryRef(const UnaryParams& p, const Tensor& x, Tensor& y) {
  const int64_t n = x.numel();
  bool ok = false;
  bool is_float = IsFloatDType(x.dtype());
  if (!is_float && !UnaryTakesIntegers(p.kind)) {
    return Status::Error(std::string("dtype ") + DTypeName(x.dtype()) + " is not supported (rule: float16, float or double)");
  }
  ok = DispatchNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = typename Compute<T>::type;
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    if constexpr (std::is_floating_point_v<C>) {
      for (int64_t i = 0; i < n; ++i) Store<T>(yp, i, ApplyFloat<C>(p, Load<T>(xp, i)));
    } else {
      for (int64_t i = 0; i < n; ++i) yp[i] = ApplyInt<T>(p.kind, xp[i]);
    }
  });
  if (!ok) return Status::Error(std::string("dtype ") + DTypeName(x.dtype()) + " is not supported");
  return Status::Ok();
}

// ---------------------------------------------------------------- inference

Status InferUnaryFloat(InferContext& ctx) {
  if (!IsFloatDType(ctx.in_dtype[0])) return DTypeFail(ctx, 0, "float16, float or double");
  ctx.SetOutput(0, ctx.in_dtype[0], ctx.in_shape[0]);
  return Status::Ok();
}

Status InferUnaryNumeric(InferContext& ctx) {
  DType t = ctx.in_dtype[0];
  if (!(IsFloatDType(t) || IsInteger(t))) return DTypeFail(ctx, 0, "numeric input");
  ctx.SetOutput(0, t, ctx.in_shape[0]);
  return Status::Ok();
}

Status InferIsNaNInf(InferContext& ctx) {
  if (!IsFloatDType(ctx.in_dtype[0])) return DTypeFail(ctx, 0, "float16, float or double");
  ctx.SetOutput(0, DType::kBool, ctx.in_shape[0]);
  return Status::Ok();
}

namespace {
Status BroadcastAll(InferContext& ctx, size_t from, size_t to, Shape* out) {
  *out = ctx.in_shape[from];
  for (size_t i = from + 1; i < to; ++i) {
    Shape b;
    if (!BroadcastShapes(*out, ctx.in_shape[i], &b)) {
      return ctx.Fail("input shapes " + out->ToString() + " and " + ctx.in_shape[i].ToString() +
                      " do not broadcast (rule: numpy broadcasting)");
    }
    *out = b;
  }
  return Status::Ok();
}
}  // namespace

Status InferPow(InferContext& ctx) {
  if (!(IsFloatDType(ctx.in_dtype[0]) || ctx.in_dtype[0] == DType::kInt32 || ctx.in_dtype[0] == DType::kInt64)) {
    return DTypeFail(ctx, 0, "base is float16, float, double, int32 or int64");
  }
  if (!(IsFloatDType(ctx.in_dtype[1]) || IsInteger(ctx.in_dtype[1]))) return DTypeFail(ctx, 1, "numeric exponent");
  Shape out;
  EI_RETURN_IF_ERROR(BroadcastAll(ctx, 0, 2, &out));
  ctx.SetOutput(0, ctx.in_dtype[0], out);
  return Status::Ok();
}

Status InferMod(InferContext& ctx) {
  DType t = ctx.in_dtype[0];
  if (t != ctx.in_dtype[1]) {
    return ctx.Fail(std::string("input dtypes ") + DTypeName(t) + " and " + DTypeName(ctx.in_dtype[1]) +
                    " differ (rule: inputs share one dtype)");
  }
  if (!(IsFloatDType(t) || IsInteger(t))) return DTypeFail(ctx, 0, "numeric inputs");
  int64_t fmod = ctx.node.attrs.GetInt("fmod", 0);
  if (fmod != 0 && fmod != 1) return ctx.Fail("fmod=" + std::to_string(fmod) + " (rule: 0 or 1)");
  if (IsFloatDType(t) && fmod != 1) {
    return ctx.Fail(std::string("dtype ") + DTypeName(t) + " with fmod=0 (rule: floating inputs need fmod=1)");
  }
  Shape out;
  EI_RETURN_IF_ERROR(BroadcastAll(ctx, 0, 2, &out));
  ctx.SetOutput(0, t, out);
  return Status::Ok();
}

Status InferVariadic(InferContext& ctx) {
  const bool float_only = ctx.node.op == "Sum" || ctx.node.op == "Mean";
  DType t = ctx.in_dtype[0];
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.HasInput(i)) return ctx.Fail("input " + std::to_string(i) + " is missing (rule: every input is given)");
    if (ctx.in_dtype[i] != t) {
      return ctx.Fail(std::string("input dtypes ") + DTypeName(t) + " and " + DTypeName(ctx.in_dtype[i]) +
                      " differ (rule: inputs share one dtype)");
    }
  }
  if (float_only ? !IsFloatDType(t) : !(IsFloatDType(t) || IsInteger(t))) {
    return DTypeFail(ctx, 0, float_only ? "float16, float or double" : "numeric inputs");
  }
  Shape out;
  EI_RETURN_IF_ERROR(BroadcastAll(ctx, 0, ctx.num_inputs(), &out));
  ctx.SetOutput(0, t, out);
  return Status::Ok();
}

// ---------------------------------------------------------------- binary and variadic kernels

Status PowRef(const Tensor& x, const Tensor& e, Tensor& y) {
  std::vector<int64_t> sa = BroadcastStrides(x.dims(), y.dims());
  std::vector<int64_t> sb = BroadcastStrides(e.dims(), y.dims());
  bool ok_e = true;
  bool ok = DispatchNumeric(x.dtype(), [&](auto xtag) {
    using T = decltype(xtag);
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    ok_e = DispatchNumeric(e.dtype(), [&](auto etag) {
      using E = decltype(etag);
      const E* ep = e.data<E>();
      ForEachBroadcast(y.dims(), sa, sb, [&](int64_t i, int64_t ia, int64_t ib) {
        double r = std::pow(static_cast<double>(Load<T>(xp, ia)), static_cast<double>(Load<E>(ep, ib)));
        using C = typename Compute<T>::type;
        // Integer bases: numpy's integer power is exact, and so is a double for every result an
        // int32 holds (int64 results past 2^53 would round: a documented limit of the golden).
        Store<T>(yp, i, static_cast<C>(r));
      });
    });
  });
  if (!ok || !ok_e) return Status::Error("dtype is not supported (rule: numeric inputs)");
  return Status::Ok();
}

Status ModRef(bool fmod, const Tensor& a, const Tensor& b, Tensor& y) {
  std::vector<int64_t> sa = BroadcastStrides(a.dims(), y.dims());
  std::vector<int64_t> sb = BroadcastStrides(b.dims(), y.dims());
  bool div_zero = false;
  bool ok = DispatchNumeric(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = typename Compute<T>::type;
    const T* ap = a.data<T>();
    const T* bp = b.data<T>();
    T* yp = y.data<T>();
    ForEachBroadcast(y.dims(), sa, sb, [&](int64_t i, int64_t ia, int64_t ib) {
      C x = Load<T>(ap, ia), d = Load<T>(bp, ib);
      C r;
      if constexpr (std::is_floating_point_v<C>) {
        r = std::fmod(x, d);
        if (!fmod && r != C(0) && ((r < 0) != (d < 0))) r += d;
      } else {
        if (d == 0) { div_zero = true; r = 0; }
        else if constexpr (std::is_signed_v<C>) {
          if (d == C(-1)) r = 0;   // avoids INT_MIN % -1 overflow; the remainder is 0
          else {
            r = static_cast<C>(x % d);
            if (!fmod && r != 0 && ((r < 0) != (d < 0))) r = static_cast<C>(r + d);
          }
        } else {
          r = static_cast<C>(x % d);
        }
      }
      Store<T>(yp, i, r);
    });
  });
  if (!ok) return Status::Error(std::string("dtype ") + DTypeName(a.dtype()) + " is not supported");
  if (div_zero) return Status::Error("integer division by zero");
  return Status::Ok();
}

Status VariadicRef(VariadicKind kind, const std::vector<const Tensor*>& in, Tensor& y) {
  std::vector<std::vector<int64_t>> strides;
  for (const Tensor* t : in) strides.push_back(BroadcastStrides(t->dims(), y.dims()));
  bool ok = DispatchNumeric(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = typename Compute<T>::type;
    // Sum and Mean accumulate in double (float inputs only); Max/Min compare in C.
    using A = std::conditional_t<std::is_floating_point_v<C>, double, C>;
    T* yp = y.data<T>();
    const size_t k = in.size();
    ForEachBroadcastN(y.dims(), strides, [&](int64_t i, const int64_t* idx) {
      A acc = static_cast<A>(Load<T>(in[0]->data<T>(), idx[0]));
      bool nan = false;
      if constexpr (std::is_floating_point_v<A>) nan = std::isnan(acc);
      for (size_t j = 1; j < k; ++j) {
        A v = static_cast<A>(Load<T>(in[j]->data<T>(), idx[j]));
        if constexpr (std::is_floating_point_v<A>) nan = nan || std::isnan(v);
        switch (kind) {
          case VariadicKind::kMax: acc = v > acc ? v : acc; break;
          case VariadicKind::kMin: acc = v < acc ? v : acc; break;
          default: acc = static_cast<A>(acc + v); break;
        }
      }
      if (kind == VariadicKind::kMean) acc = static_cast<A>(acc / static_cast<A>(k));
      // Max/Min propagate NaN (numpy.maximum/minimum; ONNX opset 12+).
      if constexpr (std::is_floating_point_v<A>) {
        if (nan) acc = std::numeric_limits<A>::quiet_NaN();
      }
      Store<T>(yp, i, static_cast<C>(acc));
    });
  });
  if (!ok) return Status::Error(std::string("dtype ") + DTypeName(y.dtype()) + " is not supported");
  return Status::Ok();
}

// ---------------------------------------------------------------- table adapters

Status UnaryReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  EI_ASSIGN_OR_RETURN(UnaryParams p, UnaryParamsFromNode(node));
  Status s = UnaryRef(p, *in[0], *out[0]);
  return s.ok() ? s : NodeError(node, s.message());
}

Status IsNaNInfReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const bool is_nan = node.op == "IsNaN";
  const bool pos = node.attrs.GetInt("detect_positive", 1) != 0;
  const bool neg = node.attrs.GetInt("detect_negative", 1) != 0;
  uint8_t* yp = out[0]->data<uint8_t>();
  const Tensor& x = *in[0];
  bool ok = DispatchNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = typename Compute<T>::type;
    if constexpr (std::is_floating_point_v<C>) {
      for (int64_t i = 0; i < x.numel(); ++i) {
        C v = Load<T>(x.data<T>(), i);
        bool r = is_nan ? std::isnan(v) : (std::isinf(v) && ((v > 0 && pos) || (v < 0 && neg)));
        yp[i] = r ? 1 : 0;
      }
    }
  });
  if (!ok || !IsFloatDType(x.dtype())) return NodeError(node, std::string("dtype ") + DTypeName(x.dtype()) + " is not supported");
  return Status::Ok();
}

Status PowReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  Status s = PowRef(*in[0], *in[1], *out[0]);
  return s.ok() ? s : NodeError(node, s.message());
}

Status ModReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  Status s = ModRef(node.attrs.GetInt("fmod", 0) != 0, *in[0], *in[1], *out[0]);
  return s.ok() ? s : NodeError(node, s.message());
}

Status VariadicReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  VariadicKind k;
  if (node.op == "Max") k = VariadicKind::kMax;
  else if (node.op == "Min") k = VariadicKind::kMin;
  else if (node.op == "Sum") k = VariadicKind::kSum;
  else if (node.op == "Mean") k = VariadicKind::kMean;
  else return NodeError(node, "is not Max, Min, Sum or Mean");
  Status s = VariadicRef(k, in, *out[0]);
  return s.ok() ? s : NodeError(node, s.message());
}

}  // namespace edgeinfer::ops
