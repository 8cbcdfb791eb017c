// Q/DQ models in ONNX Runtime's quantize_static layout (tools/qdq/qdq_models.py: QDQ format,
// per-channel QInt8 symmetric weights, int32 bias, activations QUInt8 / QInt8 asymmetric (ORT's
// defaults) and QInt8 symmetric) compile to our native INT8 graph:
//   * structure: no QuantizeLinear/DequantizeLinear left except at the graph's float I/O, every
//     Conv/Gemm an int8 fused node, with --precision int8 and with the default precision alike;
//   * numbers: the converted graph on the CPU (INT8 reference, the arithmetic every engine is
//     bit-exact to) against the reference executor running the unconverted Q/DQ graph, which is
//     ONNX Runtime's QDQ semantics (QuantizeLinear/DequantizeLinear as ONNX defines them, float
//     ops in between), within the tolerances below, and argmax agreement;
//   * the emulated DLA (orin-agx, partitioned as `run --engine dla` does) bit-exact with the CPU INT8.
// Skips with the reason when /usr/bin/python3 with onnx (Debian python3-onnx) is missing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "devices/cpu/reference_executor.h"
#include "fusions/pass.h"
#include "fusions/pass_list.h"
#include "graph/onnx_import.h"
#include "runtime/partition.h"
#include "tests/devices/dla/dla_test_util.h"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;

int Shell(const std::string& cmd) { return std::system(cmd.c_str()); }

fs::path Generated() {
  static fs::path dir;
  if (!dir.empty()) return dir;
  fs::path d = fs::temp_directory_path() / ("edgeinfer_qdq_models_" + std::to_string(::getpid()));
  fs::create_directories(d);
  const std::string gen = std::string(EDGEINFER_SOURCE_DIR) + "/tools/qdq/qdq_models.py";
  if (Shell("/usr/bin/python3 " + gen + " small " + d.string() + " >/dev/null") == 0) dir = d;
  return dir;
}

bool HavePythonOnnx() { return Shell("/usr/bin/python3 -c 'import onnx, numpy' >/dev/null 2>&1") == 0; }

Graph Compile(const Graph& imported, fusions::Precision p, fusions::CompileReport* rep) {
  Graph g = imported;
  fusions::PipelineOptions po;
  po.precision = p;
  Status s = fusions::RunPipeline(g, po, rep);
  EXPECT_TRUE(s.ok()) << s.message();
  return g;
}

// Q/DQ nodes left that are not the float I/O boundary (a Q reading a graph input, a DQ writing a
// graph output).
int InnerQdq(const Graph& g) {
  int n = 0;
  for (NodeId id : g.NodeIds()) {
    const Node& nd = g.node(id);
    if (nd.op == "QuantizeLinear") {
      bool io = false;
      for (ValueId v : g.inputs()) io = io || v == nd.inputs[0];
      n += !io;
    } else if (nd.op == "DequantizeLinear") {
      n += !g.IsGraphOutput(nd.outputs[0]);
    }
  }
  return n;
}

int64_t Argmax(const Tensor& t) {
  int64_t best = 0;
  for (int64_t i = 1; i < t.numel(); ++i) if (t.data<float>()[i] > t.data<float>()[best]) best = i;
  return best;
}

struct Variant {
  const char* name;
  // Tolerance on max|int8 - qdq| / max|qdq output| over the samples. s8sym carries the model's
  // scales and integers exactly; what differs is where the Q/DQ graph rounds and we do not (the
  // residual Add and the Concat read the convolution in int32, the ReLU/pool/flatten chain keeps
  // one scale) and the fixed-point requantization (half away from zero vs half to even): a few
  // output steps. u8/s8 are asymmetric (zero point 128 / -128 on post-ReLU tensors, elsewhere
  // non-zero): widened to symmetric int8, i.e. about twice the step on every activation.
  double tolerance;
};

class QdqModels : public ::testing::TestWithParam<Variant> {};

TEST_P(QdqModels, SmallConvnetBecomesNativeInt8) {
  if (!HavePythonOnnx()) GTEST_SKIP() << "/usr/bin/python3 with onnx and numpy is missing (apt-get install python3-onnx)";
  const fs::path dir = Generated();
  ASSERT_FALSE(dir.empty()) << "tools/qdq/qdq_models.py failed";
  const Variant v = GetParam();
  auto imported = ImportOnnx((dir / ("small_qdq_" + std::string(v.name) + ".onnx")).string());
  ASSERT_TRUE(imported.ok()) << imported.status().message();
  fusions::CompileReport rep8, rep32;
  Graph g8 = Compile(*imported, fusions::Precision::kInt8, &rep8);
  Graph g32 = Compile(*imported, fusions::Precision::kFp32, &rep32);   // plain compile: Q/DQ imply INT8
  for (const Graph* g : {&g8, &g32}) {
    EXPECT_EQ(InnerQdq(*g), 0) << g->DumpText();
    int int8_compute = 0, compute = 0;
    for (NodeId id : g->NodeIds()) {
      const Node& n = g->node(id);
      if (n.op == "Conv" || n.op == "Gemm" || n.op.find("BiasAct") != std::string::npos || n.op == "ConvEltwiseAct") {
        ++compute;
        int8_compute += g->value(n.inputs[0]).dtype == DType::kInt8;
      }
    }
    EXPECT_EQ(int8_compute, compute) << g->DumpText();
    EXPECT_EQ(compute, 8) << g->DumpText();   // 7 Conv + 1 Gemm, the residual Add inside a ConvEltwiseAct
  }
  EXPECT_EQ(rep8.layers_after, rep32.layers_after);
  for (const auto& r : rep8.refusals)   // (horizontal_conv declining the two branches is not a Q/DQ matter)
    EXPECT_TRUE(r.pass != "convert_qdq" && r.pass != "quantize_int8") << r.pass << " '" << r.node << "': " << r.reason;
  // Numbers against the Q/DQ graph's own semantics.
  double worst = 0.0;
  int agree = 0;
  const int kSamples = 16;
  for (int s = 0; s < kSamples; ++s) {
    devices::TensorMap in = testing::RandomInputs(*imported, 100 + 7 * s);
    for (auto& [name, t] : in)
      for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] *= 2.f;   // about the calibration's N(0, 1) range
    auto ref = devices::RunReference(*imported, in);
    auto q8 = devices::RunReference(g8, in);
    ASSERT_TRUE(ref.ok() && q8.ok()) << (ref.ok() ? q8.status().message() : ref.status().message());
    const Tensor& a = ref->at("output");
    const Tensor& b = q8->at("output");
    double amax = 0.0, diff = 0.0;
    for (int64_t i = 0; i < a.numel(); ++i) {
      amax = std::max(amax, std::fabs(static_cast<double>(a.data<float>()[i])));
      diff = std::max(diff, std::fabs(static_cast<double>(a.data<float>()[i]) - b.data<float>()[i]));
    }
    worst = std::max(worst, diff / std::max(amax, 1e-6));
    agree += Argmax(a) == Argmax(b);
  }
  std::cout << "[qdq] small_qdq_" << v.name << ": layers " << rep8.layers_before << " -> " << rep8.layers_after
            << ", worst max|int8 - qdq| / max|qdq| = " << worst << ", argmax " << agree << "/" << kSamples << "\n";
  EXPECT_LE(worst, v.tolerance);
  EXPECT_GE(agree, kSamples - 1);
}

TEST_P(QdqModels, DlaEqualsCpuInt8BitExact) {
  if (!HavePythonOnnx()) GTEST_SKIP() << "/usr/bin/python3 with onnx and numpy is missing (apt-get install python3-onnx)";
  const fs::path dir = Generated();
  ASSERT_FALSE(dir.empty());
  auto imported = ImportOnnx((dir / ("small_qdq_" + std::string(GetParam().name) + ".onnx")).string());
  ASSERT_TRUE(imported.ok()) << imported.status().message();
  fusions::CompileReport rep;
  Graph g = *imported;
  fusions::PipelineOptions po;
  po.precision = fusions::Precision::kInt8;
  po.disabled.insert("horizontal_conv");   // as sessions with a DLA engine compile
  ASSERT_TRUE(fusions::RunPipeline(g, po, &rep).ok());
  devices::SocProfile soc = testing::Profile("orin-agx");
  auto plan = runtime::Partition(g, soc);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_GT(plan->NumNodes(runtime::EngineClass::kDla), 0) << plan->ToText();
  auto shared = std::make_shared<const Graph>(std::move(g));
  devices::TensorMap in = testing::RandomInputs(*shared, 4242);
  auto ref = devices::RunReference(*shared, in);
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  runtime::PartitionedExecutor ex;
  ASSERT_TRUE(ex.Prepare(shared, *plan, soc, 1).ok());
  devices::TensorMap out;
  Status s = ex.Launch(in, &out);
  ASSERT_TRUE(s.ok()) << s.message();
  const Tensor& a = ref->at("output");
  const Tensor& b = out.at("output");
  ASSERT_EQ(a.bytes(), b.bytes());
  EXPECT_EQ(0, std::memcmp(a.raw(), b.raw(), a.bytes())) << "DLA differs from the CPU INT8 reference";
}

// The zoo's ResNet-50 and MobileNetV2 quantized in ORT's layout (QUInt8 activations, ORT's
// default): every layer of our own calibrated INT8 compile of the float model is INT8 here too
// (same layer count, no Q/DQ inside), and the argmax agrees with the Q/DQ graph's own semantics.
TEST(QdqZooModels, ResNet50AndMobileNetV2BecomeNativeInt8) {
  if (!HavePythonOnnx()) GTEST_SKIP() << "/usr/bin/python3 with onnx and numpy is missing (apt-get install python3-onnx)";
  const fs::path zoo = testing::ZooDir();
  bool ran = false;
  for (const std::string m : {"mobilenetv2", "resnet50"}) {
    if (!fs::exists(zoo / (m + ".onnx"))) continue;
    ran = true;
    const fs::path dir = fs::temp_directory_path() / ("edgeinfer_qdq_zoo_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string gen = std::string(EDGEINFER_SOURCE_DIR) + "/tools/qdq/qdq_models.py";
    ASSERT_EQ(Shell("/usr/bin/python3 " + gen + " " + (zoo / (m + ".onnx")).string() + " " + dir.string() +
                    " --variants u8 --samples 1 >/dev/null"), 0) << m;
    ImportOptions io;
    io.batch = 1;
    auto qdq = ImportOnnx((dir / (m + "_qdq_u8.onnx")).string(), io);
    ASSERT_TRUE(qdq.ok()) << qdq.status().message();
    fusions::CompileReport rep;
    Graph g8 = Compile(*qdq, fusions::Precision::kFp32, &rep);   // plain compile
    EXPECT_EQ(InnerQdq(g8), 0) << m;
    for (const auto& r : rep.refusals)
      EXPECT_TRUE(r.pass != "convert_qdq" && r.pass != "quantize_int8") << m << ": " << r.pass << " '" << r.node << "': " << r.reason;
    // Our own calibrated INT8 compile of the float model, for the layer count.
    auto f32 = testing::ImportZoo(m + ".onnx", 1);
    ASSERT_TRUE(f32.ok());
    auto own = testing::CompileInt8(*f32, 1, 7, false);
    ASSERT_TRUE(own.ok()) << own.status().message();
    int own_layers = fusions::CountLayers(*own);
    EXPECT_EQ(rep.layers_after, own_layers) << m << ": Q/DQ " << rep.layers_before << " -> " << rep.layers_after;
    int agree = 0;
    for (uint32_t s = 0; s < 2; ++s) {
      devices::TensorMap in = testing::RandomInputs(*qdq, 31 + s);
      auto a = devices::RunReference(*qdq, in);
      auto b = devices::RunReference(g8, in);
      ASSERT_TRUE(a.ok() && b.ok());
      agree += Argmax(a->begin()->second) == Argmax(b->begin()->second);
    }
    std::cout << "[qdq] " << m << "_qdq_u8: layers " << rep.layers_before << " -> " << rep.layers_after << " (our calibrated INT8: "
              << own_layers << "), argmax " << agree << "/2\n";
    EXPECT_EQ(agree, 2) << m;
    fs::remove_all(dir);
  }
  if (!ran) GTEST_SKIP() << "no resnet50.onnx / mobilenetv2.onnx in " << zoo;
}

INSTANTIATE_TEST_SUITE_P(Variants, QdqModels,
                         ::testing::Values(Variant{"u8", 0.08}, Variant{"s8", 0.08}, Variant{"s8sym", 0.05}),
                         [](const ::testing::TestParamInfo<Variant>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace edgeinfer
