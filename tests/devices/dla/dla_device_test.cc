// The functional DLA model against the INT8 reference, bit for bit: seeded random fused layers
// (both accumulation paths: oneDNN's exact s32 and our own loops), tiny_cnn, and whole zoo models
// (ResNet-50, MobileNetV2, SSD-MobileNet at batch 1) run through the partition with the GPU
// fallback segments on the reference.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "devices/dla/capability.h"
#include "devices/dla/dla_device.h"
#include "runtime/partition.h"
#include "tests/devices/dla/dla_test_util.h"

namespace edgeinfer::devices {
namespace {

using testing::Int8Builder;

// Runs g on the DLA model and on the reference; every output must match byte for byte.
void ExpectBitExact(const Graph& g, const TensorMap& in, bool onednn, const std::string& what) {
  auto ref = RunReference(g, in);
  ASSERT_TRUE(ref.ok()) << what << ": " << ref.status().message();
  DlaDeviceOptions o;
  o.use_onednn = onednn;
  o.num_threads = 2;
  DlaDevice dev(testing::Profile("orin-agx"), o);
  Status s = dev.Prepare(std::make_shared<const Graph>(g));
  ASSERT_TRUE(s.ok()) << what << ": " << s.message();
  TensorMap out;
  s = dev.Launch(in, &out);
  ASSERT_TRUE(s.ok()) << what << ": " << s.message();
  for (ValueId v : g.outputs()) {
    const std::string& name = g.value(v).name;
    const Tensor& a = ref->at(name);
    const Tensor& b = out.at(name);
    ASSERT_EQ(a.dims(), b.dims()) << what;
    ASSERT_EQ(a.dtype(), b.dtype()) << what;
    int64_t bad = 0;
    for (size_t i = 0; i < a.bytes(); ++i) bad += static_cast<const uint8_t*>(a.raw())[i] != static_cast<const uint8_t*>(b.raw())[i];
    EXPECT_EQ(bad, 0) << what << " output '" << name << "' differs in " << bad << " bytes\n" << dev.Explain();
  }
}

// One random INT8 layer graph per seed: a fused conv (random geometry, activation, optional fused
// pool), followed by one of: a residual conv, standalone MaxPool, ReLU, or Flatten + Gemm.
Graph RandomLayerGraph(uint32_t seed, std::string* what) {
  std::mt19937 rng(seed);
  auto pick = [&](std::vector<int64_t> v) { return v[rng() % v.size()]; };
  Int8Builder b;
  b.seed = seed * 7 + 1;
  const int64_t c = pick({3, 4, 8, 16, 32, 48, 64}), h = 5 + rng() % 16, w = 5 + rng() % 16;
  const int64_t kernel = pick({1, 3, 5, 7});
  const int64_t stride = 1 + rng() % 3, dilation = (kernel > 1 && rng() % 4 == 0) ? 2 : 1;
  const int64_t pad = std::min<int64_t>(kernel - 1, rng() % 3);
  int64_t group = 1, k = pick({4, 8, 16, 32, 40});
  if (c % 4 == 0 && c >= 8 && rng() % 3 == 0) { group = c / 4; k = group * pick({4, 8}); }
  const std::string acts[] = {"", "Relu", "Clip", "Sigmoid", "Tanh"};
  const std::string act = acts[rng() % 5];
  const int64_t n = rng() % 4 == 0 ? 2 : 1;
  ValueId x = b.Input("x", {n, c, h + dilation * kernel, w + dilation * kernel}, 0.02f + 0.01f * static_cast<float>(rng() % 5));
  const int tail = static_cast<int>(rng() % 5);
  std::string pool;
  if (tail == 4) pool = rng() % 2 ? "MaxPool" : "AveragePool";
  const int64_t pool_k = pick({2, 3}), pool_pad = pool_k == 3 ? static_cast<int64_t>(rng() % 2) : 0;
  ValueId y = b.Conv("conv", x, k, kernel, stride, pad, group, act, kNoValue, pool, pool_k, 2, pool_pad, dilation);
  *what = "seed " + std::to_string(seed) + ": n" + std::to_string(n) + " c" + std::to_string(c) + " k" + std::to_string(k) +
          " kernel " + std::to_string(kernel) + " stride " + std::to_string(stride) + " pad " + std::to_string(pad) +
          " dil " + std::to_string(dilation) + " group " + std::to_string(group) + " act '" + act + "' pool '" + pool + "' tail " +
          std::to_string(tail);
  switch (tail) {
    case 0: y = b.Conv("res", y, k, 3, 1, 1, 1, rng() % 2 ? "Relu" : "", y); break;
    case 1: {
      Attributes a;
      a.Set("kernel_shape", std::vector<int64_t>{2, 2});
      a.Set("strides", std::vector<int64_t>{1, 1});
      a.Set("pads", std::vector<int64_t>{1, 1, 1, 1});
      y = b.Op("MaxPool", "pool", {y}, a, b.ScaleOf(y));
      break;
    }
    case 2: y = b.Op("Relu", "relu", {y}, {}, b.ScaleOf(y)); break;
    case 3: {
      const Shape& ys = b.g.value(y).shape;
      if (ys.dims[1] * ys.dims[2] * ys.dims[3] > 8192) {   // a flattened row the DLA can hold (max_dim)
        y = b.Op("Relu", "relu", {y}, {}, b.ScaleOf(y));
        break;
      }
      Attributes a;
      a.Set("axis", int64_t{1});
      y = b.Op("Flatten", "flatten", {y}, a, b.ScaleOf(y));
      y = b.Gemm("fc", y, pick({10, 33}), rng() % 2, rng() % 2 ? "Relu" : "Sigmoid");
      break;
    }
    default: break;
  }
  b.Output(y);
  return b.g;
}

TEST(DlaDevice, RandomLayersBitExact) {
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    std::string what;
    Graph g = RandomLayerGraph(seed, &what);
    TensorMap in = testing::RandomInputs(g, seed + 1000);
    ExpectBitExact(g, in, true, what + " [onednn]");
    ExpectBitExact(g, in, false, what + " [direct]");
  }
}

// Standalone INT8 pooling on the DLA's pool unit: AveragePool (random window, stride, pads,
// count_include_pad, ceil_mode), MaxPool, and GlobalAveragePool (the head of a classifier).
TEST(DlaDevice, StandalonePoolsBitExact) {
  for (uint32_t seed = 1; seed <= 24; ++seed) {
    std::mt19937 rng(seed);
    Int8Builder b;
    b.seed = seed * 13 + 5;
    const int64_t c = 4 + rng() % 29, h = 3 + rng() % 4, w = 3 + rng() % 4;   // the GAP window stays <= 8 (DLA limit)
    ValueId x = b.Input("x", {1 + seed % 2, c, h + 2, w + 2}, 0.03f);
    ValueId y = b.Conv("conv", x, c, 3, 1, 0, 1, "");
    const int64_t kh = 1 + rng() % 3, kw = 1 + rng() % 3;
    Attributes a;
    a.Set("kernel_shape", std::vector<int64_t>{kh, kw});
    a.Set("strides", std::vector<int64_t>{1 + static_cast<int64_t>(rng() % 2), 1 + static_cast<int64_t>(rng() % 2)});
    a.Set("pads", std::vector<int64_t>{static_cast<int64_t>(rng() % kh), static_cast<int64_t>(rng() % kw),
                                       static_cast<int64_t>(rng() % kh), static_cast<int64_t>(rng() % kw)});
    a.Set("count_include_pad", static_cast<int64_t>(rng() % 2));
    a.Set("ceil_mode", static_cast<int64_t>(rng() % 2));
    const std::string op = seed % 3 == 0 ? "MaxPool" : "AveragePool";
    ValueId p = b.Op(op, "pool", {y}, a, b.ScaleOf(y));
    b.Output(b.Op("GlobalAveragePool", "gap", {p}, {}, b.ScaleOf(y)));
    Attributes rq;   // requantized to its own (narrower) scale
    rq.Set("x_scale", b.ScaleOf(y));
    rq.Set("y_scale", b.ScaleOf(y) * 0.3f);
    b.Output(b.Op("GlobalAveragePool", "gapq", {p}, rq, b.ScaleOf(y) * 0.3f));
    b.Output(p);
    const std::string what = "seed " + std::to_string(seed) + " " + op + " c" + std::to_string(c) + " k" + std::to_string(kh) + "x" +
                             std::to_string(kw);
    TensorMap in = testing::RandomInputs(b.g, seed + 2000);
    ExpectBitExact(b.g, in, true, what);
    DlaDevice dev(testing::Profile("orin-agx"), DlaDeviceOptions{});
    ASSERT_TRUE(dev.Prepare(std::make_shared<const Graph>(b.g)).ok()) << what;
    EXPECT_NE(dev.Explain().find("int8 " + op + " (pool unit"), std::string::npos) << what << "\n" << dev.Explain();
    EXPECT_NE(dev.Explain().find("int8 GlobalAveragePool (pool unit"), std::string::npos) << what << "\n" << dev.Explain();
    EXPECT_NE(dev.Explain().find("requantized to y_scale"), std::string::npos) << what << "\n" << dev.Explain();
  }
}

// Data movement on the DLA: INT8 Concat (one scale), Resize nearest, Reshape, then a Gemm.
TEST(DlaDevice, DataMovementBitExact) {
  Int8Builder b;
  ValueId x = b.Input("x", {1, 8, 6, 6});
  ValueId a = b.Conv("a", x, 8, 3, 1, 1);
  ValueId c = b.Conv("c", x, 24, 1, 1, 0);
  // One scale on both concat inputs (the rule for INT8 Concat).
  const float s = b.ScaleOf(a);
  b.g.node(*b.g.FindNode("c")).attrs.Set("y_scale", s);
  b.g.value(c).quant->scale = {s};
  Attributes ax;
  ax.Set("axis", int64_t{1});
  ValueId cat = b.Op("Concat", "cat", {a, c}, ax, s);
  ValueId scales = b.g.AddConstant("scales", Tensor::FromVector(DType::kFloat32, {4}, std::vector<float>{1.f, 1.f, 2.f, 2.f}));
  Attributes ra;
  ra.Set("mode", std::string("nearest"));
  ValueId up = b.Op("Resize", "up", {cat, kNoValue, scales}, ra, s);
  ValueId shape = b.g.AddConstant("shape", Tensor::FromVector(DType::kInt64, {2}, std::vector<int64_t>{1, 32 * 12 * 12 / 4 * 4}));
  ValueId flat = b.Op("Reshape", "flat", {up, shape}, {}, s);
  b.Output(b.Gemm("fc", flat, 16, true, "Relu"));
  b.Output(up);
  SocProfile soc = testing::Profile("orin-agx");
  for (NodeId id : b.g.NodeIds()) {
    Support sp = DlaSupport(soc, b.g, id);
    EXPECT_TRUE(sp.ok) << sp.reason;
  }
  TensorMap in = testing::RandomInputs(b.g, 5);
  ExpectBitExact(b.g, in, true, "data movement [onednn]");
  ExpectBitExact(b.g, in, false, "data movement [direct]");
}

// Operands at the int8 extremes: accumulators far beyond 2^24 stay exact.
TEST(DlaDevice, ExtremeOperandsBitExact) {
  Int8Builder b;
  ValueId x = b.Input("x", {1, 64, 9, 9});
  ValueId y = b.Conv("conv", x, 32, 7, 1, 3, 1, "");
  b.Output(y);
  Graph g = b.g;
  // Every weight -128 and every input -128: 64*49 products of 16384.
  NodeId id = *g.FindNode("conv");
  Tensor w(DType::kInt8, g.value(g.node(id).inputs[1]).shape.dims);
  std::memset(w.raw(), 0x80, w.bytes());
  g.value(g.node(id).inputs[1]).constant = std::make_shared<const Tensor>(std::move(w));
  Tensor xt(DType::kInt8, {1, 64, 9, 9});
  std::memset(xt.raw(), 0x80, xt.bytes());
  ExpectBitExact(g, {{"x", xt}}, true, "extreme [onednn]");
  ExpectBitExact(g, {{"x", xt}}, false, "extreme [direct]");
}

TEST(DlaDevice, PrepareRefusesUnsupportedNodeWithReason) {
  Int8Builder b;
  ValueId x = b.Input("x", {1, 8, 8, 8});
  b.Output(b.Conv("leaky", x, 8, 3, 1, 1, 1, "LeakyRelu"));
  DlaDevice dev(testing::Profile("orin-agx"));
  Status s = dev.Prepare(std::make_shared<const Graph>(b.g));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("ConvBiasAct 'leaky': fused activation LeakyRelu is not a DLA activation"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("orin-agx dla.limits.activations"), std::string::npos) << s.message();
}

// A compiled model through the partition: DLA segments on the DLA model, the rest on the reference.
struct ModelResult {
  int dla_layers = 0, fallback_layers = 0, dla_segments = 0, fallback_segments = 0;
  int64_t bad_bytes = 0, total_bytes = 0;
};

ModelResult RunModelBitExact(const std::string& file, const std::string& soc_name) {
  ModelResult r;
  auto imported = testing::ImportZoo(file, 1);
  EXPECT_TRUE(imported.ok()) << imported.status().message();
  if (!imported.ok()) return r;
  auto g = testing::CompileInt8(*imported, 1, 7);
  EXPECT_TRUE(g.ok()) << file << ": " << g.status().message();
  if (!g.ok()) return r;
  SocProfile soc = testing::Profile(soc_name);
  auto plan = runtime::Partition(*g, soc);
  EXPECT_TRUE(plan.ok()) << plan.status().message();
  if (!plan.ok()) return r;
  if (std::getenv("EI_DLA_EXPLAIN")) std::cout << plan->ToText();   // set to see the plan
  r.dla_layers = plan->NumNodes(runtime::EngineClass::kDla);
  r.fallback_layers = plan->NumNodes(plan->fallback);
  r.dla_segments = plan->NumSegments(runtime::EngineClass::kDla);
  r.fallback_segments = plan->NumSegments(plan->fallback);
  auto shared = std::make_shared<const Graph>(std::move(*g));
  TensorMap in = testing::RandomInputs(*shared, 4242);
  auto t0 = std::chrono::steady_clock::now();
  auto ref = RunReference(*shared, in);
  auto t1 = std::chrono::steady_clock::now();
  EXPECT_TRUE(ref.ok()) << ref.status().message();
  runtime::PartitionedExecutor ex;
  Status s = ex.Prepare(shared, *plan, soc, 2);
  EXPECT_TRUE(s.ok()) << s.message();
  if (!s.ok() || !ref.ok()) return r;
  TensorMap out;
  auto t2 = std::chrono::steady_clock::now();
  s = ex.Launch(in, &out);
  auto t3 = std::chrono::steady_clock::now();
  if (s.ok()) {   // a second, warm run for the host time
    t2 = std::chrono::steady_clock::now();
    s = ex.Launch(in, &out);
    t3 = std::chrono::steady_clock::now();
  }
  EXPECT_TRUE(s.ok()) << s.message();
  if (!s.ok()) return r;
  for (ValueId v : shared->outputs()) {
    const std::string& name = shared->value(v).name;
    const Tensor& a = ref->at(name);
    const Tensor& b = out.at(name);
    EXPECT_EQ(a.dims(), b.dims());
    r.total_bytes += static_cast<int64_t>(a.bytes());
    for (size_t i = 0; i < std::min(a.bytes(), b.bytes()); ++i)
      r.bad_bytes += static_cast<const uint8_t*>(a.raw())[i] != static_cast<const uint8_t*>(b.raw())[i];
  }
  std::cout << "[dla] " << file << " on " << soc_name << ": " << r.dla_layers << " layers on the DLA, " << r.fallback_layers
            << " on the " << runtime::EngineClassName(plan->fallback) << "; segments " << r.dla_segments << " DLA + "
            << r.fallback_segments << " " << runtime::EngineClassName(plan->fallback) << "; outputs " << r.total_bytes
            << " bytes, " << r.bad_bytes << " differ; host ms: reference "
            << std::chrono::duration<double, std::milli>(t1 - t0).count() << ", partitioned (DLA model + reference, warm) "
            << std::chrono::duration<double, std::milli>(t3 - t2).count() << "\n"
            << ex.Describe(std::getenv("EI_DLA_EXPLAIN") != nullptr);
  return r;
}

TEST(DlaModels, TinyCnnBitExact) {
  if (!std::filesystem::exists(testing::ZooDir() / "tiny_cnn.onnx")) GTEST_SKIP() << "no tiny_cnn.onnx in " << testing::ZooDir();
  ModelResult r = RunModelBitExact("tiny_cnn.onnx", "orin-agx");
  EXPECT_GT(r.dla_layers, 0);
  EXPECT_GT(r.total_bytes, 0);
  EXPECT_EQ(r.bad_bytes, 0);
}

// FP16: the compiled tiny_cnn's FP16 layers run on the DLA model (FP16 is the FP32 chain rounded
// once, as the reference defines it) and the partition's result equals the reference's.
TEST(DlaModels, TinyCnnFp16MatchesReference) {
  if (!std::filesystem::exists(testing::ZooDir() / "tiny_cnn.onnx")) GTEST_SKIP() << "no tiny_cnn.onnx in " << testing::ZooDir();
  auto imported = testing::ImportZoo("tiny_cnn.onnx", 1);
  ASSERT_TRUE(imported.ok()) << imported.status().message();
  Graph g = *imported;
  fusions::PipelineOptions po;
  po.precision = fusions::Precision::kFp16;
  fusions::CompileReport rep;
  Status s = fusions::RunPipeline(g, po, &rep);
  ASSERT_TRUE(s.ok()) << s.message();
  SocProfile soc = testing::Profile("orin-agx");
  auto plan = runtime::PlanPartition(g, soc);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  int fp16_on_dla = 0;
  for (const auto& n : plan->nodes) fp16_on_dla += n.engine == runtime::EngineClass::kDla && n.dtype == "fp16";
  EXPECT_GT(fp16_on_dla, 0) << plan->ToText();
  auto shared = std::make_shared<const Graph>(g);
  TensorMap in = testing::RandomInputs(g, 99);
  auto ref = RunReference(g, in);
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  runtime::PartitionedExecutor ex;
  s = ex.Prepare(shared, *plan, soc, 2);
  ASSERT_TRUE(s.ok()) << s.message();
  TensorMap out;
  s = ex.Launch(in, &out);
  ASSERT_TRUE(s.ok()) << s.message();
  for (const auto& [name, t] : *ref) {
    ASSERT_EQ(t.bytes(), out.at(name).bytes());
    EXPECT_EQ(0, std::memcmp(t.raw(), out.at(name).raw(), t.bytes())) << name;
  }
}

TEST(DlaModels, ZooModelsBitExact) {
  int ran = 0;
  for (const char* file : {"resnet50.onnx", "mobilenetv2.onnx", "ssd_mobilenet.onnx"}) {
    if (!std::filesystem::exists(testing::ZooDir() / file)) continue;
    SCOPED_TRACE(file);
    ModelResult r = RunModelBitExact(file, "orin-agx");
    EXPECT_GT(r.dla_layers, 0);
    EXPECT_GT(r.total_bytes, 0);
    EXPECT_EQ(r.bad_bytes, 0);
    ++ran;
  }
  if (!ran) GTEST_SKIP() << "no zoo models in " << testing::ZooDir();
}

}  // namespace
}  // namespace edgeinfer::devices
