// The partitioner on hand-built INT8 graphs: segment boundaries, the engine-preferring order,
// format conversions with their bytes, the DLA segment limit (smallest segments move, with the
// reason), Node::engine, the text/JSON forms, timing, and the partitioned executor bit-exact
// against the reference.
#include <gtest/gtest.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "runtime/partition.h"
#include "tests/devices/dla/dla_test_util.h"

namespace edgeinfer::runtime {
namespace {

using testing::Int8Builder;

devices::SocProfile Orin() { return testing::Profile("orin-agx"); }

// x -> c1 (DLA) -> c2 LeakyRelu (GPU: not a DLA activation) -> c3 (DLA) -> y
Graph Chain() {
  Int8Builder b;
  ValueId x = b.Input("x", {1, 8, 16, 16});
  ValueId y = b.Conv("c1", x, 8, 3, 1, 1);
  y = b.Conv("c2", y, 40, 3, 1, 1, 1, "LeakyRelu");
  y = b.Conv("c3", y, 16, 1, 1, 0);
  b.Output(y);
  return b.g;
}

std::vector<std::string> Names(const Graph& g, const std::vector<NodeId>& ids) {
  std::vector<std::string> v;
  for (NodeId id : ids) v.push_back(g.node(id).name);
  return v;
}

// INT8 network I/O (--io-format int8, Graph::metadata io_format=int8) is exchanged in the shared
// INT8 layout: the host-side conversions at the network boundary go; the inner ones stay.
TEST(Partition, Int8NetworkIoNeedsNoBoundaryReformat) {
  Graph g = Chain();
  g.metadata["io_format"] = "int8";
  auto plan = PlanPartition(g, Orin());
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->conversions.size(), 2u);
  for (const auto& c : plan->conversions) {
    EXPECT_NE(c.from_segment, -1) << c.value_name;
    EXPECT_NE(c.to_segment, -1) << c.value_name;
  }
}

TEST(Partition, ChainSegmentsBoundariesAndConversions) {
  Graph g = Chain();
  auto plan = Partition(g, Orin());
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->segments.size(), 3u);
  EXPECT_EQ(plan->segments[0].engine, EngineClass::kDla);
  EXPECT_EQ(plan->segments[1].engine, EngineClass::kGpu);
  EXPECT_EQ(plan->segments[2].engine, EngineClass::kDla);
  EXPECT_EQ(Names(g, plan->segments[1].nodes), std::vector<std::string>{"c2"});
  // Boundaries: each segment reads the previous one's output.
  EXPECT_EQ(g.value(plan->segments[0].inputs.at(0)).name, "x");
  EXPECT_EQ(g.value(plan->segments[0].outputs.at(0)).name, "c1_out");
  EXPECT_EQ(g.value(plan->segments[1].inputs.at(0)).name, "c1_out");
  EXPECT_EQ(g.value(plan->segments[2].outputs.at(0)).name, "c3_out");
  // Node::engine is set and the GPU node says why.
  EXPECT_EQ(g.node(*g.FindNode("c1")).engine, "dla");
  EXPECT_EQ(g.node(*g.FindNode("c2")).engine, "gpu");
  const NodeAssignment* c2 = plan->Find("c2");
  ASSERT_NE(c2, nullptr);
  EXPECT_NE(c2->reason.find("fused activation LeakyRelu is not a DLA activation"), std::string::npos) << c2->reason;
  EXPECT_TRUE(plan->Find("c1")->reason.empty());
  // Conversions: host x -> CHW32, c1 out CHW32 -> linear, c2 out linear -> CHW32, c3 out CHW32 -> host.
  ASSERT_EQ(plan->conversions.size(), 4u);
  const FormatConversion& in = plan->conversions[0];
  EXPECT_EQ(in.value_name, "x");
  EXPECT_EQ(in.from_segment, -1);
  EXPECT_EQ(in.to_format, "CHW32 int8");
  EXPECT_EQ(in.bytes_read, 8 * 16 * 16);          // linear int8
  EXPECT_EQ(in.bytes_written, 32 * 16 * 16);      // 8 channels padded to 32
  const FormatConversion* c2in = nullptr;
  for (const auto& c : plan->conversions) if (c.value_name == "c2_out") c2in = &c;
  ASSERT_NE(c2in, nullptr);
  EXPECT_EQ(c2in->bytes_read, 40 * 16 * 16);
  EXPECT_EQ(c2in->bytes_written, 64 * 16 * 16);   // 40 channels padded to 64
  EXPECT_EQ(c2in->from_segment, 1);
  EXPECT_EQ(c2in->to_segment, 2);
  EXPECT_EQ(plan->ConversionBytes(), (8 + 32) * 256 + (32 + 8) * 256 + (40 + 64) * 256 + (32 + 16) * 256);
  // Every layer and conversion has a target time.
  for (const auto& n : plan->nodes) {
    EXPECT_TRUE(n.timing_note.empty()) << n.name << ": " << n.timing_note;
    EXPECT_GT(n.predicted_s, 0) << n.name;
  }
  for (const auto& c : plan->conversions) EXPECT_GT(c.predicted_s, 0);
  EXPECT_NEAR(plan->PredictedTotalSeconds(),
              plan->PredictedSeconds(EngineClass::kDla) + plan->PredictedSeconds(EngineClass::kGpu) + plan->ConversionSeconds(), 1e-12);
}

TEST(Partition, FallbackIsCpuWithoutGpu) {
  Graph g = Chain();
  auto plan = PlanPartition(g, testing::Profile("nvdla-large"));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->fallback, EngineClass::kCpu);
  EXPECT_EQ(plan->Find("c2")->engine, EngineClass::kCpu);
  // Timed by the host CPU's model (devices/cpu_model), conversions included.
  EXPECT_TRUE(plan->Find("c2")->timing_note.empty()) << plan->Find("c2")->timing_note;
  EXPECT_GT(plan->Find("c2")->predicted_s, 0);
  for (const auto& c : plan->conversions) EXPECT_GT(c.predicted_s, 0) << c.value_name;
  EXPECT_EQ(plan->ToText().find("WARNING"), std::string::npos);
  // A profile whose CPU has no timing model: the layer says so and the summary warns that the
  // total leaves it out.
  devices::SocProfile bare = testing::Profile("nvdla-large");
  bare.cpu.fp32_macs_per_clock_per_core = 0;
  auto plan2 = PlanPartition(g, bare);
  ASSERT_TRUE(plan2.ok()) << plan2.status().message();
  EXPECT_NE(plan2->Find("c2")->timing_note.find("has no CPU timing model"), std::string::npos) << plan2->Find("c2")->timing_note;
  EXPECT_NE(plan2->ToText().find("WARNING: "), std::string::npos) << plan2->ToText();
}

// Two branches from x: a1 -> a2 on the DLA, b1 -> b2 on the GPU, joined by a residual conv.
// Nodes are added interleaved (a1, b1, a2, b2): a plain topological order by id would alternate
// engines (5 segments); the engine-preferring order keeps each branch together (3 segments).
TEST(Partition, EnginePreferringOrderKeepsBranchesTogether) {
  Int8Builder b;
  ValueId x = b.Input("x", {1, 8, 8, 8});
  ValueId a1 = b.Conv("a1", x, 8, 3, 1, 1);
  ValueId b1 = b.Conv("b1", x, 8, 3, 1, 1, 1, "LeakyRelu");
  ValueId a2 = b.Conv("a2", a1, 8, 3, 1, 1);
  ValueId b2 = b.Conv("b2", b1, 8, 3, 1, 1, 1, "LeakyRelu");
  ValueId j = b.Conv("join", a2, 8, 3, 1, 1, 1, "Relu", b2);
  b.Output(j);
  auto plan = PlanPartition(b.g, Orin());
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->segments.size(), 3u);
  EXPECT_EQ(Names(b.g, plan->segments[0].nodes), (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(Names(b.g, plan->segments[1].nodes), (std::vector<std::string>{"b1", "b2"}));
  EXPECT_EQ(Names(b.g, plan->segments[2].nodes), (std::vector<std::string>{"join"}));
  // The join reads both branches.
  EXPECT_EQ(plan->segments[2].inputs.size(), 2u);
  // x is read by both the DLA and the GPU: one conversion to CHW32 (the GPU reads it linear).
  int x_conv = 0;
  for (const auto& c : plan->conversions) x_conv += c.value_name == "x";
  EXPECT_EQ(x_conv, 1);
}

// DLA segments of different sizes separated by GPU layers.
Graph Alternating(int dla_segments) {
  Int8Builder b;
  ValueId y = b.Input("x", {1, 16, 16, 16});
  for (int i = 0; i < dla_segments; ++i) {
    // Segment i has i+1 DLA convs (so MACs grow with i), then one GPU conv.
    for (int j = 0; j <= i; ++j) y = b.Conv("d" + std::to_string(i) + "_" + std::to_string(j), y, 16, 3, 1, 1);
    y = b.Conv("g" + std::to_string(i), y, 16, 1, 1, 0, 1, "LeakyRelu");
  }
  b.Output(y);
  return b.g;
}

TEST(Partition, SegmentLimitMovesTheSmallestSegments) {
  Graph g = Alternating(5);
  PartitionOptions o;
  o.max_dla_segments = 3;
  auto plan = PlanPartition(g, Orin(), o);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->dla_segments_before_limit, 5);
  EXPECT_EQ(plan->NumSegments(EngineClass::kDla), 3);
  // The two smallest (1 and 2 convs) moved; the reason names the rule and the profile key.
  for (const char* n : {"d0_0", "d1_0", "d1_1"}) {
    const NodeAssignment* a = plan->Find(n);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->engine, EngineClass::kGpu) << n;
    EXPECT_NE(a->reason.find("more than the DLA's limit of 3 loadables per core (orin-agx dla.limits.max_loadables_per_core)"),
              std::string::npos) << a->reason;
  }
  for (const char* n : {"d2_0", "d3_0", "d4_4"}) EXPECT_EQ(plan->Find(n)->engine, EngineClass::kDla) << n;
  // The moved layers merged with their GPU neighbours: segments alternate.
  for (size_t i = 1; i < plan->segments.size(); ++i) EXPECT_NE(plan->segments[i].engine, plan->segments[i - 1].engine);
}

TEST(Partition, SegmentLimitComesFromTheProfile) {
  Graph g = Alternating(4);
  devices::SocProfile soc = Orin();
  auto plan = PlanPartition(g, soc);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->NumSegments(EngineClass::kDla), 4);   // within 16
  soc.dla.limits.max_loadables_per_core = 2;
  plan = PlanPartition(g, soc);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->dla_segment_limit, 2);
  EXPECT_EQ(plan->NumSegments(EngineClass::kDla), 2);
}

TEST(Partition, TextAndJson) {
  Graph g = Chain();
  g.name = "chain";
  auto plan = PlanPartition(g, Orin());
  ASSERT_TRUE(plan.ok());
  const std::string t = plan->ToText();
  EXPECT_NE(t.find("partition of 'chain' on orin-agx (MAXN)"), std::string::npos) << t;
  EXPECT_NE(t.find("layers: 2 on the DLA, 1 on the gpu"), std::string::npos) << t;
  EXPECT_NE(t.find("fused activation LeakyRelu is not a DLA activation"), std::string::npos) << t;
  EXPECT_NE(t.find("CHW32 int8"), std::string::npos) << t;
  EXPECT_NE(t.find("#0 dla  1 layer(s)"), std::string::npos) << t;
  EXPECT_NE(t.find("in: x  out: c1_out"), std::string::npos) << t;
  auto j = nlohmann::json::parse(plan->ToJson());
  EXPECT_EQ(j["soc"], "orin-agx");
  EXPECT_EQ(j["clock"], "target");
  EXPECT_EQ(j["summary"]["dla_layers"], 2);
  EXPECT_EQ(j["summary"]["dla_segments"], 2);
  EXPECT_EQ(j["layers"].size(), 3u);
  EXPECT_EQ(j["layers"][1]["engine"], "gpu");
  EXPECT_EQ(j["conversions"].size(), 4u);
  EXPECT_EQ(j["segments"][1]["nodes"][0], "c2");
  EXPECT_EQ(j["segments"][1]["inputs"][0], "c1_out");
  EXPECT_EQ(j["summary"]["conversion_bytes"].get<int64_t>(), plan->ConversionBytes());
}

TEST(Partition, SegmentGraphAndExecutorBitExact) {
  for (int n : {1, 3, 5}) {
    Graph g = Alternating(n);
    auto plan = PlanPartition(g, Orin());
    ASSERT_TRUE(plan.ok());
    auto sg = SegmentGraph(g, plan->segments[0]);
    ASSERT_TRUE(sg.ok()) << sg.status().message();
    EXPECT_EQ(sg->NumLiveNodes(), plan->segments[0].nodes.size());
    auto shared = std::make_shared<const Graph>(g);
    devices::TensorMap in = testing::RandomInputs(g, 77 + static_cast<uint32_t>(n));
    auto ref = devices::RunReference(g, in);
    ASSERT_TRUE(ref.ok()) << ref.status().message();
    PartitionedExecutor ex;
    Status s = ex.Prepare(shared, *plan, Orin(), 2);
    ASSERT_TRUE(s.ok()) << s.message();
    devices::TensorMap out;
    s = ex.Launch(in, &out);
    ASSERT_TRUE(s.ok()) << s.message();
    const Tensor& a = ref->begin()->second;
    const Tensor& b = out.at(ref->begin()->first);
    ASSERT_EQ(a.bytes(), b.bytes());
    EXPECT_EQ(0, std::memcmp(a.raw(), b.raw(), a.bytes())) << "segments " << n;
    EXPECT_NE(ex.Describe().find("standing in for the gpu"), std::string::npos);
  }
}

}  // namespace
}  // namespace edgeinfer::runtime
