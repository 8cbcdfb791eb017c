// The model zoo generator: runs edgeinfer-zoo into a temporary folder, imports the models and
// checks them against the published architectures (ResNet-50 v1.5: 25.557 M params, 4.09 GMAC at
// 224²; MobileNetV2: 3.505 M params, 0.30 GMAC), runs tiny_cnn through the reference executor,
// and checks that generation is deterministic. The large models (zoo_all) are checked when the
// build has made them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "devices/cpu/reference_executor.h"
#include "fusions/pass_list.h"
#include "graph/model_stats.h"
#include "graph/onnx_import.h"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;

const fs::path kGenerator = fs::path(EDGEINFER_BINARY_DIR) / "tools" / "edgeinfer-zoo";

class ZooTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("edgeinfer_zoo_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    if (!fs::exists(kGenerator)) return;
    std::string cmd = kGenerator.string() + " --out " + dir_.string() +
                      " --models resnet50,mobilenetv2,ssd_mobilenet,tiny_cnn > " + (dir_.string() + ".log") + " 2>&1";
    generated_ = std::system(cmd.c_str()) == 0;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    fs::remove(dir_.string() + ".log", ec);
  }
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kGenerator)) << kGenerator << " is missing: build the edgeinfer-zoo target";
    ASSERT_TRUE(generated_) << "edgeinfer-zoo failed; see " << dir_.string() << ".log";
  }
  static Graph Import(const fs::path& p, ImportOptions o = {}) {
    Result<Graph> g = ImportOnnx(p.string(), o);
    EXPECT_TRUE(g.ok()) << g.status().message();
    return g.ok() ? std::move(g).value() : Graph();
  }
  static fs::path dir_;
  static bool generated_;
};
fs::path ZooTest::dir_;
bool ZooTest::generated_ = false;

std::string Slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void ExpectNear(double got, double want, double rel, const char* what) {
  EXPECT_LE(std::fabs(got - want), rel * want) << what << ": got " << got << ", expected " << want << " ±"
                                               << rel * 100 << "%";
}

TEST_F(ZooTest, ResNet50MatchesPublishedArchitecture) {
  Graph g = Import(dir_ / "resnet50.onnx");
  ASSERT_GT(g.NumLiveNodes(), 0u);
  Result<ModelStats> s = ComputeModelStats(g);
  ASSERT_TRUE(s.ok()) << s.status().message();
  std::printf("resnet50: %lld params, %.3f GMAC at 224x224, batch 1\n", static_cast<long long>(s->params),
              static_cast<double>(s->macs) / 1e9);
  ExpectNear(static_cast<double>(s->params), 25.557e6, 0.01, "ResNet-50 parameters");
  ExpectNear(static_cast<double>(s->macs), 4.09e9, 0.03, "ResNet-50 MACs");
  // torchvision's structure: 53 convolutions (49 + 4 projections), each with its own BatchNorm,
  // 16 residual adds, 49 ReLUs, one max pool, global pool, flatten, fc.
  EXPECT_EQ(s->op_histogram.at("Conv"), 53);
  EXPECT_EQ(s->op_histogram.at("BatchNormalization"), 53);
  EXPECT_EQ(s->op_histogram.at("Add"), 16);
  EXPECT_EQ(s->op_histogram.at("Relu"), 49);
  EXPECT_EQ(s->op_histogram.at("MaxPool"), 1);
  EXPECT_EQ(s->op_histogram.at("Gemm"), 1);
  // v1.5: the stride of a downsampling block sits on its 3x3 convolution.
  std::optional<NodeId> c2 = g.FindNode("layer2.0.conv2");
  ASSERT_TRUE(c2.has_value());
  EXPECT_EQ(g.node(*c2).attrs.GetInts("strides"), (std::vector<int64_t>{2, 2}));
  // Input "input" [N,3,224,224] with a symbolic batch; output "output" [N,1000].
  ASSERT_EQ(g.inputs().size(), 1u);
  EXPECT_EQ(g.value(g.inputs()[0]).name, "input");
  EXPECT_EQ(g.value(g.inputs()[0]).shape.dims, (std::vector<int64_t>{kDynamic, 3, 224, 224}));
  ASSERT_EQ(g.outputs().size(), 1u);
  EXPECT_EQ(g.value(g.outputs()[0]).name, "output");
  EXPECT_EQ(g.value(g.outputs()[0]).shape.dims, (std::vector<int64_t>{kDynamic, 1000}));
}

TEST_F(ZooTest, MobileNetV2MatchesPublishedArchitecture) {
  Graph g = Import(dir_ / "mobilenetv2.onnx");
  ASSERT_GT(g.NumLiveNodes(), 0u);
  Result<ModelStats> s = ComputeModelStats(g);
  ASSERT_TRUE(s.ok()) << s.status().message();
  std::printf("mobilenetv2: %lld params, %.3f GMAC at 224x224, batch 1\n", static_cast<long long>(s->params),
              static_cast<double>(s->macs) / 1e9);
  ExpectNear(static_cast<double>(s->params), 3.505e6, 0.01, "MobileNetV2 parameters");
  ExpectNear(static_cast<double>(s->macs), 0.3e9, 0.03, "MobileNetV2 MACs");
  EXPECT_EQ(s->op_histogram.at("Conv"), 52);
  EXPECT_EQ(s->op_histogram.at("Clip"), 35);   // ReLU6 as Clip(min, max inputs)
  EXPECT_EQ(s->op_histogram.at("Add"), 10);
}

TEST_F(ZooTest, SsdMobileNetHasBoxAndClassOutputs) {
  ImportOptions batch1;
  batch1.batch = 1;
  Graph g = Import(dir_ / "ssd_mobilenet.onnx", batch1);
  ASSERT_EQ(g.outputs().size(), 2u);
  EXPECT_EQ(g.value(g.inputs()[0]).shape.dims, (std::vector<int64_t>{1, 3, 300, 300}));
  EXPECT_EQ(g.value(g.outputs()[0]).name, "scores");
  EXPECT_EQ(g.value(g.outputs()[0]).shape.dims, (std::vector<int64_t>{1, 3000, 21}));
  EXPECT_EQ(g.value(g.outputs()[1]).name, "boxes");
  EXPECT_EQ(g.value(g.outputs()[1]).shape.dims, (std::vector<int64_t>{1, 3000, 4}));
  Result<ModelStats> s = ComputeModelStats(g);
  ASSERT_TRUE(s.ok()) << s.status().message();
  std::printf("ssd_mobilenet: %lld params, %.3f GMAC at 300x300, batch 1\n", static_cast<long long>(s->params),
              static_cast<double>(s->macs) / 1e9);
  EXPECT_EQ(s->op_histogram.at("Transpose"), 12);
  EXPECT_EQ(s->op_histogram.at("Concat"), 2);
}

// Reshape(0, -1, 4) copies the symbolic batch and infers the rest from the static dims: the box
// count stays known with a symbolic batch, as ONNX's own shape inference finds.
TEST_F(ZooTest, SsdMobileNetKeepsBoxCountWithSymbolicBatch) {
  Graph g = Import(dir_ / "ssd_mobilenet.onnx");
  ASSERT_EQ(g.outputs().size(), 2u);
  EXPECT_EQ(g.value(g.inputs()[0]).shape.dims, (std::vector<int64_t>{kDynamic, 3, 300, 300}));
  EXPECT_EQ(g.value(g.outputs()[0]).shape.dims, (std::vector<int64_t>{kDynamic, 3000, 21}));
  EXPECT_EQ(g.value(g.outputs()[1]).shape.dims, (std::vector<int64_t>{kDynamic, 3000, 4}));
}

TEST_F(ZooTest, TinyCnnRunsOnTheReference) {
  Graph g = Import(dir_ / "tiny_cnn.onnx");
  ASSERT_GT(g.NumLiveNodes(), 0u);
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.f, 1.f);
  Tensor x(DType::kFloat32, {2, 3, 32, 32});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = nd(rng);
  Result<devices::TensorMap> out = devices::RunReference(g, {{"input", x}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->count("output"), 1u);
  const Tensor& y = out->at("output");
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{2, 10}));
  double sumsq = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    ASSERT_TRUE(std::isfinite(y.data<float>()[i])) << "element " << i;
    sumsq += y.data<float>()[i] * y.data<float>()[i];
  }
  EXPECT_GT(sumsq, 1e-6) << "all-zero logits: the weights are not doing anything";
  // Batch rows are independent: sample 1 alone gives row 1.
  Tensor x1(DType::kFloat32, {1, 3, 32, 32});
  std::copy(x.data<float>() + 3 * 32 * 32, x.data<float>() + 2 * 3 * 32 * 32, x1.data<float>());
  Result<devices::TensorMap> out1 = devices::RunReference(g, {{"input", x1}});
  ASSERT_TRUE(out1.ok()) << out1.status().message();
  for (int i = 0; i < 10; ++i)
    EXPECT_NEAR(out1->at("output").data<float>()[i], y.data<float>()[10 + i], 1e-4f) << "class " << i;
}

TEST_F(ZooTest, GenerationIsDeterministicAndBatchCanBeStatic) {
  const fs::path again = dir_ / "again";
  std::string cmd = kGenerator.string() + " --out " + again.string() + " --models tiny_cnn --batch 4 > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  Graph g = Import(again / "tiny_cnn.onnx");
  ASSERT_EQ(g.inputs().size(), 1u);
  EXPECT_EQ(g.value(g.inputs()[0]).shape.dims, (std::vector<int64_t>{4, 3, 32, 32}));
  cmd = kGenerator.string() + " --out " + again.string() + " --models tiny_cnn > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(Slurp(again / "tiny_cnn.onnx"), Slurp(dir_ / "tiny_cnn.onnx")) << "same model, different bytes";
}

TEST_F(ZooTest, GeneratorRejectsBadArguments) {
  const std::string base = kGenerator.string() + " --out " + (dir_ / "bad").string();
  EXPECT_NE(std::system((base + " --models nosuchnet 2> /dev/null").c_str()), 0);
  EXPECT_NE(std::system((base + " --batch 0 2> /dev/null").c_str()), 0);
  EXPECT_NE(std::system((kGenerator.string() + " 2> /dev/null").c_str()), 0);
}

// The FP32 compile pipeline folds and fuses, but the arithmetic stays: the MAC count of every zoo
// model is the same before and after (a cross-check of the fusions and of model_stats on fused ops).
TEST_F(ZooTest, CompilingKeepsMacs) {
  for (const char* name : {"tiny_cnn", "resnet50", "mobilenetv2", "ssd_mobilenet"}) {
    Graph g = Import(dir_ / (std::string(name) + ".onnx"));
    Result<ModelStats> before = ComputeModelStats(g);
    ASSERT_TRUE(before.ok()) << before.status().message();
    fusions::CompileReport report;
    Status st = fusions::RunPipeline(g, fusions::PipelineOptions{}, &report);
    ASSERT_TRUE(st.ok()) << name << ": " << st.message();
    Result<ModelStats> after = ComputeModelStats(g);
    ASSERT_TRUE(after.ok()) << after.status().message();
    std::printf("%s: %lld -> %lld nodes, %lld MACs\n", name, static_cast<long long>(before->num_nodes),
                static_cast<long long>(after->num_nodes), static_cast<long long>(after->macs));
    EXPECT_EQ(after->macs, before->macs) << name;
    EXPECT_LT(after->num_nodes, before->num_nodes) << name;
  }
}

// The zoo_all models, checked when the build has generated them into <build>/models.
TEST_F(ZooTest, LargeModelsWhenBuilt) {
  struct Want { const char* name; double params; double macs; };
  // Published: ResNet-152 60.19 M / 11.5 GMAC; VGG19 143.67 M / 19.6 GMAC; Inception V3 without
  // its aux head 23.83 M / 5.7 GMAC at 299².
  const Want wants[] = {{"resnet152", 60.19e6, 11.5e9}, {"vgg19", 143.67e6, 19.6e9}, {"inception_v3", 23.83e6, 5.7e9}};
  int checked = 0;
  for (const Want& w : wants) {
    const fs::path p = fs::path(EDGEINFER_BINARY_DIR) / "models" / (std::string(w.name) + ".onnx");
    if (!fs::exists(p)) continue;
    ++checked;
    Graph g = Import(p);
    Result<ModelStats> s = ComputeModelStats(g);
    ASSERT_TRUE(s.ok()) << s.status().message();
    std::printf("%s: %lld params, %.3f GMAC, batch 1\n", w.name, static_cast<long long>(s->params),
                static_cast<double>(s->macs) / 1e9);
    ExpectNear(static_cast<double>(s->params), w.params, 0.01, w.name);
    ExpectNear(static_cast<double>(s->macs), w.macs, 0.03, w.name);
  }
  if (checked == 0) GTEST_SKIP() << "build the zoo_all target to check resnet152, vgg19 and inception_v3";
}

}  // namespace
}  // namespace edgeinfer
