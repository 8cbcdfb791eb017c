// Explicitly quantized (Q/DQ) ONNX models: the QuantizeLinear/DequantizeLinear pairs are read as
// they are and turned into the scales the INT8 quantizer uses, so the model's own quantization
// (from quantization-aware training or another tool) decides the INT8 graph.
//
//   X ─► Q(s) ─► DQ(s) ─► Conv      =>   X ─► Conv        amax[X] = 127 * s  (used by quantize_int8)
//   Wq(int8) ─► DQ(sw, axis 0) ─► Conv   =>   W = sw * Wq (float constant) ─► Conv
//   W(float) ─► Q(sw) ─► DQ(sw) ─► Conv  =>   W = DQ(Q(W)) (float constant, the fake-quantized values)
//
// Guards: scales are constants; zero points absent or 0 with int8 (an asymmetric uint8 pair is left
// in place as float Q/DQ and reported); the Q output is read only by DQs. The weight scales are not
// carried over one for one: quantize_int8 requantizes the dequantized weights per channel with
// max|w|/127, which gives back the same integers whenever a channel uses the full [-127, 127]
// range (the usual case for symmetric max calibration) and a finer scale otherwise.
// With --precision fp32/fp16 the model simply becomes its float equivalent.
#include "fusions/calibration.h"
#include "fusions/fusion_util.h"
#include "fusions/passes.h"
#include "graph/op_table.h"
#include "graph/shape_inference.h"

namespace edgeinfer::fusions {

namespace {

// Zero point of a Q/DQ node is absent or an int8/uint8 zero; `asym` tells a non-zero (or uint8 with
// a zero point) case apart.
bool SymmetricInt8(const Graph& g, const Node& n) {
  if (n.inputs.size() < 3 || n.inputs[2] == kNoValue) return false;   // absent: uint8 by ONNX rules
  const Tensor* zp = ConstantOf(g, n.inputs[2]);
  if (!zp || zp->dtype() != DType::kInt8) return false;
  for (int64_t i = 0; i < zp->numel(); ++i) if (zp->GetAsInt64(i) != 0) return false;
  return true;
}

Status FoldConstantNode(Graph& g, NodeId id) {
  const Node& n = g.node(id);
  const OpDef* def = FindOp(n.op);
  InferContext ictx = MakeInferContext(g, n);
  EI_RETURN_IF_ERROR(InferNode(*def, ictx));
  Tensor out(ictx.out_dtype[0], ictx.out_shape[0].dims);
  std::vector<const Tensor*> in;
  for (ValueId v : n.inputs) in.push_back(v == kNoValue ? nullptr : g.value(v).constant.get());
  EI_RETURN_IF_ERROR(def->reference(n, in, {&out}));
  const ValueId o = n.outputs[0];
  g.RemoveNode(id);
  g.value(o).constant = std::make_shared<const Tensor>(std::move(out));
  return Status::Ok();
}

}  // namespace

Status ConvertQdq(Graph& g, PassContext& ctx) {
  int pairs = 0, weights = 0;
  auto table = std::make_shared<CalibrationTable>();
  table->calibrator = "qdq";
  EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopoOrder());
  for (NodeId id : order) {
    if (!g.node(id).alive || g.node(id).op != "DequantizeLinear") continue;
    const Node dq = g.node(id);
    const ValueId src = dq.inputs[0];
    // Weights: DQ of a constant, or DQ(Q(constant)).
    if (g.value(src).IsConstant()) {
      EI_RETURN_IF_ERROR(FoldConstantNode(g, id));
      ++weights;
      ctx.Fused("QdqWeight", {dq.name}, "");
      continue;
    }
    const NodeId qid = g.value(src).producer;
    if (qid == kNoNode || g.node(qid).op != "QuantizeLinear") continue;
    const Node q = g.node(qid);
    if (g.value(q.inputs[0]).IsConstant()) {
      EI_RETURN_IF_ERROR(FoldConstantNode(g, qid));
      EI_RETURN_IF_ERROR(FoldConstantNode(g, id));
      ++weights;
      ctx.Fused("QdqWeight", {q.name, dq.name}, "");
      continue;
    }
    // Activation pair.
    const Tensor* qs = ConstantOf(g, q.inputs[1]);
    const Tensor* ds = ConstantOf(g, dq.inputs[1]);
    if (!qs || !ds || qs->numel() != 1 || ds->numel() != 1 || qs->GetAsDouble(0) != ds->GetAsDouble(0)) {
      ctx.Refuse(dq.name, "activation Q/DQ scales are not equal constant scalars; left as float Q/DQ");
      continue;
    }
    if (!SymmetricInt8(g, q) || !SymmetricInt8(g, dq)) {
      ctx.Refuse(dq.name, "zero point is not an int8 zero (asymmetric or uint8); left as float Q/DQ");
      continue;
    }
    bool only_dq = true;
    for (NodeId c : ConsumersOf(g, src)) only_dq = only_dq && g.node(c).op == "DequantizeLinear";
    if (!only_dq || g.IsGraphOutput(src)) { ctx.Refuse(q.name, "Q output read by something other than DQ"); continue; }
    const float amax = static_cast<float>(qs->GetAsDouble(0) * 127.0);
    const ValueId x = q.inputs[0], y = dq.outputs[0];
    table->amax[g.value(x).name] = amax;
    table->amax[g.value(y).name] = amax;
    if (!BypassNode(g, id, x, y)) { ctx.Refuse(dq.name, "cannot bypass (graph input to graph output)"); continue; }
    if (ConsumersOf(g, src).empty()) g.RemoveNode(qid);
    ++pairs;
    ctx.Fused("QdqActivation", {q.name, dq.name}, "");
  }
  if (pairs + weights > 0) {
    ctx.qdq_scales = table;
    if (ctx.report) {
      ctx.report->notes.push_back("qdq: " + std::to_string(pairs) + " activation Q/DQ pairs read as scales, " +
                                  std::to_string(weights) + " quantized weights dequantized for requantization");
    }
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
