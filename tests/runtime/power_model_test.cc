// Energy model (runtime/power_model.h): a simulated run on a toy SoC with round coefficients, every
// joule checkable on paper; the simulator's per-engine MAC and SRAM counts that feed it; refusals.
#include "runtime/power_model.h"

#include <gtest/gtest.h>

#include "tests/runtime/toy_soc.h"

namespace edgeinfer::runtime {
namespace {

using devices::EngineClass;

// The runtime tests' toy SoC (one DLA core with the whole 1 GB/s) with round power coefficients.
devices::SocProfile Toy() {
  devices::SocProfile p = testing::ToySoc();
  p.dla.cores = 1;
  p.dla.dram_bandwidth_share = 1.0;
  devices::PowerMode m;
  m.name = "TOY";
  m.budget_w = 10;
  p.power_modes.push_back(m);
  p.active_power_mode = "TOY";
  auto& c = p.power;
  c.soc_static_w = 1.0;
  c.cpu_static_w = 0.5;
  c.gpu_static_w = 2.0;
  c.dla_static_w = 0.25;
  c.gpu_j_per_mac_int8 = 1e-12;
  c.gpu_j_per_mac_fp16 = 2e-12;
  c.dla_j_per_mac_int8 = 0.5e-12;
  c.dla_j_per_mac_fp16 = 1e-12;
  c.dram_j_per_byte = 10e-12;
  c.sram_j_per_byte = 1e-12;
  return p;
}

SimLayer Layer(EngineClass on, double floor_s, double bytes, double macs, int precision, double sram) {
  SimLayer l;
  l.name = "l";
  l.on = on;
  l.floor_s = floor_s;
  l.dram_bytes = bytes;
  l.macs = macs;
  l.precision_bytes = precision;
  l.sram_bytes = sram;
  return l;
}

SimEngine Engine(const std::string& name, EngineClass cls, std::vector<SimLayer> layers) {
  SimEngine e;
  e.name = name;
  e.cls = cls;
  e.batch = 1;
  e.program = [layers](int64_t batch) -> Result<TaskProgram> {
    TaskProgram p;
    p.batch = batch;
    p.layers = layers;
    return p;
  };
  return e;
}

TEST(PowerModel, HandComputedRun) {
  // One DLA task: an INT8 layer (1e9 MACs, 1e6 B DRAM, 2e6 B SRAM, 1 ms compute) followed by a
  // GPU-fallback FP16 layer (1e8 MACs, 1e6 B, 1 ms). Four samples, one DLA instance (batch 1):
  // the DLA's own layer and its fallback layer run one after the other: 2 ms per task, 8 ms.
  SimConfig c;
  c.engines.push_back(Engine("dla0", EngineClass::kDla,
                             {Layer(EngineClass::kDla, 1e-3, 1e6, 1e9, 1, 2e6), Layer(EngineClass::kGpu, 1e-3, 1e6, 1e8, 2, 0)}));
  c.queries.push_back({0, 4});
  const devices::SocProfile soc = Toy();
  auto run = Simulate(soc, c);
  ASSERT_TRUE(run.ok()) << run.status().message();
  ASSERT_NEAR(run->makespan_s, 8e-3, 1e-12);
  // The simulator counts what each executor ran.
  double dla_macs = 0, gpu_macs16 = 0, dla_sram = 0;
  for (const auto& e : run->engines) {
    if (e.cls == EngineClass::kDla) { dla_macs += e.macs_int8; dla_sram += e.sram_bytes; }
    else gpu_macs16 += e.macs_fp16;
  }
  EXPECT_DOUBLE_EQ(dla_macs, 4e9);
  EXPECT_DOUBLE_EQ(gpu_macs16, 4e8);
  EXPECT_DOUBLE_EQ(dla_sram, 8e6);
  auto p = EstimatePower(soc, *run);
  ASSERT_TRUE(p.ok()) << p.status().message();
  // Static: (1 + 0.5) W SoC+CPU, 0.25 W the DLA, 2 W the GPU that ran the fallback, for 8 ms:
  // 12 + 2 + 16 = 30 mJ. Compute: DLA 4e9 x 0.5 pJ = 2 mJ; GPU 4e8 x 2 pJ = 0.8 mJ. SRAM 8e6 x 1 pJ
  // = 8 uJ. DRAM 8e6 B x 10 pJ = 80 uJ. Total 32.888 mJ over 8 ms = 4.111 W; 4 / 0.032888 samples/J.
  EXPECT_NEAR(p->StaticJ(), 30e-3, 1e-12);
  EXPECT_NEAR(p->ComputeJ(), 2e-3 + 0.8e-3 + 8e-6, 1e-12);
  EXPECT_NEAR(p->DramJ(), 80e-6, 1e-12);
  EXPECT_NEAR(p->TotalJ(), 32.888e-3, 1e-12);
  EXPECT_NEAR(p->AverageW(), 4.111, 1e-9);
  EXPECT_NEAR(p->SamplesPerJ(), 4 / 32.888e-3, 1e-6);
  EXPECT_DOUBLE_EQ(p->budget_w, 10);
  const std::string s = p->Summary("TOY");
  EXPECT_NE(s.find("4.1 W average"), std::string::npos) << s;
  EXPECT_NE(s.find("41% of the 10 W TOY budget"), std::string::npos) << s;
}

TEST(PowerModel, IdleGpuOfADlaOnlyPlanIsPowerGated) {
  // A DLA task with no fallback layer: the GPU runs nothing, so it is charged no static power
  // (issue 19: it was charged 2 W here). 4 samples x 1 ms = 4 ms: static (1 + 0.5 + 0.25) W x 4 ms.
  SimConfig c;
  c.engines.push_back(Engine("dla0", EngineClass::kDla, {Layer(EngineClass::kDla, 1e-3, 0, 1e9, 1, 0)}));
  c.queries.push_back({0, 4});
  const devices::SocProfile soc = Toy();
  auto run = Simulate(soc, c);
  ASSERT_TRUE(run.ok()) << run.status().message();
  ASSERT_NEAR(run->makespan_s, 4e-3, 1e-12);
  auto p = EstimatePower(soc, *run);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_NEAR(p->StaticJ(), 1.75 * 4e-3, 1e-12);
  for (const EnginePower& e : p->engines)
    if (e.name.rfind("gpu", 0) == 0) EXPECT_EQ(e.static_j, 0) << e.name;
}

TEST(PowerModel, Refusals) {
  const devices::SocProfile soc = Toy();
  SimResult empty;
  auto a = EstimatePower(soc, empty);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("no duration"), std::string::npos);
  SimResult r;
  r.makespan_s = 1;
  SimEngineStats e;
  e.name = "dla0";
  e.cls = EngineClass::kDla;
  e.macs_fp32 = 1;
  r.engines.push_back(e);
  auto b = EstimatePower(soc, r);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("the DLA has no FP32"), std::string::npos) << b.status().message();
}

}  // namespace
}  // namespace edgeinfer::runtime
