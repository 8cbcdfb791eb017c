// Explicitly quantized (Q/DQ) ONNX models, as ONNX Runtime's quantize_static (QDQ format),
// TensorRT's Model Optimizer and PyTorch export write them: the QuantizeLinear/DequantizeLinear
// nodes are read as the model's own quantization decisions and removed, so quantize_int8 (which
// runs for a Q/DQ model at any --precision) builds the same native INT8 graph as from a
// calibration table: int8 tensors, per-channel int8 weights, int32 bias, requantization, fused
// activations. The scales are carried exactly (PassContext::qdq_exact), not re-derived.
//
//   activation pair   X ─► Q(s, z) ─► DQ(s, z) ─► consumers      =>  X ─► consumers      scale[X] = s
//   weight            Wq(int8, axis 0) ─► DQ(sw[k], 0) ─► Conv   =>  W = sw * Wq ─► Conv  weight scales sw (exact)
//   bias              Bq(int32) ─► DQ(sx * sw[k], 0) ─► Conv     =>  B = float constant (requantized to
//                                                                    the same int32 by quantize_int8)
//   fake-quant weight W ─► Q(sw) ─► DQ(sw) ─► Conv               =>  W = DQ(Q(W)) with scales sw
//   residual / concat Q/DQ on every input and the output of Add / Concat: pairs as above; the Add
//                     becomes part of ConvEltwiseAct, the Concat concatenates int8 at one scale
//   MaxPool / GlobalAveragePool / Reshape / Flatten between pairs: quantize_int8 carries int8
//                     through them (scale-preserving; the pool's output pair gives its scale)
//
// Zero points. Our INT8 arithmetic is symmetric (zero point 0, docs/int8-arithmetic.md), on every
// engine (CPU reference and oneDNN path, emulated DLA, CUDA): no kernel takes a zero point.
//   * exact: int8 with z = 0, and uint8 with z = 128 (the same 256 real values, shifted by 128).
//   * asymmetric (ONNX Runtime's default QUInt8 activations, and QInt8 without ActivationSymmetric):
//     the pair's real range [s*(qmin-z), s*(qmax-z)] is widened to the symmetric int8 scale that
//     covers it, max(|lo|, |hi|) / 127 (about 2x coarser for a post-ReLU uint8 tensor with z = 0:
//     127 instead of 255 steps over the same range, as TensorRT, which has no zero points, does).
//     When lo = 0 the quantizer was also the network's ReLU (ONNX Runtime removes a Relu/Clip whose
//     input it quantizes asymmetrically: the Q's saturation at 0 is the ReLU), so the DQ becomes a
//     Relu, which the fusions absorb into the convolution (none where the input is non-negative
//     by construction: a pool, reshape or Concat of ReLU outputs). Not bit-equal to the Q/DQ graph's
//     semantics; the tolerance is stated in tests/fusions/convert_qdq_test.cc. Pass option
//     qdq_asymmetric=refuse keeps such pairs as float Q/DQ instead (each refused by name).
//
// Guards (each refusal names the node and stays float Q/DQ): scales and zero points are constants;
// an activation pair's scale is one scalar, equal in Q and DQ, zero points equal; the Q output is
// read only by DQs and is not a graph output; a DQ of a non-constant without its Q (an int8 graph
// input) stays. A weight with non-zero zero points is dequantized and quantize_int8 requantizes it
// symmetric (max|w| / 127; recorded as QdqWeightRequantized).
#include <cmath>

#include "fusions/calibration.h"
#include "fusions/fusion_util.h"
#include "fusions/passes.h"
#include "graph/op_table.h"
#include "graph/shape_inference.h"

namespace edgeinfer::fusions {

namespace {

struct PairParams {
  double scale = 0.0;
  int64_t zero_point = 0;
  int64_t qmin = -128, qmax = 127;
};

// Scale and zero point of a Q or DQ node when both are constant scalars. Empty string when fine,
// else the reason.
std::string ScalarParams(const Graph& g, const Node& n, PairParams* p) {
  const Tensor* s = n.inputs.size() > 1 ? ConstantOf(g, n.inputs[1]) : nullptr;
  if (!s) return "scale is not a constant";
  if (s->numel() != 1) return "per-channel activation scale (" + std::to_string(s->numel()) + " entries)";
  p->scale = s->GetAsDouble(0);
  if (!(p->scale > 0.0) || !std::isfinite(p->scale)) return "scale is not a positive finite number";
  // The quantized type: a DQ's input; a Q's zero point (absent: uint8, as ONNX says).
  DType qt = n.op == "DequantizeLinear" ? g.value(n.inputs[0]).dtype : DType::kUInt8;
  p->zero_point = 0;
  if (n.inputs.size() > 2 && n.inputs[2] != kNoValue) {
    const Tensor* z = ConstantOf(g, n.inputs[2]);
    if (!z || z->numel() != 1) return "zero point is not a constant scalar";
    qt = z->dtype();
    p->zero_point = z->GetAsInt64(0);
  }
  if (qt == DType::kInt8) {
    p->qmin = -128, p->qmax = 127;
  } else if (qt == DType::kUInt8) {
    p->qmin = 0, p->qmax = 255;
  } else {
    return std::string("quantized type ") + DTypeName(qt) + " (int8 or uint8 only)";
  }
  return "";
}

// True when every element of v is >= 0 by construction: a Relu (or Clip at >= 0) output, or an
// order/average-preserving op (pools, reshapes, Concat) of such values. Then a Q whose saturation at
// 0 would be a ReLU changes nothing and no Relu is needed.
bool NonNegative(const Graph& g, ValueId v, int depth = 0) {
  if (depth > 64) return false;
  const NodeId p = g.value(v).producer;
  if (p == kNoNode) return false;
  const Node& n = g.node(p);
  if (n.op == "Relu") return true;
  if (n.op == "Clip" && n.inputs.size() > 1 && n.inputs[1] != kNoValue) {
    const Tensor* lo = ConstantOf(g, n.inputs[1]);
    return lo && lo->numel() == 1 && lo->GetAsDouble(0) >= 0.0;
  }
  static const char* kPreserving[] = {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape",
                                      "Squeeze", "Unsqueeze", "Transpose", "Split", "Identity", "Dropout"};
  for (const char* op : kPreserving)
    if (n.op == op) return !n.inputs.empty() && NonNegative(g, n.inputs[0], depth + 1);
  if (n.op == "Concat") {
    for (ValueId u : n.inputs) if (!NonNegative(g, u, depth + 1)) return false;
    return !n.inputs.empty();
  }
  return false;
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

// Records the scales of the weight quantizer `qn` (a DQ of an int8 constant, or the Q of
// DQ(Q(float))) for the float constant `w` it is folded into. False when a zero point is non-zero
// (the weight is then requantized symmetric by quantize_int8).
bool RecordWeightScales(const Graph& g, const Node& qn, const std::string& w, PassContext::QdqExact* exact) {
  const Tensor* s = ConstantOf(g, qn.inputs[1]);
  if (!s) return false;
  DType qt = qn.op == "DequantizeLinear" ? g.value(qn.inputs[0]).dtype : DType::kUInt8;
  if (qn.inputs.size() > 2 && qn.inputs[2] != kNoValue) {
    const Tensor* z = ConstantOf(g, qn.inputs[2]);
    if (!z) return false;
    qt = z->dtype();
    for (int64_t i = 0; i < z->numel(); ++i) if (z->GetAsInt64(i) != 0) return false;
  }
  if (qt != DType::kInt8) return false;   // uint8 weights are not symmetric
  std::vector<float> sc(static_cast<size_t>(s->numel()));
  for (int64_t i = 0; i < s->numel(); ++i) sc[static_cast<size_t>(i)] = static_cast<float>(s->GetAsDouble(i));
  int axis = -1;
  if (s->numel() > 1) {
    const int64_t rank = static_cast<int64_t>(g.value(qn.inputs[0]).shape.rank());
    int64_t a = qn.attrs.GetInt("axis", 1);
    if (a < 0) a += rank;
    axis = static_cast<int>(a);
  }
  exact->weight[w] = std::move(sc);
  exact->weight_axis[w] = axis;
  return true;
}

}  // namespace

Status ConvertQdq(Graph& g, PassContext& ctx) {
  int exact_pairs = 0, widened = 0, weights = 0, requantized_weights = 0;
  double worst_widening = 1.0;
  auto table = std::make_shared<CalibrationTable>();
  table->calibrator = "qdq";
  auto exact = std::make_shared<PassContext::QdqExact>();
  auto opt = ctx.options.find("qdq_asymmetric");
  const bool refuse_asymmetric = opt != ctx.options.end() && opt->second == "refuse";
  EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopoOrder());
  for (NodeId id : order) {
    if (!g.node(id).alive || g.node(id).op != "DequantizeLinear") continue;
    const Node dq = g.node(id);
    const ValueId src = dq.inputs[0];
    // Weights and biases: DQ of a constant, or DQ(Q(constant)).
    if (g.value(src).IsConstant()) {
      const bool is_weight = g.value(src).dtype != DType::kInt32;
      const bool exact_w = is_weight && RecordWeightScales(g, dq, g.value(dq.outputs[0]).name, exact.get());
      EI_RETURN_IF_ERROR(FoldConstantNode(g, id));
      if (is_weight && !exact_w) {
        ++requantized_weights;
        ctx.Fused("QdqWeightRequantized", {dq.name}, "");
      } else {
        ++weights;
        ctx.Fused(is_weight ? "QdqWeight" : "QdqBias", {dq.name}, "");
      }
      continue;
    }
    const NodeId qid = g.value(src).producer;
    if (qid == kNoNode || g.node(qid).op != "QuantizeLinear") {
      ctx.Refuse(dq.name, "stays float: DequantizeLinear of '" + g.value(src).name +
                              "', which no QuantizeLinear of this model produces (an int8 graph input)");
      continue;
    }
    const Node q = g.node(qid);
    if (g.value(q.inputs[0]).IsConstant()) {
      const bool exact_w = RecordWeightScales(g, q, g.value(dq.outputs[0]).name, exact.get());
      EI_RETURN_IF_ERROR(FoldConstantNode(g, qid));
      EI_RETURN_IF_ERROR(FoldConstantNode(g, id));
      ++(exact_w ? weights : requantized_weights);
      ctx.Fused(exact_w ? "QdqWeight" : "QdqWeightRequantized", {q.name, dq.name}, "");
      continue;
    }
    // Activation pair.
    PairParams qp, dp;
    std::string why = ScalarParams(g, q, &qp);
    if (why.empty()) why = ScalarParams(g, dq, &dp);
    if (!why.empty()) { ctx.Refuse(dq.name, "stays float Q/DQ: " + why); continue; }
    if (static_cast<float>(qp.scale) != static_cast<float>(dp.scale) || qp.zero_point != dp.zero_point || qp.qmin != dp.qmin) {
      ctx.Refuse(dq.name, "stays float Q/DQ: QuantizeLinear '" + q.name + "' and DequantizeLinear differ in scale or zero point (a requantization)");
      continue;
    }
    bool only_dq = true;
    for (NodeId c : ConsumersOf(g, src)) only_dq = only_dq && g.node(c).op == "DequantizeLinear";
    if (!only_dq || g.IsGraphOutput(src)) {
      ctx.Refuse(q.name, "stays float Q/DQ: its int8 output is read by something other than DequantizeLinear (or is a graph output)");
      continue;
    }
    const double lo = qp.scale * static_cast<double>(qp.qmin - qp.zero_point);
    const double hi = qp.scale * static_cast<double>(qp.qmax - qp.zero_point);
    const bool symmetric = qp.zero_point - qp.qmin == 128 && qp.qmax - qp.zero_point == 127;   // int8 z=0, uint8 z=128
    float scale = static_cast<float>(qp.scale);
    if (!symmetric) {
      if (refuse_asymmetric) {
        ctx.Refuse(dq.name, "stays float Q/DQ: zero point " + std::to_string(qp.zero_point) +
                                " (asymmetric; our INT8 kernels are symmetric and qdq_asymmetric=refuse was given)");
        continue;
      }
      scale = static_cast<float>(std::max(std::fabs(lo), std::fabs(hi)) / 127.0);
      worst_widening = std::max(worst_widening, static_cast<double>(scale) / qp.scale);
    }
    const ValueId x = q.inputs[0], y = dq.outputs[0];
    // lo == 0: the Q was the ReLU, unless its input cannot be negative anyway.
    const bool as_relu = !symmetric && qp.zero_point == qp.qmin && !NonNegative(g, q.inputs[0]);
    if (as_relu) {
      // The DQ becomes the ReLU its Q's saturation computed; its output keeps its name and consumers.
      Node& r = g.node(id);
      r.op = "Relu";
      r.inputs = {x};
      r.attrs = Attributes();
    } else if (!BypassNode(g, id, x, y)) {
      ctx.Refuse(dq.name, "stays float Q/DQ: cannot bypass (graph input to graph output)");
      continue;
    }
    table->amax[g.value(x).name] = scale * 127.f;
    table->amax[g.value(y).name] = scale * 127.f;
    exact->activation[g.value(x).name] = scale;
    exact->activation[g.value(y).name] = scale;
    if (ConsumersOf(g, src).empty()) g.RemoveNode(qid);
    if (symmetric) {
      ++exact_pairs;
      ctx.Fused("QdqActivation", {q.name, dq.name}, "");
    } else {
      ++widened;
      ctx.Fused(as_relu ? "QdqAsymmetricRelu" : "QdqAsymmetric", {q.name, dq.name}, as_relu ? dq.name : "");
    }
  }
  // A QuantizeLinear left without its DequantizeLinear (an int8 graph output) is listed too.
  for (NodeId id : g.NodeIds()) {
    if (g.node(id).op == "QuantizeLinear" && g.node(id).alive) {
      bool pair = false;
      for (NodeId c : ConsumersOf(g, g.node(id).outputs[0])) pair = pair || g.node(c).op == "DequantizeLinear";
      if (!pair) ctx.Refuse(g.node(id).name, "stays float: QuantizeLinear without a DequantizeLinear (an int8 graph output)");
    }
  }
  if (exact_pairs + widened + weights + requantized_weights > 0) {
    ctx.qdq_scales = table;
    ctx.qdq_exact = exact;
    if (ctx.report) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.2f", worst_widening);
      ctx.report->notes.push_back("qdq: " + std::to_string(exact_pairs) + " activation Q/DQ pairs taken exactly, " +
                                  std::to_string(widened) + " asymmetric pairs widened to symmetric int8 (worst step x" + buf + "), " +
                                  std::to_string(weights) + " weights/biases with their own scales, " +
                                  std::to_string(requantized_weights) + " weights requantized symmetric; the Q/DQ layers run INT8");
    }
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
