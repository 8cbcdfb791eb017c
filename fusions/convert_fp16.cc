// FP16 mode: the compute nodes (Conv, Gemm and the fused ops) hold FP16 weights and read and write
// FP16 values (DType::kFloat16); their reference accumulates in FP32 (graph/ops/fused.h) and rounds
// once to FP16.
//
//   X ─► ConvBiasAct(W) ─► Y   =>   X ─► Cast(f16) ─► ConvBiasAct(W16) ─► Y16 ─► Cast(f32) ─► Y
//   (between FP16 nodes the casts vanish: a consumer reads Y16 directly)
//
// Guards: X float32; weights and bias float32 constants. Layout ops that only move elements
// (Split, Flatten, Reshape, Squeeze, Unsqueeze, Transpose, Concat of FP16 inputs) keep FP16 flowing;
// every other op stays FP32 behind a Cast. A bare Conv/Gemm becomes ConvBiasAct/GemmBiasAct
// without activation (the FP16 reference lives with the fused ops). Casts nobody reads are removed.
#include <map>

#include "fusions/fusion_util.h"
#include "fusions/passes.h"
#include "graph/ops/fused.h"

namespace edgeinfer::fusions {

namespace {

ValueId HalfConstant(Graph& g, ValueId v) {
  const Tensor* t = ConstantOf(g, v);
  return g.AddConstant(g.value(v).name + "_f16", t->CastTo(DType::kFloat16));
}

}  // namespace

Status ConvertFp16(Graph& g, PassContext& ctx) {
  std::map<ValueId, ValueId> half;   // float32 value -> its FP16 version
  std::vector<NodeId> casts_back;
  auto to_half = [&](ValueId v) {
    auto it = half.find(v);
    if (it != half.end()) return it->second;
    ValueId h = g.AddValue(g.value(v).name + "_f16", DType::kFloat16, g.value(v).shape);
    Attributes a;
    a.Set("to", static_cast<int64_t>(DType::kFloat16));
    g.AddNode("Cast", g.value(v).name + "_to_f16", {v}, {h}, a);
    half[v] = h;
    return h;
  };
  auto output_half = [&](NodeId id, size_t slot) {
    const ValueId fv = g.node(id).outputs[slot];
    ValueId h = g.AddValue(g.value(fv).name + "_f16", DType::kFloat16, g.value(fv).shape);
    g.node(id).outputs[slot] = h;
    g.value(h).producer = id;
    g.value(fv).producer = kNoNode;
    Attributes a;
    a.Set("to", static_cast<int64_t>(DType::kFloat32));
    casts_back.push_back(g.AddNode("Cast", g.value(fv).name + "_to_f32", {h}, {fv}, a));
    half[fv] = h;
  };
  int converted = 0;
  EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopoOrder());
  for (NodeId id : order) {
    const Node n = g.node(id);
    const bool compute = n.op == "Conv" || n.op == "Gemm" || ops::IsFusedOp(n.op);
    if (compute) {
      const DType xt = g.value(n.inputs[0]).dtype;
      if (xt == DType::kInt8) continue;   // quantized already (INT8 mode with FP16 fallbacks)
      if (xt != DType::kFloat32) { ctx.Refuse(n.name, std::string("stays as it is: input is ") + DTypeName(xt)); continue; }
      bool consts = ConstantOf(g, n.inputs[1]) && ConstantOf(g, n.inputs[1])->dtype() == DType::kFloat32;
      for (size_t i = 2; i < n.inputs.size() && i < 3; ++i) {
        if (n.inputs[i] != kNoValue && (!ConstantOf(g, n.inputs[i]) || ConstantOf(g, n.inputs[i])->dtype() != DType::kFloat32)) consts = false;
      }
      if (!consts) { ctx.Refuse(n.name, "stays float32: weights or bias are not float32 constants"); continue; }
      std::vector<ValueId> in = n.inputs;
      in[0] = to_half(in[0]);
      in[1] = HalfConstant(g, in[1]);
      if (in.size() > 2 && in[2] != kNoValue) in[2] = HalfConstant(g, in[2]);
      if (n.op == "ConvEltwiseAct") in[3] = to_half(in[3]);
      Node& m = g.node(id);
      m.inputs = in;
      if (m.op == "Conv") m.op = "ConvBiasAct";
      if (m.op == "Gemm") m.op = "GemmBiasAct";
      output_half(id, 0);
      ++converted;
      ctx.Fused("ConvertFp16", {n.name}, n.name);
      continue;
    }
    const bool layout = n.op == "Split" || n.op == "Flatten" || n.op == "Reshape" || n.op == "Squeeze" ||
                        n.op == "Unsqueeze" || n.op == "Transpose" || n.op == "Concat";
    if (!layout || n.inputs.empty()) continue;
    const size_t data_inputs = n.op == "Concat" ? n.inputs.size() : 1;
    bool all_half = true;
    for (size_t i = 0; i < data_inputs; ++i) all_half = all_half && half.count(n.inputs[i]);
    if (!all_half) continue;
    for (size_t i = 0; i < data_inputs; ++i) g.node(id).inputs[i] = half[n.inputs[i]];
    for (size_t i = 0; i < n.outputs.size(); ++i) output_half(id, i);
  }
  int removed = 0;
  for (NodeId c : casts_back) {
    ValueId out = g.node(c).outputs[0];
    if (!g.IsGraphOutput(out) && ConsumersOf(g, out).empty()) { g.RemoveNode(c); ++removed; }
  }
  if (ctx.report) {
    ctx.report->notes.push_back("fp16: " + std::to_string(converted) + " compute nodes in FP16 (FP32 accumulation), " +
                                std::to_string(casts_back.size() - static_cast<size_t>(removed)) + " casts back to FP32");
  }
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
