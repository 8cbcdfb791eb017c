// Scenarios on the target clock with the zoo's tiny CNN (INT8, orin-agx MAXN): query shapes
// (Offline one query, MultiStream 8 samples a query, SingleStream closed loop, Server Poisson at
// the asked rate), the minimum-duration extension, percentiles, and parsing.
#include "runtime/scenario.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "runtime/edgeinfer.h"

namespace edgeinfer::runtime {
namespace {

const std::string kTiny = std::string(EDGEINFER_BINARY_DIR) + "/models/tiny_cnn.onnx";

class ScenarioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kTiny)) GTEST_SKIP() << "model not generated: " << kTiny;
    auto s = Session::Create({"orin-agx", "MAXN"});
    ASSERT_TRUE(s.ok()) << s.status().message();
    session_ = std::move(s).value();
    auto id = session_->LoadModel(kTiny, ModelOptions{});
    ASSERT_TRUE(id.ok()) << id.status().message();
    id_ = *id;
    plan_.engines = {{{EngineClass::kGpu, 0, "gpu"}, 8, 1}, {{EngineClass::kDla, 0, "dla0"}, 2, 1}, {{EngineClass::kDla, 1, "dla1"}, 2, 1}};
    auto m = session_->TargetModels(id_, plan_);
    ASSERT_TRUE(m.ok());
    models_ = *m;
  }
  std::unique_ptr<Session> session_;
  ModelId id_ = -1;
  BatchPlan plan_;
  std::vector<std::shared_ptr<TargetModel>> models_;
};

TEST_F(ScenarioTest, OfflineRunsOneQueryAndMeetsTheMinimumDuration) {
  ScenarioSpec spec;
  spec.min_queries = 1000;
  spec.min_duration_s = 0.05;
  auto r = RunTargetScenario(session_->soc(), plan_, models_, spec);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->clock, "target");
  EXPECT_EQ(r->queries, 1);
  EXPECT_GE(r->duration_s, 0.05);
  EXPECT_GE(r->samples, 1000);
  EXPECT_NEAR(r->throughput, static_cast<double>(r->samples) / r->duration_s, 1e-6 * r->throughput);
  int64_t by_engine = 0;
  for (const auto& e : r->sim.engines) by_engine += e.samples;
  EXPECT_EQ(by_engine, r->samples);
  // A fixed count is not extended.
  auto f = RunTargetScenario(session_->soc(), plan_, models_, spec, 64);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->samples, 64);
}

TEST_F(ScenarioTest, MultiStreamQueriesCarryEightSamples) {
  ScenarioSpec spec;
  spec.kind = ScenarioKind::kMultiStream;
  spec.min_duration_s = 0;
  auto r = RunTargetScenario(session_->soc(), plan_, models_, spec, 50);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->queries, 50);
  EXPECT_EQ(r->samples, 400);
  EXPECT_EQ(r->bound_latency_s, r->latency.p99);
  // Closed loop: queries run back to back, so the run lasts the sum of their latencies.
  double sum = 0;
  for (double l : r->sim.query_latency_s) sum += l;
  EXPECT_NEAR(r->duration_s, sum, 1e-9);
}

TEST_F(ScenarioTest, SingleStreamReportsP90) {
  ScenarioSpec spec;
  spec.kind = ScenarioKind::kSingleStream;
  spec.min_duration_s = 0;
  auto r = RunTargetScenario(session_->soc(), plan_, models_, spec, 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->samples, 100);
  EXPECT_EQ(r->bound_latency_s, r->latency.p90);
  EXPECT_LE(r->latency.p50, r->latency.p90);
  EXPECT_LE(r->latency.p90, r->latency.p99);
}

TEST_F(ScenarioTest, ServerArrivalsFollowTheRate) {
  ScenarioSpec spec;
  spec.kind = ScenarioKind::kServer;
  spec.server_qps = 2000;
  spec.min_duration_s = 0;
  auto r = RunTargetScenario(session_->soc(), plan_, models_, spec, 4000);
  ASSERT_TRUE(r.ok()) << r.status().message();
  // 4000 Poisson arrivals at 2000/s span about 2 s (seeded; within 5%); every query is served.
  EXPECT_NEAR(r->duration_s, 2.0, 0.1);
  EXPECT_EQ(r->queries, 4000);
  spec.server_qps = 0;
  EXPECT_FALSE(RunTargetScenario(session_->soc(), plan_, models_, spec, 10).ok());
}

TEST(Scenario, Parsing) {
  EXPECT_EQ(ParseScenario("Offline").value(), ScenarioKind::kOffline);
  EXPECT_EQ(ParseScenario("single-stream").value(), ScenarioKind::kSingleStream);
  EXPECT_EQ(ParseScenario("MultiStream").value(), ScenarioKind::kMultiStream);
  EXPECT_EQ(ParseScenario("server").value(), ScenarioKind::kServer);
  auto bad = ParseScenario("batch");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("batch"), std::string::npos);
  ScenarioSpec ms;
  ms.kind = ScenarioKind::kMultiStream;
  EXPECT_EQ(ms.SamplesPerQuery(), 8);
  EXPECT_EQ(ScenarioSpec{}.MinQueries(), 24576);
}

}  // namespace
}  // namespace edgeinfer::runtime
