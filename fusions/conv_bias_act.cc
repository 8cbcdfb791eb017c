// ConvBiasAct: a convolution (bias included) and the activation after it.
//
//   X ─► Conv(W, b) ─► act ─► Y        =>   X ─► ConvBiasAct(W, b; activation=act) ─► Y
//
// Guards: the op is Conv (not ConvTranspose); the activation is fusable (Relu, LeakyRelu, Clip with
// constant bounds, Sigmoid, Tanh, HardSigmoid, HardSwish); the Conv output flows only into the
// activation (single consumer, not a graph output); dtype float32 (precision passes run later).
#include "fusions/fusion_util.h"
#include "fusions/passes.h"
#include "graph/ops/fused.h"

namespace edgeinfer::fusions {

Status FuseConvBiasAct(Graph& g, PassContext& ctx) {
  for (NodeId id : g.NodeIds()) {
    if (!g.node(id).alive || g.node(id).op != "Conv") continue;
    const Node conv = g.node(id);
    const ValueId y = conv.outputs[0];
    std::vector<NodeId> cons = ConsumersOf(g, y);
    NodeId act_id = kNoNode;
    for (NodeId c : cons) if (ops::IsFusableActivation(g.node(c).op)) act_id = c;
    if (act_id == kNoNode) continue;
    const Node& act = g.node(act_id);
    std::string why = SingleUseReason(g, y);
    if (!why.empty()) { ctx.Refuse(conv.name, "not fused with " + g.Label(act_id) + ": " + why); continue; }
    if (g.value(y).dtype != DType::kFloat32) { ctx.Refuse(conv.name, "not float32"); continue; }
    std::optional<ops::ActParams> p = ActivationOf(g, act, &why);
    if (!p) { ctx.Refuse(conv.name, "not fused with " + g.Label(act_id) + ": " + why); continue; }
    Attributes attrs = conv.attrs;
    ops::SetFusedActivation(act.op, *p, &attrs);
    attrs.Set("act_input", std::vector<std::string>{g.value(y).name});   // for the quantizer's act_in_scale
    const std::string act_name = act.name;
    const ValueId out = act.outputs[0];
    ReplaceWithNode(g, {id, act_id}, "ConvBiasAct", conv.name, conv.inputs, {out}, attrs);
    ctx.Fused("ConvBiasAct", {conv.name, act_name}, conv.name);
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
