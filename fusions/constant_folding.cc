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
//
// Then the exporters' shape arithmetic over a symbolic batch (x.view(x.size(0), ...): Shape ->
// Gather -> Unsqueeze -> Concat -> Reshape; chunk sizes; ShuffleNet's channel shuffle). The graph
// is evaluated with the batch bound to 1, 2 and 7: an integer result equal at all three does not
// depend on the batch and becomes a constant; a Reshape target whose leading entry is the batch
// itself (1, 2, 7) and whose other entries are equal becomes the constant with ONNX Reshape's 0
// ("copy the input's dim") there, valid when the data's dim 0 is the same symbolic batch and
// allowzero is off. The chain, now unused, is removed: every engine sees plain Reshapes and Splits
// (the GPU executor and the DLA cannot run Shape).
#include <algorithm>

#include "fusions/fusion_util.h"
#include "fusions/passes.h"
#include "graph/op_table.h"
#include "graph/shape_inference.h"

namespace edgeinfer::fusions {

namespace {

bool HasSymbolicBatch(const Graph& g) {
  for (ValueId v : g.inputs()) {
    const Shape& s = g.value(v).shape;
    if (s.rank() > 0 && s.dims[0] == kDynamic) return true;
  }
  return false;
}

// Removes live nodes none of whose outputs is read or is a graph output, until none is left.
void RemoveUnusedNodes(Graph& g) {
  for (bool changed = true; changed;) {
    changed = false;
    const auto consumers = g.ConsumerMap();
    for (NodeId id : g.NodeIds()) {
      bool used = false;
      for (ValueId o : g.node(id).outputs)
        used = used || (o != kNoValue && (!consumers[static_cast<size_t>(o)].empty() || g.IsGraphOutput(o)));
      if (!used) {
        g.RemoveNode(id);
        changed = true;
      }
    }
  }
}

bool SameInt64(const Tensor& a, const Tensor& b) {
  if (a.dims() != b.dims() || a.numel() != b.numel()) return false;
  for (int64_t i = 0; i < a.numel(); ++i)
    if (a.GetAsInt64(i) != b.GetAsInt64(i)) return false;
  return true;
}

Status FoldBatchShapeChains(Graph& g, PassContext& ctx) {
  if (!HasSymbolicBatch(g)) return Status::Ok();
  bool has_shape = false;
  for (NodeId id : g.NodeIds()) has_shape = has_shape || g.node(id).op == "Shape" || g.node(id).op == "Size";
  if (!has_shape) return Status::Ok();
  // The graph at three batch sizes, shape arithmetic folded in each.
  constexpr int64_t kBatches[3] = {1, 2, 7};
  std::vector<Graph> at(3, g);
  for (int k = 0; k < 3; ++k) {
    for (ValueId v : at[k].inputs()) {
      Shape& sh = at[k].value(v).shape;
      if (sh.rank() > 0 && sh.dims[0] == kDynamic) {
        sh.dims[0] = kBatches[k];
        if (!sh.symbols.empty()) sh.symbols[0].clear();
      }
    }
    if (!InferShapes(at[k]).ok()) return Status::Ok();   // not bindable this way: leave the chains
    if (!FoldShapeArithmetic(at[k]).ok()) return Status::Ok();
  }
  auto folded = [&](ValueId v, int k) -> const Tensor* {
    const Value& x = at[static_cast<size_t>(k)].value(v);
    return x.IsConstant() && x.dtype == DType::kInt64 ? x.constant.get() : nullptr;
  };
  bool any = false;
  // 1. Integer results that are the same at every batch (channel counts, split sizes, H x W, ...)
  //    do not depend on the batch: they become constants.
  for (NodeId id : g.NodeIds()) {
    const Node& n = g.node(id);
    bool all = !n.outputs.empty();
    for (ValueId o : n.outputs) {
      const Tensor* t0 = o == kNoValue || g.value(o).IsConstant() ? nullptr : folded(o, 0);
      all = all && t0 && folded(o, 1) && folded(o, 2) && SameInt64(*t0, *folded(o, 1)) && SameInt64(*t0, *folded(o, 2));
    }
    if (!all) continue;
    const std::vector<ValueId> outs = n.outputs;
    const std::string name = n.name;
    g.RemoveNode(id);
    for (ValueId o : outs) g.value(o).constant = at[0].value(o).constant;
    ctx.Fused("BatchIndependentShape", {name}, "");
    any = true;
  }
  // 2. Reshape targets whose only batch dependence is their leading entry being the batch.
  for (NodeId id : g.NodeIds()) {
    const Node& n = g.node(id);
    if (n.op != "Reshape" || n.inputs.size() < 2 || n.inputs[1] == kNoValue || g.value(n.inputs[1]).IsConstant() ||
        n.attrs.GetInt("allowzero", 0) != 0)
      continue;
    const ValueId target = n.inputs[1];
    const Tensor* t[3] = {folded(target, 0), folded(target, 1), folded(target, 2)};
    const Shape& data = g.value(n.inputs[0]).shape;
    if (!t[0] || !t[1] || !t[2] || t[0]->numel() != t[1]->numel() || t[0]->numel() != t[2]->numel()) continue;
    std::vector<int64_t> shape;
    bool ok = true;
    for (int64_t i = 0; i < t[0]->numel() && ok; ++i) {
      const int64_t a = t[0]->GetAsInt64(i), b = t[1]->GetAsInt64(i), c = t[2]->GetAsInt64(i);
      if (a == b && b == c) shape.push_back(a);
      else if (i == 0 && a == kBatches[0] && b == kBatches[1] && c == kBatches[2] && data.rank() > 0 && data.dims[0] == kDynamic)
        shape.push_back(0);
      else ok = false;
    }
    if (!ok) {
      ctx.Refuse(n.name, "Reshape target depends on the batch other than as its leading dim; left to run at run time");
      continue;
    }
    const ValueId c = g.AddConstant(n.name + "_target", Tensor::FromVector(DType::kInt64, {static_cast<int64_t>(shape.size())}, shape));
    g.node(id).inputs[1] = c;
    ctx.Fused("BatchShapeChain", {g.node(id).name}, "");
    any = true;
  }
  if (any) {
    RemoveUnusedNodes(g);
    EI_RETURN_IF_ERROR(InferShapes(g).WithContext("after folding Reshape targets"));   // targets now static: sharper shapes
  }
  return Status::Ok();
}

}  // namespace

int FoldStaticShapes(Graph& g) {
  int folded = 0;
  for (NodeId id : g.NodeIds()) {
    std::optional<Tensor> t = StaticShapeValue(g, g.node(id));
    if (!t) continue;
    const ValueId out = g.node(id).outputs[0];
    g.RemoveNode(id);
    g.value(out).constant = std::make_shared<const Tensor>(std::move(*t));
    ++folded;
  }
  return folded;
}

Status FoldShapeArithmetic(Graph& g) {
  // Rounds: a Reshape whose target just folded gets a static output shape, which lets the next
  // Shape of it fold (ShuffleNet's view -> transpose -> view reads Shape after the first view).
  // Each round folds at least one node or stops, so the live node count bounds the rounds.
  const size_t rounds = g.NumLiveNodes() + 1;
  for (size_t round = 0; round < rounds; ++round) {
    if (FoldStaticShapes(g) == 0) return Status::Ok();
    PassContext quiet;
    EI_RETURN_IF_ERROR(ConstantFolding(g, quiet));
    EI_RETURN_IF_ERROR(InferShapes(g));
  }
  return Status::Ok();
}

Status ConstantFoldingPass(Graph& g, PassContext& ctx) {
  EI_RETURN_IF_ERROR(ConstantFolding(g, ctx));
  return FoldBatchShapeChains(g, ctx);
}

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
