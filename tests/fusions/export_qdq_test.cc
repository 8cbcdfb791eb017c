// fusions/export_qdq: an INT8 graph written as a standard Q/DQ ONNX model.
//   * the written model is plain ONNX (only ONNX ops, int8 zero points 0, per-channel weight DQs),
//     survives ExportOnnx -> ImportOnnx, and the reference executor running it (ONNX Runtime's QDQ
//     semantics) agrees with our INT8 graph within a stated tolerance, argmax included;
//   * compiling the written model again (convert_qdq + quantize_int8) gives back the same INT8
//     graph: same ops, same scales, same int8 weights and int32 biases, and bit-identical outputs.
#include "fusions/export_qdq.h"

#include <cstring>

#include "fusions/pass_list.h"
#include "graph/onnx_export.h"
#include "graph/onnx_import.h"
#include "graph/op_table.h"
#include "tests/fusions/int8_test_net.h"

namespace edgeinfer::testing {
namespace {

// conv1-relu -> conv2 (+ residual) -> relu -> maxpool -> [conv_a-relu, conv_b-sigmoid] -> concat ->
// GAP -> flatten -> fc.
Graph ExportNet() {
  Builder b;
  ValueId x = b.Input("x", {1, 8, 12, 12});
  ValueId c1 = b.Op("Relu", "relu1", {b.Conv("conv1", x, 8, 3, 1, 1)});
  ValueId c2 = b.Conv("conv2", c1, 8, 3, 1, 1);
  ValueId r = b.Op("Relu", "relu2", {b.Op("Add", "add", {c2, c1})});
  Attributes pa;
  pa.Set("kernel_shape", std::vector<int64_t>{2, 2});
  pa.Set("strides", std::vector<int64_t>{2, 2});
  ValueId p = b.Op("MaxPool", "pool", {r}, pa);
  ValueId a = b.Op("Relu", "relu_a", {b.Conv("conv_a", p, 8, 1)});
  ValueId s = b.Op("Sigmoid", "sig_b", {b.Conv("conv_b", p, 8, 3, 1, 1)});
  Attributes ca;
  ca.Set("axis", int64_t{1});
  ValueId cat = b.Op("Concat", "concat", {a, s}, ca);
  ValueId gap = b.Op("GlobalAveragePool", "gap", {cat});
  Attributes fa;
  fa.Set("axis", int64_t{1});
  ValueId f = b.Op("Flatten", "flatten", {gap}, fa);
  Attributes ga;
  ga.Set("transB", int64_t{1});
  b.Output(b.Op("Gemm", "fc", {f, b.Rand("fc_w", {10, 16}, -0.5f, 0.5f), b.Rand("fc_b", {10})}, ga));
  return b.g;
}

Graph CompileInt8(const Graph& net, const fusions::CalibrationTable* table, fusions::CompileReport* rep) {
  Graph g = net;
  fusions::PipelineOptions po;
  po.precision = fusions::Precision::kInt8;
  po.calibration = table;
  Status s = fusions::RunPipeline(g, po, rep);
  EXPECT_TRUE(s.ok()) << s.message();
  return g;
}

fusions::CalibrationTable Calibrate(const Graph& g) {
  Graph canon = g;
  fusions::PipelineOptions po;
  po.stop_before = "conv_eltwise_act";
  fusions::CompileReport r0;
  EXPECT_TRUE(fusions::RunPipeline(canon, po, &r0).ok());
  return CalibrateOn(canon, 4);
}

Result<Graph> RoundTripFile(const Graph& qdq) {
  EI_ASSIGN_OR_RETURN(std::string bytes, ExportOnnxToBytes(qdq));
  return ImportOnnxFromBytes(bytes, "");
}

int64_t Argmax(const Tensor& t) {
  int64_t best = 0;
  for (int64_t i = 1; i < t.numel(); ++i) if (t.data<float>()[i] > t.data<float>()[best]) best = i;
  return best;
}

TEST(ExportQdq, WritesPlainOnnxThatRunsLikeOurInt8) {
  Graph net = ExportNet();
  fusions::CalibrationTable table = Calibrate(net);
  fusions::CompileReport rep;
  Graph g8 = CompileInt8(net, &table, &rep);
  ASSERT_TRUE(fusions::HasInt8(g8));
  auto qdq = fusions::Int8GraphToQdq(g8);
  ASSERT_TRUE(qdq.ok()) << qdq.status().message();
  int q = 0, dq = 0, per_channel = 0;
  for (NodeId id : qdq->NodeIds()) {
    const Node& n = qdq->node(id);
    const OpDef* def = FindOp(n.op);
    ASSERT_TRUE(def && def->op_class != OpClass::kFused) << n.op << " '" << n.name << "' is not an ONNX op";
    q += n.op == "QuantizeLinear";
    dq += n.op == "DequantizeLinear";
    if (n.op == "DequantizeLinear" && fusions::ConstantOf(*qdq, n.inputs[1]) && fusions::ConstantOf(*qdq, n.inputs[1])->numel() > 1) ++per_channel;
  }
  EXPECT_GT(q, 5);
  EXPECT_GT(dq, q);
  EXPECT_EQ(per_channel, 5 * 2);   // conv1, conv2, conv_a, conv_b, fc: int8 weight + int32 bias each
  auto back = RoundTripFile(*qdq);
  ASSERT_TRUE(back.ok()) << back.status().message();
  // The Q/DQ model's own semantics (reference executor: float ops between QuantizeLinear and
  // DequantizeLinear, as ONNX Runtime defines QDQ) against our INT8 kernels. They differ where the
  // Q/DQ graph rounds twice and our fixed-point requantization rounds once (half away from zero vs
  // the float Q's half to even), and in the int8 average pool: a few output steps of fc's y_scale.
  float y_scale = 0.f;
  for (NodeId id : g8.NodeIds()) if (g8.node(id).op == "GemmBiasAct") y_scale = g8.node(id).attrs.GetFloat("y_scale", 0.f);
  ASSERT_GT(y_scale, 0.f);
  int agree = 0;
  double worst = 0.0;
  for (uint32_t s = 0; s < 8; ++s) {
    auto in = RandomInputs(net, 500 + s);
    auto a = devices::RunReference(*back, in);
    auto b = devices::RunReference(g8, in);
    ASSERT_TRUE(a.ok() && b.ok()) << (a.ok() ? b.status().message() : a.status().message());
    const Tensor& ta = a->begin()->second;
    const Tensor& tb = b->begin()->second;
    for (int64_t i = 0; i < ta.numel(); ++i) worst = std::max(worst, std::fabs(static_cast<double>(ta.data<float>()[i]) - tb.data<float>()[i]));
    agree += Argmax(ta) == Argmax(tb);
  }
  EXPECT_LE(worst, 4.0 * y_scale) << "in output steps: " << worst / y_scale;
  EXPECT_GE(agree, 7);
}

TEST(ExportQdq, CompilingTheExportGivesBackTheSameInt8Graph) {
  Graph net = ExportNet();
  fusions::CalibrationTable table = Calibrate(net);
  fusions::CompileReport rep;
  Graph g8 = CompileInt8(net, &table, &rep);
  auto qdq = fusions::Int8GraphToQdq(g8);
  ASSERT_TRUE(qdq.ok()) << qdq.status().message();
  auto back = RoundTripFile(*qdq);
  ASSERT_TRUE(back.ok()) << back.status().message();
  fusions::CompileReport rep2;
  Graph again = CompileInt8(*back, nullptr, &rep2);   // no calibration: the model's Q/DQ only
  for (const auto& r : rep2.refusals)   // (horizontal_conv declining the two branches is not a Q/DQ matter)
    EXPECT_TRUE(r.pass != "convert_qdq" && r.pass != "quantize_int8") << r.pass << " '" << r.node << "': " << r.reason;
  // Same compute nodes in the same order, same scales and integers.
  auto compute = [](const Graph& g) {
    std::vector<NodeId> v;
    for (NodeId id : g.NodeIds())
      if (g.node(id).op.find("BiasAct") != std::string::npos || g.node(id).op == "ConvEltwiseAct") v.push_back(id);
    return v;
  };
  std::vector<NodeId> a = compute(g8), b = compute(again);
  ASSERT_EQ(a.size(), b.size()) << g8.DumpText() << "\n---\n" << again.DumpText();
  for (size_t i = 0; i < a.size(); ++i) {
    const Node& na = g8.node(a[i]);
    const Node& nb = again.node(b[i]);
    EXPECT_EQ(na.op, nb.op) << na.name;
    EXPECT_EQ(na.attrs.GetString("activation", ""), nb.attrs.GetString("activation", "")) << na.name;
    for (const char* s : {"x_scale", "y_scale", "r_scale", "act_in_scale"})
      EXPECT_EQ(na.attrs.GetFloat(s, 0.f), nb.attrs.GetFloat(s, 0.f)) << na.name << " " << s;
    EXPECT_EQ(na.attrs.GetFloats("w_scale"), nb.attrs.GetFloats("w_scale")) << na.name;
    for (size_t k = 1; k < 3 && k < na.inputs.size(); ++k) {
      const Tensor* ta = fusions::ConstantOf(g8, na.inputs[k]);
      const Tensor* tb = fusions::ConstantOf(again, nb.inputs[k]);
      ASSERT_TRUE(ta && tb) << na.name << " input " << k;
      ASSERT_EQ(ta->bytes(), tb->bytes()) << na.name << " input " << k;
      EXPECT_EQ(0, std::memcmp(ta->raw(), tb->raw(), ta->bytes())) << na.name << " input " << k << " differs";
    }
  }
  EXPECT_EQ(rep.layers_after, rep2.layers_after);
  for (uint32_t s = 0; s < 3; ++s) {
    auto in = RandomInputs(net, 900 + s);
    auto ra = devices::RunReference(g8, in);
    auto rb = devices::RunReference(again, in);
    ASSERT_TRUE(ra.ok() && rb.ok());
    const Tensor& ta = ra->begin()->second;
    const Tensor& tb = rb->begin()->second;
    ASSERT_EQ(ta.bytes(), tb.bytes());
    EXPECT_EQ(0, std::memcmp(ta.raw(), tb.raw(), ta.bytes())) << "round-tripped INT8 graph differs";
  }
}

TEST(ExportQdq, RefusesFp16Graphs) {
  Graph net = SmallResidualNet();
  Graph g = net;
  fusions::PipelineOptions po;
  po.precision = fusions::Precision::kFp16;
  fusions::CompileReport rep;
  ASSERT_TRUE(fusions::RunPipeline(g, po, &rep).ok());
  auto qdq = fusions::Int8GraphToQdq(g);
  ASSERT_FALSE(qdq.ok());
  EXPECT_NE(qdq.status().message().find("FP16"), std::string::npos) << qdq.status().message();
}

}  // namespace
}  // namespace edgeinfer::testing
