// Target-clock timelines as Chrome trace-event JSON (chrome://tracing, ui.perfetto.dev): one track
// (thread) per engine instance, one complete event ("ph": "X") per layer run, microseconds of the
// target clock; each event's args give its task, the engine that owns the task, the samples in it,
// its DRAM megabytes and whether it is a GPU-fallback layer. Pure; thread-safe.
#pragma once
#include <string>

#include "graph/status.h"
#include "runtime/simulator.h"

namespace edgeinfer::runtime {

// `process` names the timeline ("orin-agx MAXN target: gpu b128x1 + ..."). Error when the run
// recorded no trace (SimConfig::record_trace / ScenarioSpec::record_trace not set).
Result<std::string> ChromeTraceJson(const SimResult& run, const std::string& process);

// Writes ChromeTraceJson to `path` (errors name the path).
Status WriteChromeTrace(const SimResult& run, const std::string& process, const std::string& path);

// Per-layer profile of a recorded run: one row per (engine instance, layer), its runs, time under
// contention and DRAM bytes; rows of one instance sorted by total time, instances in the run's order.
struct LayerProfileRow {
  std::string executor, layer;
  int64_t runs = 0;
  double total_s = 0;
  double busy_share = 0;     // of the instance's busy time
  double dram_bytes = 0;
  bool fallback = false;     // a GPU-fallback layer of another engine's task
};
Result<std::vector<LayerProfileRow>> ProfileLayers(const SimResult& run);

}  // namespace edgeinfer::runtime
