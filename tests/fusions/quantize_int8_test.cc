#include "fusions/calibration.h"
#include "fusions/pass_list.h"
#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"
#include "tests/fusions/int8_test_net.h"

namespace edgeinfer::testing {
namespace {

using fusions::CalibrationTable;

Graph Compile(const Graph& in, fusions::Precision p, const CalibrationTable* t, fusions::CompileReport* rep,
              std::map<std::string, std::string> opts = {}) {
  Graph g = in;
  fusions::PipelineOptions po;
  po.precision = p;
  po.calibration = t;
  po.pass_options = std::move(opts);
  Status s = fusions::RunPipeline(g, po, rep);
  EXPECT_TRUE(s.ok()) << s.message();
  return g;
}

// Calibrates `g` as the driver does: on its canonicalised, unfused form (every pre-activation
// tensor exists), over `batches` seeded batches.
CalibrationTable CalibrateCanonical(const Graph& g, int batches) {
  Graph canon = g;
  fusions::PipelineOptions po;
  po.stop_before = "conv_eltwise_act";
  fusions::CompileReport r0;
  Status s = fusions::RunPipeline(canon, po, &r0);
  EXPECT_TRUE(s.ok()) << s.message();
  return CalibrateOn(canon, batches);
}

double Sqnr(const Graph& a, const Graph& b, uint32_t seed) {
  auto in = RandomInputs(a, seed);
  auto ra = devices::RunReference(a, in);
  auto rb = devices::RunReference(b, in);
  EXPECT_TRUE(ra.ok() && rb.ok());
  double s = 0, n = 0;
  for (const auto& [name, t] : *ra) {
    const Tensor& u = rb->at(name);
    for (int64_t i = 0; i < t.numel(); ++i) {
      double d = t.GetAsDouble(i) - u.GetAsDouble(i);
      s += t.GetAsDouble(i) * t.GetAsDouble(i);
      n += d * d;
    }
  }
  return 10 * std::log10(s / n);
}

TEST(QuantizeInt8, QuantizesTheFusedNetAndKeepsItAccurate) {
  Graph net = SmallResidualNet();
  CalibrationTable table = CalibrateCanonical(net, 8);
  fusions::CompileReport r32, r8;
  Graph g32 = Compile(net, fusions::Precision::kFp32, nullptr, &r32);
  Graph g8 = Compile(net, fusions::Precision::kInt8, &table, &r8);
  // conv1 (ConvBiasAct), conv2 (ConvEltwiseAct) and fc (GemmBiasAct) are INT8.
  int int8_nodes = 0;
  for (NodeId id : g8.NodeIds()) {
    const Node& n = g8.node(id);
    if (n.op == "ConvBiasAct" || n.op == "ConvEltwiseAct" || n.op == "GemmBiasAct") {
      EXPECT_EQ(g8.value(n.inputs[0]).dtype, DType::kInt8) << n.name;
      EXPECT_EQ(g8.value(n.inputs[1]).dtype, DType::kInt8) << n.name;
      EXPECT_EQ(g8.value(n.inputs[2]).dtype, DType::kInt32) << n.name;
      EXPECT_TRUE(n.attrs.Has("x_scale") && n.attrs.Has("y_scale") && n.attrs.Has("w_scale")) << n.name;
      ASSERT_TRUE(g8.value(n.inputs[1]).quant.has_value());
      EXPECT_EQ(g8.value(n.inputs[1]).quant->scale.size(), static_cast<size_t>(g8.value(n.inputs[1]).shape.dims[0]));
      ++int8_nodes;
    }
  }
  EXPECT_EQ(int8_nodes, 3);
  // conv1 -> conv2 stays in int8: conv2's X is conv1's int8 output, not a QuantizeLinear's.
  for (NodeId id : g8.NodeIds()) {
    const Node& n = g8.node(id);
    if (n.name == "conv2") EXPECT_EQ(g8.node(g8.value(n.inputs[0]).producer).name, "conv1");
  }
  // One float entry (x into conv1 and the residual x share one QuantizeLinear) and the output DQ:
  // the GlobalAveragePool between conv2 and fc averages int8 at conv2's scale.
  EXPECT_EQ(CountOp(g8, "QuantizeLinear"), 1);
  EXPECT_EQ(CountOp(g8, "DequantizeLinear"), 1);
  for (NodeId id : g8.NodeIds()) {
    const Node& n = g8.node(id);
    if (n.op != "GlobalAveragePool") continue;
    EXPECT_EQ(g8.value(n.inputs[0]).dtype, DType::kInt8) << n.name;
    EXPECT_EQ(g8.value(n.outputs[0]).dtype, DType::kInt8) << n.name;
    // Requantized to its own calibrated range (narrower than the map's).
    ASSERT_TRUE(n.attrs.Has("y_scale")) << n.name;
    EXPECT_FLOAT_EQ(n.attrs.GetFloat("y_scale", 0.f), g8.value(n.outputs[0]).quant->scale[0]);
    EXPECT_FLOAT_EQ(n.attrs.GetFloat("x_scale", 0.f), g8.value(n.inputs[0]).quant->scale[0]);
    EXPECT_LT(n.attrs.GetFloat("y_scale", 0.f), n.attrs.GetFloat("x_scale", 0.f));
  }
  const double db = Sqnr(g32, g8, 777);
  EXPECT_GT(db, 25.0) << g8.DumpText();
}

TEST(QuantizeInt8, NodeStaysFloatWhenItsOutputWasNotCalibrated) {
  Graph net = SmallResidualNet();
  CalibrationTable table = CalibrateCanonical(net, 2);
  table.amax.erase("fc_out");
  fusions::CompileReport r8;
  Graph g8 = Compile(net, fusions::Precision::kInt8, &table, &r8);
  bool refused = false;
  for (const auto& r : r8.refusals) refused = refused || (r.node == "fc" && r.reason.find("no calibrated range") != std::string::npos);
  EXPECT_TRUE(refused);
  for (NodeId id : g8.NodeIds()) if (g8.node(id).name == "fc") EXPECT_EQ(g8.value(g8.node(id).inputs[0]).dtype, DType::kFloat32);
}

TEST(QuantizeInt8, NodeStaysFloatWhenExcludedByMixedPrecision) {
  Graph net = SmallResidualNet();
  CalibrationTable table = CalibrateCanonical(net, 2);
  fusions::CompileReport r32, r8;
  Graph g32 = Compile(net, fusions::Precision::kFp32, nullptr, &r32);
  Graph g8 = Compile(net, fusions::Precision::kInt8, &table, &r8, {{"int8_exclude", "conv2"}});
  for (NodeId id : g8.NodeIds()) {
    const Node& n = g8.node(id);
    if (n.name == "conv2") EXPECT_EQ(g8.value(n.inputs[0]).dtype, DType::kFloat32);
    if (n.name == "conv1") EXPECT_EQ(g8.value(n.inputs[0]).dtype, DType::kInt8);
  }
  EXPECT_GT(Sqnr(g32, g8, 778), 25.0);
}

TEST(QuantizeInt8, GemmWeightsAreStoredOutputChannelMajor) {
  Builder b;
  ValueId a = b.Input("a", {2, 16});
  Attributes ga;
  ga.Set("alpha", 0.5f);   // folded into the weights
  b.Output(b.Op("Gemm", "fc", {a, b.Rand("w", {16, 6}), b.Rand("c", {6})}, ga));   // B is [K, N]
  CalibrationTable t = CalibrateOn(b.g, 64);   // 12 outputs a batch: enough batches to see the range
  fusions::CompileReport r32, r8;
  Graph g32 = Compile(b.g, fusions::Precision::kFp32, nullptr, &r32);
  Graph g8 = Compile(b.g, fusions::Precision::kInt8, &t, &r8);
  bool seen = false;
  for (NodeId id : g8.NodeIds()) {
    const Node& n = g8.node(id);
    if (n.op != "GemmBiasAct") continue;
    seen = true;
    EXPECT_EQ(n.attrs.GetInt("transB", 0), 1);
    EXPECT_FLOAT_EQ(n.attrs.GetFloat("alpha", 0.f), 1.f);
    EXPECT_EQ(g8.value(n.inputs[1]).shape.dims, (std::vector<int64_t>{6, 16}));
    EXPECT_EQ(g8.value(n.inputs[1]).quant->axis, 0);
  }
  EXPECT_TRUE(seen);
  EXPECT_GT(Sqnr(g32, g8, 9), 30.0) << g8.DumpText();
}

TEST(QuantizeInt8, ConcatOfInt8BranchesStaysInt8AtTheConcatScale) {
  Builder b;
  ValueId x = b.Input("x", {1, 4, 6, 6});
  ValueId a = b.Op("Relu", "ra", {b.Conv("a", x, 3, 1)});
  ValueId c = b.Op("Relu", "rc", {b.Conv("c", x, 5, 3, 1, 1)});
  Attributes ca;
  ca.Set("axis", int64_t{1});
  ValueId cat = b.Op("Concat", "cat", {a, c}, ca);
  b.Output(b.Conv("after", cat, 2, 1));
  CalibrationTable t = CalibrateCanonical(b.g, 8);
  fusions::CompileReport r32, r8;
  Graph g32 = Compile(b.g, fusions::Precision::kFp32, nullptr, &r32);
  Graph g8 = Compile(b.g, fusions::Precision::kInt8, &t, &r8);
  EXPECT_EQ(CountOp(g8, "QuantizeLinear"), 1);     // the graph input only
  EXPECT_EQ(CountOp(g8, "DequantizeLinear"), 1);   // the graph output only
  for (NodeId id : g8.NodeIds()) {
    const Node& n = g8.node(id);
    if (n.op == "Concat") {
      EXPECT_EQ(g8.value(n.outputs[0]).dtype, DType::kInt8);
      EXPECT_EQ(n.attrs.GetInt("in_place", 0), 1);
    }
    if (n.name == "a" || n.name == "c") EXPECT_FLOAT_EQ(n.attrs.GetFloat("y_scale", 0.f), t.Scale("cat_out"));
  }
  EXPECT_GT(Sqnr(g32, g8, 12), 25.0);
}

// An Inception reduction block: Concat(MaxPool(s), Conv(s)). The pool keeps s's scale; when that
// covers the Concat's range the convolution branch requantizes into it and the Concat stays int8
// (before, the two scales differed and the Concat fell back to float).
TEST(QuantizeInt8, ConcatTakesAPoolBranchScaleThatCoversItsRange) {
  Builder b;
  ValueId x = b.Input("x", {1, 4, 8, 8});
  ValueId s = b.Op("Relu", "rs", {b.Conv("stem", x, 8, 3, 1, 1)});
  Attributes pa;
  pa.Set("kernel_shape", std::vector<int64_t>{3, 3});
  pa.Set("strides", std::vector<int64_t>{2, 2});
  ValueId p = b.Op("MaxPool", "pool", {s}, pa);
  ValueId c = b.Op("Relu", "rc", {b.Conv("branch", s, 8, 3, 2)});
  Attributes ca;
  ca.Set("axis", int64_t{1});
  ValueId cat = b.Op("Concat", "cat", {p, c}, ca);
  b.Output(b.Conv("after", cat, 2, 1));
  CalibrationTable t = CalibrateCanonical(b.g, 8);
  t.amax["rs_out"] = std::max(t.amax["rs_out"], t.amax["cat_out"] * 1.25f);   // the stem's range covers the Concat's
  fusions::CompileReport r32, r8;
  Graph g32 = Compile(b.g, fusions::Precision::kFp32, nullptr, &r32);
  Graph g8 = Compile(b.g, fusions::Precision::kInt8, &t, &r8);
  bool saw_concat = false;
  for (NodeId id : g8.NodeIds()) {
    const Node& n = g8.node(id);
    if (n.op == "Concat") {
      saw_concat = true;
      EXPECT_EQ(g8.value(n.outputs[0]).dtype, DType::kInt8);
    }
    if (n.name == "branch") EXPECT_FLOAT_EQ(n.attrs.GetFloat("y_scale", 0.f), t.Scale("rs_out"));
  }
  EXPECT_TRUE(saw_concat);
  EXPECT_GT(Sqnr(g32, g8, 5), 20.0);
}

TEST(QuantizeInt8, RefusesWithoutCalibration) {
  Graph g = SmallResidualNet();
  fusions::PipelineOptions po;
  po.precision = fusions::Precision::kInt8;
  fusions::CompileReport rep;
  Status s = fusions::RunPipeline(g, po, &rep);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("calibration"), std::string::npos);
}

TEST(QuantizeInt8, NodeStaysFloatWhenTheReductionCouldOverflow) {
  Builder b;
  ValueId a = b.Input("a", {1, 140000});
  Attributes ga;
  ga.Set("transB", int64_t{1});
  b.Output(b.Op("Gemm", "fc", {a, b.Rand("w", {2, 140000}, -0.01f, 0.01f)}, ga));
  CalibrationTable t;
  t.amax["a"] = 1.f;
  t.amax["fc_out"] = 1.f;
  fusions::CompileReport rep;
  Graph g = Compile(b.g, fusions::Precision::kInt8, &t, &rep);
  ASSERT_FALSE(rep.refusals.empty());
  EXPECT_NE(rep.refusals.back().reason.find("overflow"), std::string::npos);
  EXPECT_EQ(CountOp(g, "QuantizeLinear"), 0);
}

}  // namespace
}  // namespace edgeinfer::testing
