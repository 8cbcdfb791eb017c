// Engine files: round trip of every part (graph with every AttrValue kind, quantization, constants,
// engines, dead nodes; partition; memory plans; costs; options), bit-exact results of a loaded
// INT8 model against the in-memory compiled graph, clear errors for wrong magic, other versions,
// truncation, trailing bytes and corruption in each section, and a seeded mutation fuzz (with and
// without checksum verification) that must never crash.
#include "runtime/engine_file.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "devices/cpu/reference_executor.h"
#include "fusions/calibration.h"
#include "fusions/pass_list.h"
#include "graph/onnx_import.h"
#include "runtime/engine_build.h"
#include "devices/soc/soc_profile.h"

namespace edgeinfer::runtime {
namespace {

bool Contains(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

// A small graph exercising every serialized feature.
EngineFile SmallEngine() {
  EngineFile e;
  Graph& g = e.graph;
  g.name = "small";
  g.opset = 13;
  Shape xs({kDynamic, 4});
  xs.symbols = {"N", ""};
  ValueId x = g.AddValue("x", DType::kFloat32, xs);
  g.inputs().push_back(x);
  ValueId xq = g.AddValue("x_q", DType::kInt8, xs);
  g.value(xq).quant = QuantParams{{0.05f}, {0}, -1};
  Tensor w(DType::kInt8, {4, 4});
  for (int i = 0; i < 16; ++i) w.data<int8_t>()[i] = static_cast<int8_t>(i * 7 - 50);
  ValueId wv = g.AddConstant("w", std::move(w));
  g.value(wv).quant = QuantParams{{0.1f, 0.2f, 0.3f, 0.4f}, {0, 0, 0, 0}, 0};
  Tensor b(DType::kInt32, {4});
  for (int i = 0; i < 4; ++i) b.data<int32_t>()[i] = -1000 + i;
  ValueId bv = g.AddConstant("b", std::move(b));
  ValueId y = g.AddValue("y", DType::kInt8, xs);
  g.value(y).quant = QuantParams{{0.5f}, {0}, -1};
  ValueId z = g.AddValue("z", DType::kFloat32, xs);
  ValueId dead_out = g.AddValue("dead_out", DType::kFloat32, xs);
  ValueId qs = g.AddConstant("q_scale", Tensor::FromVector<float>(DType::kFloat32, {}, {0.05f}));
  ValueId qz = g.AddConstant("q_zero", Tensor::FromVector<int8_t>(DType::kInt8, {}, {0}));
  ValueId ds = g.AddConstant("dq_scale", Tensor::FromVector<float>(DType::kFloat32, {}, {0.5f}));
  Attributes qa;
  qa.Set("axis", int64_t{1});
  g.AddNode("QuantizeLinear", "q", {x, qs, qz}, {xq}, qa);
  Attributes ga;
  ga.Set("alpha", 1.0f);
  ga.Set("x_scale", 0.05f);
  ga.Set("y_scale", 0.5f);
  ga.Set("transB", int64_t{1});
  ga.Set("w_scale", std::vector<float>{0.1f, 0.2f, 0.3f, 0.4f});
  ga.Set("activation", std::string("Relu"));
  ga.Set("kernel_shape", std::vector<int64_t>{3, 3});
  ga.Set("act_params", std::vector<float>{0.5f, -2.f});
  ga.Set("concat_into", std::vector<std::string>{"cat", ""});
  Tensor at(DType::kFloat16, {2});
  at.data<uint16_t>()[0] = FloatToHalf(1.25f);
  at.data<uint16_t>()[1] = FloatToHalf(-3.f);
  ga.Set("value", std::move(at));
  NodeId gn = g.AddNode("GemmBiasAct", "fc", {xq, wv, bv}, {y}, ga);
  g.node(gn).engine = "dla";
  NodeId dq = g.AddNode("DequantizeLinear", "dq", {y, ds, kNoValue}, {z});
  g.node(dq).engine = "gpu";
  NodeId dn = g.AddNode("Relu", "gone", {z}, {dead_out});
  g.RemoveNode(dn);
  g.outputs().push_back(z);
  e.options.model = "small.onnx";
  e.options.precision = Precision::kInt8;
  e.options.soc = "orin-agx";
  e.options.power_mode = "MAXN";
  e.options.batch = 1;
  e.options.sram_bytes = 1 << 20;
  e.options.tool = "edgeinfer test";
  e.options.extra["calibrator"] = "entropy";
  auto order = g.TopoOrder();
  e.partition.segments = FindEngineRuns(g, *order);
  e.partition.fallback["q"] = "QuantizeLinear 'q': not a DLA op";
  MemoryPlanOptions o;
  o.sram_bytes = 1 << 20;
  e.memory_plans.push_back(*PlanGraphMemory(g, o));
  o.instance = "gpu";
  o.sram_chaining = false;
  e.memory_plans.push_back(*PlanGraphMemory(g, o));
  e.costs.push_back(LayerCost{"fc", "dla", 1.5e-6, 16, 100, 8, "memory"});
  e.predicted_total_s = 2.5e-6;
  return e;
}

TEST(EngineFile, RoundTripKeepsEveryPart) {
  EngineFile e = SmallEngine();
  auto bytes = SerializeEngine(e);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto r = ParseEngine(*bytes, "small.plan");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Graph& a = e.graph;
  const Graph& b = r->graph;
  EXPECT_EQ(a.DumpText(), b.DumpText());
  ASSERT_EQ(a.num_values(), b.num_values());
  ASSERT_EQ(a.num_node_slots(), b.num_node_slots());
  for (size_t i = 0; i < a.num_values(); ++i) {
    const Value& va = a.value(static_cast<ValueId>(i));
    const Value& vb = b.value(static_cast<ValueId>(i));
    EXPECT_EQ(va.name, vb.name);
    EXPECT_EQ(va.dtype, vb.dtype);
    EXPECT_EQ(va.shape.dims, vb.shape.dims);
    EXPECT_EQ(va.shape.symbols, vb.shape.symbols);
    EXPECT_EQ(va.producer, vb.producer) << va.name;
    ASSERT_EQ(va.quant.has_value(), vb.quant.has_value());
    if (va.quant) {
      EXPECT_EQ(va.quant->scale, vb.quant->scale);
      EXPECT_EQ(va.quant->zero_point, vb.quant->zero_point);
      EXPECT_EQ(va.quant->axis, vb.quant->axis);
    }
    ASSERT_EQ(va.IsConstant(), vb.IsConstant());
    if (va.IsConstant()) {
      EXPECT_EQ(va.constant->dims(), vb.constant->dims());
      EXPECT_EQ(va.constant->dtype(), vb.constant->dtype());
      EXPECT_EQ(0, std::memcmp(va.constant->raw(), vb.constant->raw(), va.constant->bytes()));
    }
  }
  for (size_t i = 0; i < a.num_node_slots(); ++i) {
    const Node& na = a.node(static_cast<NodeId>(i));
    const Node& nb = b.node(static_cast<NodeId>(i));
    EXPECT_EQ(na.alive, nb.alive);
    EXPECT_EQ(na.engine, nb.engine);
    EXPECT_EQ(na.inputs, nb.inputs);
    EXPECT_EQ(na.attrs.ToString(), nb.attrs.ToString());
  }
  const Tensor* t = b.node(1).attrs.GetTensor("value");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->dtype(), DType::kFloat16);
  EXPECT_EQ(HalfToFloat(t->data<uint16_t>()[1]), -3.f);
  EXPECT_EQ(b.node(1).attrs.GetFloats("act_params"), (std::vector<float>{0.5f, -2.f}));
  EXPECT_EQ(r->options.soc, "orin-agx");
  EXPECT_EQ(r->options.power_mode, "MAXN");
  EXPECT_EQ(r->options.extra.at("calibrator"), "entropy");
  EXPECT_EQ(r->partition.fallback.at("q"), "QuantizeLinear 'q': not a DLA op");
  ASSERT_EQ(r->memory_plans.size(), 2u);
  const GraphMemoryPlan* p = r->FindPlan("dla0");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->DramPeak(), e.memory_plans[0].DramPeak());
  EXPECT_EQ(p->dram_bytes, e.memory_plans[0].dram_bytes);
  EXPECT_EQ(p->layers.size(), e.memory_plans[0].layers.size());
  ASSERT_EQ(r->costs.size(), 1u);
  EXPECT_EQ(r->costs[0].bound, "memory");
  EXPECT_EQ(r->costs[0].predicted_s, 1.5e-6);
  EXPECT_EQ(r->predicted_total_s, 2.5e-6);
  EXPECT_TRUE(Contains(DescribeEngine(*r), "orin-agx"));
  // Writing what was read gives the same bytes (deterministic format).
  auto again = SerializeEngine(*r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *bytes);
}

TEST(EngineFile, Crc32MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32("123456789", 9), 0xCBF43926u);
  std::string s(1000, 'a');
  EXPECT_EQ(Crc32(s.data() + 3, 997, Crc32(s.data(), 3)), Crc32(s.data(), 1000));
}

TEST(EngineFile, FileRoundTripAndMissingFile) {
  const std::string path = ::testing::TempDir() + "engine_file_test_small.plan";
  ASSERT_TRUE(WriteEngineFile(SmallEngine(), path).ok());
  auto r = ReadEngineFile(path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->graph.NumLiveNodes(), 3u);
  auto m = ReadEngineFile(path + ".missing");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(Contains(m.status().message(), "cannot open")) << m.status().message();
  std::filesystem::remove(path);
}

TEST(EngineFile, ClearErrorsNameTheRule) {
  auto good = SerializeEngine(SmallEngine());
  ASSERT_TRUE(good.ok());
  auto msg = [](const std::string& bytes) {
    auto r = ParseEngine(bytes, "m.plan");
    return r.ok() ? std::string("<ok>") : r.status().message();
  };
  // Wrong magic: an ONNX file, text, empty.
  EXPECT_TRUE(Contains(msg("\x08\x07\x12\x04onnx-model-bytes"), "not an edgeinfer engine file")) << msg("\x08\x07");
  EXPECT_TRUE(Contains(msg(""), "not an edgeinfer engine file"));
  EXPECT_TRUE(Contains(msg("EIPLAN"), "not an edgeinfer engine file"));
  // Another version.
  for (uint32_t ver : {kEngineFileVersion - 1, kEngineFileVersion + 1}) {
    std::string other = *good;
    std::memcpy(other.data() + 8, &ver, 4);
    EXPECT_TRUE(Contains(msg(other), "format version " + std::to_string(ver) + " is not supported")) << msg(other);
    EXPECT_TRUE(Contains(msg(other), "recompile"));
  }
  // Truncations at many points.
  for (size_t cut : {size_t{9}, size_t{40}, size_t{64}, size_t{100}, good->size() / 2, good->size() - 1}) {
    std::string m = msg(good->substr(0, cut));
    EXPECT_TRUE(Contains(m, "truncated")) << "cut " << cut << ": " << m;
  }
  // Trailing bytes.
  EXPECT_TRUE(Contains(msg(*good + "xx"), "trailing")) << msg(*good + "xx");
  // Header corruption.
  std::string h = *good;
  h[20] ^= 1;
  EXPECT_TRUE(Contains(msg(h), "header checksum mismatch")) << msg(h);
  // Corruption inside each section names that section.
  for (const char* tag : {"OPTS", "GRPH", "WGTS", "PART", "MEMP", "COST"}) {
    size_t entry = 64;
    while (entry < 64 + 32 * 6 && good->compare(entry, 4, tag) != 0) entry += 32;
    ASSERT_LT(entry, 64u + 32 * 6) << tag;
    uint64_t off, size;
    std::memcpy(&off, good->data() + entry + 8, 8);
    std::memcpy(&size, good->data() + entry + 16, 8);
    ASSERT_GT(size, 0u) << tag;
    std::string c = *good;
    c[off + size / 2] ^= 0x40;
    std::string m = msg(c);
    EXPECT_TRUE(Contains(m, std::string("section ") + tag + " checksum mismatch")) << tag << ": " << m;
  }
}

TEST(EngineFile, StructuralChecksCatchWhatChecksumsCannot) {
  // With checksums off, a graph id pointing past the values is a structural error, not a crash.
  EngineFile e = SmallEngine();
  e.graph.node(2).inputs[0] = 99;   // corrupt before writing: the writer does not validate ids
  auto bytes = SerializeEngine(e);
  ASSERT_TRUE(bytes.ok());
  auto r = ParseEngine(*bytes, "m.plan");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "input id 99 is out of range")) << r.status().message();
  // A memory plan that does not fit the graph.
  EngineFile f = SmallEngine();
  f.memory_plans[0].values[1].size += 1;   // x_q
  bytes = SerializeEngine(f);
  ASSERT_TRUE(bytes.ok());
  r = ParseEngine(*bytes, "m.plan");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "section MEMP")) << r.status().message();
  // Segments that disagree with the node engines.
  EngineFile s = SmallEngine();
  s.partition.segments[0].engine = "dla";
  bytes = SerializeEngine(s);
  r = ParseEngine(*bytes, "m.plan");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "section PART")) << r.status().message();
}

TEST(EngineFile, SeededMutationsNeverCrash) {
  auto good = SerializeEngine(SmallEngine());
  ASSERT_TRUE(good.ok());
  const uint32_t seed = 1122;
  std::mt19937 rng(seed);
  int rejected = 0, accepted = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string m = *good;
    const int kind = static_cast<int>(rng() % 5);
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < edits; ++k) {
      const size_t at = rng() % m.size();
      switch (kind) {
        case 0: m[at] = static_cast<char>(m[at] ^ (1 << (rng() % 8))); break;     // bit flip
        case 1: m[at] = static_cast<char>(rng()); break;                          // random byte
        case 2: if (at + 4 <= m.size()) { uint32_t v = rng() % 3 ? 0xFFFFFFFFu : rng(); std::memcpy(m.data() + at, &v, 4); } break;
        case 3: m.resize(at); break;                                               // truncate
        default: m.insert(at, std::string(1 + rng() % 16, static_cast<char>(rng()))); break;
      }
      if (m.empty()) break;
    }
    // Half the trials skip checksums so the parser itself sees the garbage.
    EngineReadOptions o;
    o.verify_checksums = trial % 2 == 0;
    auto r = ParseEngine(m, "fuzz.plan", o);
    if (r.ok()) {
      ++accepted;
      // Whatever was accepted is internally consistent.
      EXPECT_TRUE(r->graph.VerifyStructure().ok()) << "seed " << seed << " trial " << trial;
    } else {
      ++rejected;
      EXPECT_TRUE(Contains(r.status().message(), "engine file 'fuzz.plan'")) << r.status().message();
    }
  }
  EXPECT_GT(rejected, 2000);
  std::printf("fuzz: %d rejected, %d accepted (seed %u)\n", rejected, accepted, seed);
}

// Compiles the zoo's tiny CNN to INT8 (calibrated on its own seeded inputs), saves and loads it,
// and checks that the loaded graph gives byte-identical outputs.
TEST(EngineFile, LoadedInt8ModelRunsBitExact) {
  const std::string model = std::string(EDGEINFER_BINARY_DIR) + "/models/tiny_cnn.onnx";
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "zoo model " << model << " not built (tools/zoo)";
  ImportOptions io;
  io.batch = 1;   // the DLA needs static shapes
  auto imported = ImportOnnx(model, io);
  ASSERT_TRUE(imported.ok()) << imported.status().message();
  // Bind the batch, then calibrate on the canonicalised graph's activations.
  Tensor input(DType::kFloat32, {1, 3, 32, 32});
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (int64_t i = 0; i < input.numel(); ++i) input.data<float>()[i] = u(rng);
  const std::string in_name = imported->value(imported->inputs()[0]).name;
  Graph canon = *imported;
  fusions::PipelineOptions po;
  po.stop_before = "conv_eltwise_act";
  fusions::CompileReport rep;
  ASSERT_TRUE(fusions::RunPipeline(canon, po, &rep).ok());
  fusions::CalibrationTable table;
  table.calibrator = "minmax";
  table.batches = 1;
  devices::ReferenceOptions ro;
  ro.on_layer = [&](const Graph& g, NodeId id, const std::vector<const Tensor*>& outs) {
    for (size_t k = 0; k < outs.size(); ++k) {
      if (!outs[k] || outs[k]->dtype() != DType::kFloat32) continue;
      float m = 0;
      for (int64_t i = 0; i < outs[k]->numel(); ++i) m = std::max(m, std::fabs(outs[k]->data<float>()[i]));
      table.amax[g.value(g.node(id).outputs[k]).name] = m;
    }
  };
  devices::TensorMap feed;
  feed[in_name] = input.Clone();
  ASSERT_TRUE(devices::RunReference(canon, feed, ro).ok());
  table.amax[in_name] = 1.f;
  Graph g = *imported;
  po = fusions::PipelineOptions{};
  po.precision = fusions::Precision::kInt8;
  po.calibration = &table;
  Status s = fusions::RunPipeline(g, po, &rep);
  ASSERT_TRUE(s.ok()) << s.message();
  int int8_nodes = 0;
  for (NodeId id : g.NodeIds()) {
    for (ValueId v : g.node(id).outputs) int8_nodes += g.value(v).dtype == DType::kInt8;
  }
  EXPECT_GT(int8_nodes, 3);
  // Partition on orin-agx (sets Node::engine) and build the engine: plans per DLA core and the GPU.
  auto soc = devices::LoadSocProfile("orin-agx");
  ASSERT_TRUE(soc.ok()) << soc.status().message();
  auto part = Partition(g, *soc);
  ASSERT_TRUE(part.ok()) << part.status().message();
  EngineBuildOptions bo;
  bo.precision = Precision::kInt8;
  bo.sram_bytes = 1 << 20;
  auto built = BuildEngine(g, &*soc, &*part, bo);
  ASSERT_TRUE(built.ok()) << built.status().message();
  EngineFile& e = *built;
  ASSERT_NE(e.FindPlan("dla0"), nullptr);
  ASSERT_NE(e.FindPlan("dla1"), nullptr);
  ASSERT_NE(e.FindPlan("gpu"), nullptr);
  EXPECT_EQ(e.FindPlan("dla0")->plan.spaces.size(), 2u);
  EXPECT_EQ(e.costs.size(), g.NumLiveNodes());
  EXPECT_GT(e.predicted_total_s, 0.0);
  int on_dla = 0;
  for (NodeId id : g.NodeIds()) on_dla += g.node(id).engine == "dla";
  EXPECT_GT(on_dla, 0) << part->ToText();
  const std::string path = ::testing::TempDir() + "engine_file_test_tiny.plan";
  ASSERT_TRUE(WriteEngineFile(e, path).ok());
  auto loaded = ReadEngineFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  std::filesystem::remove(path);
  for (NodeId id : g.NodeIds()) EXPECT_EQ(loaded->graph.node(id).engine, g.node(id).engine);
  EXPECT_EQ(loaded->partition.order, e.partition.order);
  EXPECT_EQ(loaded->FindPlan("dla0")->dram_bytes, e.FindPlan("dla0")->dram_bytes);
  auto want = devices::RunReference(g, feed);
  auto got = devices::RunReference(loaded->graph, feed);
  ASSERT_TRUE(want.ok()) << want.status().message();
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(want->size(), got->size());
  for (const auto& [name, t] : *want) {
    const Tensor& o = got->at(name);
    ASSERT_EQ(t.dims(), o.dims());
    ASSERT_EQ(t.bytes(), o.bytes());
    EXPECT_EQ(0, std::memcmp(t.raw(), o.raw(), t.bytes())) << name;
  }
}

}  // namespace
}  // namespace edgeinfer::runtime
