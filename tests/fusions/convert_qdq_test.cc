#include "fusions/calibration.h"
#include "fusions/pass_list.h"
#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

ValueId Zp(Builder& b, const std::string& n) { return b.Const(n, Tensor::FromVector(DType::kInt8, {}, std::vector<int8_t>{0})); }

// X -> Q -> DQ -> Conv(DQ(Wq)) -> Relu -> Q -> DQ -> output, as QDQ exporters write it.
Graph QdqNet(bool symmetric) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 6, 6});
  ValueId zp = symmetric ? Zp(b, "zp") : b.Const("zpu", Tensor::FromVector(DType::kUInt8, {}, std::vector<uint8_t>{128}));
  ValueId q = b.Op("QuantizeLinear", "q_x", {x, b.Scalar("sx", 0.02f), zp});
  ValueId dq = b.Op("DequantizeLinear", "dq_x", {q, b.Scalar("sx2", 0.02f), zp});
  Tensor wq(DType::kInt8, {4, 3, 3, 3});
  for (int64_t i = 0; i < wq.numel(); ++i) wq.data<int8_t>()[i] = static_cast<int8_t>((i * 37) % 255 - 127);
  for (int64_t k = 0; k < 4; ++k) wq.data<int8_t>()[k * 27] = 127;   // every channel uses the full range
  Attributes da;
  da.Set("axis", int64_t{0});
  ValueId w = b.Op("DequantizeLinear", "dq_w", {b.Const("wq", wq), b.Const("sw", Tensor::FromVector(DType::kFloat32, {4}, std::vector<float>{0.01f, 0.02f, 0.005f, 0.01f})),
                                                b.Const("zpw", Tensor::FromVector(DType::kInt8, {4}, std::vector<int8_t>{0, 0, 0, 0}))}, da);
  Attributes ca;
  ca.Set("kernel_shape", std::vector<int64_t>{3, 3});
  ca.Set("pads", std::vector<int64_t>{1, 1, 1, 1});
  ValueId c = b.Op("Relu", "relu", {b.Op("Conv", "conv", {dq, w, b.Rand("bias", {4})}, ca)});
  ValueId q2 = b.Op("QuantizeLinear", "q_y", {c, b.Scalar("sy", 0.05f), Zp(b, "zp3")});
  b.Output(b.Op("DequantizeLinear", "dq_y", {q2, b.Scalar("sy2", 0.05f), Zp(b, "zp4")}));
  return b.g;
}

TEST(ConvertQdq, QdqModelBecomesAnInt8GraphWithItsOwnScales) {
  Graph in = QdqNet(true);
  Graph g = in;
  fusions::PipelineOptions po;
  po.precision = fusions::Precision::kInt8;
  fusions::CompileReport rep;
  Status s = fusions::RunPipeline(g, po, &rep);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(rep.CountByKind()["QdqActivation"], 2);
  EXPECT_EQ(rep.CountByKind()["QdqWeight"], 1);
  bool found = false;
  for (NodeId id : g.NodeIds()) {
    const Node& n = g.node(id);
    if (n.op != "ConvBiasAct") continue;
    found = true;
    EXPECT_EQ(g.value(n.inputs[0]).dtype, DType::kInt8);
    EXPECT_FLOAT_EQ(n.attrs.GetFloat("x_scale", 0), 0.02f);
    EXPECT_FLOAT_EQ(n.attrs.GetFloat("y_scale", 0), 0.05f);
    // Channels using the full int8 range get back their own weight scale.
    EXPECT_FLOAT_EQ(n.attrs.GetFloats("w_scale")[1], 0.02f);
  }
  EXPECT_TRUE(found) << g.DumpText();
  // The INT8 graph reproduces the fake-quantized model within one output step.
  EXPECT_LT(MaxOutputDiff(in, g, RandomInputs(in, 3)), 0.05 * 1.01);
}

// The uint8 pair with zero point 128 holds the same 256 values as int8 with zero point 0 (shifted
// by 128): converted exactly, nothing refused.
TEST(ConvertQdq, Uint8ZeroPoint128IsExact) {
  Graph in = QdqNet(false);
  Graph g = in;
  fusions::PipelineOptions po;
  po.precision = fusions::Precision::kInt8;
  fusions::CompileReport rep;
  ASSERT_TRUE(fusions::RunPipeline(g, po, &rep).ok());
  EXPECT_EQ(rep.CountByKind()["QdqActivation"], 2);
  EXPECT_TRUE(rep.refusals.empty()) << rep.ToText(true);
  for (NodeId id : g.NodeIds())
    if (g.node(id).op == "ConvBiasAct") {
      EXPECT_FLOAT_EQ(g.node(id).attrs.GetFloat("x_scale", 0), 0.02f);
    }
  EXPECT_LT(MaxOutputDiff(in, g, RandomInputs(in, 3)), 0.05 * 1.01);
}

// X -> Q/DQ (int8) -> Conv -> Q(s, uint8, zp 0) -> DQ -> output: ONNX Runtime's asymmetric form of
// Conv-Relu (the Relu removed, the Q's saturation at 0 is the ReLU). The pair becomes a Relu and the
// symmetric int8 scale covering [0, 255 s], 255 s / 127.
Graph AsymmetricReluNet(float out_scale) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 6, 6});
  ValueId q = b.Op("QuantizeLinear", "q_x", {x, b.Scalar("sx", 0.02f), Zp(b, "zpx")});
  ValueId dq = b.Op("DequantizeLinear", "dq_x", {q, b.Scalar("sx2", 0.02f), Zp(b, "zpx2")});
  Attributes ca;
  ca.Set("kernel_shape", std::vector<int64_t>{3, 3});
  ca.Set("pads", std::vector<int64_t>{1, 1, 1, 1});
  ValueId c = b.Op("Conv", "conv", {dq, b.Rand("w", {4, 3, 3, 3}), b.Rand("bias", {4})}, ca);
  ValueId zu = b.Const("zpu", Tensor::FromVector(DType::kUInt8, {}, std::vector<uint8_t>{0}));
  ValueId q2 = b.Op("QuantizeLinear", "q_y", {c, b.Scalar("sy", out_scale), zu});
  b.Output(b.Op("DequantizeLinear", "dq_y", {q2, b.Scalar("sy2", out_scale), zu}));
  return b.g;
}

TEST(ConvertQdq, AsymmetricPostReluPairBecomesReluAndWidenedScale) {
  const float s = 0.02f;
  Graph in = AsymmetricReluNet(s);
  Graph g = in;
  fusions::CompileReport rep;
  fusions::PassContext ctx;
  ctx.report = &rep;
  ASSERT_TRUE(fusions::ConvertQdq(g, ctx).ok());
  EXPECT_EQ(rep.CountByKind()["QdqAsymmetricRelu"], 1);
  int relus = 0;
  for (NodeId id : g.NodeIds()) relus += g.node(id).alive && g.node(id).op == "Relu";
  EXPECT_EQ(relus, 1);
  Graph full = in;
  fusions::PipelineOptions po;
  po.precision = fusions::Precision::kInt8;
  fusions::CompileReport rep2;
  ASSERT_TRUE(fusions::RunPipeline(full, po, &rep2).ok());
  bool found = false;
  for (NodeId id : full.NodeIds()) {
    const Node& n = full.node(id);
    if (n.op != "ConvBiasAct") continue;
    found = true;
    EXPECT_EQ(n.attrs.GetString("activation", ""), "Relu");
    EXPECT_FLOAT_EQ(n.attrs.GetFloat("y_scale", 0), static_cast<float>(255.0 * s / 127.0));
  }
  EXPECT_TRUE(found) << full.DumpText();
  // Within one widened output step of the Q/DQ graph (whose own step is s).
  EXPECT_LE(MaxOutputDiff(in, full, RandomInputs(in, 5)), 255.0 * s / 127.0 * 1.01);
}

TEST(ConvertQdq, RefuseOptionKeepsAsymmetricPairs) {
  Graph g = AsymmetricReluNet(0.02f);
  fusions::CompileReport rep;
  fusions::PassContext ctx;
  ctx.report = &rep;
  ctx.options["qdq_asymmetric"] = "refuse";
  ASSERT_TRUE(fusions::ConvertQdq(g, ctx).ok());
  bool refused = false;
  for (const auto& r : rep.refusals) refused = refused || (r.node == "dq_y" && r.reason.find("zero point 0") != std::string::npos);
  EXPECT_TRUE(refused) << rep.ToText(true);
  EXPECT_EQ(rep.CountByKind()["QdqActivation"], 1);   // the symmetric input pair still converts
}

// A weight channel that does not reach +-127 keeps the model's scale (not max|w| / 127).
TEST(ConvertQdq, WeightScalesAreTheModels) {
  Builder b;
  ValueId x = b.Input("x", {1, 2, 4, 4});
  ValueId q = b.Op("QuantizeLinear", "q_x", {x, b.Scalar("sx", 0.01f), Zp(b, "z1")});
  ValueId dq = b.Op("DequantizeLinear", "dq_x", {q, b.Scalar("sx2", 0.01f), Zp(b, "z2")});
  Tensor wq(DType::kInt8, {2, 2, 1, 1});
  const int8_t vals[4] = {100, -50, 127, 3};   // channel 0 peaks at 100
  for (int i = 0; i < 4; ++i) wq.data<int8_t>()[i] = vals[i];
  Attributes da;
  da.Set("axis", int64_t{0});
  ValueId w = b.Op("DequantizeLinear", "dq_w", {b.Const("wq", wq), b.Const("sw", Tensor::FromVector(DType::kFloat32, {2}, std::vector<float>{0.03f, 0.004f})),
                                                b.Const("zw", Tensor::FromVector(DType::kInt8, {2}, std::vector<int8_t>{0, 0}))}, da);
  Attributes ca;
  ca.Set("kernel_shape", std::vector<int64_t>{1, 1});
  ValueId c = b.Op("Conv", "conv", {dq, w}, ca);
  ValueId q2 = b.Op("QuantizeLinear", "q_y", {c, b.Scalar("sy", 0.05f), Zp(b, "z3")});
  b.Output(b.Op("DequantizeLinear", "dq_y", {q2, b.Scalar("sy2", 0.05f), Zp(b, "z4")}));
  Graph g = b.g;
  fusions::PipelineOptions po;   // default precision: the Q/DQ layers still become INT8
  fusions::CompileReport rep;
  ASSERT_TRUE(fusions::RunPipeline(g, po, &rep).ok());
  bool found = false;
  for (NodeId id : g.NodeIds()) {
    const Node& n = g.node(id);
    if (n.op != "ConvBiasAct") continue;
    found = true;
    EXPECT_EQ(g.value(n.inputs[0]).dtype, DType::kInt8);
    EXPECT_EQ(n.attrs.GetFloats("w_scale"), (std::vector<float>{0.03f, 0.004f}));
    const Tensor* wi = fusions::ConstantOf(g, n.inputs[1]);
    ASSERT_NE(wi, nullptr);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(wi->data<int8_t>()[i], vals[i]);
  }
  EXPECT_TRUE(found) << g.DumpText();
}

TEST(ConvertQdq, RequantizingPairAndLoneDequantizeAreRefusedByName) {
  Builder b;
  ValueId x = b.Input("x", {1, 4});
  ValueId q = b.Op("QuantizeLinear", "q_x", {x, b.Scalar("sx", 0.02f), Zp(b, "z1")});
  b.Output(b.Op("DequantizeLinear", "dq_x", {q, b.Scalar("sx2", 0.03f), Zp(b, "z2")}));
  ValueId xi = b.g.AddValue("xi", DType::kInt8, Shape({1, 4}));
  b.g.inputs().push_back(xi);
  b.Output(b.Op("DequantizeLinear", "dq_in", {xi, b.Scalar("s3", 0.1f), Zp(b, "z3")}));
  Graph g = b.g;
  fusions::CompileReport rep;
  fusions::PassContext ctx;
  ctx.report = &rep;
  ASSERT_TRUE(fusions::ConvertQdq(g, ctx).ok());
  std::map<std::string, std::string> why;
  for (const auto& r : rep.refusals) why[r.node] = r.reason;
  EXPECT_NE(why["dq_x"].find("differ in scale"), std::string::npos) << rep.ToText(true);
  EXPECT_NE(why["dq_in"].find("int8 graph input"), std::string::npos) << rep.ToText(true);
}

}  // namespace
}  // namespace edgeinfer::testing
