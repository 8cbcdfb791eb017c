#include "devices/cpu/reference_executor.h"

#include "graph/op_table.h"
#include "graph/shape_inference.h"

namespace edgeinfer::devices {

Result<TensorMap> RunReference(const Graph& g, const TensorMap& inputs, const ReferenceOptions& opts) {
  EI_RETURN_IF_ERROR(ValidateInputs(g, inputs, opts.reject_non_finite_inputs));
  EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopoOrder());
  // Live tensors by value id; freed after their last use to keep memory at the live set.
  std::vector<Tensor> vals(g.num_values());
  std::vector<int> uses(g.num_values(), 0);
  for (NodeId id : order) for (ValueId v : g.node(id).inputs) if (v != kNoValue) ++uses[static_cast<size_t>(v)];
  for (ValueId v : g.outputs()) ++uses[static_cast<size_t>(v)];
  for (ValueId id : g.inputs()) vals[static_cast<size_t>(id)] = inputs.at(g.value(id).name);
  for (size_t i = 0; i < g.num_values(); ++i) {
    if (g.value(static_cast<ValueId>(i)).IsConstant()) vals[i] = *g.value(static_cast<ValueId>(i)).constant;
  }
  for (NodeId id : order) {
    const Node& n = g.node(id);
    const OpDef* def = FindOp(n.op);
    if (!def) return Status::Error(g.Label(id) + ": unsupported op '" + n.op + "'");
    if (!def->reference) return Status::Error(g.Label(id) + ": op has no reference kernel");
    InferContext ctx{n, {}, {}, {}, {}, {}};
    std::vector<const Tensor*> in;
    for (ValueId v : n.inputs) {
      if (v == kNoValue) {
        ctx.in_dtype.push_back(DType::kUndefined);
        ctx.in_shape.emplace_back();
        ctx.in_value.push_back(nullptr);
        in.push_back(nullptr);
      } else {
        const Tensor& t = vals[static_cast<size_t>(v)];
        ctx.in_dtype.push_back(t.dtype());
        ctx.in_shape.push_back(t.shape());
        ctx.in_value.push_back(&t);
        in.push_back(&t);
      }
    }
    ctx.out_dtype.assign(n.outputs.size(), DType::kUndefined);
    ctx.out_shape.assign(n.outputs.size(), Shape());
    EI_RETURN_IF_ERROR(InferNode(*def, ctx));
    std::vector<Tensor> outs;
    outs.reserve(n.outputs.size());
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      if (!ctx.out_shape[i].IsStatic()) {
        return Status::Error(g.Label(id) + ": output shape " + ctx.out_shape[i].ToString() + " is not known at run time");
      }
      outs.emplace_back(ctx.out_dtype[i], ctx.out_shape[i].dims);
    }
    std::vector<Tensor*> out_ptrs;
    for (Tensor& t : outs) out_ptrs.push_back(&t);
    EI_RETURN_IF_ERROR(def->reference(n, in, out_ptrs));
    if (opts.on_layer) {
      std::vector<const Tensor*> cptrs(out_ptrs.begin(), out_ptrs.end());
      opts.on_layer(g, id, cptrs);
    }
    for (size_t i = 0; i < n.outputs.size(); ++i) vals[static_cast<size_t>(n.outputs[i])] = std::move(outs[i]);
    for (ValueId v : n.inputs) {
      if (v != kNoValue && --uses[static_cast<size_t>(v)] == 0 && !g.value(v).IsConstant()) vals[static_cast<size_t>(v)] = Tensor();
    }
  }
  TensorMap result;
  for (ValueId v : g.outputs()) result[g.value(v).name] = vals[static_cast<size_t>(v)];
  return result;
}

Support ReferenceDevice::Supports(const Graph& g, NodeId id) const {
  const OpDef* def = FindOp(g.node(id).op);
  if (!def) return Support::No("op '" + g.node(id).op + "' is not in the op table");
  if (!def->reference) return Support::No("op '" + g.node(id).op + "' has no reference kernel");
  return Support::Yes();
}

Status ReferenceDevice::Prepare(std::shared_ptr<const Graph> graph) {
  EI_RETURN_IF_ERROR(graph->VerifyStructure());
  for (NodeId id : graph->NodeIds()) {
    Support s = Supports(*graph, id);
    if (!s.ok) return Status::Error(graph->Label(id) + ": " + s.reason);
  }
  graph_ = std::move(graph);
  return Status::Ok();
}

Status ReferenceDevice::Launch(const TensorMap& inputs, TensorMap* outputs) {
  if (!graph_) return Status::Error("cpu-reference: Launch before Prepare");
  EI_ASSIGN_OR_RETURN(*outputs, RunReference(*graph_, inputs));
  return Status::Ok();
}

}  // namespace edgeinfer::devices
