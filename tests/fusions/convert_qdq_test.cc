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

TEST(ConvertQdq, AsymmetricPairIsLeftInPlace) {
  Graph g = QdqNet(false);
  fusions::CompileReport rep;
  fusions::PassContext ctx;
  ctx.report = &rep;
  ASSERT_TRUE(fusions::ConvertQdq(g, ctx).ok());
  bool refused = false;
  for (const auto& r : rep.refusals) refused = refused || r.reason.find("zero point") != std::string::npos;
  EXPECT_TRUE(refused);
  EXPECT_EQ(rep.CountByKind()["QdqActivation"], 1);   // the symmetric output pair still converts
}

}  // namespace
}  // namespace edgeinfer::testing
