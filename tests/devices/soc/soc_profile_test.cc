// SoC profiles: the shipped configs load by name and carry the sourced numbers; power modes apply;
// every validation rule fails with a message naming the file, the key and the rule.
#include "devices/soc/soc_profile.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace edgeinfer::devices {
namespace {

std::string ReadConfig(const std::string& name) {
  std::ifstream in(std::string(EDGEINFER_SOURCE_DIR) + "/configs/" + name + ".yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Replaces the first occurrence of `from` (must exist) in `text`.
std::string Edit(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "test setup: '" << from << "' not in the config";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

void ExpectError(const std::string& yaml, const std::string& want1, const std::string& want2 = "") {
  auto p = ParseSocProfile(yaml, "edited.yaml");
  ASSERT_FALSE(p.ok()) << "expected an error mentioning '" << want1 << "'";
  const std::string m = p.status().message();
  EXPECT_NE(m.find("edited.yaml"), std::string::npos) << m;
  EXPECT_NE(m.find(want1), std::string::npos) << m;
  if (!want2.empty()) {
    EXPECT_NE(m.find(want2), std::string::npos) << m;
  }
}

TEST(SocProfile, ShippedProfilesLoadByName) {
  for (const char* name : {"orin-agx", "orin-nx", "xavier-agx", "nvdla-small", "nvdla-large"}) {
    auto p = LoadSocProfile(name);
    ASSERT_TRUE(p.ok()) << name << ": " << p.status().message();
    EXPECT_EQ(p->name, name);
    EXPECT_GT(p->dla.cores, 0) << name;
    EXPECT_GT(p->dram.PeakBytesPerSec(), 0) << name;
  }
}

TEST(SocProfile, OrinAgxNumbers) {
  auto p = LoadSocProfile("orin-agx");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->active_power_mode, "MAXN");
  EXPECT_EQ(p->power_modes.size(), 5u);   // MAXN, 50W, 30W, 15W and MLPerf v2.1's MaxQ clocks (issue 19)
  EXPECT_EQ(p->dla.cores, 2);
  EXPECT_EQ(p->dla.atomic_c * p->dla.atomic_k, 8192);
  EXPECT_EQ(p->dla.sram_bytes_per_core, 1 << 20);
  EXPECT_EQ(p->dla.native_formats.at("int8"), "CHW32");
  EXPECT_EQ(p->dla.native_formats.at("fp16"), "CHW16");
  EXPECT_EQ(p->dla.limits.kernel_max, 32);
  EXPECT_EQ(p->dla.limits.max_loadables_per_core, 16);
  EXPECT_NEAR(p->dram.PeakBytesPerSec() / 1e9, 204.7, 0.1);       // soc-facts: 204.8 GB/s
  EXPECT_NEAR(2 * p->GpuInt8MacsPerSec() / 1e12, 85.2, 0.5);        // soc-facts: ~85.5 dense TOPS
  EXPECT_NEAR(2 * p->DlaInt8MacsPerSec() / 1e12, 26.2, 0.1);        // soc-facts: ~26.3 per DLA
  // Published sparse TOPS per mode agree with the modeled dense rate x 2 within 5%.
  for (const auto& m : p->power_modes) {
    auto q = ApplyPowerMode(p.value(), m.name);
    ASSERT_TRUE(q.ok());
    if (m.published_gpu_sparse_int8_tops == 0) continue;   // MaxQ: clocks only, no published TOPS
    EXPECT_NEAR(4 * q->GpuInt8MacsPerSec() / 1e12, m.published_gpu_sparse_int8_tops, 0.05 * m.published_gpu_sparse_int8_tops)
        << m.name;
    EXPECT_NEAR(2 * 2 * 2 * q->DlaInt8MacsPerSec() / 1e12, m.published_dla_sparse_int8_tops,
                0.05 * m.published_dla_sparse_int8_tops)
        << m.name;
  }
}

TEST(SocProfile, ApplyPowerMode) {
  auto p = LoadSocProfile("orin-agx");
  ASSERT_TRUE(p.ok());
  auto q = ApplyPowerMode(p.value(), "15w");   // case-insensitive
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->active_power_mode, "15W");
  EXPECT_DOUBLE_EQ(q->dla.clock_hz, 614.4e6);
  EXPECT_DOUBLE_EQ(q->gpu.clock_hz, 408e6);
  EXPECT_EQ(q->gpu.enabled_sms, 4);
  EXPECT_NEAR(q->dram.PeakBytesPerSec() / 1e9, 136.5, 0.1);
  auto back = ApplyPowerMode(q.value(), "MAXN");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->gpu.enabled_sms, 16);
  auto bad = ApplyPowerMode(p.value(), "20W");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown power mode '20W'"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("MAXN, 50W, 30W, 15W"), std::string::npos) << bad.status().message();
  auto nvdla = LoadSocProfile("nvdla-large");
  ASSERT_TRUE(nvdla.ok());
  EXPECT_TRUE(ApplyPowerMode(nvdla.value(), "default").ok());
  EXPECT_FALSE(ApplyPowerMode(nvdla.value(), "MAXN").ok());
}

TEST(SocProfile, ValidationErrorsNameKeyAndRule) {
  const std::string base = ReadConfig("orin-agx");
  ASSERT_FALSE(base.empty());
  ASSERT_TRUE(ParseSocProfile(base, "edited.yaml").ok());
  ExpectError(Edit(base, "  atomic_c: 64 ", "  atomic_c: 48 "), "dla.atomic_c", "not a power of two");
  ExpectError(Edit(base, "  atomic_k: 128 ", "  atomic_k: 100 "), "dla.atomic_k", "not a power of two");
  ExpectError(Edit(base, "  atomic_c: 64 ", "  # atomic_c removed "), "dla.atomic_c", "missing (required)");
  ExpectError(Edit(base, "  max_clock_hz: 1.6e9 ", "  max_clock_hz: -1.6e9 "), "dla.max_clock_hz", "negative");
  ExpectError(Edit(base, "    dla_clock_hz: 0.6144e9 ", "    dla_clock_hz: -5 "), "power_modes.15W.dla_clock_hz", "negative");
  ExpectError(Edit(base, "    dla_clock_hz: 0.6144e9 ", "    dla_clock_hz: 0 "), "power_modes.15W.dla_clock_hz",
              "greater than 0");
  ExpectError(Edit(base, "    dla_clock_hz: 0.6144e9 ", "    dla_clock_hz: 2.0e9 "), "power_modes.15W.dla_clock_hz",
              "above dla.max_clock_hz");
  ExpectError(Edit(base, "default_power_mode: MAXN", "default_power_mode: 20W"), "default_power_mode",
              "unknown power mode '20W'");
  ExpectError(Edit(base, "  conv_buffer_bytes: 524288 ", "  conv_buffer_bytes: lots "), "dla.conv_buffer_bytes",
              "is not a number");
  ExpectError(Edit(base, "  cores: 2 ", "  cores: 2.5 "), "dla.cores", "not an integer");
  ExpectError(Edit(base, "  atomic_c: 64 ", "  atomic_c: 64\n  atomic_cc: 64 "), "dla.atomic_cc", "unknown key");
  ExpectError(Edit(base, "    pad_max: 31", "    pad_max: 32"), "dla.limits.pad_max", "smaller than kernel_max");
  ExpectError(Edit(base, "    stride_min: 1", "    stride_min: 9"), "dla.limits.stride_min", "greater than");
  ExpectError(Edit(base, "  precisions: [int8, fp16] ", "  precisions: [int8, fp32] "), "dla.precisions", "'fp32'");
  ExpectError(Edit(base, "  dram_bandwidth_share: 0.31 ", "  dram_bandwidth_share: 1.5 "), "dla.dram_bandwidth_share",
              "above 1");
  ExpectError(Edit(base, "  bus_width_bits: 256 ", "  bus_width_bits: 250 "), "dram.bus_width_bits",
              "whole number of bytes");
  ExpectError(Edit(base, "gpu:\n  present: true", "gpu:\n  present: maybe"), "gpu.present", "true/false");
  ExpectError(Edit(base, "  tensor_core_efficiency: 0.75", "  tensor_core_efficiency: 1.75"),
              "gpu.tensor_core_efficiency", "at most 1");
  ExpectError(Edit(base, "power:", "powr:"), "power", "missing section");
  ExpectError("name: x\ndla: [1, 2\n", "YAML syntax error");
}

TEST(SocProfile, LookupByNameAndPath) {
  auto missing = LoadSocProfile("no-such-soc");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("not found"), std::string::npos);
  EXPECT_NE(missing.status().message().find("configs/no-such-soc.yaml"), std::string::npos) << missing.status().message();
  EXPECT_FALSE(LoadSocProfile("/nonexistent/dir/x.yaml").ok());
  // A path works, and EDGEINFER_CONFIG_DIR is searched first.
  const std::string dir = std::string(EDGEINFER_BINARY_DIR) + "/soc_profile_test_configs";
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir + "/orin-agx.yaml");
    out << Edit(ReadConfig("orin-agx"), "name: orin-agx", "name: orin-agx-custom");
  }
  auto by_path = LoadSocProfile(dir + "/orin-agx.yaml");
  ASSERT_TRUE(by_path.ok()) << by_path.status().message();
  EXPECT_EQ(by_path->name, "orin-agx-custom");
  ::setenv("EDGEINFER_CONFIG_DIR", dir.c_str(), 1);
  auto by_env = LoadSocProfile("orin-agx");
  ::unsetenv("EDGEINFER_CONFIG_DIR");
  ASSERT_TRUE(by_env.ok()) << by_env.status().message();
  EXPECT_EQ(by_env->name, "orin-agx-custom");
  auto again = LoadSocProfile("orin-agx");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->name, "orin-agx");
}

}  // namespace
}  // namespace edgeinfer::devices

namespace edgeinfer::devices {
namespace {

// --clocks (issue 19): MLPerf v2.1's Orin MaxQ caps as clocks; the same as the profile's MaxQ mode;
// refusals name the entry and the rule.
TEST(SocProfile, ApplyClocks) {
  auto p = LoadSocProfile("orin-agx");
  ASSERT_TRUE(p.ok()) << p.status().message();
  auto c = ApplyClocks(*p, "gpu=624.75MHz,dla=883.2MHz,emc=3199MHz,cpu=4x576MHz");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_DOUBLE_EQ(c->gpu.clock_hz, 624.75e6);
  EXPECT_DOUBLE_EQ(c->dla.clock_hz, 883.2e6);
  EXPECT_DOUBLE_EQ(c->dram.emc_clock_hz, 3199e6);
  EXPECT_EQ(c->cpu.cores, 4);
  EXPECT_DOUBLE_EQ(c->cpu.clock_hz, 576e6);
  EXPECT_EQ(c->gpu.enabled_sms, 16);
  EXPECT_NE(c->active_power_mode.find("MAXN+clocks("), std::string::npos) << c->active_power_mode;
  auto m = ApplyPowerMode(*p, "maxq");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_DOUBLE_EQ(m->GpuInt8MacsPerSec(), c->GpuInt8MacsPerSec());
  EXPECT_DOUBLE_EQ(m->DlaInt8MacsPerSec(), c->DlaInt8MacsPerSec());
  // The DLA's MAC rate follows its clock.
  EXPECT_NEAR(c->DlaInt8MacsPerSec() / p->DlaInt8MacsPerSec(), 883.2 / 1600, 1e-12);
  auto err = [&](const std::string& spec, const std::string& want) {
    auto r = ApplyClocks(*p, spec);
    ASSERT_FALSE(r.ok()) << spec;
    EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().message();
  };
  err("gpu=2GHz", "above orin-agx's gpu.max_clock_hz");
  err("dla=883.2", "not a positive clock with a unit");
  err("npu=1GHz", "unknown unit 'npu'");
  err("cpu=13x1GHz", "online cores must be 1..12");
  err("", "sets no clock");
}

}  // namespace
}  // namespace edgeinfer::devices
