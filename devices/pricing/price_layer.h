// One function prices one layer on one engine class of a SoC: the seam over the three target-clock
// timing models (devices/dla/timing_model.h, devices/gpu_model/gpu_timing_model.h,
// devices/cpu_model/cpu_timing_model.h). The partitioner, the session's target programs and the
// engine builder all call it, so a layer costs the same wherever it is priced.
//
// The one rule that is not a timing model's: data movement on the DLA (a LayerKind::kOther node the
// DLA runs: Concat, Split, Resize nearest, Transpose) is done by its DMA engine: the bytes it moves
// (input and output, those kept in SRAM excluded; none for a Concat its producers write in place) at
// the DLA's DRAM ceiling, plus the per-layer overhead (dla.layer_overhead_cycles).
#pragma once
#include "devices/engine_class.h"
#include "devices/soc/layer_work.h"
#include "devices/soc/soc_profile.h"
#include "graph/status.h"

namespace edgeinfer::devices {

// What every engine's price has, in one shape (the simulator's SimLayer takes the first four).
struct LayerTime {
  double fixed_s = 0;       // per-layer overhead: kernel launch (GPU), layer overhead (DLA, CPU)
  double floor_s = 0;       // what the layer takes whatever its DRAM share: compute (the DLA adds the
                            // input fetch before the MAC array starts, or its SRAM time if longer)
  double dram_bytes = 0;    // bytes to and from DRAM
  double sram_bytes = 0;    // bytes served by on-chip SRAM (DLA)
  double total_s = 0;       // alone on the SoC (the timing model's own total), target clock
  Bound bound = Bound::kCompute;
};

struct PriceOptions {
  bool in_place_concat = false;   // DLA data movement: the layer is a Concat its producers write in place
};

// Errors: the timing model's (a precision the DLA lacks, dims not positive, no DLA on the SoC).
Result<LayerTime> PriceLayer(const SocProfile& soc, EngineClass engine, const LayerWork& w, const PriceOptions& opts = {});

}  // namespace edgeinfer::devices
