// LayerWork and DescribeNode: plain and fused nodes of a hand-built graph become the numbers the
// timing models read (dims, MACs, bytes, fused pool/residual/activation).
#include "devices/soc/layer_work.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "devices/dla/timing_model.h"
#include "devices/gpu_model/gpu_timing_model.h"
#include "fusions/pass_list.h"
#include "graph/onnx_import.h"
#include "tests/devices/soc/resnet50_layers.h"

namespace edgeinfer::devices {
namespace {

ValueId Weight(Graph& g, const std::string& name, DType t, std::vector<int64_t> dims) {
  return g.AddConstant(name, Tensor(t, std::move(dims)));
}

TEST(LayerWork, ConvWorkAndFusedPoolByHand) {
  LayerWork w = ConvWork("c", 2, 3, 224, 224, 64, 7, 7, 2, 3, 1);
  EXPECT_EQ(w.OH, 112);
  EXPECT_EQ(w.Macs(), 2LL * 64 * 112 * 112 * 3 * 49);
  EXPECT_EQ(w.weight_bytes, 64 * 3 * 49);
  EXPECT_EQ(w.input_bytes, 2 * 3 * 224 * 224);
  FusePool(&w, 3, 2, 1);
  EXPECT_EQ(w.pool_OH, 56);
  EXPECT_EQ(w.output_bytes, 2 * 64 * 56 * 56);
  LayerWork g = GemmWork("fc", 4, 2048, 1000, 2);
  EXPECT_EQ(g.Macs(), 4LL * 2048 * 1000);
  EXPECT_EQ(g.weight_bytes, 2048 * 1000 * 2);
  EXPECT_EQ(g.output_bytes, 4 * 1000 * 2);
}

TEST(DescribeNode, ConvBiasActPoolInt8) {
  Graph g;
  ValueId x = g.AddValue("x", DType::kInt8, Shape{1, 3, 224, 224});
  ValueId w = Weight(g, "w", DType::kInt8, {64, 3, 7, 7});
  ValueId b = Weight(g, "b", DType::kInt32, {64});
  ValueId y = g.AddValue("y", DType::kInt8, Shape{1, 64, 56, 56});
  Attributes a;
  a.Set("kernel_shape", std::vector<int64_t>{7, 7});
  a.Set("strides", std::vector<int64_t>{2, 2});
  a.Set("pads", std::vector<int64_t>{3, 3, 3, 3});
  a.Set("activation", std::string("Relu"));
  a.Set("pool", std::string("MaxPool"));
  a.Set("pool_kernel_shape", std::vector<int64_t>{3, 3});
  a.Set("pool_strides", std::vector<int64_t>{2, 2});
  a.Set("pool_pads", std::vector<int64_t>{1, 1, 1, 1});
  NodeId n = g.AddNode("ConvBiasActPool", "conv1", {x, w, b}, {y}, a);
  auto r = DescribeNode(g, n);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->kind, LayerKind::kConv);
  EXPECT_EQ(r->precision_bytes, 1);
  EXPECT_EQ(r->C, 3);
  EXPECT_EQ(r->K, 64);
  EXPECT_EQ(r->OH, 112);   // pre-pool map from the Conv attributes
  EXPECT_EQ(r->pool_window, 3);
  EXPECT_EQ(r->pool_OH, 56);
  EXPECT_EQ(r->activation, "Relu");
  EXPECT_EQ(r->Macs(), 64LL * 112 * 112 * 3 * 49);
  EXPECT_EQ(r->output_bytes, 64 * 56 * 56);
  EXPECT_EQ(r->weight_bytes, 64 * 3 * 49);
}

TEST(DescribeNode, ConvEltwiseActGroupedDilatedFp16AndBatchSymbol) {
  Graph g;
  Shape xs{kDynamic, 32, 28, 28};
  xs.symbols = {"N", "", "", ""};
  ValueId x = g.AddValue("x", DType::kFloat16, xs);
  ValueId w = Weight(g, "w", DType::kFloat16, {64, 8, 3, 3});
  ValueId r = g.AddValue("r", DType::kFloat16, Shape{kDynamic, 64, 28, 28});
  ValueId y = g.AddValue("y", DType::kFloat16, Shape{kDynamic, 64, 28, 28});
  Attributes a;
  a.Set("kernel_shape", std::vector<int64_t>{3, 3});
  a.Set("pads", std::vector<int64_t>{2, 2, 2, 2});
  a.Set("dilations", std::vector<int64_t>{2, 2});
  a.Set("group", int64_t{4});
  NodeId n = g.AddNode("ConvEltwiseAct", "block", {x, w, kNoValue, r}, {y}, a);
  auto d = DescribeNode(g, n, /*dynamic_extent=*/8);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->N, 8);
  EXPECT_EQ(d->groups, 4);
  EXPECT_EQ(d->dilation_h, 2);
  EXPECT_TRUE(d->has_residual);
  EXPECT_EQ(d->residual_bytes, 8 * 64 * 28 * 28 * 2);
  EXPECT_EQ(d->Macs(), 8LL * 64 * 28 * 28 * 8 * 9);
  EXPECT_EQ(d->weight_bytes, 64 * 8 * 9 * 2);
}

TEST(DescribeNode, GemmMatMulPoolEltwise) {
  Graph g;
  ValueId a = g.AddValue("a", DType::kInt8, Shape{2, 2048});
  ValueId bw = Weight(g, "bw", DType::kInt8, {1000, 2048});
  ValueId y = g.AddValue("y", DType::kInt8, Shape{2, 1000});
  Attributes ga;
  ga.Set("transB", int64_t{1});
  ga.Set("activation", std::string("Relu"));
  auto gemm = DescribeNode(g, g.AddNode("GemmBiasAct", "fc", {a, bw}, {y}, ga));
  ASSERT_TRUE(gemm.ok()) << gemm.status().message();
  EXPECT_EQ(gemm->kind, LayerKind::kGemm);
  EXPECT_EQ(gemm->N, 2);
  EXPECT_EQ(gemm->C, 2048);
  EXPECT_EQ(gemm->K, 1000);
  EXPECT_EQ(gemm->weight_bytes, 2048 * 1000);

  ValueId m = g.AddValue("m", DType::kFloat32, Shape{4, 16, 64});
  ValueId mw = Weight(g, "mw", DType::kFloat32, {64, 32});
  ValueId my = g.AddValue("my", DType::kFloat32, Shape{4, 16, 32});
  auto mm = DescribeNode(g, g.AddNode("MatMul", "mm", {m, mw}, {my}));
  ASSERT_TRUE(mm.ok()) << mm.status().message();
  EXPECT_EQ(mm->N, 64);   // 4 x 16 rows
  EXPECT_EQ(mm->Macs(), 64LL * 64 * 32);

  ValueId p = g.AddValue("p", DType::kInt8, Shape{2, 2048, 7, 7});
  ValueId py = g.AddValue("py", DType::kInt8, Shape{2, 2048, 1, 1});
  auto gap = DescribeNode(g, g.AddNode("GlobalAveragePool", "gap", {p}, {py}));
  ASSERT_TRUE(gap.ok());
  EXPECT_EQ(gap->kind, LayerKind::kPool);
  EXPECT_EQ(gap->R, 7);
  EXPECT_EQ(gap->input_bytes, 2 * 2048 * 49);
  EXPECT_EQ(gap->output_bytes, 2 * 2048);

  ValueId e1 = g.AddValue("e1", DType::kInt8, Shape{1, 64, 8, 8});
  ValueId e2 = g.AddValue("e2", DType::kInt8, Shape{1, 64, 8, 8});
  ValueId ey = g.AddValue("ey", DType::kInt8, Shape{1, 64, 8, 8});
  auto add = DescribeNode(g, g.AddNode("Add", "add", {e1, e2}, {ey}));
  ASSERT_TRUE(add.ok());
  EXPECT_EQ(add->kind, LayerKind::kEltwise);
  EXPECT_TRUE(add->has_residual);
  EXPECT_EQ(add->input_bytes, 4096);
  EXPECT_EQ(add->residual_bytes, 4096);

  ValueId ry = g.AddValue("ry", DType::kInt8, Shape{1, 64, 8, 8});
  auto relu = DescribeNode(g, g.AddNode("Relu", "relu", {e1}, {ry}));
  ASSERT_TRUE(relu.ok());
  EXPECT_EQ(relu->kind, LayerKind::kActivation);
  EXPECT_EQ(relu->output_bytes, 4096);
}

TEST(DescribeNode, Errors) {
  Graph g;
  ValueId x = g.AddValue("x", DType::kFloat32, Shape{1, 6, 8, 8});
  ValueId w = Weight(g, "w", DType::kFloat32, {4, 2, 3, 3});
  ValueId y = g.AddValue("y", DType::kFloat32, Shape{1, 4, 6, 6});
  Attributes a;
  a.Set("group", int64_t{4});
  auto r = DescribeNode(g, g.AddNode("Conv", "bad_group", {x, w}, {y}, a));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("group=4 does not divide 6 input channels"), std::string::npos) << r.status().message();
  ValueId u = g.AddValue("u", DType::kFloat32, Shape{});
  ValueId uy = g.AddValue("uy", DType::kFloat32, Shape{});
  auto s = DescribeNode(g, g.AddNode("Relu", "no_shape", {u}, {uy}));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("no_shape"), std::string::npos);
}

TEST(ResNet50Layers, SramChainingKeepsSmallActivationsOnChip) {
  auto layers = testing::ResNet50Layers(2, 1);
  testing::ChainSram(&layers, 512 * 1024);
  int in_sram = 0;
  for (const auto& w : layers) {
    if (w.output_in_sram) {
      EXPECT_LE(w.output_bytes, 512 * 1024 / 3) << w.name;
      ++in_sram;
    }
  }
  EXPECT_GT(in_sram, 0);
  EXPECT_FALSE(layers.front().input_in_sram);
  EXPECT_FALSE(layers.back().output_in_sram);
}

}  // namespace
}  // namespace edgeinfer::devices

// End to end on the real model when the zoo has built it (tools/zoo -> build/models/resnet50.onnx):
// import, run the FP32 fusion pipeline, describe every fused node, and compare with the hand-built
// layer list the timing calibration uses (same layers, same MACs and weights). Skips with the
// reason when the model file is absent.
namespace edgeinfer::devices {
namespace {

TEST(DescribeNode, ImportedResNet50MatchesTheHandBuiltLayers) {
  const std::string path = std::string(EDGEINFER_BINARY_DIR) + "/models/resnet50.onnx";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not built (run tools/zoo)";
  ImportOptions io;
  io.batch = 2;
  auto g = ImportOnnx(path, io);
  ASSERT_TRUE(g.ok()) << g.status().message();
  fusions::PipelineOptions po;
  fusions::CompileReport report;
  ASSERT_TRUE(fusions::RunPipeline(g.value(), po, &report).ok());
  auto order = g->TopoOrder();
  ASSERT_TRUE(order.ok());
  std::vector<LayerWork> described;
  for (NodeId id : order.value()) {
    auto w = DescribeNode(g.value(), id);
    ASSERT_TRUE(w.ok()) << w.status().message();
    if (w->kind == LayerKind::kOther) continue;   // Flatten/Reshape: no DLA work
    w->precision_bytes = 1;                       // time it as the INT8 engine would run it
    w->FillBytes();
    described.push_back(w.value());
  }
  const auto hand = testing::ResNet50Layers(2, 1);
  ASSERT_EQ(described.size(), hand.size());
  int64_t macs_d = 0, macs_h = 0, wt_d = 0, wt_h = 0, pools = 0, residuals = 0;
  for (size_t i = 0; i < hand.size(); ++i) {
    macs_d += described[i].Macs();
    macs_h += hand[i].Macs();
    wt_d += described[i].weight_bytes;
    wt_h += hand[i].weight_bytes;
    pools += described[i].pool_window > 0;
    residuals += described[i].has_residual;
  }
  EXPECT_EQ(macs_d, macs_h);
  EXPECT_EQ(wt_d, wt_h);
  EXPECT_EQ(pools, 1);        // conv1 + MaxPool
  EXPECT_EQ(residuals, 16);   // one per bottleneck
  auto soc = LoadSocProfile("orin-agx");
  ASSERT_TRUE(soc.ok());
  auto a = DlaNetworkTiming(soc.value(), described, 2);
  auto b = DlaNetworkTiming(soc.value(), hand, 2);
  ASSERT_TRUE(a.ok() && b.ok());
  std::printf("imported ResNet-50 (no SRAM chaining): %.1f img/s; hand-built list: %.1f img/s\n", a->ImagesPerSecond(),
              b->ImagesPerSecond());
  EXPECT_NEAR(a->ImagesPerSecond(), b->ImagesPerSecond(), 0.01 * b->ImagesPerSecond());
}

}  // namespace
}  // namespace edgeinfer::devices

namespace edgeinfer::devices {
namespace {

// Every node of the other zoo models describes without error after fusion, and the timing models
// accept every layer that is not kOther. Prints FP32-graph-as-INT8 predictions (no SRAM chaining)
// for orientation; skips models the zoo has not built.
TEST(DescribeNode, EveryNodeOfTheZooModels) {
  auto soc = LoadSocProfile("orin-agx");
  ASSERT_TRUE(soc.ok());
  int models = 0;
  for (const char* name : {"tiny_cnn", "mobilenetv2", "ssd_mobilenet", "inception_v3"}) {
    const std::string path = std::string(EDGEINFER_BINARY_DIR) + "/models/" + name + ".onnx";
    if (!std::filesystem::exists(path)) continue;
    ImportOptions io;
    io.batch = 1;
    auto g = ImportOnnx(path, io);
    ASSERT_TRUE(g.ok()) << name << ": " << g.status().message();
    fusions::PipelineOptions po;
    fusions::CompileReport report;
    ASSERT_TRUE(fusions::RunPipeline(g.value(), po, &report).ok()) << name;
    std::vector<LayerWork> layers;
    int other = 0;
    auto order = g->TopoOrder();
    ASSERT_TRUE(order.ok()) << name;
    for (NodeId id : order.value()) {
      auto w = DescribeNode(g.value(), id);
      ASSERT_TRUE(w.ok()) << name << ": " << w.status().message();
      if (w->kind == LayerKind::kOther) {
        ++other;
        continue;
      }
      w->precision_bytes = 1;
      if (w->kind == LayerKind::kConv || w->kind == LayerKind::kDeconv || w->kind == LayerKind::kGemm ||
          w->kind == LayerKind::kPool)
        w->FillBytes();
      layers.push_back(w.value());
    }
    auto d = DlaNetworkTiming(soc.value(), layers, 1);
    auto gp = GpuNetworkTiming(soc.value(), layers, 1);
    ASSERT_TRUE(d.ok()) << name << ": " << d.status().message();
    ASSERT_TRUE(gp.ok()) << name << ": " << gp.status().message();
    std::printf("%-14s %3zu timed layers (%d other): orin-agx MAXN batch 1, one DLA %.0f img/s, GPU %.0f img/s\n", name,
                layers.size(), other, d->ImagesPerSecond(), gp->ImagesPerSecond());
    ++models;
  }
  if (models == 0) GTEST_SKIP() << "no zoo model built under " << EDGEINFER_BINARY_DIR << "/models";
}

}  // namespace
}  // namespace edgeinfer::devices
