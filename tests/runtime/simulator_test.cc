// Target-clock simulator: hand-computed programs on a toy SoC whose DRAM numbers are round (1 GB/s
// all clients together, a DLA core at most 0.6 GB/s, the GPU at most 1 GB/s), so every expected
// time can be checked on paper; then scheduling properties (exactly once, static split, closed
// loop, GPU-fallback contention).
#include "runtime/simulator.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/runtime/toy_soc.h"

namespace edgeinfer::runtime {
namespace {

using devices::EngineClass;

devices::SocProfile Toy() { return testing::ToySoc(); }

SimLayer L(EngineClass on, double fixed, double floor, double bytes) {
  SimLayer l;
  l.name = "l";
  l.on = on;
  l.fixed_s = fixed;
  l.floor_s = floor;
  l.dram_bytes = bytes;
  return l;
}

ProgramFn Fixed(std::vector<SimLayer> layers, double task_overhead = 0, bool per_sample = false) {
  return [=](int64_t batch) -> Result<TaskProgram> {
    TaskProgram p;
    p.batch = batch;
    p.task_overhead_s = task_overhead;
    p.layers = layers;
    if (per_sample)
      for (SimLayer& l : p.layers) {
        l.floor_s *= static_cast<double>(batch);
        l.dram_bytes *= static_cast<double>(batch);
      }
    return p;
  };
}

SimEngine E(const std::string& name, EngineClass cls, int64_t batch, ProgramFn f, int64_t loop = 1) {
  SimEngine e;
  e.name = name;
  e.cls = cls;
  e.batch = batch;
  e.loop = loop;
  e.program = std::move(f);
  return e;
}

TEST(Simulator, ComputeBoundLayerTakesFixedPlusFloor) {
  SimConfig c;
  c.engines.push_back(E("dla0", EngineClass::kDla, 1, Fixed({L(EngineClass::kDla, 0.25, 1.0, 0.3e9)}, 0.5)));
  c.queries.push_back({0.0, 1});
  auto r = Simulate(Toy(), c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  // Task overhead 0.5 + fixed 0.25 + max(1.0 compute, 0.3e9 B / 0.6e9 B/s = 0.5) = 1.75 s.
  EXPECT_NEAR(r->makespan_s, 1.75, 1e-9);
  EXPECT_NEAR(r->dram_bytes, 0.3e9, 1);
  EXPECT_NEAR(r->engines[0].busy_s, 1.75, 1e-9);
}

TEST(Simulator, TwoMemoryBoundDlasShareTheDram) {
  // Alone: 0.6e9 B at the DLA ceiling 0.6 GB/s = 1 s. Together: 1 GB/s split 0.5/0.5 -> 1.2 s each.
  const auto prog = Fixed({L(EngineClass::kDla, 0, 0, 0.6e9)});
  SimConfig alone;
  alone.engines.push_back(E("dla0", EngineClass::kDla, 1, prog));
  alone.queries.push_back({0.0, 1});
  auto a = Simulate(Toy(), alone);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_NEAR(a->makespan_s, 1.0, 1e-9);
  SimConfig both = alone;
  both.engines.push_back(E("dla1", EngineClass::kDla, 1, prog));
  both.queries = {{0.0, 2}};
  auto b = Simulate(Toy(), both);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_NEAR(b->makespan_s, 1.2, 1e-9);
  EXPECT_NEAR(b->dram_utilization, 1.2e9 / 1.2 / 1e9, 1e-9);   // the DRAM is saturated
}

TEST(Simulator, ALightClientKeepsItsDemandAndTheRestGoesToTheOther) {
  // DLA layer: 0.2e9 B over a 1 s floor wants 0.2 GB/s; the GPU's memory-bound layer gets the other
  // 0.8 GB/s while the DLA runs (1 s: 0.8e9 B), then 1 GB/s for its last 0.2e9 B (0.2 s).
  SimConfig c;
  c.engines.push_back(E("dla0", EngineClass::kDla, 1, Fixed({L(EngineClass::kDla, 0, 1.0, 0.2e9)})));
  c.engines.push_back(E("gpu", EngineClass::kGpu, 1, Fixed({L(EngineClass::kGpu, 0, 0, 1.0e9)})));
  c.queries.push_back({0.0, 2});
  auto r = Simulate(Toy(), c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_NEAR(r->makespan_s, 1.2, 1e-9);
  EXPECT_NEAR(r->engines[0].busy_s, 1.0, 1e-9);
  EXPECT_NEAR(r->engines[1].busy_s, 1.2, 1e-9);
}

TEST(Simulator, SelfSchedulingDeliversEverySampleOnceAndFasterEnginesTakeMore) {
  // GPU: 1 ms per sample (compute); DLA: 4 ms per sample. Batch 2, loop 1; 1000 samples.
  SimConfig c;
  c.engines.push_back(E("gpu", EngineClass::kGpu, 2, Fixed({L(EngineClass::kGpu, 0, 1e-3, 0)}, 0, true)));
  c.engines.push_back(E("dla0", EngineClass::kDla, 2, Fixed({L(EngineClass::kDla, 0, 4e-3, 0)}, 0, true)));
  c.queries.push_back({0.0, 1000});
  auto r = Simulate(Toy(), c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->engines[0].samples + r->engines[1].samples, 1000);
  EXPECT_EQ(r->sample_latency_s.size(), 1000u);
  // 4:1 speed ratio -> the GPU takes ~800 samples; total ~ 1000 / 1250 per s = 0.8 s.
  EXPECT_NEAR(static_cast<double>(r->engines[0].samples), 800, 10);
  EXPECT_NEAR(r->makespan_s, 0.8, 0.01);
}

TEST(Simulator, StaticDispatchSplitsByTheBatchPlan) {
  // Static: GPU b3 and DLA b1 -> 3 of every 4 samples to the GPU whatever their speeds.
  SimConfig c;
  c.dispatch = Dispatch::kStatic;
  c.engines.push_back(E("gpu", EngineClass::kGpu, 3, Fixed({L(EngineClass::kGpu, 0, 1e-3, 0)}, 0, true)));
  c.engines.push_back(E("dla0", EngineClass::kDla, 1, Fixed({L(EngineClass::kDla, 0, 4e-3, 0)}, 0, true)));
  c.queries.push_back({0.0, 400});
  auto r = Simulate(Toy(), c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->engines[0].samples, 300);
  EXPECT_EQ(r->engines[1].samples, 100);
  EXPECT_NEAR(r->makespan_s, 0.4, 1e-9);   // the DLA's 100 x 4 ms
}

TEST(Simulator, ClosedLoopIssuesTheNextQueryAtCompletion) {
  SimConfig c;
  c.engines.push_back(E("gpu", EngineClass::kGpu, 8, Fixed({L(EngineClass::kGpu, 1e-4, 1e-3, 0)}, 0, true)));
  c.closed_loop = true;
  c.closed_loop_queries = 10;
  c.closed_loop_samples = 8;   // MultiStream-like
  auto r = Simulate(Toy(), c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->query_latency_s.size(), 10u);
  for (double l : r->query_latency_s) EXPECT_NEAR(l, 1e-4 + 8e-3, 1e-12);
  EXPECT_NEAR(r->makespan_s, 10 * (1e-4 + 8e-3), 1e-9);
}

TEST(Simulator, DlaFallbackLayersWaitForTheGpuAndContendWithItsWork) {
  // DLA task: DLA 0.9 s, then a GPU-fallback layer of 0.5 s. Alone: 1.4 s. With the GPU busy with
  // its own 2 layers of 1 s each, round robin at layer boundaries: the fallback (queued at 0.9) runs
  // after the GPU's first layer (t=1..1.5), the GPU's second layer after it (1.5..2.5).
  const auto dla = Fixed({L(EngineClass::kDla, 0, 0.9, 0), L(EngineClass::kGpu, 0, 0.5, 0)});
  SimConfig alone;
  alone.engines.push_back(E("dla0", EngineClass::kDla, 1, dla));
  alone.queries.push_back({0.0, 1});
  auto a = Simulate(Toy(), alone);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_NEAR(a->makespan_s, 1.4, 1e-9);
  ASSERT_EQ(a->engines.size(), 2u);   // the fallback-only GPU executor appears
  EXPECT_NEAR(a->engines[1].busy_s, 0.5, 1e-9);

  SimConfig c;
  c.dispatch = Dispatch::kStatic;
  c.engines.push_back(E("gpu", EngineClass::kGpu, 1, Fixed({L(EngineClass::kGpu, 0, 1.0, 0), L(EngineClass::kGpu, 0, 1.0, 0)})));
  c.engines.push_back(E("dla0", EngineClass::kDla, 1, dla));
  c.queries.push_back({0.0, 2});
  auto r = Simulate(Toy(), c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_NEAR(r->sample_latency_s[0], 2.5, 1e-9);   // the GPU's own sample
  EXPECT_NEAR(r->sample_latency_s[1], 1.5, 1e-9);   // the DLA's (fallback at 1.0..1.5)
  EXPECT_NEAR(r->engines[0].busy_s, 2.5, 1e-9);
  EXPECT_NEAR(r->engines[0].own_busy_s, 2.0, 1e-9);
  EXPECT_NEAR(r->engines[1].fallback_wait_s, 0.6, 1e-9);   // queued 0.9..1.0, on the GPU 1.0..1.5
  EXPECT_NEAR(r->engines[0].fallback_wait_s, 0.0, 1e-12);
}

TEST(Simulator, LoopPullsBatchTimesLoopSamples) {
  SimConfig c;
  c.engines.push_back(E("gpu", EngineClass::kGpu, 4, Fixed({L(EngineClass::kGpu, 0, 1e-3, 0)}, 0, true), 3));
  c.queries.push_back({0.0, 30});
  auto r = Simulate(Toy(), c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->engines[0].tasks, 8);   // pulls of 12, 12, 6 -> tasks of 4,4,4, 4,4,4, 4,2
  // 12 samples pulled at t=0 finish at 4, 8, 12 ms: service times from the pull.
  EXPECT_NEAR(r->sample_service_s[0], 4e-3, 1e-12);
  EXPECT_NEAR(r->sample_service_s[11], 12e-3, 1e-12);
}

TEST(Simulator, Errors) {
  SimConfig c;
  EXPECT_FALSE(Simulate(Toy(), c).ok());
  c.engines.push_back(E("gpu", EngineClass::kGpu, 1, nullptr));
  c.queries.push_back({0.0, 1});
  auto r = Simulate(Toy(), c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no program"), std::string::npos);
}

TEST(Simulator, PercentileIsNearestRank) {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  EXPECT_EQ(Percentile(v, 90), 90);
  EXPECT_EQ(Percentile(v, 99), 99);
  EXPECT_EQ(Percentile({5.0}, 99), 5.0);
  EXPECT_EQ(Percentile({}, 50), 0);
}

}  // namespace
}  // namespace edgeinfer::runtime
