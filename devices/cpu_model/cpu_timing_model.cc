// Target CPU roofline timing model (formulas: cpu_timing_model.h, docs/timing-model.md "CPU").
#include "devices/cpu_model/cpu_timing_model.h"

#include <algorithm>

#include "devices/soc/dram_model.h"

namespace edgeinfer::devices {

Result<CpuLayerTime> CpuLayerTiming(const SocProfile& soc, const LayerWork& w, const CpuTimingOptions& opts) {
  const CpuProfile& c = soc.cpu;
  if (!c.HasTimingModel()) {
    return Status::Error("SoC profile '" + soc.name + "' has no CPU timing model (cpu.fp32_macs_per_clock_per_core, cpu.efficiency)");
  }
  if (c.cores <= 0 || !(c.clock_hz > 0)) return Status::Error("SoC profile '" + soc.name + "': CPU cores or clock is 0");
  CpuLayerTime t;
  t.name = w.name;
  const double lanes_clock = static_cast<double>(c.cores) * c.clock_hz;
  const bool has_macs = w.kind == LayerKind::kConv || w.kind == LayerKind::kDeconv || w.kind == LayerKind::kGemm;
  if (has_macs) {
    double per_core = c.fp32_macs_per_clock_per_core;
    if (w.precision_bytes == 1 && c.int8_macs_per_clock_per_core > 0) per_core = c.int8_macs_per_clock_per_core;
    if (w.precision_bytes == 2 && c.fp16_macs_per_clock_per_core > 0) per_core = c.fp16_macs_per_clock_per_core;
    t.macs = w.Macs();
    t.peak_ops_per_s = lanes_clock * per_core;
    t.compute_s = static_cast<double>(t.macs) / (t.peak_ops_per_s * c.efficiency);
  } else if (w.kind != LayerKind::kOther) {
    const int64_t elements = w.kind == LayerKind::kPool ? w.N * w.C * w.H * w.W : w.ConvOutputElements();
    t.peak_ops_per_s = lanes_clock * c.fp32_macs_per_clock_per_core;
    t.compute_s = static_cast<double>(elements) / (t.peak_ops_per_s * c.efficiency);
  }
  t.dram_bytes = w.input_bytes + w.weight_bytes + w.output_bytes + (w.has_residual ? w.residual_bytes : 0);
  const double bw = opts.dram_bandwidth_bytes_per_s > 0 ? opts.dram_bandwidth_bytes_per_s : EngineDramCeiling(soc, EngineClass::kCpu);
  if (!(bw > 0)) return Status::Error("layer '" + w.name + "': the CPU's DRAM bandwidth is 0");
  t.memory_s = static_cast<double>(t.dram_bytes) / bw;
  t.overhead_s = c.layer_overhead_s;
  t.bound = t.compute_s >= t.memory_s ? Bound::kCompute : Bound::kMemory;
  t.total_s = std::max(t.compute_s, t.memory_s) + t.overhead_s;
  return t;
}

}  // namespace edgeinfer::devices
