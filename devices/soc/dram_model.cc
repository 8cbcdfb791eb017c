// Shared-DRAM processor sharing with per-engine ceilings (max-min fair water-filling).
#include "devices/soc/dram_model.h"

#include <algorithm>
#include <numeric>

namespace edgeinfer::devices {

double DramTotalAchievable(const SocProfile& soc) { return soc.dram.PeakBytesPerSec() * soc.dram.efficiency; }

double EngineDramCeiling(const SocProfile& soc, EngineClass cls) {
  const double peak = soc.dram.PeakBytesPerSec();
  switch (cls) {
    case EngineClass::kGpu: return peak * std::min(soc.gpu.dram_efficiency, soc.dram.efficiency);
    case EngineClass::kDla: {
      double bw = peak * std::min(soc.dla.dram_bandwidth_share, soc.dram.efficiency);
      if (soc.dla.port_bytes_per_clock > 0) bw = std::min(bw, soc.dla.port_bytes_per_clock * soc.dla.clock_hz);
      return bw;
    }
    case EngineClass::kCpu:
      return peak * (soc.cpu.dram_bandwidth_share > 0 ? std::min(soc.cpu.dram_bandwidth_share, soc.dram.efficiency) : soc.dram.efficiency);
  }
  return 0;
}

std::vector<double> ShareBandwidth(double total, const std::vector<double>& demands) {
  std::vector<double> alloc(demands.size(), 0.0);
  std::vector<size_t> order(demands.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return demands[a] < demands[b]; });
  double left = std::max(total, 0.0);
  size_t remaining = demands.size();
  for (size_t i : order) {
    const double fair = left / static_cast<double>(remaining);
    alloc[i] = std::min(std::max(demands[i], 0.0), fair);
    left -= alloc[i];
    --remaining;
  }
  return alloc;
}

std::vector<double> ConcurrentBandwidth(const SocProfile& soc, const std::vector<EngineClass>& engines) {
  std::vector<double> ceilings;
  ceilings.reserve(engines.size());
  for (EngineClass e : engines) ceilings.push_back(EngineDramCeiling(soc, e));
  return ShareBandwidth(DramTotalAchievable(soc), ceilings);
}

}  // namespace edgeinfer::devices
