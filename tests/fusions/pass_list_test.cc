// The whole pipeline: pass order and options, FP32 equivalence of the compiled graph on real
// architectures, and our layer counts against TensorRT's published ones on the zoo models
// (build/models, made by the zoo target; a missing model is a skip with the reason).
#include <filesystem>
#include <fstream>

#include "fusions/pass_list.h"
#include "graph/onnx_import.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

std::string ModelPath(const std::string& name) { return std::string(EDGEINFER_BINARY_DIR) + "/models/" + name + ".onnx"; }

Result<fusions::CompileReport> CompileZoo(const std::string& name, Graph* out = nullptr, Graph* imported = nullptr) {
  ImportOptions io;
  io.batch = 1;
  EI_ASSIGN_OR_RETURN(Graph g, ImportOnnx(ModelPath(name), io));
  if (imported) *imported = g;
  fusions::CompileReport r;
  EI_RETURN_IF_ERROR(fusions::RunPipeline(g, {}, &r));
  if (out) *out = std::move(g);
  return r;
}

TEST(PassList, EveryPassHasAReasonAndAUniqueName) {
  std::set<std::string> names;
  for (const auto& e : fusions::PassList()) {
    EXPECT_TRUE(names.insert(e.name).second) << e.name;
    EXPECT_GT(std::string(e.why).size(), 20u) << e.name;
  }
  EXPECT_GE(names.size(), 16u);
}

TEST(PassList, UnknownPassNamesAreErrors) {
  Builder b;
  ValueId x = b.Input("x", {1, 2});
  b.Output(b.Op("Relu", "r", {x}));
  fusions::PipelineOptions po;
  po.disabled = {"no_such_pass"};
  fusions::CompileReport rep;
  Status s = fusions::RunPipeline(b.g, po, &rep);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no_such_pass"), std::string::npos);
}

TEST(PassList, DisabledPassDoesNotRunAndDumpsAreWritten) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 6, 6});
  b.Output(b.Op("Relu", "r", {b.Conv("conv", x, 4, 3, 1, 1)}));
  Graph g = b.g;
  fusions::PipelineOptions po;
  po.disabled = {"conv_bias_act"};
  po.dump_after = {"conv_bias_act_pool"};
  po.dump_dir = std::string(EDGEINFER_BINARY_DIR) + "/pass_list_test_dump";
  fusions::CompileReport rep;
  ASSERT_TRUE(fusions::RunPipeline(g, po, &rep).ok());
  EXPECT_EQ(CountOp(g, "ConvBiasAct"), 0);
  EXPECT_EQ(rep.layers_before, 2);
  EXPECT_EQ(rep.layers_after, 2);
  bool txt = false, dot = false;
  for (const auto& e : std::filesystem::directory_iterator(po.dump_dir)) {
    const std::string f = e.path().filename().string();
    if (f.find("conv_bias_act_pool.txt") != std::string::npos) txt = true;
    if (f.find("conv_bias_act_pool.dot") != std::string::npos) dot = true;
  }
  EXPECT_TRUE(txt && dot);
  // Enabled: one layer.
  Graph g2 = b.g;
  fusions::CompileReport rep2;
  ASSERT_TRUE(fusions::RunPipeline(g2, {}, &rep2).ok());
  EXPECT_EQ(rep2.layers_after, 1);
  EXPECT_NE(rep2.ToJson().find("\"layers_after\": 1"), std::string::npos);
}

TEST(PassList, LayersCountComputeNodesOnly) {
  Builder b;
  ValueId x = b.Input("x", {2, 3, 4, 4});
  Attributes fa;
  fa.Set("axis", int64_t{1});
  b.Output(b.Op("Flatten", "f", {b.Op("Relu", "r", {x})}, fa));
  EXPECT_EQ(fusions::CountLayers(b.g), 1);   // Flatten is a no-op reshape
}

// FP32: the compiled graph computes what the imported one does. Tolerance: BN folding rescales
// weights before the reduction (one rounding of w*s instead of one of (x*w)*s per term), so
// outputs of magnitude ~10 may differ by a few 1e-5 relative; 1e-3 relative to the output's
// largest magnitude covers that with margin while any wrong fusion is off by O(1).
void ExpectSameOutputs(const std::string& name) {
  Graph compiled, imported;
  auto r = CompileZoo(name, &compiled, &imported);
  if (!std::filesystem::exists(ModelPath(name))) GTEST_SKIP() << ModelPath(name) << " missing: build the zoo target";
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto in = RandomInputs(imported, 42);
  auto a = devices::RunReference(imported, in);
  auto c = devices::RunReference(compiled, in);
  ASSERT_TRUE(a.ok() && c.ok());
  for (const auto& [n, t] : *a) {
    double mx = 0, diff = 0;
    for (int64_t i = 0; i < t.numel(); ++i) {
      mx = std::max(mx, std::fabs(t.GetAsDouble(i)));
      diff = std::max(diff, std::fabs(t.GetAsDouble(i) - c->at(n).GetAsDouble(i)));
    }
    EXPECT_LT(diff, 1e-3 * std::max(mx, 1.0)) << name << " output " << n << " max |y| " << mx;
    std::printf("%s output %s: max |y| %.4g, max |fused - unfused| %.3g\n", name.c_str(), n.c_str(), mx, diff);
  }
}

TEST(PassList, CompiledTinyCnnMatchesFp32) { ExpectSameOutputs("tiny_cnn"); }
TEST(PassList, CompiledResNet50MatchesFp32) { ExpectSameOutputs("resnet50"); }
TEST(PassList, CompiledMobileNetV2MatchesFp32) { ExpectSameOutputs("mobilenetv2"); }
TEST(PassList, CompiledSsdMobileNetMatchesFp32) { ExpectSameOutputs("ssd_mobilenet"); }
TEST(PassList, CompiledInceptionV3MatchesFp32) { ExpectSameOutputs("inception_v3"); }

// TensorRT's published counts before -> after its fusions; ours after must be equal or fewer.
void ExpectAtMost(const std::string& name, int trt_after) {
  if (!std::filesystem::exists(ModelPath(name))) GTEST_SKIP() << ModelPath(name) << " missing: build the zoo target";
  auto r = CompileZoo(name);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::printf("%s: layers %d -> %d (TensorRT after: %d)\n", name.c_str(), r->layers_before, r->layers_after, trt_after);
  EXPECT_LE(r->layers_after, trt_after) << r->ToText();
}

TEST(PassList, Vgg19AtMostTensorRT) { ExpectAtMost("vgg19", 27); }
TEST(PassList, InceptionV3AtMostTensorRT) { ExpectAtMost("inception_v3", 113); }
TEST(PassList, ResNet152AtMostTensorRT) { ExpectAtMost("resnet152", 159); }

}  // namespace
}  // namespace edgeinfer::testing
