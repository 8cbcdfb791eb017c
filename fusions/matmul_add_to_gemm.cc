// MatMul (+ Add of a bias) normalised to Gemm, the one form the Gemm fusions and devices handle.
//
//   A[M,K] ─► MatMul(B[K,N]) ─► Add(c[N] | c[1,N]) ─► Y   =>  A ─► Gemm(A, B, c) ─► Y
//   A[M,K] ─► MatMul(B[K,N]) ─► Y                          =>  A ─► Gemm(A, B) ─► Y
//
// Guards: A has rank 2 (Gemm is 2-D; a batched MatMul stays); B is a rank-2 constant; for the Add,
// the MatMul output flows only into it and the bias is a constant of N or 1xN elements.
#include "fusions/fusion_util.h"
#include "fusions/passes.h"

namespace edgeinfer::fusions {

Status MatMulAddToGemm(Graph& g, PassContext& ctx) {
  for (NodeId id : g.NodeIds()) {
    if (!g.node(id).alive || g.node(id).op != "MatMul") continue;
    const Node mm = g.node(id);
    const ValueId a = mm.inputs[0], b = mm.inputs[1], y = mm.outputs[0];
    if (g.value(a).shape.rank() != 2) {
      ctx.Refuse(mm.name, "A has rank " + std::to_string(g.value(a).shape.rank()) + "; Gemm is 2-D");
      continue;
    }
    const Tensor* bt = ConstantOf(g, b);
    if (!bt || bt->rank() != 2) { ctx.Refuse(mm.name, "B is not a rank-2 constant"); continue; }
    const int64_t n = bt->dim(1);
    // An Add of a per-column bias becomes C.
    std::vector<NodeId> cons = ConsumersOf(g, y);
    if (cons.size() == 1 && g.node(cons[0]).op == "Add" && SingleUseReason(g, y).empty()) {
      const Node& add = g.node(cons[0]);
      const ValueId other = add.inputs[0] == y ? add.inputs[1] : add.inputs[0];
      const Tensor* c = ConstantOf(g, other);
      if (c && (c->numel() == n) && (c->rank() == 1 || (c->rank() == 2 && c->dim(0) == 1))) {
        const std::string add_name = add.name;
        const ValueId out = add.outputs[0];
        ReplaceWithNode(g, {id, cons[0]}, "Gemm", mm.name, {a, b, other}, {out}, {});
        ctx.Fused("MatMulAddToGemm", {mm.name, add_name}, mm.name);
        continue;
      }
      ctx.Refuse(add.name, "Add operand is not a constant bias of N or 1xN elements; MatMul alone becomes Gemm");
    }
    ReplaceWithNode(g, {id}, "Gemm", mm.name, {a, b}, {y}, {});
    ctx.Fused("MatMulToGemm", {mm.name}, mm.name);
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
