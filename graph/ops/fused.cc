// Fused ops: inference and references as chains of the parts' op-table entries (FP32, FP16 with
// FP32 accumulation) and the INT8 reference of graph/quant/int8_kernels.h.
#include "graph/ops/fused.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "graph/quant/int8_kernels.h"
#include "graph/shape_inference.h"

namespace edgeinfer::ops {

namespace {

constexpr const char* kConvAttrNames[] = {"kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"};
constexpr const char* kGemmAttrNames[] = {"alpha", "beta", "transA", "transB"};

std::string LabelOf(const Node& n) { return n.op + " '" + n.name + "'"; }

void CopyAttr(const Attributes& from, const char* src, Attributes* to, const char* dst) {
  auto it = from.all().find(src);
  if (it != from.all().end()) to->Set(dst, it->second);
}

Node PartNode(const Node& fused, const char* op, const std::vector<bool>& present) {
  Node p;
  p.id = fused.id;
  p.name = fused.name;
  p.op = op;
  for (size_t i = 0; i < present.size(); ++i) p.inputs.push_back(present[i] ? static_cast<ValueId>(i) : kNoValue);
  while (!p.inputs.empty() && p.inputs.back() == kNoValue) p.inputs.pop_back();
  p.outputs = {0};
  return p;
}

bool HasInputAt(const Node& n, size_t i) { return i < n.inputs.size() && n.inputs[i] != kNoValue; }

// Runs one part's inference through the op table. Input dtypes are given as FP32 so that a part's
// inference (written for float) sees the shapes of an FP16 or INT8 fused node too.
Status InferPart(const Node& part, const std::vector<Shape>& shapes, const std::vector<const Tensor*>& values,
                 Shape* out) {
  const OpDef* def = FindOp(part.op);
  if (!def) return Status::Error(LabelOf(part) + ": its part " + part.op + " is not in the op table");
  InferContext ctx{part, {}, shapes, values, {DType::kUndefined}, {Shape()}};
  for (size_t i = 0; i < shapes.size(); ++i) {
    bool present = i < part.inputs.size() && part.inputs[i] != kNoValue;
    ctx.in_dtype.push_back(present ? DType::kFloat32 : DType::kUndefined);
  }
  ctx.in_shape.resize(ctx.in_dtype.size());
  ctx.in_value.resize(ctx.in_dtype.size(), nullptr);
  EI_RETURN_IF_ERROR(InferNode(*def, ctx));
  *out = ctx.out_shape[0];
  return Status::Ok();
}

// Runs one FP32 part: infers its output from the actual inputs, allocates it, calls the reference.
Result<Tensor> RunPart(const Node& part, const std::vector<const Tensor*>& in) {
  const OpDef* def = FindOp(part.op);
  if (!def || !def->reference) {
    return Status::Error(LabelOf(part) + ": its part " + part.op + " has no reference kernel in the op table");
  }
  InferContext ctx{part, {}, {}, {}, {DType::kUndefined}, {Shape()}};
  for (const Tensor* t : in) {
    ctx.in_dtype.push_back(t ? t->dtype() : DType::kUndefined);
    ctx.in_shape.push_back(t ? t->shape() : Shape());
    ctx.in_value.push_back(t);
  }
  EI_RETURN_IF_ERROR(InferNode(*def, ctx));
  Tensor out(ctx.out_dtype[0], ctx.out_shape[0].dims);
  EI_RETURN_IF_ERROR(def->reference(part, in, {&out}));
  return out;
}

enum class FusedKind { kConvBiasAct, kConvBiasActPool, kConvEltwiseAct, kGemmBiasAct };

bool IsConvKind(FusedKind k) { return k != FusedKind::kGemmBiasAct; }

// ---- inference ----

Status InferFused(InferContext& ctx, FusedKind kind) {
  const Node& n = ctx.node;
  const DType xt = ctx.in_dtype[0];
  if (xt != DType::kFloat32 && xt != DType::kFloat16 && xt != DType::kInt8) {
    return ctx.Fail(std::string("input X is ") + DTypeName(xt) + "; fused ops take float, float16 or int8");
  }
  const bool residual = kind == FusedKind::kConvEltwiseAct;
  if (residual && !ctx.HasInput(3)) return ctx.Fail("the residual input R (input 3) is missing");
  const bool has_bias = ctx.HasInput(2);

  Node part = IsConvKind(kind) ? ConvPartOf(n) : GemmPartOf(n);
  std::vector<Shape> shapes = {ctx.in_shape[0], ctx.in_shape[1], has_bias ? ctx.in_shape[2] : Shape()};
  Shape s;
  EI_RETURN_IF_ERROR(InferPart(part, shapes, {nullptr, nullptr, nullptr}, &s));

  if (residual) {
    if (ctx.in_dtype[3] != xt) {
      return ctx.Fail(std::string("residual R is ") + DTypeName(ctx.in_dtype[3]) + " but X is " + DTypeName(xt));
    }
    if (ctx.in_shape[3].rank() != s.rank()) {
      return ctx.Fail("residual R " + ctx.in_shape[3].ToString() + " must have the convolution's output shape " + s.ToString());
    }
    for (size_t i = 0; i < s.rank(); ++i) {
      int64_t a = s.dims[i], b = ctx.in_shape[3].dims[i];
      if (a != b && a != kDynamic && b != kDynamic) {
        return ctx.Fail("residual R " + ctx.in_shape[3].ToString() + " must have the convolution's output shape " +
                        s.ToString());
      }
    }
  }
  Result<std::optional<ActParams>> act = ParseFusedActivation(n.attrs);
  if (!act.ok()) return ctx.Fail(act.status().message());

  if (kind == FusedKind::kConvBiasActPool) {
    const std::string pool = n.attrs.GetString("pool", "");
    if (pool != "MaxPool" && pool != "AveragePool") return ctx.Fail("pool='" + pool + "' must be MaxPool or AveragePool");
    Shape pooled;
    EI_RETURN_IF_ERROR(InferPart(PoolPartOf(n), {s}, {nullptr}, &pooled));
    s = pooled;
  }

  // Dtypes of W and B by precision.
  const DType wt = ctx.in_dtype[1];
  const DType bt = has_bias ? ctx.in_dtype[2] : DType::kUndefined;
  if (xt == DType::kInt8) {
    if (wt != DType::kInt8) return ctx.Fail(std::string("INT8 node needs int8 weights; W is ") + DTypeName(wt));
    if (has_bias && bt != DType::kInt32) return ctx.Fail(std::string("INT8 node needs an int32 bias; B is ") + DTypeName(bt));
    if (!(n.attrs.GetFloat("x_scale", 0.f) > 0.f) || !(n.attrs.GetFloat("y_scale", 0.f) > 0.f)) {
      return ctx.Fail("INT8 node needs positive attributes x_scale and y_scale");
    }
    const std::vector<float> ws = n.attrs.GetFloats("w_scale");
    // Output channels: K of a Conv weight (K, C/group, R, S); N of the Gemm output (M, N).
    const int64_t channels = IsConvKind(kind) ? ctx.in_shape[1].dims[0] : s.dims.back();
    if (ws.empty() || (ws.size() != 1 && static_cast<int64_t>(ws.size()) != channels)) {
      return ctx.Fail("INT8 node needs w_scale with one entry or one per output channel (" + std::to_string(channels) +
                      "); it has " + std::to_string(ws.size()));
    }
    if (residual && !(n.attrs.GetFloat("r_scale", 0.f) > 0.f)) return ctx.Fail("INT8 residual needs a positive r_scale");
    if (act.value() && act.value()->kind != ActKind::kRelu && act.value()->kind != ActKind::kClip &&
        !(n.attrs.GetFloat("act_in_scale", 0.f) > 0.f)) {
      return ctx.Fail("INT8 activation " + n.attrs.GetString("activation", "") + " runs through a LUT and needs act_in_scale");
    }
    if (kind == FusedKind::kGemmBiasAct &&
        (n.attrs.GetInt("transA", 0) != 0 || n.attrs.GetFloat("alpha", 1.f) != 1.f || n.attrs.GetFloat("beta", 1.f) != 1.f)) {
      return ctx.Fail("INT8 GemmBiasAct needs transA=0, alpha=1, beta=1");
    }
  } else {
    if (wt != xt) return ctx.Fail(std::string("W is ") + DTypeName(wt) + " but X is " + DTypeName(xt));
    if (has_bias && bt != xt) return ctx.Fail(std::string("B is ") + DTypeName(bt) + " but X is " + DTypeName(xt));
  }
  ctx.SetOutput(0, xt, s);
  return Status::Ok();
}

// ---- FP32 chain (FP16 runs it on widened inputs) ----

Result<Tensor> Fp32Chain(const Node& node, FusedKind kind, const std::vector<const Tensor*>& in) {
  const Tensor* bias = in.size() > 2 ? in[2] : nullptr;
  Node part = IsConvKind(kind) ? ConvPartOf(node) : GemmPartOf(node);
  std::vector<const Tensor*> part_in = {in[0], in[1]};
  if (bias) part_in.push_back(bias);
  EI_ASSIGN_OR_RETURN(Tensor t, RunPart(part, part_in));
  if (kind == FusedKind::kConvEltwiseAct) {
    Node add = PartNode(node, "Add", {true, true});
    EI_ASSIGN_OR_RETURN(t, RunPart(add, {&t, in[3]}));
  }
  EI_ASSIGN_OR_RETURN(std::optional<ActParams> act, ParseFusedActivation(node.attrs));
  if (act) ActivationRef(*act, t.data<float>(), t.data<float>(), t.numel());
  if (kind == FusedKind::kConvBiasActPool) {
    EI_ASSIGN_OR_RETURN(t, RunPart(PoolPartOf(node), {&t}));
  }
  return t;
}

// ---- INT8 ----

Status Int8Fused(const Node& node, FusedKind kind, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor* x = in[0];
  const Tensor* w = in[1];
  const Tensor* b = in.size() > 2 ? in[2] : nullptr;
  const Tensor* r = kind == FusedKind::kConvEltwiseAct ? in[3] : nullptr;
  EI_ASSIGN_OR_RETURN(std::optional<ActParams> act, ParseFusedActivation(node.attrs));
  EI_ASSIGN_OR_RETURN(int8::Epilogue e,
                      int8::MakeEpilogue(act.value_or(ActParams{ActKind::kIdentity}), act.has_value(),
                                         node.attrs.GetFloat("x_scale", 0.f), node.attrs.GetFloats("w_scale"),
                                         node.attrs.GetFloat("y_scale", 0.f), node.attrs.GetFloat("act_in_scale", 0.f),
                                         r != nullptr, node.attrs.GetFloat("r_scale", 0.f)));
  if (kind == FusedKind::kGemmBiasAct) {
    if (x->rank() != 2 || w->rank() != 2) return Status::Error("INT8 Gemm takes 2-D A and B");
    const bool tb = node.attrs.GetInt("transB", 0) != 0;
    const int64_t m = x->dim(0), k = x->dim(1), n = tb ? w->dim(0) : w->dim(1);
    std::vector<int32_t> acc(static_cast<size_t>(m * n));
    int8::GemmAccumulate(m, n, k, x->data<int8_t>(), w->data<int8_t>(), tb, b ? b->data<int32_t>() : nullptr, acc.data());
    int8_t* y = out[0]->data<int8_t>();
    for (int64_t i = 0; i < m * n; ++i) y[i] = int8::ApplyEpilogue(e, acc[static_cast<size_t>(i)], static_cast<size_t>(i % n), 0);
    return Status::Ok();
  }
  EI_ASSIGN_OR_RETURN(int8::Conv2DGeometry g, int8::ResolveConv2D(node.attrs, x->dims(), w->dims()));
  const int64_t total = g.n * g.k * g.oh * g.ow;
  std::vector<int32_t> acc(static_cast<size_t>(total));
  int8::ConvAccumulate(g, x->data<int8_t>(), w->data<int8_t>(), b ? b->data<int32_t>() : nullptr, acc.data());
  Tensor conv_out;
  int8_t* y = out[0]->data<int8_t>();
  if (kind == FusedKind::kConvBiasActPool) {
    conv_out = Tensor(DType::kInt8, {g.n, g.k, g.oh, g.ow});
    y = conv_out.data<int8_t>();
  } else if (out[0]->numel() != total) {
    return Status::Error("output has " + std::to_string(out[0]->numel()) + " elements; the convolution gives " +
                         std::to_string(total));
  }
  const int8_t* rp = r ? r->data<int8_t>() : nullptr;
  const int64_t plane = g.oh * g.ow;
  for (int64_t i = 0; i < total; ++i) {
    y[i] = int8::ApplyEpilogue(e, acc[static_cast<size_t>(i)], static_cast<size_t>((i / plane) % g.k), rp ? rp[i] : 0);
  }
  if (kind == FusedKind::kConvBiasActPool) {
    int8::Pool2DParams p;
    p.is_max = node.attrs.GetString("pool", "") == "MaxPool";
    auto ks = node.attrs.GetInts("pool_kernel_shape");
    auto st = node.attrs.GetInts("pool_strides", {1, 1});
    auto pd = node.attrs.GetInts("pool_pads", {0, 0, 0, 0});
    if (ks.size() != 2 || st.size() != 2 || pd.size() != 4) {
      return Status::Error("INT8 pooling needs 2-D pool_kernel_shape, pool_strides and pool_pads");
    }
    p.kh = ks[0];
    p.kw = ks[1];
    p.stride_h = st[0];
    p.stride_w = st[1];
    p.pad_t = pd[0];
    p.pad_l = pd[1];
    p.pad_b = pd[2];
    p.pad_r = pd[3];
    p.count_include_pad = node.attrs.GetInt("pool_count_include_pad", 0) != 0;
    if (out[0]->rank() != 4) return Status::Error("INT8 pooling output must be NCHW");
    int8::Pool2D(p, g.n, g.k, g.oh, g.ow, conv_out.data<int8_t>(), out[0]->dim(2), out[0]->dim(3), out[0]->data<int8_t>());
  }
  return Status::Ok();
}

Status RunFused(const Node& node, FusedKind kind, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const DType xt = in[0]->dtype();
  if (xt == DType::kInt8) return Int8Fused(node, kind, in, out).WithContext(LabelOf(node));
  if (xt == DType::kFloat32) {
    EI_ASSIGN_OR_RETURN(Tensor t, Fp32Chain(node, kind, in));
    if (t.numel() != out[0]->numel()) return Status::Error(LabelOf(node) + ": chain output size differs from inference");
    std::memcpy(out[0]->raw(), t.raw(), t.bytes());
    return Status::Ok();
  }
  if (xt == DType::kFloat16) {
    std::vector<Tensor> widened;
    widened.reserve(in.size());
    std::vector<const Tensor*> ptrs;
    for (const Tensor* t : in) {
      if (!t) { ptrs.push_back(nullptr); continue; }
      widened.push_back(t->dtype() == DType::kFloat16 ? t->CastTo(DType::kFloat32) : *t);
      ptrs.push_back(&widened.back());
    }
    EI_ASSIGN_OR_RETURN(Tensor t, Fp32Chain(node, kind, ptrs));
    if (t.numel() != out[0]->numel()) return Status::Error(LabelOf(node) + ": chain output size differs from inference");
    uint16_t* y = out[0]->data<uint16_t>();
    const float* s = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) y[i] = FloatToHalf(s[i]);
    return Status::Ok();
  }
  return Status::Error(LabelOf(node) + ": reference runs float, float16 or int8; X is " + DTypeName(xt));
}

}  // namespace

Result<std::optional<ActParams>> ParseFusedActivation(const Attributes& attrs) {
  if (!attrs.Has("activation")) return std::optional<ActParams>();
  const std::string a = attrs.GetString("activation", "");
  ActParams p;
  if (a == "Relu") {
    p.kind = ActKind::kRelu;
  } else if (a == "LeakyRelu") {
    p.kind = ActKind::kLeakyRelu;
    p.alpha = attrs.GetFloat("act_alpha", 0.01f);
  } else if (a == "Clip") {
    p.kind = ActKind::kClip;
    p.min = attrs.GetFloat("act_min", -std::numeric_limits<float>::infinity());
    p.max = attrs.GetFloat("act_max", std::numeric_limits<float>::infinity());
  } else if (a == "Sigmoid") {
    p.kind = ActKind::kSigmoid;
  } else if (a == "Tanh") {
    p.kind = ActKind::kTanh;
  } else if (a == "HardSigmoid") {
    p.kind = ActKind::kHardSigmoid;
    p.alpha = attrs.GetFloat("act_alpha", 0.2f);
    p.beta = attrs.GetFloat("act_beta", 0.5f);
  } else if (a == "HardSwish") {
    p.kind = ActKind::kHardSwish;
  } else {
    return Status::Error("activation='" + a + "' is not one of Relu, LeakyRelu, Clip, Sigmoid, Tanh, HardSigmoid, HardSwish");
  }
  return std::optional<ActParams>(p);
}

bool IsFusableActivation(const std::string& op) {
  return op == "Relu" || op == "LeakyRelu" || op == "Clip" || op == "Sigmoid" || op == "Tanh" ||
         op == "HardSigmoid" || op == "HardSwish";
}

bool SetFusedActivation(const std::string& op, const ActParams& p, Attributes* attrs) {
  if (!IsFusableActivation(op)) return false;
  attrs->Set("activation", op);
  if (op == "LeakyRelu") attrs->Set("act_alpha", p.alpha);
  if (op == "HardSigmoid") {
    attrs->Set("act_alpha", p.alpha);
    attrs->Set("act_beta", p.beta);
  }
  if (op == "Clip") {
    attrs->Set("act_min", p.min);
    attrs->Set("act_max", p.max);
  }
  return true;
}

bool IsFusedOp(const std::string& op) {
  return op == "ConvBiasAct" || op == "ConvBiasActPool" || op == "ConvEltwiseAct" || op == "GemmBiasAct";
}

Node ConvPartOf(const Node& fused) {
  Node p = PartNode(fused, "Conv", {true, true, HasInputAt(fused, 2)});
  for (const char* a : kConvAttrNames) CopyAttr(fused.attrs, a, &p.attrs, a);
  return p;
}

Node GemmPartOf(const Node& fused) {
  Node p = PartNode(fused, "Gemm", {true, true, HasInputAt(fused, 2)});
  for (const char* a : kGemmAttrNames) CopyAttr(fused.attrs, a, &p.attrs, a);
  return p;
}

Node PoolPartOf(const Node& fused) {
  static const std::string kMax = "MaxPool";
  const bool is_max = fused.attrs.GetString("pool", "") == kMax;
  Node p = PartNode(fused, is_max ? "MaxPool" : "AveragePool", {true});
  CopyAttr(fused.attrs, "pool_kernel_shape", &p.attrs, "kernel_shape");
  CopyAttr(fused.attrs, "pool_strides", &p.attrs, "strides");
  CopyAttr(fused.attrs, "pool_pads", &p.attrs, "pads");
  CopyAttr(fused.attrs, "pool_ceil_mode", &p.attrs, "ceil_mode");
  if (!is_max) CopyAttr(fused.attrs, "pool_count_include_pad", &p.attrs, "count_include_pad");
  return p;
}

Status InferConvBiasAct(InferContext& ctx) { return InferFused(ctx, FusedKind::kConvBiasAct); }
Status InferConvBiasActPool(InferContext& ctx) { return InferFused(ctx, FusedKind::kConvBiasActPool); }
Status InferConvEltwiseAct(InferContext& ctx) { return InferFused(ctx, FusedKind::kConvEltwiseAct); }
Status InferGemmBiasAct(InferContext& ctx) { return InferFused(ctx, FusedKind::kGemmBiasAct); }

Status ConvBiasActReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  return RunFused(node, FusedKind::kConvBiasAct, in, out);
}
Status ConvBiasActPoolReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  return RunFused(node, FusedKind::kConvBiasActPool, in, out);
}
Status ConvEltwiseActReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  return RunFused(node, FusedKind::kConvEltwiseAct, in, out);
}
Status GemmBiasActReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  return RunFused(node, FusedKind::kGemmBiasAct, in, out);
}

}  // namespace edgeinfer::ops
