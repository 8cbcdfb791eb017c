// Memory plan of graphs: lifetimes, DRAM arena, SRAM chaining inside DLA segments (spill when it
// does not fit), traffic with and without chaining, in-place Concat, validation of a plan against
// its graph; a seeded random sweep of chain graphs through the overlap checker.
#include "runtime/memory_plan.h"

#include <cstdio>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

namespace edgeinfer::runtime {
namespace {

// x -> n0 -> v0 -> n1 -> v1 ... -> n{k-1} -> y ; each value int8 [1,C,H,W] of `bytes` bytes.
Graph Chain(const std::vector<int64_t>& bytes, const std::vector<std::string>& engines) {
  Graph g;
  ValueId x = g.AddValue("x", DType::kInt8, Shape({kDynamic, bytes[0]}));
  g.inputs().push_back(x);
  ValueId prev = x;
  for (size_t i = 0; i < engines.size(); ++i) {
    ValueId v = g.AddValue("v" + std::to_string(i), DType::kInt8, Shape({kDynamic, bytes[i + 1]}));
    NodeId n = g.AddNode("Relu", "n" + std::to_string(i), {prev}, {v});
    g.node(n).engine = engines[i];
    prev = v;
  }
  g.outputs().push_back(prev);
  return g;
}

const LayerTraffic& Layer(const GraphMemoryPlan& p, const std::string& name) {
  for (const LayerTraffic& t : p.layers) if (t.node == name) return t;
  static LayerTraffic none;
  ADD_FAILURE() << "no layer " << name;
  return none;
}

TEST(MemoryPlan, DramOnlyChainReusesMemory) {
  Graph g = Chain({1000, 1000, 1000, 1000, 1000}, {"gpu", "gpu", "gpu", "gpu"});
  MemoryPlanOptions o;
  o.instance = "gpu";
  o.batch = 2;   // symbolic dims take the batch: 2000 bytes per tensor
  auto p = PlanGraphMemory(g, o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->plan.spaces.size(), 1u);
  EXPECT_EQ(p->values[0].size, 2000);
  // Two tensors live at each step (input and output): a ping-pong of 2 x 2048 (64-aligned).
  EXPECT_EQ(p->DramLowerBound(), 4000);
  EXPECT_LE(p->DramPeak(), 4096);
  // Traffic: every node reads 2000 and writes 2000.
  EXPECT_EQ(p->dram_bytes_unchained, 4 * 4000);
  EXPECT_EQ(p->dram_bytes, p->dram_bytes_unchained);
  EXPECT_EQ(p->SavedFraction(), 0.0);
  EXPECT_TRUE(ValidateGraphMemoryPlan(g, *p).ok());
}

TEST(MemoryPlan, IntermediatesOfOneDlaSegmentGoToSram) {
  // gpu n0 | dla n1 n2 n3 | gpu n4: v1, v2 are produced and consumed inside the DLA segment.
  Graph g = Chain({100, 100, 100, 100, 100, 100}, {"gpu", "dla", "dla", "dla", "gpu"});
  MemoryPlanOptions o;
  o.sram_bytes = 1024;
  auto p = PlanGraphMemory(g, o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->plan.spaces.size(), 2u);
  EXPECT_EQ(p->plan.spaces[1].name, "dla0.sram");
  ASSERT_EQ(p->segments.size(), 3u);
  EXPECT_EQ(p->segments[1].engine, "dla");
  EXPECT_EQ(p->segments[1].num_steps, 3);
  auto space = [&](const std::string& v) { return p->plan.placements[static_cast<size_t>(p->values[static_cast<size_t>(*g.FindValue(v))].buffer)].space; };
  EXPECT_EQ(space("v0"), 0);   // crosses gpu -> dla
  EXPECT_EQ(space("v1"), 1);
  EXPECT_EQ(space("v2"), 1);
  EXPECT_EQ(space("v3"), 0);   // crosses dla -> gpu
  EXPECT_EQ(space("v4"), 0);   // graph output
  // n2 reads v1 and writes v2, both in SRAM: no DRAM traffic.
  EXPECT_EQ(Layer(*p, "n2").dram_bytes, 0);
  EXPECT_EQ(Layer(*p, "n2").dram_bytes_unchained, 200);
  EXPECT_EQ(Layer(*p, "n2").sram_bytes, 200);
  EXPECT_EQ(Layer(*p, "n1").dram_bytes, 100);   // reads v0 from DRAM, writes v1 to SRAM
  EXPECT_EQ(p->dram_bytes_unchained, 5 * 200);
  EXPECT_EQ(p->dram_bytes, 5 * 200 - 4 * 100);
  EXPECT_NEAR(p->SavedFraction(), 0.4, 1e-12);
  EXPECT_TRUE(ValidateGraphMemoryPlan(g, *p).ok());
  // Without chaining everything is in DRAM.
  o.sram_chaining = false;
  auto q = PlanGraphMemory(g, o);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->plan.spaces.size(), 1u);
  EXPECT_EQ(q->dram_bytes, q->dram_bytes_unchained);
}

TEST(MemoryPlan, TooLargeForSramSpillsToDram) {
  Graph g = Chain({64, 5000, 64, 64}, {"dla", "dla", "dla"});
  MemoryPlanOptions o;
  o.sram_bytes = 4096;
  auto p = PlanGraphMemory(g, o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  auto space = [&](const std::string& v) { return p->plan.placements[static_cast<size_t>(p->values[static_cast<size_t>(*g.FindValue(v))].buffer)].space; };
  EXPECT_EQ(space("v0"), 0);   // 5000 bytes > 4096: spills, not an error
  EXPECT_EQ(space("v1"), 1);
  EXPECT_LE(p->plan.peak[1], 4096);
}

TEST(MemoryPlan, SramCapacityForcesChoiceAndStaysWithinIt) {
  // Three 600-byte intermediates live at once in a 1024-byte SRAM: at most one fits at a time.
  Graph g;
  ValueId x = g.AddValue("x", DType::kInt8, Shape({1, 64}));
  g.inputs().push_back(x);
  std::vector<ValueId> mids;
  for (int i = 0; i < 3; ++i) {
    ValueId v = g.AddValue("m" + std::to_string(i), DType::kInt8, Shape({1, 600}));
    g.node(g.AddNode("Relu", "p" + std::to_string(i), {x}, {v})).engine = "dla";
    mids.push_back(v);
  }
  ValueId y = g.AddValue("y", DType::kInt8, Shape({1, 600}));
  g.node(g.AddNode("Sum", "s", mids, {y})).engine = "dla";
  g.outputs().push_back(y);
  MemoryPlanOptions o;
  o.sram_bytes = 1024;
  auto p = PlanGraphMemory(g, o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  int in_sram = 0;
  for (ValueId v : mids) in_sram += p->plan.placements[static_cast<size_t>(p->values[static_cast<size_t>(v)].buffer)].space == 1;
  EXPECT_EQ(in_sram, 1);
  EXPECT_TRUE(CheckMemoryPlan(p->plan).ok());
  // Sum reads each distinct input once.
  EXPECT_EQ(Layer(*p, "s").dram_bytes_unchained, 4 * 600);
}

TEST(MemoryPlan, InPlaceConcatSharesOneBuffer) {
  Graph g;
  ValueId x = g.AddValue("x", DType::kInt8, Shape({1, 4, 2, 2}));
  g.inputs().push_back(x);
  ValueId a = g.AddValue("a", DType::kInt8, Shape({1, 4, 2, 2}));
  ValueId b = g.AddValue("b", DType::kInt8, Shape({1, 4, 2, 2}));
  ValueId c = g.AddValue("c", DType::kInt8, Shape({1, 8, 2, 2}));
  ValueId y = g.AddValue("y", DType::kInt8, Shape({1, 8, 2, 2}));
  g.AddNode("Relu", "pa", {x}, {a});
  g.AddNode("Relu", "pb", {x}, {b});
  Attributes ca;
  ca.Set("axis", int64_t{1});
  ca.Set("in_place", int64_t{1});
  g.AddNode("Concat", "cat", {a, b}, {c}, ca);
  g.AddNode("Relu", "post", {c}, {y});
  g.outputs().push_back(y);
  auto p = PlanGraphMemory(g, MemoryPlanOptions{});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->in_place_concats, 1);
  EXPECT_EQ(p->values[static_cast<size_t>(a)].buffer, p->values[static_cast<size_t>(c)].buffer);
  EXPECT_EQ(p->values[static_cast<size_t>(b)].buffer, p->values[static_cast<size_t>(c)].buffer);
  EXPECT_EQ(p->values[static_cast<size_t>(a)].offset_in_buffer, 0);
  EXPECT_EQ(p->values[static_cast<size_t>(b)].offset_in_buffer, 16);
  EXPECT_EQ(Layer(*p, "cat").dram_bytes_unchained, 0);   // copies nothing
  EXPECT_TRUE(ValidateGraphMemoryPlan(g, *p).ok());
  // Without the honouring option the Concat has its own buffer and copies.
  MemoryPlanOptions o;
  o.concat_in_place = false;
  auto q = PlanGraphMemory(g, o);
  ASSERT_TRUE(q.ok());
  EXPECT_NE(q->values[static_cast<size_t>(a)].buffer, q->values[static_cast<size_t>(c)].buffer);
  EXPECT_EQ(Layer(*q, "cat").dram_bytes_unchained, 64);
}

TEST(MemoryPlan, StridedConcatSlicesAreNotAliased) {
  // Batch 2 on a channel concat: the slices are strided, so the mark is not honoured.
  Graph g;
  ValueId x = g.AddValue("x", DType::kInt8, Shape({kDynamic, 4}));
  g.inputs().push_back(x);
  ValueId a = g.AddValue("a", DType::kInt8, Shape({kDynamic, 4}));
  ValueId b = g.AddValue("b", DType::kInt8, Shape({kDynamic, 4}));
  ValueId c = g.AddValue("c", DType::kInt8, Shape({kDynamic, 8}));
  g.AddNode("Relu", "pa", {x}, {a});
  g.AddNode("Relu", "pb", {x}, {b});
  Attributes ca;
  ca.Set("axis", int64_t{1});
  ca.Set("in_place", int64_t{1});
  g.AddNode("Concat", "cat", {a, b}, {c}, ca);
  g.outputs().push_back(c);
  MemoryPlanOptions o;
  o.batch = 2;
  auto p = PlanGraphMemory(g, o);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->in_place_concats, 0);
  o.batch = 1;
  auto q = PlanGraphMemory(g, o);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->in_place_concats, 1);
}

TEST(MemoryPlan, ErrorsNameTheValueAndRule) {
  Graph g = Chain({10, 10}, {"gpu"});
  g.value(1).dtype = DType::kString;
  auto p = PlanGraphMemory(g, MemoryPlanOptions{});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("'v0'"), std::string::npos) << p.status().message();
  MemoryPlanOptions o;
  o.batch = 0;
  EXPECT_FALSE(PlanGraphMemory(Chain({10, 10}, {"gpu"}), o).ok());
}

TEST(MemoryPlan, ValidateRejectsAPlanOfAnotherGraph) {
  Graph g = Chain({100, 100, 100}, {"dla", "dla"});
  auto p = PlanGraphMemory(g, MemoryPlanOptions{});
  ASSERT_TRUE(p.ok());
  Graph bigger = Chain({100, 200, 100}, {"dla", "dla"});
  Status s = ValidateGraphMemoryPlan(bigger, *p);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'v0'"), std::string::npos) << s.message();
  Graph longer = Chain({100, 100, 100, 100}, {"dla", "dla", "dla"});
  EXPECT_FALSE(ValidateGraphMemoryPlan(longer, *p).ok());
}

TEST(MemoryPlan, ExplainAndJsonCarryTheFigures) {
  Graph g = Chain({100, 100, 100, 100}, {"dla", "dla", "dla"});
  MemoryPlanOptions o;
  o.sram_bytes = 1024;
  auto p = PlanGraphMemory(g, o);
  ASSERT_TRUE(p.ok());
  std::string text = ExplainMemoryPlan(*p);
  EXPECT_NE(text.find("dla0.sram"), std::string::npos) << text;
  EXPECT_NE(text.find("saved"), std::string::npos);
  EXPECT_NE(text.find("n1"), std::string::npos);
  std::string json = MemoryPlanJson(*p);
  EXPECT_NE(json.find("\"activation_dram_bytes_unchained\": 600"), std::string::npos) << json;
}

TEST(MemoryPlan, SeededRandomGraphsPassTheChecker) {
  const uint32_t seed = 20261122;
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 200; ++trial) {
    // A random DAG: each node reads one or two earlier values.
    Graph g;
    std::vector<ValueId> vals = {g.AddValue("x", DType::kInt8, Shape({1, 1 + static_cast<int64_t>(rng() % 3000)}))};
    g.inputs().push_back(vals[0]);
    const int n = 2 + static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) {
      std::vector<ValueId> in = {vals[rng() % vals.size()]};
      if (rng() % 2) in.push_back(vals[rng() % vals.size()]);
      ValueId v = g.AddValue("v" + std::to_string(i), rng() % 2 ? DType::kInt8 : DType::kFloat16,
                             Shape({1, 1 + static_cast<int64_t>(rng() % 3000)}));
      g.node(g.AddNode("Sum", "n" + std::to_string(i), in, {v})).engine = rng() % 4 ? "dla" : "gpu";
      vals.push_back(v);
    }
    g.outputs().push_back(vals.back());
    MemoryPlanOptions o;
    o.sram_bytes = static_cast<int64_t>(rng() % 8192);
    auto p = PlanGraphMemory(g, o);
    ASSERT_TRUE(p.ok()) << "seed " << seed << " trial " << trial << ": " << p.status().message();
    ASSERT_TRUE(ValidateGraphMemoryPlan(g, *p).ok()) << "seed " << seed << " trial " << trial;
    EXPECT_LE(p->dram_bytes, p->dram_bytes_unchained);
    EXPECT_EQ(p->dram_bytes + p->sram_bytes, p->dram_bytes_unchained) << "seed " << seed << " trial " << trial;
    EXPECT_GE(p->DramPeak(), p->DramLowerBound());
  }
}

}  // namespace
}  // namespace edgeinfer::runtime

// ---------------------------------------------------------------- zoo figures
// The memory figures of issue 5 on the zoo's models, compiled to INT8 as the CLI does (with a
// uniform calibration table: the plan depends on shapes, dtypes and engines, not on the scales),
// partitioned on orin-agx: SRAM chaining with 1 MiB per DLA core and the DRAM arena's peak
// against its lower bound, at batch 1 and 4. Skipped when the zoo was not built.
#include "devices/soc/soc_profile.h"
#include "fusions/calibration.h"
#include "fusions/pass_list.h"
#include "graph/onnx_import.h"
#include "runtime/partition.h"

namespace edgeinfer::runtime {
namespace {

struct ZooFigures {
  double saved = 0;
  double arena_ratio = 0;
};

ZooFigures PlanZooModel(const std::string& name, int64_t batch) {
  const std::string model = std::string(EDGEINFER_BINARY_DIR) + "/models/" + name + ".onnx";
  ZooFigures f;
  ImportOptions io;
  io.batch = batch;
  auto g = ImportOnnx(model, io);
  EXPECT_TRUE(g.ok()) << g.status().message();
  if (!g.ok()) return f;
  fusions::CalibrationTable table;
  table.calibrator = "uniform (test)";
  Graph canon = *g;
  fusions::PipelineOptions po;
  po.stop_before = "conv_eltwise_act";
  fusions::CompileReport rep;
  EXPECT_TRUE(fusions::RunPipeline(canon, po, &rep).ok());
  for (size_t i = 0; i < canon.num_values(); ++i) table.amax[canon.value(static_cast<ValueId>(i)).name] = 4.f;
  po = fusions::PipelineOptions{};
  po.precision = fusions::Precision::kInt8;
  po.calibration = &table;
  Status s = fusions::RunPipeline(*g, po, &rep);
  EXPECT_TRUE(s.ok()) << s.message();
  auto soc = devices::LoadSocProfile("orin-agx");
  EXPECT_TRUE(soc.ok());
  auto part = Partition(*g, *soc);
  EXPECT_TRUE(part.ok()) << part.status().message();
  if (!s.ok() || !soc.ok() || !part.ok()) return f;
  MemoryPlanOptions o;
  o.batch = batch;
  o.sram_bytes = 1 << 20;
  for (const NodeAssignment& a : part->nodes) o.order.push_back(a.node);
  auto p = PlanGraphMemory(*g, o);
  EXPECT_TRUE(p.ok()) << p.status().message();
  if (!p.ok()) return f;
  EXPECT_TRUE(ValidateGraphMemoryPlan(*g, *p).ok());
  f.saved = p->SavedFraction();
  f.arena_ratio = static_cast<double>(p->DramPeak()) / static_cast<double>(p->DramLowerBound());
  int64_t dla_unchained = 0, dla_chained = 0;
  for (const LayerTraffic& t : p->layers) {
    if (t.engine == "dla") { dla_unchained += t.dram_bytes_unchained; dla_chained += t.dram_bytes; }
  }
  std::printf("%-14s batch %lld: %zu layers, DRAM arena peak %lld / lower bound %lld = %.3f; SRAM %.3f MiB used; activation DRAM "
              "traffic %lld -> %lld bytes (saved %.1f%%; DLA layers alone %.1f%%)\n",
              name.c_str(), static_cast<long long>(batch), p->layers.size(), static_cast<long long>(p->DramPeak()),
              static_cast<long long>(p->DramLowerBound()), f.arena_ratio, p->plan.peak.size() > 1 ? p->plan.peak[1] / 1048576.0 : 0.0,
              static_cast<long long>(p->dram_bytes_unchained), static_cast<long long>(p->dram_bytes), 100.0 * f.saved,
              dla_unchained ? 100.0 * (1.0 - static_cast<double>(dla_chained) / static_cast<double>(dla_unchained)) : 0.0);
  return f;
}

TEST(MemoryPlanZoo, ArenaNearLowerBoundAndChainingSavesDram) {
  const std::string dir = std::string(EDGEINFER_BINARY_DIR) + "/models/";
  for (const char* m : {"resnet50", "mobilenetv2", "ssd_mobilenet"}) {
    if (!std::ifstream(dir + m + ".onnx")) GTEST_SKIP() << "zoo model " << dir << m << ".onnx not built (tools/zoo)";
  }
  const ZooFigures r50 = PlanZooModel("resnet50", 1);
  EXPECT_GE(r50.saved, 0.40);   // issue 5's target: >= 40% of activation DRAM traffic saved
  EXPECT_LE(r50.arena_ratio, 1.10);
  for (const char* m : {"mobilenetv2", "ssd_mobilenet"}) EXPECT_LE(PlanZooModel(m, 1).arena_ratio, 1.10) << m;
  for (const char* m : {"resnet50", "mobilenetv2", "ssd_mobilenet"}) EXPECT_LE(PlanZooModel(m, 4).arena_ratio, 1.10) << m;
}

}  // namespace
}  // namespace edgeinfer::runtime
