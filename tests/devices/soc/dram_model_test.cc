// Shared-DRAM model: max-min fair water-filling by hand, and the Orin engines' shares.
#include "devices/soc/dram_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace edgeinfer::devices {
namespace {

TEST(DramModel, WaterFillingByHand) {
  // 100 shared by demands 10, 50, 80: 10 keeps 10; 90 left for two -> 45 each.
  auto a = ShareBandwidth(100, {10, 50, 80});
  EXPECT_DOUBLE_EQ(a[0], 10);
  EXPECT_DOUBLE_EQ(a[1], 45);
  EXPECT_DOUBLE_EQ(a[2], 45);
  // Demands below the total: everyone gets what it wants.
  auto b = ShareBandwidth(100, {20, 30});
  EXPECT_DOUBLE_EQ(b[0], 20);
  EXPECT_DOUBLE_EQ(b[1], 30);
  // Equal demands split equally; the sum never exceeds the total.
  auto c = ShareBandwidth(90, {100, 100, 100});
  for (double v : c) EXPECT_DOUBLE_EQ(v, 30);
  EXPECT_TRUE(ShareBandwidth(10, {}).empty());
}

TEST(DramModel, OrinEnginesShareTheDram) {
  auto soc = LoadSocProfile("orin-agx");
  ASSERT_TRUE(soc.ok()) << soc.status().message();
  const double peak = soc->dram.PeakBytesPerSec();
  const double dla = EngineDramCeiling(soc.value(), EngineClass::kDla);
  const double gpu = EngineDramCeiling(soc.value(), EngineClass::kGpu);
  EXPECT_NEAR(dla / peak, soc->dla.dram_bandwidth_share, 1e-12);
  EXPECT_NEAR(gpu / peak, soc->gpu.dram_efficiency, 1e-12);
  // One engine alone gets its ceiling.
  auto one = ConcurrentBandwidth(soc.value(), {EngineClass::kDla});
  EXPECT_DOUBLE_EQ(one[0], dla);
  // GPU + 2 DLAs all memory-bound: each DLA gets its ceiling or a fair third, whichever is less
  // (water-filling), the GPU the rest of the achievable total.
  auto three = ConcurrentBandwidth(soc.value(), {EngineClass::kGpu, EngineClass::kDla, EngineClass::kDla});
  const double total = DramTotalAchievable(soc.value());
  const double dla_share = std::min(dla, total / 3);
  EXPECT_NEAR(three[1], dla_share, 1e-3);
  EXPECT_NEAR(three[2], dla_share, 1e-3);
  EXPECT_NEAR(three[0], total - 2 * dla_share, 1e-3);
  EXPECT_LT(three[0], gpu);
  EXPECT_NEAR(std::accumulate(three.begin(), three.end(), 0.0), total, 1e-3);
  // At 15W the EMC cap lowers every share by 2133/3199; the DLA's ceiling is also capped by its
  // port (port_bytes_per_clock x the 15W DLA clock), whichever is lower.
  auto low = ApplyPowerMode(soc.value(), "15W");
  ASSERT_TRUE(low.ok());
  const double port15 = low->dla.port_bytes_per_clock * low->dla.clock_hz;
  EXPECT_NEAR(EngineDramCeiling(low.value(), EngineClass::kDla), std::min(dla * 2133.0 / 3199.0, port15), 1e-3);
}

}  // namespace
}  // namespace edgeinfer::devices
