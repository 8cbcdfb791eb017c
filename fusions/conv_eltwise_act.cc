// ConvEltwiseAct: a convolution, the residual Add after it, and an optional activation.
//
//   X ─► Conv(W, b) ─► Add ─► [act] ─► Y        =>   X ─► ConvEltwiseAct(W, b, R; act) ─► Y
//                       ▲                                          ▲
//   R ──────────────────┘                         R ───────────────┘
//
// Guards: the Conv output flows only into the Add (single consumer, not a graph output); R has
// exactly the convolution's output shape (no broadcasting) and dtype float32; R is not a constant
// (a constant add folds into the bias instead: fold_scale_into_conv). When both Add operands are
// single-use Convs (ResNet's projection shortcut), the later one in topological order is fused and
// the earlier becomes R, so R is computed first. The activation joins when it is a fusable op
// (activation.h), the Add output flows only into it, and Clip bounds are constants.
// Runs before ConvBiasAct, which would otherwise take the Conv of an activation-free pattern.
#include <algorithm>

#include "fusions/fusion_util.h"
#include "fusions/passes.h"
#include "graph/ops/fused.h"

namespace edgeinfer::fusions {

Status FuseConvEltwiseAct(Graph& g, PassContext& ctx) {
  EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopoOrder());
  std::vector<int> pos(g.num_node_slots(), 0);
  for (size_t i = 0; i < order.size(); ++i) pos[static_cast<size_t>(order[i])] = static_cast<int>(i);
  for (NodeId id : order) {
    if (!g.node(id).alive || g.node(id).op != "Add") continue;
    const Node add = g.node(id);
    if (add.inputs.size() != 2 || add.inputs[0] == add.inputs[1]) continue;
    // Candidate convs, latest first.
    std::vector<int> sides;
    for (int s = 0; s < 2; ++s) {
      NodeId p = g.value(add.inputs[static_cast<size_t>(s)]).producer;
      if (p != kNoNode && g.node(p).op == "Conv") sides.push_back(s);
    }
    if (sides.empty()) continue;
    std::sort(sides.begin(), sides.end(), [&](int a, int b) {
      return pos[static_cast<size_t>(g.value(add.inputs[static_cast<size_t>(a)]).producer)] >
             pos[static_cast<size_t>(g.value(add.inputs[static_cast<size_t>(b)]).producer)];
    });
    int chosen = -1;
    std::string why;
    for (int s : sides) {
      const ValueId cv = add.inputs[static_cast<size_t>(s)], r = add.inputs[static_cast<size_t>(1 - s)];
      std::string single = SingleUseReason(g, cv);
      if (!single.empty()) { why = "Conv " + single; continue; }
      if (g.value(r).IsConstant()) { why = "the other operand is a constant (folds into the bias instead)"; continue; }
      if (g.value(r).shape != g.value(cv).shape) {
        why = "residual " + g.value(r).shape.ToString() + " broadcasts to the Conv output " + g.value(cv).shape.ToString();
        continue;
      }
      if (g.value(r).dtype != DType::kFloat32 || g.value(cv).dtype != DType::kFloat32) { why = "not float32"; continue; }
      chosen = s;
      break;
    }
    if (chosen < 0) { ctx.Refuse(add.name, why); continue; }
    const ValueId cv = add.inputs[static_cast<size_t>(chosen)], r = add.inputs[static_cast<size_t>(1 - chosen)];
    const NodeId conv_id = g.value(cv).producer;
    const Node conv = g.node(conv_id);
    Attributes attrs = conv.attrs;
    std::vector<NodeId> remove = {conv_id, id};
    std::vector<std::string> names = {conv.name, add.name};
    ValueId out = add.outputs[0];
    // Optional activation after the Add.
    std::vector<NodeId> after = ConsumersOf(g, out);
    if (after.size() == 1 && ops::IsFusableActivation(g.node(after[0]).op)) {
      const Node& act = g.node(after[0]);
      std::string single = SingleUseReason(g, out), act_why;
      std::optional<ops::ActParams> p = single.empty() ? ActivationOf(g, act, &act_why) : std::nullopt;
      if (p) {
        ops::SetFusedActivation(act.op, *p, &attrs);
        attrs.Set("act_input", std::vector<std::string>{g.value(out).name});   // for the quantizer's act_in_scale
        remove.push_back(after[0]);
        names.push_back(act.name);
        out = act.outputs[0];
      } else {
        ctx.Refuse(act.name, "activation not fused into the residual conv: " + (single.empty() ? act_why : "Add " + single));
      }
    }
    std::vector<ValueId> inputs = {conv.inputs[0], conv.inputs[1],
                                   conv.inputs.size() > 2 ? conv.inputs[2] : kNoValue, r};
    ReplaceWithNode(g, remove, "ConvEltwiseAct", conv.name, inputs, {out}, attrs);
    ctx.Fused("ConvEltwiseAct", names, conv.name);
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
