// A toy SoC whose DRAM numbers are round (1 GB/s for all clients together, each DLA core at most
// 0.6 GB/s, the GPU at most 1 GB/s, 1 GHz DLA clock), so times in the runtime's tests can be
// checked on paper. Shared by the simulator and power-model tests.
#pragma once
#include "devices/soc/soc_profile.h"

namespace edgeinfer::runtime::testing {

inline devices::SocProfile ToySoc() {
  devices::SocProfile p;
  p.name = "toy";
  p.gpu.present = true;
  p.gpu.dram_efficiency = 1.0;
  p.dla.cores = 2;
  p.dla.clock_hz = 1e9;
  p.dla.dram_bandwidth_share = 0.6;
  p.dla.port_bytes_per_clock = 0;
  p.dram.fixed_bandwidth_bytes_per_s = 1e9;
  p.dram.efficiency = 1.0;
  return p;
}

}  // namespace edgeinfer::runtime::testing
