#include "graph/model_stats.h"

#include <gtest/gtest.h>

namespace edgeinfer {
namespace {

Tensor Filled(std::vector<int64_t> dims, float v = 0.5f) {
  Tensor t(DType::kFloat32, std::move(dims));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = v;
  return t;
}

// x[N,3,8,8] -> Conv(8, 3x3, stride 2, pad 1, bias) -> BN -> Relu -> Reshape -> Gemm(32 -> 5)
//                                                                  \-> depthwise Conv (group 8)
// Shapes are set by hand (the test does not depend on which ops' inference exist yet).
Graph TinyGraph() {
  Graph g;
  g.name = "tiny";
  ValueId x = g.AddValue("x", DType::kFloat32, Shape{kDynamic, 3, 8, 8});
  g.value(x).shape.symbols = {"N", "", "", ""};
  g.inputs().push_back(x);
  ValueId w = g.AddConstant("conv.weight", Filled({8, 3, 3, 3}));
  ValueId b = g.AddConstant("conv.bias", Filled({8}));
  ValueId c = g.AddValue("c", DType::kFloat32, Shape{kDynamic, 8, 4, 4});
  Attributes ca;
  ca.Set("kernel_shape", std::vector<int64_t>{3, 3});
  ca.Set("strides", std::vector<int64_t>{2, 2});
  ca.Set("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.AddNode("Conv", "conv", {x, w, b}, {c}, ca);

  ValueId gamma = g.AddConstant("bn.weight", Filled({8}));
  ValueId beta = g.AddConstant("bn.bias", Filled({8}));
  ValueId mean = g.AddConstant("bn.running_mean", Filled({8}));
  ValueId var = g.AddConstant("bn.running_var", Filled({8}));
  ValueId bn = g.AddValue("bn", DType::kFloat32, Shape{kDynamic, 8, 4, 4});
  g.AddNode("BatchNormalization", "bn", {c, gamma, beta, mean, var}, {bn});
  ValueId r = g.AddValue("r", DType::kFloat32, Shape{kDynamic, 8, 4, 4});
  g.AddNode("Relu", "relu", {bn}, {r});

  ValueId dw_w = g.AddConstant("dw.weight", Filled({8, 1, 3, 3}));
  ValueId dw = g.AddValue("dw", DType::kFloat32, Shape{kDynamic, 8, 4, 4});
  Attributes da;
  da.Set("group", int64_t{8});
  da.Set("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.AddNode("Conv", "dw", {r, dw_w}, {dw}, da);

  ValueId shape = g.AddConstant("shape", Tensor::FromVector<int64_t>(DType::kInt64, {2}, {0, -1}));
  ValueId flat = g.AddValue("flat", DType::kFloat32, Shape{kDynamic, 128});
  g.AddNode("Reshape", "reshape", {dw, shape}, {flat});
  ValueId fw = g.AddConstant("fc.weight", Filled({5, 128}));
  ValueId fb = g.AddConstant("fc.bias", Filled({5}));
  ValueId y = g.AddValue("y", DType::kFloat32, Shape{kDynamic, 5});
  Attributes ga;
  ga.Set("transB", int64_t{1});
  g.AddNode("Gemm", "fc", {flat, fw, fb}, {y}, ga);
  g.outputs().push_back(y);
  return g;
}

TEST(ModelStats, CountsParamsMacsAndHistogram) {
  Graph g = TinyGraph();
  Result<ModelStats> r = ComputeModelStats(g);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const ModelStats& s = *r;
  EXPECT_EQ(s.num_nodes, 6);
  EXPECT_EQ(s.op_histogram.at("Conv"), 2);
  EXPECT_EQ(s.op_histogram.at("Gemm"), 1);
  EXPECT_EQ(s.op_histogram.at("Relu"), 1);
  // conv 8*3*3*3 + 8, bn gamma/beta 16, dw 8*9, fc 5*128 + 5; the int64 shape is not a parameter
  EXPECT_EQ(s.params, 216 + 8 + 16 + 72 + 640 + 5);
  EXPECT_EQ(s.param_bytes, s.params * 4);
  EXPECT_EQ(s.stat_elements, 16);
  // conv: N*K*OH*OW*(C/g)*R*S = 1*8*4*4*3*3*3; dw: 1*8*4*4*1*3*3; gemm: 1*5*128
  const int64_t conv = 8 * 16 * 27, dwm = 8 * 16 * 9, fc = 5 * 128;
  EXPECT_EQ(s.nodes[0].macs, conv);
  EXPECT_EQ(s.macs, conv + dwm + fc);
  EXPECT_EQ(s.activation_bytes, (4 * 128 + 128 + 5) * 4);
  EXPECT_EQ(s.largest_activation_bytes, 128 * 4);
}

TEST(ModelStats, DynamicBatchScalesMacsNotParams) {
  Graph g = TinyGraph();
  ModelStatsOptions o;
  o.dynamic_extent = 4;
  Result<ModelStats> r1 = ComputeModelStats(g);
  Result<ModelStats> r4 = ComputeModelStats(g, o);
  ASSERT_TRUE(r1.ok() && r4.ok());
  EXPECT_EQ(r4->macs, 4 * r1->macs);
  EXPECT_EQ(r4->activation_bytes, 4 * r1->activation_bytes);
  EXPECT_EQ(r4->params, r1->params);
}

TEST(ModelStats, ConvTransposeAndPoolFusedConv) {
  Graph g;
  ValueId x = g.AddValue("x", DType::kFloat32, Shape{1, 4, 5, 5});
  g.inputs().push_back(x);
  // ConvTranspose W [C=4, K/g=2, 3, 3]: MACs = N*C*H*W * 2*3*3
  ValueId w = g.AddConstant("w", Filled({4, 2, 3, 3}));
  ValueId y = g.AddValue("y", DType::kFloat32, Shape{1, 2, 11, 11});
  Attributes a;
  a.Set("strides", std::vector<int64_t>{2, 2});
  g.AddNode("ConvTranspose", "deconv", {x, w}, {y}, a);
  // A conv fused with a 2x2 pool: its MACs are those of the 11x11 -> 11x11 convolution, not of
  // the pooled 5x5 output.
  ValueId w2 = g.AddConstant("w2", Filled({6, 2, 3, 3}));
  ValueId z = g.AddValue("z", DType::kFloat32, Shape{1, 6, 5, 5});
  Attributes b;
  b.Set("pads", std::vector<int64_t>{1, 1, 1, 1});
  b.Set("pool", std::string("MaxPool"));
  g.AddNode("ConvBiasActPool", "cbap", {y, w2}, {z}, b);
  g.outputs().push_back(z);
  Result<ModelStats> r = ComputeModelStats(g);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->nodes[0].macs, 4 * 25 * 2 * 9);
  EXPECT_EQ(r->nodes[1].macs, 6 * 121 * 2 * 9);
  EXPECT_EQ(r->params, 72 + 108);
}

TEST(ModelStats, MissingShapesAreAnError) {
  Graph g;
  ValueId x = g.AddValue("x", DType::kFloat32, Shape{});
  g.inputs().push_back(x);
  ValueId w = g.AddConstant("w", Filled({2, 1, 3, 3}));
  ValueId y = g.AddValue("y", DType::kFloat32, Shape{});
  g.AddNode("Conv", "c1", {x, w}, {y});
  g.outputs().push_back(y);
  Result<ModelStats> r = ComputeModelStats(g);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Conv 'c1'"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace edgeinfer
