// BatchNormalization folding (inference form: Y = s * (X - mean) + B, s = scale / sqrt(var + eps)).
//
//   X ─► Conv(W, b) ─► BatchNorm ─► Y     =>   X ─► Conv(W * s[k], (b - mean) * s + B) ─► Y
//   A ─► Gemm(Bw, C) ─► BatchNorm ─► Y    =>   A ─► Gemm(Bw * s[n], (beta*C - mean) * s + B, beta=1) ─► Y
//   X ─► BatchNorm ─► Y  (lone, NCHW)     =>   X ─► Conv 1x1 depthwise (W = s, b = B - mean * s) ─► Y
//   X ─► BatchNorm ─► Y  (lone, other)    =>   X ─► Mul(s) ─► Add(B - mean*s) ─► Y
//
// Guards: the four BatchNorm parameters are constants; X is float32; for folding into the producer
// the producer is a Conv or Gemm whose weights (and bias, if any) are constants and whose output
// flows only into this BatchNorm (single consumer, not a graph output). Otherwise the BatchNorm
// becomes a scale-shift by itself (the depthwise form lets a following activation fuse).
// The weights are copied (a weight shared by two convolutions is never changed in place).
// Arithmetic in double, rounded once to float.
#include <cmath>

#include "fusions/fusion_util.h"
#include "fusions/passes.h"

namespace edgeinfer::fusions {

namespace {

struct BnFactors {
  std::vector<double> s, shift;   // y = s * x + shift
};

std::optional<BnFactors> Factors(const Graph& g, const Node& bn, std::string* why) {
  const Tensor* sc = ConstantOf(g, bn.inputs[1]);
  const Tensor* b = ConstantOf(g, bn.inputs[2]);
  const Tensor* mean = ConstantOf(g, bn.inputs.size() > 3 ? bn.inputs[3] : kNoValue);
  const Tensor* var = ConstantOf(g, bn.inputs.size() > 4 ? bn.inputs[4] : kNoValue);
  if (!sc || !b || !mean || !var) {
    *why = "scale, B, mean and var are not all constants";
    return std::nullopt;
  }
  const double eps = bn.attrs.GetFloat("epsilon", 1e-5f);
  BnFactors f;
  for (int64_t c = 0; c < sc->numel(); ++c) {
    double s = sc->GetAsDouble(c) / std::sqrt(var->GetAsDouble(c) + eps);
    f.s.push_back(s);
    f.shift.push_back(b->GetAsDouble(c) - mean->GetAsDouble(c) * s);
  }
  return f;
}

bool FoldIntoConv(Graph& g, NodeId conv_id, const Node& bn, const BnFactors& f, std::string* why) {
  Node& conv = g.node(conv_id);
  const Tensor* w = ConstantOf(g, conv.inputs[1]);
  const bool has_b = conv.inputs.size() > 2 && conv.inputs[2] != kNoValue;
  const Tensor* b = has_b ? ConstantOf(g, conv.inputs[2]) : nullptr;
  if (!w || (has_b && !b)) { *why = "the convolution's weights or bias are not constants"; return false; }
  if (w->dtype() != DType::kFloat32) { *why = "the convolution's weights are not float32"; return false; }
  const int64_t k = w->dim(0);
  if (static_cast<int64_t>(f.s.size()) != k) { *why = "BatchNorm channels differ from the convolution's outputs"; return false; }
  const int64_t per = w->numel() / k;
  std::vector<float> nw = ToFloats(*w), nb(static_cast<size_t>(k));
  for (int64_t o = 0; o < k; ++o) {
    for (int64_t i = 0; i < per; ++i) nw[static_cast<size_t>(o * per + i)] = static_cast<float>(nw[static_cast<size_t>(o * per + i)] * f.s[static_cast<size_t>(o)]);
    double bias = b ? b->GetAsDouble(o) : 0.0;
    nb[static_cast<size_t>(o)] = static_cast<float>(bias * f.s[static_cast<size_t>(o)] + f.shift[static_cast<size_t>(o)]);
  }
  ValueId wv = AddFloatConstant(g, g.value(conv.inputs[1]).name + "_bn", w->dims(), nw);
  ValueId bv = AddFloatConstant(g, conv.name + "_bias_bn", {k}, nb);
  Node& c = g.node(conv_id);
  c.inputs.resize(3);
  c.inputs[1] = wv;
  c.inputs[2] = bv;
  return true;
}

bool FoldIntoGemm(Graph& g, NodeId gemm_id, const Node& bn, const BnFactors& f, std::string* why) {
  Node& gemm = g.node(gemm_id);
  const Tensor* w = ConstantOf(g, gemm.inputs[1]);
  const bool has_c = gemm.inputs.size() > 2 && gemm.inputs[2] != kNoValue;
  const Tensor* c = has_c ? ConstantOf(g, gemm.inputs[2]) : nullptr;
  if (!w || (has_c && !c)) { *why = "the Gemm's B or C is not a constant"; return false; }
  if (w->dtype() != DType::kFloat32 || w->rank() != 2) { *why = "the Gemm's B is not a float32 matrix"; return false; }
  const bool tb = gemm.attrs.GetInt("transB", 0) != 0;
  const int64_t n = tb ? w->dim(0) : w->dim(1), kk = tb ? w->dim(1) : w->dim(0);
  if (static_cast<int64_t>(f.s.size()) != n) { *why = "BatchNorm channels differ from the Gemm's outputs"; return false; }
  if (c && c->numel() != n && c->numel() != 1) { *why = "the Gemm's C is not per output column"; return false; }
  const double beta = gemm.attrs.GetFloat("beta", 1.f);
  std::vector<float> nw = ToFloats(*w), nc(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t p = 0; p < kk; ++p) {
      size_t idx = static_cast<size_t>(tb ? j * kk + p : p * n + j);
      nw[idx] = static_cast<float>(nw[idx] * f.s[static_cast<size_t>(j)]);
    }
    double cv = c ? beta * c->GetAsDouble(c->numel() == 1 ? 0 : j) : 0.0;
    nc[static_cast<size_t>(j)] = static_cast<float>(cv * f.s[static_cast<size_t>(j)] + f.shift[static_cast<size_t>(j)]);
  }
  ValueId wv = AddFloatConstant(g, g.value(gemm.inputs[1]).name + "_bn", w->dims(), nw);
  ValueId cv = AddFloatConstant(g, gemm.name + "_bias_bn", {n}, nc);
  Node& gm = g.node(gemm_id);
  gm.inputs.resize(3);
  gm.inputs[1] = wv;
  gm.inputs[2] = cv;
  gm.attrs.Set("beta", 1.f);
  return true;
}

}  // namespace

Status FoldBatchNorm(Graph& g, PassContext& ctx) {
  for (NodeId id : g.NodeIds()) {
    if (!g.node(id).alive || g.node(id).op != "BatchNormalization") continue;
    const Node bn = g.node(id);
    const ValueId x = bn.inputs[0], y = bn.outputs[0];
    if (g.value(x).dtype != DType::kFloat32) { ctx.Refuse(bn.name, "input is not float32"); continue; }
    std::string why;
    std::optional<BnFactors> f = Factors(g, bn, &why);
    if (!f) { ctx.Refuse(bn.name, why); continue; }
    const NodeId p = g.value(x).producer;
    std::string into_why;
    if (p != kNoNode && (g.node(p).op == "Conv" || g.node(p).op == "Gemm")) {
      std::string single = SingleUseReason(g, x);
      const bool is_conv = g.node(p).op == "Conv";
      if (single.empty() && (is_conv ? FoldIntoConv(g, p, bn, *f, &into_why) : FoldIntoGemm(g, p, bn, *f, &into_why))) {
        // The producer now writes the BatchNorm's output value.
        g.RemoveNode(id);
        Node& pn = g.node(p);
        pn.outputs[0] = y;
        g.value(y).producer = p;
        g.value(x).producer = kNoNode;
        ctx.Fused("FoldBatchNorm", {pn.name, bn.name}, pn.name);
        continue;
      }
      if (!single.empty()) into_why = "producer's " + single;
      ctx.Refuse(bn.name, "not folded into " + g.Label(p) + ": " + into_why + "; made a scale-shift");
    }
    // Lone BatchNorm: scale-shift.
    const Shape& xs = g.value(x).shape;
    const int64_t c = static_cast<int64_t>(f->s.size());
    std::vector<float> s(f->s.begin(), f->s.end()), sh(f->shift.begin(), f->shift.end());
    if (xs.rank() == 4) {
      ValueId wv = AddFloatConstant(g, bn.name + "_dw_w", {c, 1, 1, 1}, s);
      ValueId bv = AddFloatConstant(g, bn.name + "_dw_b", {c}, sh);
      Attributes a;
      a.Set("group", c);
      a.Set("kernel_shape", std::vector<int64_t>{1, 1});
      ReplaceWithNode(g, {id}, "Conv", bn.name, {x, wv, bv}, {y}, a);
      ctx.Fused("BatchNormToDepthwiseConv", {bn.name}, bn.name);
    } else if (xs.rank() >= 2) {
      std::vector<int64_t> dims = {c};
      for (size_t i = 2; i < xs.rank(); ++i) dims.push_back(1);
      ValueId sv = AddFloatConstant(g, bn.name + "_scale", dims, s);
      ValueId bv = AddFloatConstant(g, bn.name + "_shift", dims, sh);
      ValueId mid = g.AddValue(bn.name + "_scaled", DType::kFloat32, xs);
      g.RemoveNode(id);
      g.AddNode("Mul", bn.name + "_mul", {x, sv}, {mid});
      g.AddNode("Add", bn.name + "_add", {mid, bv}, {y});
      ctx.Fused("BatchNormToScaleShift", {bn.name}, bn.name + "_mul");
    } else {
      ctx.Refuse(bn.name, "input rank " + std::to_string(xs.rank()) + " has no channel axis");
    }
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
