// Energy model of a simulated run (runtime/power_model.h, docs/power-model.md).
#include "runtime/power_model.h"

#include <cstdio>

namespace edgeinfer::runtime {

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
  char buf[160];
  std::string s;
  std::snprintf(buf, sizeof(buf), "%.1f W average: static %.1f, compute", AverageW(), w(StaticJ()));
  s += buf;
  double sram = 0;
  for (size_t i = 0; i < engines.size(); ++i) {
    std::snprintf(buf, sizeof(buf), "%s %s %.1f", i ? " +" : "", engines[i].name.c_str(), w(engines[i].compute_j));
    s += buf;
    sram += engines[i].sram_j;
  }
  std::snprintf(buf, sizeof(buf), ", DRAM %.1f, SRAM %.2f; %.1f samples/J", w(DramJ()), w(sram), SamplesPerJ());
  s += buf;
  if (budget_w > 0) {
    std::snprintf(buf, sizeof(buf), "; %.0f%% of the %.0f W %s budget", 100 * AverageW() / budget_w, budget_w, mode.c_str());
    s += buf;
  }
  return s;
}

Result<PowerReport> EstimatePower(const devices::SocProfile& soc, const SimResult& run) {
  if (!(run.makespan_s > 0)) return Status::Error("power: the run has no duration on the target clock");
  const devices::PowerCoefficients& c = soc.power;
  PowerReport r;
  r.seconds = run.makespan_s;
  r.samples = run.samples;
  r.soc_static_j = (c.soc_static_w + c.cpu_static_w) * run.makespan_s;
  if (const devices::PowerMode* m = soc.FindMode(soc.active_power_mode)) r.budget_w = m->budget_w;
  for (const SimEngineStats& e : run.engines) {
    EnginePower p;
    p.name = e.name;
    const bool dla = e.cls == devices::EngineClass::kDla;
    if (e.cls == devices::EngineClass::kCpu) {
      // The CPU's static power is the SoC's cpu_static_w (above); its MACs at the CPU coefficients.
      p.compute_j = e.macs_int8 * c.cpu_j_per_mac_int8 + (e.macs_fp16 + e.macs_fp32) * c.cpu_j_per_mac_fp32;
      p.sram_j = 0;
      p.dram_j = e.dram_bytes * c.dram_j_per_byte;
      r.engines.push_back(p);
      continue;
    }
    p.static_j = (dla ? c.dla_static_w : c.gpu_static_w) * run.makespan_s;
    const double j8 = dla ? c.dla_j_per_mac_int8 : c.gpu_j_per_mac_int8;
    const double j16 = dla ? c.dla_j_per_mac_fp16 : c.gpu_j_per_mac_fp16;
    if (e.macs_fp32 > 0 && dla) return Status::Error("power: engine '" + e.name + "' ran FP32 MACs; the DLA has no FP32");
    p.compute_j = e.macs_int8 * j8 + e.macs_fp16 * j16 + e.macs_fp32 * 2 * j16;
    p.sram_j = e.sram_bytes * c.sram_j_per_byte;
    p.dram_j = e.dram_bytes * c.dram_j_per_byte;
    r.engines.push_back(p);
  }
  return r;
}

}  // namespace edgeinfer::runtime
