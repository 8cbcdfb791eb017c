// Flatten/Reshape before a Gemm normalised to Flatten(axis=1), the one form devices and the
// partitioner recognise as "keep the batch, flatten the rest".
//
//   X[N,C,H,W] ─► Reshape([N|-1|0, C*H*W]) ─► Gemm    =>  X ─► Flatten(axis=1) ─► Gemm
//   X[N,C,H,W] ─► Flatten(axis=a≠1 giving [N, C*H*W])  =>  Flatten(axis=1)
//
// Guards: the node's output feeds a Gemm as input A; its output has rank 2 and keeps X's leading
// dim (the same extent, or both symbolic), and the second dim is the product of the rest.
#include "fusions/fusion_util.h"
#include "fusions/passes.h"

namespace edgeinfer::fusions {

Status NormalizeGemmInput(Graph& g, PassContext& ctx) {
  for (NodeId id : g.NodeIds()) {
    const Node& n = g.node(id);
    if (!n.alive || (n.op != "Reshape" && n.op != "Flatten")) continue;
    if (n.op == "Flatten" && n.attrs.GetInt("axis", 1) == 1) continue;
    bool feeds_gemm = false;
    for (NodeId c : ConsumersOf(g, n.outputs[0])) {
      const Node& cn = g.node(c);
      if ((cn.op == "Gemm" || cn.op == "GemmBiasAct") && cn.inputs[0] == n.outputs[0]) feeds_gemm = true;
    }
    if (!feeds_gemm) continue;
    const Shape& xs = g.value(n.inputs[0]).shape;
    const Shape& ys = g.value(n.outputs[0]).shape;
    if (ys.rank() != 2 || xs.rank() < 2) { ctx.Refuse(n.name, "output is not [batch, features]"); continue; }
    bool same_lead = xs.dims[0] == ys.dims[0];
    int64_t rest = 1;
    for (size_t i = 1; i < xs.rank(); ++i) rest = (xs.dims[i] == kDynamic || rest == kDynamic) ? kDynamic : rest * xs.dims[i];
    if (!same_lead || rest == kDynamic || ys.dims[1] != rest) {
      ctx.Refuse(n.name, "does not keep the leading dim and flatten the rest (" + xs.ToString() + " -> " + ys.ToString() + ")");
      continue;
    }
    const std::string name = n.name, op = n.op;
    const ValueId x = n.inputs[0], y = n.outputs[0];
    Attributes a;
    a.Set("axis", int64_t{1});
    ReplaceWithNode(g, {id}, "Flatten", name, {x}, {y}, a);
    ctx.Fused(op + "ToFlatten", {name}, name);
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
