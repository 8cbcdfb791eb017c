// GemmBiasAct: a Gemm (bias C included) and the activation after it.
//
//   A ─► Gemm(B, C) ─► act ─► Y       =>   A ─► GemmBiasAct(B, C; activation=act) ─► Y
//
// Guards: the activation is fusable (as ConvBiasAct); the Gemm output flows only into it (single
// consumer, not a graph output); dtype float32. MatMul+Add is already a Gemm (matmul_add_to_gemm).
#include "fusions/fusion_util.h"
#include "fusions/passes.h"
#include "graph/ops/fused.h"

namespace edgeinfer::fusions {

Status FuseGemmBiasAct(Graph& g, PassContext& ctx) {
  for (NodeId id : g.NodeIds()) {
    if (!g.node(id).alive || g.node(id).op != "Gemm") continue;
    const Node gemm = g.node(id);
    const ValueId y = gemm.outputs[0];
    NodeId act_id = kNoNode;
    for (NodeId c : ConsumersOf(g, y)) if (ops::IsFusableActivation(g.node(c).op)) act_id = c;
    if (act_id == kNoNode) continue;
    const Node& act = g.node(act_id);
    std::string why = SingleUseReason(g, y);
    if (!why.empty()) { ctx.Refuse(gemm.name, "not fused with " + g.Label(act_id) + ": " + why); continue; }
    if (g.value(y).dtype != DType::kFloat32) { ctx.Refuse(gemm.name, "not float32"); continue; }
    std::optional<ops::ActParams> p = ActivationOf(g, act, &why);
    if (!p) { ctx.Refuse(gemm.name, "not fused with " + g.Label(act_id) + ": " + why); continue; }
    Attributes attrs = gemm.attrs;
    ops::SetFusedActivation(act.op, *p, &attrs);
    attrs.Set("act_input", std::vector<std::string>{g.value(y).name});   // for the quantizer's act_in_scale
    const std::string act_name = act.name;
    const ValueId out = act.outputs[0];
    ReplaceWithNode(g, {id, act_id}, "GemmBiasAct", gemm.name, gemm.inputs, {out}, attrs);
    ctx.Fused("GemmBiasAct", {gemm.name, act_name}, gemm.name);
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
