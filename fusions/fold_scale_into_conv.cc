// Multiply/add by a per-channel constant folded into the convolution that produces the tensor.
//
//   X ─► Conv(W, b) ─► Mul(c) ─► Y    =>  X ─► Conv(W * c[k], b * c[k]) ─► Y
//   X ─► Conv(W, b) ─► Div(c) ─► Y    =>  X ─► Conv(W / c[k], b / c[k]) ─► Y
//   X ─► Conv(W, b) ─► Add(c) ─► Y    =>  X ─► Conv(W, b + c[k]) ─► Y
//   X ─► Conv(W, b) ─► Sub(c) ─► Y    =>  X ─► Conv(W, b - c[k]) ─► Y     (Conv output minus c only)
//
// Guards: the other operand is a float32 constant broadcasting per output channel (all its dims 1
// except, optionally, the channel axis; scalar allowed); the Conv's weights and bias are constants;
// the Conv output flows only into this node (single consumer, not a graph output); the constant
// does not broadcast the result to a larger shape. Runs to a fixed point (Mul then Add both fold).
#include <map>

#include "fusions/fusion_util.h"
#include "fusions/passes.h"

namespace edgeinfer::fusions {

namespace {

// Per-channel values of c for an output of rank `rank` with `k` channels; empty when c is not
// per-channel.
std::vector<double> PerChannel(const Tensor& c, size_t rank, int64_t k) {
  if (c.rank() > rank) return {};
  std::vector<int64_t> d(rank - c.rank(), 1);
  for (int64_t x : c.dims()) d.push_back(x);
  for (size_t i = 0; i < rank; ++i) if (i != 1 && d[i] != 1) return {};
  if (d[1] != 1 && d[1] != k) return {};
  std::vector<double> v(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) v[static_cast<size_t>(i)] = c.GetAsDouble(d[1] == 1 ? 0 : i);
  return v;
}

}  // namespace

Status FoldScaleIntoConv(Graph& g, PassContext& ctx) {
  std::map<std::string, std::string> refused;   // reported once, after the fixed point
  auto refuse = [&](const std::string& node, const std::string& why) { refused[node] = why; };
  bool changed = true;
  while (changed) {
    changed = false;
    for (NodeId id : g.NodeIds()) {
      const Node& n = g.node(id);
      if (!n.alive || (n.op != "Mul" && n.op != "Add" && n.op != "Sub" && n.op != "Div")) continue;
      int conv_side = -1;
      for (int s = 0; s < 2; ++s) {
        NodeId p = g.value(n.inputs[static_cast<size_t>(s)]).producer;
        if (p != kNoNode && g.node(p).op == "Conv" && ConstantOf(g, n.inputs[static_cast<size_t>(1 - s)])) conv_side = s;
      }
      if (conv_side < 0) continue;
      if ((n.op == "Sub" || n.op == "Div") && conv_side != 0) continue;   // c - conv, c / conv are not affine in W
      const ValueId cv = n.inputs[static_cast<size_t>(conv_side)];
      const NodeId pid = g.value(cv).producer;
      const Tensor* c = ConstantOf(g, n.inputs[static_cast<size_t>(1 - conv_side)]);
      const Node& conv = g.node(pid);
      std::string single = SingleUseReason(g, cv);
      if (!single.empty()) { refuse(n.name, "not folded into " + g.Label(pid) + ": " + single); continue; }
      const Tensor* w = ConstantOf(g, conv.inputs[1]);
      const bool has_b = conv.inputs.size() > 2 && conv.inputs[2] != kNoValue;
      const Tensor* b = has_b ? ConstantOf(g, conv.inputs[2]) : nullptr;
      if (!w || (has_b && !b) || w->dtype() != DType::kFloat32 || c->dtype() != DType::kFloat32) {
        refuse(n.name, "not folded into " + g.Label(pid) + ": weights, bias or the constant are not float32 constants");
        continue;
      }
      const int64_t k = w->dim(0);
      const Shape& ys = g.value(n.outputs[0]).shape;
      if (ys != g.value(cv).shape) { refuse(n.name, "the constant broadcasts the result to a larger shape"); continue; }
      std::vector<double> cc = PerChannel(*c, ys.rank(), k);
      if (cc.empty()) { refuse(n.name, "the constant is not per output channel"); continue; }
      const bool scale = n.op == "Mul" || n.op == "Div";
      if (n.op == "Div") for (double& x : cc) x = 1.0 / x;
      if (n.op == "Sub") for (double& x : cc) x = -x;
      std::vector<float> nw = ToFloats(*w), nb(static_cast<size_t>(k), 0.f);
      const int64_t per = w->numel() / k;
      for (int64_t o = 0; o < k; ++o) {
        double bias = b ? b->GetAsDouble(o) : 0.0;
        if (scale) {
          for (int64_t i = 0; i < per; ++i) nw[static_cast<size_t>(o * per + i)] = static_cast<float>(nw[static_cast<size_t>(o * per + i)] * cc[static_cast<size_t>(o)]);
          nb[static_cast<size_t>(o)] = static_cast<float>(bias * cc[static_cast<size_t>(o)]);
        } else {
          nb[static_cast<size_t>(o)] = static_cast<float>(bias + cc[static_cast<size_t>(o)]);
        }
      }
      const std::string conv_name = conv.name, op_name = n.name, op = n.op;
      const ValueId y = n.outputs[0];
      ValueId wv = scale ? AddFloatConstant(g, g.value(conv.inputs[1]).name + "_scaled", w->dims(), nw) : conv.inputs[1];
      ValueId bv = AddFloatConstant(g, conv_name + "_bias_folded", {k}, nb);
      g.RemoveNode(id);
      Node& cn = g.node(pid);
      cn.inputs.resize(3);
      cn.inputs[1] = wv;
      cn.inputs[2] = bv;
      cn.outputs[0] = y;
      g.value(y).producer = pid;
      g.value(cv).producer = kNoNode;
      ctx.Fused("Fold" + op + "IntoConv", {conv_name, op_name}, conv_name);
      refused.erase(op_name);
      changed = true;
    }
  }
  for (const auto& [node, why] : refused) ctx.Refuse(node, why);
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
