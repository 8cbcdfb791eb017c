// Target-clock timelines (runtime/trace_export.h): a hand-computed run on the toy SoC, exported as
// Chrome trace-event JSON, has one complete event per layer run at the times the simulator used;
// a run without a recorded trace is refused.
#include "runtime/trace_export.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/runtime/toy_soc.h"

namespace edgeinfer::runtime {
namespace {

using devices::EngineClass;

SimConfig TwoLayerDlaTask(int64_t samples, bool trace) {
  // A DLA task: its own 1 ms layer (no DRAM), then a 1 ms GPU-fallback layer. Batch 1.
  SimConfig c;
  SimEngine e;
  e.name = "dla0";
  e.cls = EngineClass::kDla;
  e.batch = 1;
  e.program = [](int64_t batch) -> Result<TaskProgram> {
    TaskProgram p;
    p.batch = batch;
    SimLayer a;
    a.name = "conv";
    a.on = EngineClass::kDla;
    a.floor_s = 1e-3;
    SimLayer b = a;
    b.name = "head";
    b.on = EngineClass::kGpu;
    p.layers = {a, b};
    return p;
  };
  c.engines.push_back(e);
  c.queries.push_back({0, samples});
  c.record_trace = trace;
  return c;
}

TEST(TraceExport, OneEventPerLayerAtTheSimulatedTimes) {
  auto run = Simulate(testing::ToySoc(), TwoLayerDlaTask(2, true));
  ASSERT_TRUE(run.ok()) << run.status().message();
  ASSERT_EQ(run->trace.size(), 4u);   // 2 tasks x 2 layers; no zero-length task overheads
  auto json = ChromeTraceJson(*run, "toy target");
  ASSERT_TRUE(json.ok()) << json.status().message();
  const auto doc = nlohmann::json::parse(*json);
  EXPECT_EQ(doc["otherData"]["clock"], "target");
  std::map<int, std::string> threads;
  std::vector<nlohmann::json> spans;
  for (const auto& e : doc["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "thread_name") threads[e["tid"].get<int>()] = e["args"]["name"];
    if (e["ph"] == "X") spans.push_back(e);
  }
  ASSERT_EQ(spans.size(), 4u);
  // Task 0: conv on dla0 [0, 1) ms, head on the fallback GPU [1, 2) ms; task 1 starts when task 0 ends.
  const double expect_ts[] = {0, 1000, 2000, 3000};
  const char* expect_exec[] = {"dla0", "gpu(fallback)", "dla0", "gpu(fallback)"};
  for (size_t i = 0; i < spans.size(); ++i) {
    EXPECT_NEAR(spans[i]["ts"].get<double>(), expect_ts[i], 1e-6) << i;
    EXPECT_NEAR(spans[i]["dur"].get<double>(), 1000, 1e-6) << i;
    EXPECT_EQ(threads[spans[i]["tid"].get<int>()], expect_exec[i]) << i;
    EXPECT_EQ(spans[i]["args"]["owner"], "dla0");
    EXPECT_EQ(spans[i]["args"]["fallback"].get<bool>(), i % 2 == 1);
    EXPECT_EQ(spans[i]["cat"], i % 2 == 1 ? "fallback" : "layer");
  }
  EXPECT_EQ(spans[0]["name"], "conv");
  EXPECT_EQ(spans[1]["name"], "head");
}

TEST(TraceExport, PerLayerProfile) {
  auto run = Simulate(testing::ToySoc(), TwoLayerDlaTask(3, true));
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto rows = ProfileLayers(*run);
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 2u);
  const LayerProfileRow& conv = (*rows)[0];
  EXPECT_EQ(conv.executor, "dla0");
  EXPECT_EQ(conv.layer, "conv");
  EXPECT_EQ(conv.runs, 3);
  EXPECT_NEAR(conv.total_s, 3e-3, 1e-12);
  EXPECT_FALSE(conv.fallback);
  const LayerProfileRow& head = (*rows)[1];
  EXPECT_EQ(head.executor, "gpu(fallback)");
  EXPECT_TRUE(head.fallback);
  EXPECT_NEAR(head.total_s, 3e-3, 1e-12);
  EXPECT_NEAR(head.busy_share, 1.0, 1e-9);   // the fallback GPU ran nothing else
}

TEST(TraceExport, RefusesARunWithoutTrace) {
  auto run = Simulate(testing::ToySoc(), TwoLayerDlaTask(1, false));
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->trace.empty());
  auto json = ChromeTraceJson(*run, "x");
  ASSERT_FALSE(json.ok());
  EXPECT_NE(json.status().message().find("recorded no events"), std::string::npos);
  Status s = WriteChromeTrace(*run, "x", "/nonexistent/dir/t.json");
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(ProfileLayers(*run).ok());
}

}  // namespace
}  // namespace edgeinfer::runtime
