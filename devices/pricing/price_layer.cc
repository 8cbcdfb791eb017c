#include "devices/pricing/price_layer.h"

#include <algorithm>

#include "devices/cpu_model/cpu_timing_model.h"
#include "devices/dla/timing_model.h"
#include "devices/gpu_model/gpu_timing_model.h"
#include "devices/soc/dram_model.h"

namespace edgeinfer::devices {

Result<LayerTime> PriceLayer(const SocProfile& soc, EngineClass engine, const LayerWork& w, const PriceOptions& opts) {
  LayerTime p;
  switch (engine) {
    case EngineClass::kDla: {
      if (w.kind == LayerKind::kOther) {
        if (soc.dla.cores <= 0 || !(soc.dla.clock_hz > 0)) return Status::Error("SoC profile '" + soc.name + "' has no DLA");
        // Data movement by the DLA's DMA: DRAM traffic only (the header's rule).
        if (!opts.in_place_concat) {
          p.dram_bytes = static_cast<double>((w.input_in_sram ? 0 : w.input_bytes) + (w.output_in_sram ? 0 : w.output_bytes));
          p.sram_bytes = static_cast<double>((w.input_in_sram ? w.input_bytes : 0) + (w.output_in_sram ? w.output_bytes : 0));
        }
        p.fixed_s = soc.dla.layer_overhead_cycles / soc.dla.clock_hz;
        const double bw = EngineDramCeiling(soc, EngineClass::kDla);
        p.total_s = p.fixed_s + (bw > 0 ? p.dram_bytes / bw : 0.0);
        p.bound = Bound::kMemory;
        return p;
      }
      EI_ASSIGN_OR_RETURN(DlaLayerTime t, DlaLayerTiming(soc, w));
      p.fixed_s = t.overhead_s;
      p.floor_s = std::max(t.compute_s + t.input_load_s, t.sram_s);   // input fetch precedes compute (timing_model.h)
      p.dram_bytes = static_cast<double>(t.DramBytes());
      p.sram_bytes = static_cast<double>(t.sram_bytes);
      p.total_s = t.total_s;
      p.bound = t.bound;
      return p;
    }
    case EngineClass::kGpu: {
      EI_ASSIGN_OR_RETURN(GpuLayerTime t, GpuLayerTiming(soc, w));
      p.fixed_s = t.launch_s;
      p.floor_s = std::max(t.compute_s, t.enqueue_s - t.launch_s);   // host enqueue floor (no CUDA graphs)
      p.dram_bytes = static_cast<double>(t.dram_bytes);
      p.total_s = t.total_s;
      p.bound = t.bound;
      return p;
    }
    case EngineClass::kCpu: {
      EI_ASSIGN_OR_RETURN(CpuLayerTime t, CpuLayerTiming(soc, w));
      p.fixed_s = t.overhead_s;
      p.floor_s = t.compute_s;
      p.dram_bytes = static_cast<double>(t.dram_bytes);
      p.total_s = t.total_s;
      p.bound = t.bound;
      return p;
    }
  }
  return Status::Error("unknown engine class");
}

}  // namespace edgeinfer::devices
