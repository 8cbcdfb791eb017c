// Target CPU timing model: hand-computed layers on a toy profile (every number checkable on paper).
#include "devices/cpu_model/cpu_timing_model.h"

#include <gtest/gtest.h>

#include "devices/soc/dram_model.h"

namespace edgeinfer::devices {
namespace {

// 2 cores at 1 GHz with 4 FP32 / 8 FP16 / 16 INT8 MACs per clock per core at efficiency 0.5,
// 1 us per layer, 1 GB/s DRAM all available to the CPU: one byte = 1 ns.
constexpr const char* kToyYaml = R"(
name: toy-cpu
cpu: {cores: 2, clock_hz: 1.0e9, fp32_macs_per_clock_per_core: 4, fp16_macs_per_clock_per_core: 8,
      int8_macs_per_clock_per_core: 16, efficiency: 0.5, layer_overhead_s: 1.0e-6}
gpu: {present: false}
dla: {cores: 0}
dram: {type: test, fixed_bandwidth_bytes_per_s: 1.0e9, latency_s: 0, efficiency: 1.0}
power: {soc_static_w: 0, gpu_static_w: 0, dla_static_w: 0, cpu_static_w: 0, gpu_j_per_mac_int8: 0,
        gpu_j_per_mac_fp16: 0, dla_j_per_mac_int8: 0, dla_j_per_mac_fp16: 0, cpu_j_per_mac_int8: 0,
        cpu_j_per_mac_fp32: 0, dram_j_per_byte: 0, sram_j_per_byte: 0}
)";

SocProfile Toy() {
  auto p = ParseSocProfile(kToyYaml, "toy-cpu.yaml");
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.value();
}

TEST(CpuTimingModel, Int8ConvIsComputeBoundByHand) {
  // C=K=16, 8x8, 3x3 pad 1: 16*16*9*64 = 147456 MACs at 2 cores x 1 GHz x 16 x 0.5 = 16e9 MAC/s
  // -> 9.216 us; bytes 1024 + 2304 + 1024 = 4352 -> 4.352 us; + 1 us overhead.
  auto t = CpuLayerTiming(Toy(), ConvWork("c", 1, 16, 8, 8, 16, 3, 3, 1, 1, 1));
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->macs, 147456);
  EXPECT_DOUBLE_EQ(t->peak_ops_per_s, 32e9);
  EXPECT_NEAR(t->compute_s, 9.216e-6, 1e-15);
  EXPECT_EQ(t->dram_bytes, 4352);
  EXPECT_NEAR(t->memory_s, 4.352e-6, 1e-15);
  EXPECT_EQ(t->bound, Bound::kCompute);
  EXPECT_NEAR(t->total_s, 10.216e-6, 1e-15);
}

TEST(CpuTimingModel, PrecisionPicksTheDatapath) {
  // FP32: 4 MACs/clk/core -> 4e9 MAC/s sustained: 36.864 us; FP16: 8 -> 18.432 us.
  auto f32 = CpuLayerTiming(Toy(), ConvWork("c", 1, 16, 8, 8, 16, 3, 3, 1, 1, 4));
  auto f16 = CpuLayerTiming(Toy(), ConvWork("c", 1, 16, 8, 8, 16, 3, 3, 1, 1, 2));
  ASSERT_TRUE(f32.ok() && f16.ok());
  EXPECT_NEAR(f32->compute_s, 36.864e-6, 1e-15);
  EXPECT_NEAR(f16->compute_s, 18.432e-6, 1e-15);
}

TEST(CpuTimingModel, DataMovementIsBytesOnly) {
  LayerWork w;
  w.name = "reformat";
  w.kind = LayerKind::kOther;
  w.input_bytes = 3000;
  w.output_bytes = 5000;
  auto t = CpuLayerTiming(Toy(), w);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->compute_s, 0);
  EXPECT_EQ(t->bound, Bound::kMemory);
  EXPECT_NEAR(t->total_s, 8e-6 + 1e-6, 1e-15);
}

TEST(CpuTimingModel, CeilingAndMissingModel) {
  SocProfile soc = Toy();
  soc.cpu.dram_bandwidth_share = 0.25;
  EXPECT_DOUBLE_EQ(EngineDramCeiling(soc, EngineClass::kCpu), 0.25e9);
  soc.cpu.fp32_macs_per_clock_per_core = 0;
  auto t = CpuLayerTiming(soc, ConvWork("c", 1, 16, 8, 8, 16, 3, 3, 1, 1, 1));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("has no CPU timing model"), std::string::npos) << t.status().message();
}

TEST(CpuTimingModel, ProfileKeysComeTogether) {
  // efficiency without the MAC rate is an error naming the key; neither is fine (no CPU timing).
  std::string y = kToyYaml;
  y.replace(y.find("fp32_macs_per_clock_per_core: 4, "), std::string("fp32_macs_per_clock_per_core: 4, ").size(), "");
  auto p = ParseSocProfile(y, "bad.yaml");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("cpu.fp32_macs_per_clock_per_core: missing"), std::string::npos) << p.status().message();
}

}  // namespace
}  // namespace edgeinfer::devices
