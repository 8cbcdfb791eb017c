// Spatial reductions become global pooling: exporters write torch's x.mean([2, 3]) (MnasNet,
// EfficientNet-style heads, SE blocks) as ReduceMean; engines run GlobalAveragePool natively (the
// DLA's pooling unit, cuDNN/our pooling kernels, oneDNN pooling).
//
//   %x[N,C,H,W] ─► ReduceMean|ReduceMax(axes = {2,3}, keepdims=1) ─► %y[N,C,1,1]
//       =>  %x ─► GlobalAveragePool|GlobalMaxPool ─► %y
//   ... keepdims=0 ─► %y[N,C]
//       =>  %x ─► GlobalAveragePool|GlobalMaxPool ─► %p[N,C,1,1] ─► Flatten(axis=1) ─► %y
//
// Guards: rank-4 float input; axes exactly the two trailing dims (negative forms accepted), given
// as the attribute (opsets < 18) or a constant input; noop_with_empty_axes irrelevant (axes given).
// The result is the same arithmetic (mean or max over H*W per channel), so outputs are equal up to
// summation order.
#include <algorithm>

#include "fusions/fusion_util.h"
#include "fusions/passes.h"

namespace edgeinfer::fusions {

Status ReduceToGlobalPool(Graph& g, PassContext& ctx) {
  for (NodeId id : g.NodeIds()) {
    const Node n = g.node(id);
    if (n.op != "ReduceMean" && n.op != "ReduceMax") continue;
    const Value& x = g.value(n.inputs[0]);
    if (x.shape.rank() != 4 || !IsFloating(x.dtype)) {
      ctx.Refuse(n.name, "input is not a rank-4 float tensor");
      continue;
    }
    std::vector<int64_t> axes = n.attrs.GetInts("axes");
    if (axes.empty() && n.inputs.size() > 1 && n.inputs[1] != kNoValue) {
      const Tensor* t = ConstantOf(g, n.inputs[1]);
      if (!t) {
        ctx.Refuse(n.name, "axes is not a constant");
        continue;
      }
      for (int64_t i = 0; i < t->numel(); ++i) axes.push_back(t->GetAsInt64(i));
    }
    for (int64_t& a : axes) if (a < 0) a += 4;
    std::sort(axes.begin(), axes.end());
    if (axes != std::vector<int64_t>{2, 3}) {
      ctx.Refuse(n.name, "does not reduce exactly the two spatial axes {2,3}");
      continue;
    }
    const std::string pool = n.op == "ReduceMean" ? "GlobalAveragePool" : "GlobalMaxPool";
    const bool keep = n.attrs.GetInt("keepdims", 1) != 0;
    const ValueId in = n.inputs[0], out = n.outputs[0];
    if (keep) {
      NodeId p = ReplaceWithNode(g, {id}, pool, n.name, {in}, {out}, {});
      EI_RETURN_IF_ERROR(InferAndStore(g, p));
      ctx.Fused(pool, {n.name}, n.name);
    } else {
      Shape ps({x.shape.dims[0], x.shape.dims[1], 1, 1});
      if (!x.shape.symbols.empty()) ps.symbols = {x.shape.symbols[0], "", "", ""};
      ValueId pooled = g.AddValue(n.name + "_pooled", x.dtype, ps);
      NodeId p = ReplaceWithNode(g, {id}, pool, n.name, {in}, {pooled}, {});
      EI_RETURN_IF_ERROR(InferAndStore(g, p));
      Attributes fa;
      fa.Set("axis", int64_t{1});
      NodeId f = g.AddNode("Flatten", n.name + "_flatten", {pooled}, {out}, fa);
      EI_RETURN_IF_ERROR(InferAndStore(g, f));
      ctx.Fused(pool + "+Flatten", {n.name}, n.name);
    }
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
