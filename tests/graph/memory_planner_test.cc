#include "graph/memory_planner.h"

#include <gtest/gtest.h>

#include <random>

namespace edgeinfer {
namespace {

TEST(MemoryPlanner, ReusesMemoryOfDeadBuffers) {
  // a -> b -> c chain: a and c never live together, so c reuses a's bytes.
  std::vector<BufferRequest> rq = {{"a", 100, 0, 1, {0}, 1}, {"b", 100, 1, 2, {0}, 1}, {"c", 100, 2, 3, {0}, 1}};
  auto plan = PlanMemory(rq, {{"dram", -1}});
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_TRUE(CheckMemoryPlan(*plan).ok());
  EXPECT_EQ(plan->peak[0], 200);
  EXPECT_EQ(plan->lower_bound[0], 200);
  EXPECT_EQ(plan->placements[0].offset, plan->placements[2].offset);
}

TEST(MemoryPlanner, SpillsToNextSpaceWhenSramIsFull) {
  std::vector<BufferRequest> rq = {{"big", 900, 0, 2, {0, 1}}, {"small", 100, 1, 2, {0, 1}}, {"huge", 2000, 1, 1, {0, 1}}};
  auto plan = PlanMemory(rq, {{"sram", 1024}, {"dram", -1}});
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(CheckMemoryPlan(*plan).ok());
  EXPECT_EQ(plan->placements[2].space, 1);   // huge spills
  EXPECT_EQ(plan->placements[0].space, 0);   // big fits
  EXPECT_EQ(plan->placements[1].space, 1);   // small no longer fits beside big (900 -> 960 aligned + 100 > 1024)
  EXPECT_NE(MemoryTimeline(*plan).find("huge"), std::string::npos);
}

TEST(MemoryPlanner, ErrorsNameTheBuffer) {
  auto bad = PlanMemory({{"x", -1, 0, 0, {0}}}, {{"dram", -1}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'x'"), std::string::npos);
  auto full = PlanMemory({{"y", 2048, 0, 0, {0}}}, {{"sram", 1024}});
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.status().message().find("'y'"), std::string::npos);
  EXPECT_FALSE(PlanMemory({{"z", 8, 3, 1, {0}}}, {{"dram", -1}}).ok());
  EXPECT_FALSE(PlanMemory({{"w", 8, 0, 1, {0}, 3}}, {{"dram", -1}}).ok());
}

TEST(MemoryPlanner, CheckerCatchesOverlap) {
  std::vector<BufferRequest> rq = {{"a", 100, 0, 2, {0}, 1}, {"b", 100, 1, 3, {0}, 1}};
  auto plan = PlanMemory(rq, {{"dram", -1}});
  ASSERT_TRUE(plan.ok());
  plan->placements[1].offset = 50;
  Status s = CheckMemoryPlan(*plan);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("overlap"), std::string::npos);
}

TEST(MemoryPlanner, RandomSweepIsValidAndNearLowerBound) {
  const uint32_t seed = 1234;
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 50; ++trial) {
    // Chain-like lifetimes with skips, as in CNNs with residual connections.
    std::vector<BufferRequest> rq;
    int n = 20 + static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      int64_t size = 64 * (1 + static_cast<int64_t>(rng() % 4096));
      int len = 1 + static_cast<int>(rng() % 4);
      rq.push_back({"t" + std::to_string(i), size, i, i + len, {0}});
    }
    auto plan = PlanMemory(rq, {{"dram", -1}});
    ASSERT_TRUE(plan.ok()) << "seed " << seed << " trial " << trial;
    ASSERT_TRUE(CheckMemoryPlan(*plan).ok()) << "seed " << seed << " trial " << trial;
    EXPECT_GE(plan->peak[0], plan->lower_bound[0]);
    EXPECT_LE(plan->peak[0], static_cast<int64_t>(1.5 * static_cast<double>(plan->lower_bound[0])))
        << "seed " << seed << " trial " << trial;
  }
}

}  // namespace
}  // namespace edgeinfer
