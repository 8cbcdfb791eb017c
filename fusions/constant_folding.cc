// Constant folding: a node whose inputs are all constants is evaluated once with its reference
// kernel and its outputs become constants.
//
//   $c1 ─► Op ─► %y      =>   $y (constant)
//   $c2 ─┘
//
// Guards: every present input is a constant; the op has a reference kernel; not Q/DQ (kept so
// convert_qdq sees the explicit quantization of weights); not a fused op; each output at most
// 16 Mi elements (folding must not blow up the model). Single pass in topological order, so chains
// fold completely.
#include "fusions/fusion_util.h"
#include "fusions/passes.h"
#include "graph/op_table.h"
#include "graph/shape_inference.h"

namespace edgeinfer::fusions {

Status ConstantFolding(Graph& g, PassContext& ctx) {
  constexpr int64_t kMaxElements = 16 << 20;
  EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopoOrder());
  for (NodeId id : order) {
    const Node& n = g.node(id);
    const OpDef* def = FindOp(n.op);
    if (!def || !def->reference || def->op_class == OpClass::kQuant || def->op_class == OpClass::kFused) continue;
    bool all_const = !n.inputs.empty();
    for (ValueId v : n.inputs) if (v != kNoValue && !g.value(v).IsConstant()) all_const = false;
    if (!all_const) continue;
    InferContext ictx = MakeInferContext(g, n);
    EI_RETURN_IF_ERROR(InferNode(*def, ictx));
    bool small = true;
    for (const Shape& s : ictx.out_shape) small = small && s.IsStatic() && s.NumElements() <= kMaxElements;
    if (!small) {
      ctx.Refuse(n.name, "output larger than 16 Mi elements or not static; left to run at run time");
      continue;
    }
    std::vector<const Tensor*> in;
    for (ValueId v : n.inputs) in.push_back(v == kNoValue ? nullptr : g.value(v).constant.get());
    std::vector<Tensor> outs;
    for (size_t i = 0; i < n.outputs.size(); ++i) outs.emplace_back(ictx.out_dtype[i], ictx.out_shape[i].dims);
    std::vector<Tensor*> out_ptrs;
    for (Tensor& t : outs) out_ptrs.push_back(&t);
    EI_RETURN_IF_ERROR(def->reference(n, in, out_ptrs));
    const std::string name = n.name;
    const std::vector<ValueId> outputs = n.outputs;
    g.RemoveNode(id);
    for (size_t i = 0; i < outputs.size(); ++i) {
      g.value(outputs[i]).constant = std::make_shared<const Tensor>(std::move(outs[i]));
    }
    ctx.Fused("ConstantFold", {name}, "");
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
