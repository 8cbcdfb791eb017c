// Activation kernels. Floating inputs go through ApplyActivationT (float16 widened to float);
// Relu and Clip also take integer inputs (clamping in the integer domain, bounds exact in T).
#include "graph/ops/activation.h"

#include <cstring>
#include <limits>
#include <type_traits>

#include "graph/ops/op_util.h"

namespace edgeinfer::ops {

float ApplyActivation(const ActParams& p, float x) { return ApplyActivationT<float>(p, x); }

void ActivationRef(const ActParams& p, const float* in, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = ApplyActivation(p, in[i]);
}

Result<ActParams> ActParamsFromNode(const Node& node, const Tensor* clip_min, const Tensor* clip_max) {
  ActParams p;
  const std::string& op = node.op;
  if (op == "Relu") {
    p.kind = ActKind::kRelu;
  } else if (op == "LeakyRelu") {
    p.kind = ActKind::kLeakyRelu;
    p.alpha = node.attrs.GetFloat("alpha", 0.01f);
  } else if (op == "Clip") {
    p.kind = ActKind::kClip;
    p.min = clip_min ? static_cast<float>(clip_min->GetAsDouble(0)) : -std::numeric_limits<float>::infinity();
    p.max = clip_max ? static_cast<float>(clip_max->GetAsDouble(0)) : std::numeric_limits<float>::infinity();
  } else if (op == "Sigmoid") {
    p.kind = ActKind::kSigmoid;
  } else if (op == "Tanh") {
    p.kind = ActKind::kTanh;
  } else if (op == "HardSigmoid") {
    p.kind = ActKind::kHardSigmoid;
    p.alpha = node.attrs.GetFloat("alpha", 0.2f);
    p.beta = node.attrs.GetFloat("beta", 0.5f);
  } else if (op == "HardSwish") {
    p.kind = ActKind::kHardSwish;
  } else if (op == "Identity") {
    p.kind = ActKind::kIdentity;
  } else {
    return NodeError(node, "is not a unary activation");
  }
  return p;
}

Status InferSameAsInput(InferContext& ctx) {
  ctx.SetOutput(0, ctx.in_dtype[0], ctx.in_shape[0]);
  return Status::Ok();
}

Status InferFloatActivation(InferContext& ctx) {
  if (!IsFloating(ctx.in_dtype[0]) || ctx.in_dtype[0] == DType::kBFloat16) {
    return ctx.Fail(std::string("input dtype ") + DTypeName(ctx.in_dtype[0]) + " is not supported (rule: float16, float or double)");
  }
  return InferSameAsInput(ctx);
}

Status InferNumericActivation(InferContext& ctx) {
  if (!IsFloating(ctx.in_dtype[0]) && !IsInteger(ctx.in_dtype[0])) {
    return ctx.Fail(std::string("input dtype ") + DTypeName(ctx.in_dtype[0]) + " is not supported (rule: numeric input)");
  }
  return InferSameAsInput(ctx);
}

Status InferClip(InferContext& ctx) {
  EI_RETURN_IF_ERROR(InferNumericActivation(ctx));
  for (size_t i = 1; i < 3; ++i) {
    if (!ctx.HasInput(i)) continue;
    const char* what = i == 1 ? "min" : "max";
    if (ctx.in_dtype[i] != ctx.in_dtype[0]) {
      return ctx.Fail(std::string(what) + " is " + DTypeName(ctx.in_dtype[i]) + " but the input is " +
                      DTypeName(ctx.in_dtype[0]) + " (rule: inputs share one dtype)");
    }
    int64_t n = ctx.in_shape[i].NumElements();
    if (n >= 0 && n != 1) {
      return ctx.Fail(std::string(what) + " has shape " + ctx.in_shape[i].ToString() + " (rule: min and max are scalars)");
    }
  }
  return Status::Ok();
}

Status InferPRelu(InferContext& ctx) {
  EI_RETURN_IF_ERROR(InferNumericActivation(ctx));   // opset 16: float and integer types
  if (ctx.in_dtype[1] != ctx.in_dtype[0]) {
    return ctx.Fail(std::string("input dtypes ") + DTypeName(ctx.in_dtype[0]) + " and " + DTypeName(ctx.in_dtype[1]) +
                    " differ (rule: inputs share one dtype)");
  }
  Shape b;
  if (!BroadcastShapes(ctx.in_shape[0], ctx.in_shape[1], &b) || b.rank() != ctx.in_shape[0].rank()) {
    return ctx.Fail("slope shape " + ctx.in_shape[1].ToString() + " does not broadcast to input shape " +
                    ctx.in_shape[0].ToString() + " (rule: unidirectional broadcasting)");
  }
  for (size_t i = 0; i < b.rank(); ++i) {
    if (ctx.in_shape[0].dims[i] >= 0 && b.dims[i] != ctx.in_shape[0].dims[i]) {
      return ctx.Fail("slope shape " + ctx.in_shape[1].ToString() + " does not broadcast to input shape " +
                      ctx.in_shape[0].ToString() + " (rule: unidirectional broadcasting)");
    }
  }
  ctx.SetOutput(0, ctx.in_dtype[0], ctx.in_shape[0]);
  return Status::Ok();
}

Status InferDropout(InferContext& ctx) {
  if (ctx.HasInput(2) && ctx.in_value[2]) {
    bool training = ctx.in_value[2]->numel() > 0 && ctx.in_value[2]->GetAsDouble(0) != 0.0;
    double ratio = 0.5;
    if (ctx.HasInput(1)) ratio = ctx.in_value[1] ? ctx.in_value[1]->GetAsDouble(0) : -1.0;
    if (training && ratio != 0.0) {
      return ctx.Fail("training_mode=true with a non-zero ratio is not supported (rule: inference only)");
    }
  }  // An unknown training_mode is checked when its value is known (at run time, every input is).
  ctx.SetOutput(0, ctx.in_dtype[0], ctx.in_shape[0]);
  if (ctx.out_dtype.size() > 1) ctx.SetOutput(1, DType::kBool, ctx.in_shape[0]);
  return Status::Ok();
}

namespace {

template <class T>
void ApplyTyped(const ActParams& p, const Tensor& in, Tensor& out) {
  const T* x = in.data<T>();
  T* y = out.data<T>();
  using C = typename Compute<T>::type;
  for (int64_t i = 0; i < in.numel(); ++i) Store<T>(y, i, ApplyActivationT<C>(p, Load<T>(x, i)));
}

Status ApplyFloat(const Node& node, const ActParams& p, const Tensor& in, Tensor& out) {
  switch (in.dtype()) {
    case DType::kFloat32: ApplyTyped<float>(p, in, out); return Status::Ok();
    case DType::kFloat64: ApplyTyped<double>(p, in, out); return Status::Ok();
    case DType::kFloat16: ApplyTyped<Half>(p, in, out); return Status::Ok();
    default: return NodeError(node, std::string("reference runs float16/float/double, not ") + DTypeName(in.dtype()));
  }
}

}  // namespace

Status ActivationReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  EI_ASSIGN_OR_RETURN(ActParams p, ActParamsFromNode(node));
  return ApplyFloat(node, p, *in[0], *out[0]);
}

Status ReluReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  if (IsFloating(in[0]->dtype())) return ApplyFloat(node, ActParams{ActKind::kRelu}, *in[0], *out[0]);
  bool ok = DispatchNumeric(in[0]->dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_arithmetic_v<T>) {
      const T* x = in[0]->data<T>();
      T* y = out[0]->data<T>();
      for (int64_t i = 0; i < in[0]->numel(); ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
    }
  });
  return ok ? Status::Ok() : NodeError(node, std::string("dtype ") + DTypeName(in[0]->dtype()) + " is not supported");
}

Status ClipReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor* lo = in.size() > 1 ? in[1] : nullptr;
  const Tensor* hi = in.size() > 2 ? in[2] : nullptr;
  if (IsFloating(in[0]->dtype())) {
    EI_ASSIGN_OR_RETURN(ActParams p, ActParamsFromNode(node, lo, hi));
    if (in[0]->dtype() == DType::kFloat64) {
      // Bounds exact in double (ActParams holds floats).
      double mn = lo ? lo->data<double>()[0] : -std::numeric_limits<double>::infinity();
      double mx = hi ? hi->data<double>()[0] : std::numeric_limits<double>::infinity();
      const double* x = in[0]->data<double>();
      double* y = out[0]->data<double>();
      for (int64_t i = 0; i < in[0]->numel(); ++i) y[i] = std::min(std::max(x[i], mn), mx);
      return Status::Ok();
    }
    return ApplyFloat(node, p, *in[0], *out[0]);
  }
  bool ok = DispatchNumeric(in[0]->dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_arithmetic_v<T>) {
      T mn = lo ? lo->data<T>()[0] : std::numeric_limits<T>::lowest();
      T mx = hi ? hi->data<T>()[0] : std::numeric_limits<T>::max();
      const T* x = in[0]->data<T>();
      T* y = out[0]->data<T>();
      for (int64_t i = 0; i < in[0]->numel(); ++i) y[i] = std::min(std::max(x[i], mn), mx);
    }
  });
  return ok ? Status::Ok() : NodeError(node, std::string("dtype ") + DTypeName(in[0]->dtype()) + " is not supported");
}

Status PReluReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const Tensor& s = *in[1];
  std::vector<int64_t> sx = ContiguousStrides(x.dims());
  std::vector<int64_t> ss = BroadcastStrides(s.dims(), x.dims());
  bool ok = DispatchNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    const T* sp = s.data<T>();
    T* yp = out[0]->data<T>();
    using C = typename Compute<T>::type;
    ForEachBroadcast(x.dims(), sx, ss, [&](int64_t i, int64_t ia, int64_t ib) {
      C v = Load<T>(xp, ia);
      bool negative = false;
      if constexpr (!std::is_unsigned_v<C>) negative = v < C(0);
      Store<T>(yp, i, negative ? static_cast<C>(Load<T>(sp, ib) * v) : v);
    });
  });
  return ok ? Status::Ok() : NodeError(node, std::string("dtype ") + DTypeName(x.dtype()) + " is not supported");
}

Status IdentityReference(const Node&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  if (in[0]->bytes()) std::memcpy(out[0]->raw(), in[0]->raw(), in[0]->bytes());
  return Status::Ok();
}

Status DropoutReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  EI_RETURN_IF_ERROR(IdentityReference(node, in, out));
  if (out.size() > 1 && out[1]) {
    uint8_t* m = out[1]->data<uint8_t>();
    for (int64_t i = 0; i < out[1]->numel(); ++i) m[i] = 1;
  }
  return Status::Ok();
}

}  // namespace edgeinfer::ops
