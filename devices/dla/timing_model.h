// DLA timing model: the target time of one fused layer on one DLA core of a SoC profile.
//
//   layer time = max(input fetch + compute, memory) + overhead
//   input fetch = input bytes read (re-reads included) / the bandwidth of the port serving them:
//                the sequencer starts only when the layer's whole input is in the CBUF, and the
//                input is the previous layer's output, so it cannot be prefetched (MAC layers only)
//   compute    = max(MAC-array cycles, SDP cycles, PDP cycles) / DLA clock   (the units pipeline)
//   memory     = max(DRAM bytes / DRAM bandwidth, SRAM bytes / SRAM bandwidth)  (separate ports)
//   overhead   = layer_overhead_cycles / DLA clock + DRAM latency          (pipeline fill/drain)
//
// MAC-array cycles count atomic-C x atomic-K channel padding, the image-input channel extension of
// small-channel first layers, and the weight-load stall of short stripes; DRAM bytes count the
// convolution buffer's tiling (inputs re-read once per weight chunk, or weights once per input
// stripe, whichever is cheaper). docs/timing-model.md gives every formula and its reason. Pure
// functions of (profile, layer); thread-safe.
#pragma once
#include <string>
#include <vector>

#include "devices/soc/layer_work.h"
#include "devices/soc/soc_profile.h"
#include "graph/status.h"

namespace edgeinfer::devices {

struct DlaLayerTime {
  std::string name;
  double mac_cycles = 0;        // MAC array, with padding and stalls
  double sdp_cycles = 0;        // post-processing unit (bias, BN, activation, eltwise)
  double pdp_cycles = 0;        // pooling unit
  double compute_s = 0;
  double dram_s = 0;
  double sram_s = 0;
  double memory_s = 0;          // max(dram_s, sram_s)
  double input_load_s = 0;      // input fetch before the MAC array starts (not overlapped with compute)
  double overhead_s = 0;
  double total_s = 0;
  int64_t macs = 0;             // useful MACs
  double mac_utilization = 0;   // useful MACs / (mac_cycles x atomic-C x atomic-K); 0 without MACs
  // Bytes moved, by kind and memory.
  int64_t weight_dram_bytes = 0;
  int64_t input_dram_bytes = 0;
  int64_t output_dram_bytes = 0;
  int64_t residual_dram_bytes = 0;
  int64_t sram_bytes = 0;       // input/output/residual bytes served by on-chip SRAM
  double input_read_factor = 1; // input bytes read / input bytes (CBUF tiling re-reads)
  double weight_read_factor = 1;
  bool weights_resident = true; // all weights fit the convolution buffer beside an input stripe
  Bound bound = Bound::kCompute;
  int64_t DramBytes() const { return weight_dram_bytes + input_dram_bytes + output_dram_bytes + residual_dram_bytes; }
};

struct DlaTimingOptions {
  // DRAM bandwidth this core gets (bytes/s); 0 = its ceiling alone (EngineDramCeiling(kDla)).
  // The scheduler passes the shared-DRAM model's allocation here when engines contend.
  double dram_bandwidth_bytes_per_s = 0;
};

// Time of one layer on one DLA core at the profile's active clocks. Error when the profile has no
// DLA, the precision is not one the DLA runs, the layer kind has no DLA unit, or a SRAM flag is set
// on a profile without SRAM. Legality (kernel limits etc.) is the capability rules' job, not this.
Result<DlaLayerTime> DlaLayerTiming(const SocProfile& soc, const LayerWork& layer, const DlaTimingOptions& opts = {});

struct DlaNetworkTime {
  std::vector<DlaLayerTime> layers;
  int64_t batch = 1;
  double layers_s = 0;          // sum of layer times
  double task_overhead_s = 0;   // once per submitted task (one batch)
  double total_s = 0;
  int64_t dram_bytes = 0;
  double compute_bound_s = 0;   // time in compute-bound layers
  double memory_bound_s = 0;
  double ImagesPerSecond() const { return total_s > 0 ? static_cast<double>(batch) / total_s : 0; }
};

// A task of `layers` (one batch of `batch` images, run back to back on one core).
Result<DlaNetworkTime> DlaNetworkTiming(const SocProfile& soc, const std::vector<LayerWork>& layers, int64_t batch,
                                        const DlaTimingOptions& opts = {});

// A readable per-layer table and totals.
std::string FormatDlaNetworkTime(const DlaNetworkTime& t);

}  // namespace edgeinfer::devices
