// Target CPU timing model: the modeled time of one layer on the SoC profile's CPU complex, for
// layers that fall back to the CPU on a SoC without a GPU (the open NVDLA profiles) and for
// `compile --explain` there. The host CPU's own executors (devices/cpu) run on the host clock.
//
//   layer time = max(MACs / (cores x clock x MACs per clock per core x efficiency),
//                    element work / (cores x clock x FP32 lanes x efficiency),
//                    DRAM bytes / CPU DRAM ceiling) + layer overhead
//
// MACs per clock per core are the SIMD datapath's (FMA lanes x pipes; dot-product instructions for
// INT8; FP16 falls back to the FP32 rate when the profile gives none). Element work: one operation
// per output element for element-wise ops and activations, one per input element read by a pool.
// Data movement (kOther: Concat, Transpose, Softmax, reformat, ...) is bytes only. All layers run
// on all cores (a thread pool that splits each layer). docs/timing-model.md. Pure; thread-safe.
#pragma once
#include <string>

#include "devices/soc/layer_work.h"
#include "devices/soc/soc_profile.h"
#include "graph/status.h"

namespace edgeinfer::devices {

struct CpuLayerTime {
  std::string name;
  double compute_s = 0;
  double memory_s = 0;
  double overhead_s = 0;
  double total_s = 0;
  int64_t macs = 0;
  double peak_ops_per_s = 0;   // of the datapath used (MACs/s, or element ops/s)
  int64_t dram_bytes = 0;
  Bound bound = Bound::kCompute;
};

struct CpuTimingOptions {
  // DRAM bandwidth the CPU gets (bytes/s); 0 = its ceiling alone (EngineDramCeiling(kCpu)).
  double dram_bandwidth_bytes_per_s = 0;
};

// Error when the profile has no CPU timing model (cpu.fp32_macs_per_clock_per_core / efficiency).
Result<CpuLayerTime> CpuLayerTiming(const SocProfile& soc, const LayerWork& layer, const CpuTimingOptions& opts = {});

}  // namespace edgeinfer::devices
