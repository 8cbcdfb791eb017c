// Identity and inference-time Dropout elimination: both copy their input.
//
//   %x ─► Identity|Dropout ─► %y ─► ...      =>   %x ─► ...
//
// Guards: Dropout's mask output unused and training_mode (input 2) absent or constant false;
// when %y is a graph output, %x must be produced by a node (that node then writes %y, so the
// output keeps its name); a graph input or constant flowing straight to a graph output stays.
#include "fusions/fusion_util.h"
#include "fusions/passes.h"

namespace edgeinfer::fusions {

Status EliminateIdentity(Graph& g, PassContext& ctx) {
  for (NodeId id : g.NodeIds()) {
    const Node& n = g.node(id);
    if (n.op != "Identity" && n.op != "Dropout") continue;
    if (n.op == "Dropout") {
      if (n.outputs.size() > 1 && UseCount(g, n.outputs[1]) > 0) {
        ctx.Refuse(n.name, "Dropout's mask output is used");
        continue;
      }
      if (n.inputs.size() > 2 && n.inputs[2] != kNoValue) {
        const Tensor* t = ConstantOf(g, n.inputs[2]);
        if (!t || t->GetAsDouble(0) != 0.0) {
          ctx.Refuse(n.name, "training_mode is not a constant false");
          continue;
        }
      }
    }
    const std::string name = n.name, op = n.op;
    if (!BypassNode(g, id, n.inputs[0], n.outputs[0])) {
      ctx.Refuse(name, "a graph input or constant flows straight to the graph output through it");
      continue;
    }
    ctx.Fused("Eliminate" + op, {name}, "");
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
