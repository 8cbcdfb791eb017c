// Energy model of a simulated run (runtime/power_model.h, docs/power-model.md).
#include "runtime/power_model.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace edgeinfer::runtime {

namespace {
const char* kRailGpu = "VDD_GPU_SOC";
const char* kRailCpuCv = "VDD_CPU_CV";
const char* kRailDram = "DRAM";
}  // namespace

double PowerReport::DramJ() const {
  double e = 0;
  for (const EnginePower& p : engines) e += p.dram_j;
  return e;
}

double PowerReport::StaticJ() const {
  double e = soc_static_j;
  for (const EnginePower& p : engines) e += p.static_j;
  return e;
}

double PowerReport::ComputeJ() const {
  double e = 0;
  for (const EnginePower& p : engines) e += p.compute_j + p.sram_j;
  return e;
}

double PowerReport::TotalJ() const { return StaticJ() + ComputeJ() + DramJ(); }

std::string PowerReport::Summary(const std::string& mode) const {
  auto w = [&](double j) { return seconds > 0 ? j / seconds : 0.0; };
  char buf[200];
  std::string s;
  std::snprintf(buf, sizeof(buf), "%.1f W average on the module (", AverageW());
  s += buf;
  for (size_t i = 0; i < rails.size(); ++i) {
    std::snprintf(buf, sizeof(buf), "%s%s %.1f", i ? ", " : "", rails[i].rail.c_str(), w(rails[i].j));
    s += buf;
  }
  s += ")";
  if (HasWall()) {
    std::snprintf(buf, sizeof(buf), ", %.1f W at the wall", WallW());
    s += buf;
  }
  std::snprintf(buf, sizeof(buf), ": static %.1f, compute", w(StaticJ()));
  s += buf;
  double sram = 0;
  for (size_t i = 0; i < engines.size(); ++i) {
    std::snprintf(buf, sizeof(buf), "%s %s %.1f", i ? " +" : "", engines[i].name.c_str(), w(engines[i].compute_j));
    s += buf;
    sram += engines[i].sram_j;
  }
  std::snprintf(buf, sizeof(buf), ", DRAM %.1f, SRAM %.2f; %.1f samples/J%s", w(DramJ()), w(sram), SamplesPerJ(),
                HasWall() ? " (wall)" : "");
  s += buf;
  if (budget_w > 0) {
    std::snprintf(buf, sizeof(buf), "; %.0f%% of the %.0f W %s budget", 100 * AverageW() / budget_w, budget_w, mode.c_str());
    s += buf;
  }
  return s;
}

double VoltageRatio(double v0, double f, double fmax) {
  if (!(fmax > 0) || !(f > 0)) return 1;
  const double x = std::min(f / fmax, 1.0);
  return v0 + (1 - v0) * x;
}

Result<PowerReport> EstimatePower(const devices::SocProfile& soc, const SimResult& run) {
  if (!(run.makespan_s > 0)) return Status::Error("power: the run has no duration on the target clock");
  const devices::PowerCoefficients& c = soc.power;
  const double T = run.makespan_s;
  double cpu_max_clock = soc.cpu.clock_hz;
  for (const devices::PowerMode& m : soc.power_modes) cpu_max_clock = std::max(cpu_max_clock, m.cpu_clock_hz);
  const double v_gpu = VoltageRatio(c.gpu_v0_fraction, soc.gpu.clock_hz, soc.gpu.max_clock_hz);
  const double v_dla = VoltageRatio(c.dla_v0_fraction, soc.dla.clock_hz, soc.dla.max_clock_hz);
  const double v_cpu = VoltageRatio(c.cpu_v0_fraction, soc.cpu.clock_hz, cpu_max_clock);
  const double v_emc = VoltageRatio(c.emc_v0_fraction, soc.dram.emc_clock_hz, soc.dram.max_emc_clock_hz);
  const int max_cores = soc.cpu.max_cores > 0 ? soc.cpu.max_cores : soc.cpu.cores;
  const double core_share = max_cores > 0 ? static_cast<double>(soc.cpu.cores) / max_cores : 1;
  const double sm_share = soc.gpu.sms > 0 ? static_cast<double>(soc.gpu.enabled_sms) / soc.gpu.sms : 1;
  PowerReport r;
  r.seconds = T;
  r.samples = run.samples;
  r.wall_extra_w = c.wall_extra_w;
  r.wall_conversion_efficiency = c.wall_conversion_efficiency;
  const double cpu_f = cpu_max_clock > 0 ? soc.cpu.clock_hz / cpu_max_clock : 1;
  const double cpu_j = (c.cpu_static_w * core_share * v_cpu + c.cpu_active_w_per_core * soc.cpu.cores * v_cpu * v_cpu * cpu_f) * T;
  r.soc_static_j = c.soc_static_w * T + cpu_j;
  std::map<std::string, double> rail;
  rail[kRailGpu] += c.soc_static_w * T;
  rail[kRailCpuCv] += cpu_j;
  if (const devices::PowerMode* m = soc.FindMode(soc.active_power_mode)) r.budget_w = m->budget_w;
  const double v_emc2 = v_emc * v_emc;
  for (const SimEngineStats& e : run.engines) {
    EnginePower p;
    p.name = e.name;
    const bool dla = e.cls == devices::EngineClass::kDla;
    if (e.cls == devices::EngineClass::kCpu) {
      // The CPU's static power is cpu_static_w above; its MACs at the CPU coefficients.
      p.rail = kRailCpuCv;
      p.compute_j = (e.macs_int8 * c.cpu_j_per_mac_int8 + (e.macs_fp16 + e.macs_fp32) * c.cpu_j_per_mac_fp32) * v_cpu * v_cpu;
      p.dram_j = e.dram_bytes * c.dram_j_per_byte * v_emc2;
    } else {
      p.rail = dla ? kRailCpuCv : kRailGpu;
      const double v = dla ? v_dla : v_gpu;
      // An engine with no work placed on it in the run (a DLA-only plan's GPU with no fallback
      // layers) is power-gated: no static power. GPU static follows the SMs left ungated.
      p.static_j = e.busy_s > 0 ? (dla ? c.dla_static_w : c.gpu_static_w * sm_share) * v * T : 0;
      const double j8 = dla ? c.dla_j_per_mac_int8 : c.gpu_j_per_mac_int8;
      const double j16 = dla ? c.dla_j_per_mac_fp16 : c.gpu_j_per_mac_fp16;
      if (e.macs_fp32 > 0 && dla) return Status::Error("power: engine '" + e.name + "' ran FP32 MACs; the DLA has no FP32");
      p.compute_j = (e.macs_int8 * j8 + e.macs_fp16 * j16 + e.macs_fp32 * 2 * j16) * v * v;
      p.sram_j = e.sram_bytes * c.sram_j_per_byte * v_dla * v_dla;
      p.dram_j = e.dram_bytes * c.dram_j_per_byte * v_emc2;
    }
    rail[p.rail] += p.static_j + p.compute_j + p.sram_j;
    rail[kRailDram] += p.dram_j;
    r.engines.push_back(p);
  }
  for (const char* name : {kRailGpu, kRailCpuCv, kRailDram}) r.rails.push_back({name, rail[name]});
  return r;
}

}  // namespace edgeinfer::runtime
