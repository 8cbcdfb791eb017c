// Physical limits (runtime/roofline.h).
#include "runtime/roofline.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "runtime/engine_instance.h"

namespace edgeinfer::runtime {

using DevClass = devices::EngineClass;

namespace {

const char* ClassName(DevClass c) { return c == DevClass::kGpu ? "gpu" : c == DevClass::kDla ? "dla" : "cpu"; }

const char* PrecName(int p) { return p == 1 ? "INT8" : p == 2 ? "FP16" : "FP32"; }

std::string Num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

// Slack for floating-point summation: a figure is over the limit only beyond it.
constexpr double kSlack = 1 + 1e-6;

}  // namespace

double PeakMacsPerSec(const devices::SocProfile& soc, DevClass cls, int precision_bytes) {
  switch (cls) {
    case DevClass::kGpu: {
      const devices::GpuProfile& g = soc.gpu;
      if (!g.present) return 0;
      const double per_clk = g.enabled_sms * g.clock_hz;
      const double cuda = per_clk * g.fp32_macs_per_clock_per_sm;
      if (precision_bytes == 1) return std::max(per_clk * g.int8_macs_per_clock_per_sm, cuda);
      if (precision_bytes == 2) return std::max(per_clk * g.fp16_macs_per_clock_per_sm, 2 * cuda);
      return cuda;
    }
    case DevClass::kDla: {
      const double int8 = static_cast<double>(soc.dla.atomic_c) * soc.dla.atomic_k * soc.dla.clock_hz;
      if (precision_bytes == 1) return int8;
      if (precision_bytes == 2) return int8 / std::max(soc.dla.fp16_rate_divisor, 1);
      return 0;
    }
    case DevClass::kCpu: {
      const devices::CpuProfile& c = soc.cpu;
      const double per = c.cores * c.clock_hz;
      const double r = precision_bytes == 1 ? c.int8_macs_per_clock_per_core
                       : precision_bytes == 2 ? c.fp16_macs_per_clock_per_core
                                              : c.fp32_macs_per_clock_per_core;
      return per * std::max(r, c.fp32_macs_per_clock_per_core);
    }
  }
  return 0;
}

std::string DescribePeak(const devices::SocProfile& soc, DevClass cls, int precision_bytes) {
  char b[200];
  const double peak = PeakMacsPerSec(soc, cls, precision_bytes);
  switch (cls) {
    case DevClass::kGpu:
      std::snprintf(b, sizeof b, "the GPU's %s peak %.4g MAC/s (%d SMs at %.2f MHz)", PrecName(precision_bytes), peak,
                    soc.gpu.enabled_sms, soc.gpu.clock_hz / 1e6);
      break;
    case DevClass::kDla:
      std::snprintf(b, sizeof b, "one DLA core's %s peak %.4g MAC/s (%d x %d MACs at %.2f MHz)", PrecName(precision_bytes), peak,
                    soc.dla.atomic_c, soc.dla.atomic_k, soc.dla.clock_hz / 1e6);
      break;
    case DevClass::kCpu:
      std::snprintf(b, sizeof b, "the CPU's %s peak %.4g MAC/s (%d cores at %.2f MHz)", PrecName(precision_bytes), peak,
                    soc.cpu.cores, soc.cpu.clock_hz / 1e6);
      break;
  }
  return b;
}

Status CheckProgramRoofline(const devices::SocProfile& soc, const TaskProgram& p, const std::string& engine) {
  const double dram_peak = soc.dram.PeakBytesPerSec();
  for (const SimLayer& l : p.layers) {
    const double alone = l.fixed_s + std::max(l.floor_s, 0.0);
    if (l.macs > 0) {
      const double peak = PeakMacsPerSec(soc, l.on, l.precision_bytes);
      if (!(peak > 0))
        return Status::Error("roofline: " + engine + " batch " + std::to_string(p.batch) + " layer '" + l.name + "' runs " +
                             PrecName(l.precision_bytes) + " MACs on " + ClassName(l.on) + ", which has no " +
                             PrecName(l.precision_bytes) + " rate in profile '" + soc.name + "'");
      if (l.macs / peak > alone * kSlack + 1e-12)
        return Status::Error("roofline: " + engine + " batch " + std::to_string(p.batch) + " layer '" + l.name + "' is modeled at " +
                             Num(alone * 1e6) + " us for " + Num(l.macs) + " MACs, faster than " +
                             DescribePeak(soc, l.on, l.precision_bytes) + " allows (" + Num(l.macs / peak * 1e6) +
                             " us) (rule: no modeled layer beats its engine's peak)");
    }
    // The fluid phase moves the layer's DRAM bytes at most at the DRAM peak.
    if (dram_peak > 0 && l.dram_bytes / dram_peak > (p.alone_s > 0 ? p.alone_s : 1e300) * kSlack)
      return Status::Error("roofline: " + engine + " batch " + std::to_string(p.batch) + " layer '" + l.name + "' moves " +
                           Num(l.dram_bytes) + " DRAM bytes, more than the task's modeled time allows at the DRAM peak of " +
                           Num(dram_peak) + " B/s");
  }
  return Status::Ok();
}

Status CheckRunRoofline(const devices::SocProfile& soc, const BatchPlan& plan,
                        const std::vector<std::shared_ptr<TargetModel>>& models, const SimResult& run) {
  if (models.size() != plan.engines.size()) return Status::Error("roofline: one target model per plan engine expected");
  if (!(run.makespan_s > 0)) return Status::Ok();
  // Seconds each executor needs at its peak: instances by name; fallback layers go to the fallback
  // executor of their class ("gpu" if the plan has the GPU, else "gpu(fallback)"; the CPU likewise).
  std::map<std::string, double> need;
  std::map<std::string, std::string> why;
  for (size_t i = 0; i < plan.engines.size(); ++i) {
    const EnginePlan& ep = plan.engines[i];
    int64_t samples = 0;
    for (const SimEngineStats& s : run.engines)
      if (s.name == ep.engine.name) samples = s.samples;
    if (samples == 0) continue;
    const int64_t own = models[i]->native_batch();
    EI_ASSIGN_OR_RETURN(TaskProgram p, models[i]->Program(own));
    EI_RETURN_IF_ERROR(CheckProgramRoofline(soc, p, ep.engine.name));
    const DevClass owner = ep.engine.kind;
    for (const SimLayer& l : p.layers) {
      if (!(l.macs > 0)) continue;
      const double peak = PeakMacsPerSec(soc, l.on, l.precision_bytes);
      std::string exec = ep.engine.name;
      if (l.on != owner) {
        exec = ClassName(l.on);
        bool in_plan = false;
        for (const EnginePlan& o : plan.engines) in_plan |= o.engine.name == exec;
        if (!in_plan) exec += "(fallback)";
      }
      need[exec] += static_cast<double>(samples) * l.macs / static_cast<double>(own) / peak;
      if (why[exec].empty()) why[exec] = DescribePeak(soc, l.on, l.precision_bytes);
    }
  }
  for (const auto& [exec, s] : need) {
    if (s > run.makespan_s * kSlack) {
      char b[160];
      std::snprintf(b, sizeof b, "%.4g s of work at its peak in a %.4g s run (%.0f samples/s modeled)", s, run.makespan_s,
                    run.throughput);
      return Status::Error("roofline: plan " + plan.ToString() + ": " + exec + " is credited with " + b + ", above " + why[exec] +
                           " (rule: a modeled throughput cannot exceed the engines' peak MAC rates; a plan that credits "
                           "more samples than its tasks compute is a bug)");
    }
  }
  const double dram_peak = soc.dram.PeakBytesPerSec();
  if (dram_peak > 0 && run.dram_bytes > dram_peak * run.makespan_s * kSlack)
    return Status::Error("roofline: plan " + plan.ToString() + " moves " + Num(run.dram_bytes) + " DRAM bytes in " +
                         Num(run.makespan_s) + " s, above the DRAM peak of " + Num(dram_peak) + " B/s");
  return Status::Ok();
}

}  // namespace edgeinfer::runtime
