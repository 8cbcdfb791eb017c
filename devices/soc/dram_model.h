// Shared-DRAM bandwidth model: how much bandwidth each engine gets when several are memory-bound
// at once (for the scheduler's discrete-event simulation and the tuner).
//
// Model (docs/timing-model.md, "Shared DRAM"): every engine has a ceiling it cannot exceed even
// alone — the GPU `gpu.dram_efficiency` x peak, a DLA core `dla.dram_bandwidth_share` x peak (its
// limited outstanding requests; also at most port bytes/clock x DLA clock), the CPU
// `dram.efficiency` x peak, none above `dram.efficiency` x peak — and all clients together
// cannot exceed `dram.efficiency` x peak. Concurrent demands are served by processor sharing with
// those ceilings: max-min fair water-filling (an engine that wants less than an equal share keeps
// what it wants, the rest is split equally among the others). Peak = bus bytes x 2 x EMC clock of
// the active power mode, so a power mode that caps the EMC lowers every engine's share.
#pragma once
#include <string>
#include <vector>

#include "devices/engine_class.h"
#include "devices/soc/soc_profile.h"

namespace edgeinfer::devices {

// Bytes/s an engine of class `cls` achieves alone (its ceiling).
double EngineDramCeiling(const SocProfile& soc, EngineClass cls);
// Bytes/s all clients together can draw.
double DramTotalAchievable(const SocProfile& soc);

// Max-min fair split of `total` among clients wanting `demands` (bytes/s; use a ceiling for a
// fully memory-bound engine). Returns each client's allocation (sum <= total; each <= demand).
std::vector<double> ShareBandwidth(double total, const std::vector<double>& demands);

// Each engine's bandwidth when the engines listed are all memory-bound at once.
std::vector<double> ConcurrentBandwidth(const SocProfile& soc, const std::vector<EngineClass>& engines);

}  // namespace edgeinfer::devices
