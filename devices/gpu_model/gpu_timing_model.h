// iGPU timing model: the modeled target time of one layer on the SoC profile's integrated GPU,
// for the GPU executor's target clock when the real SoC is not present (no CUDA needed).
//
//   layer time = max(max(MACs / (peak MAC rate x efficiency), DRAM bytes / DRAM bandwidth) + kernel gap,
//                    host enqueue)
//
// kernel gap = gpu.kernel_gap_cycles / GPU clock: the per-kernel idle time on the GPU's timeline when
// launches are queued ahead (a CUDA graph, or a host running ahead of a busy GPU): front-end launch
// and the first/last-wave ramp. host enqueue = gpu.launch_overhead_s, only without CUDA graphs
// (GpuTimingOptions::cuda_graphs = false): the host's per-kernel launch cost bounds the kernel rate
// when kernels are shorter than it (batch 1).
//
// The efficiency is derived, not fitted per layer: a sustained tensor-core fraction for large
// aligned tiles (profile), times channel-alignment padding (tensor-core K/N multiples), times tile
// fill and wave quantization of the implicit GEMM over the SMs (the best of three tile sizes, the
// smaller ones with less operand reuse). Depthwise/grouped convolutions with few channels per
// group run on CUDA cores. docs/timing-model.md has the formulas. Pure; thread-safe.
#pragma once
#include <string>
#include <vector>

#include "devices/soc/layer_work.h"
#include "devices/soc/soc_profile.h"
#include "graph/status.h"

namespace edgeinfer::devices {

struct GpuLayerTime {
  std::string name;
  double compute_s = 0;
  double memory_s = 0;
  double launch_s = 0;            // the kernel gap (on the GPU's timeline)
  double enqueue_s = 0;           // host enqueue floor (0 with CUDA graphs)
  double total_s = 0;
  int64_t macs = 0;
  double peak_macs_per_s = 0;     // of the unit used (tensor cores or CUDA cores)
  double efficiency = 0;          // product of the terms below
  double align_efficiency = 1;
  double tile_efficiency = 1;     // tile fill x wave quantization x tile-size reuse factor
  int tile_m = 0, tile_n = 0;     // the tile chosen
  bool tensor_cores = false;
  int64_t dram_bytes = 0;
  Bound bound = Bound::kCompute;
};

struct GpuTimingOptions {
  // DRAM bandwidth the GPU gets (bytes/s); 0 = its ceiling alone (EngineDramCeiling(kGpu)).
  double dram_bandwidth_bytes_per_s = 0;
  // Launches recorded in a CUDA graph (NVIDIA's SingleStream harness; trtexec --useCudaGraph): no
  // per-kernel host enqueue. At large batches the host runs ahead of the GPU either way.
  bool cuda_graphs = true;
};

// Time of one layer at the profile's active GPU clock and enabled SMs. Error when the profile has
// no GPU or the layer is kOther with no bytes.
Result<GpuLayerTime> GpuLayerTiming(const SocProfile& soc, const LayerWork& layer, const GpuTimingOptions& opts = {});

struct GpuNetworkTime {
  std::vector<GpuLayerTime> layers;
  int64_t batch = 1;
  double total_s = 0;
  int64_t dram_bytes = 0;
  double ImagesPerSecond() const { return total_s > 0 ? static_cast<double>(batch) / total_s : 0; }
};

Result<GpuNetworkTime> GpuNetworkTiming(const SocProfile& soc, const std::vector<LayerWork>& layers, int64_t batch,
                                        const GpuTimingOptions& opts = {});

std::string FormatGpuNetworkTime(const GpuNetworkTime& t);

}  // namespace edgeinfer::devices
