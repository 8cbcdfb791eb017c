// Target-clock simulator: a discrete-event simulation of engine instances running per-layer work on
// one SoC, with the shared DRAM served by processor sharing.
//
// Steps:
//   1. Work: each engine instance runs tasks (one batch of one model); a task is a list of layers
//      (SimLayer), each tagged with the engine class that executes it (a DLA task's GPU-fallback
//      layers run on the GPU instance). A layer is a fixed phase (launch / pipeline fill, no DRAM)
//      followed by a fluid phase that needs `floor_s` of compute and `dram_bytes` of DRAM traffic:
//      alone it takes fixed + max(floor, bytes / ceiling) -- exactly the timing models' roofline.
//   2. DRAM: whenever the set of layers in their fluid phase changes, each one demands
//      min(engine ceiling, bytes / floor) bytes/s, and devices::ShareBandwidth (max-min fair
//      water-filling, the engine ceilings being the per-engine efficiencies of dram_model.h) splits
//      the achievable total among them; a layer progresses at allocation / bytes per second.
//   3. Scheduling: samples arrive (all at t=0 for Offline, at query times otherwise) into one shared
//      queue (self-scheduling: an idle engine pulls batch x loop samples, as NVIDIA's Orin harness
//      does) or into per-engine queues filled in the static BatchPlan's proportions. An engine runs
//      the samples it pulled as ceil(n / batch) tasks back to back; a task of fewer samples than
//      the batch runs at its own size (no padding).
//   4. The GPU instance interleaves its own task with the fallback segments of DLA tasks at layer
//      boundaries (round robin over streams), so fallback work contends with the GPU's own work and
//      the DLA waits for its segment.
// Why: per-layer phases are where engines overlap in memory-bound and compute-bound stretches;
// a whole-network average would miss the contention. Limits: no L2/SLC caching between engines, no
// DRAM bank/page effects beyond the efficiency factors, no host dispatch time on the target clock.
// Pure functions of their inputs; thread-safe (no shared state).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "devices/soc/dram_model.h"
#include "devices/soc/soc_profile.h"
#include "graph/status.h"

namespace edgeinfer::runtime {

// One layer of a task on the target. Times in seconds, bytes for the whole batch.
struct SimLayer {
  std::string name;
  devices::EngineClass on = devices::EngineClass::kGpu;   // the engine class that executes it
  double fixed_s = 0;      // launch / pipeline fill / DRAM first-access latency (no bandwidth)
  double floor_s = 0;      // compute (and on-chip SRAM) time: the layer's time when DRAM is ample
  double dram_bytes = 0;   // DRAM traffic (weights, activations not kept on chip)
  // For the energy model (runtime/power_model.h): multiply-accumulates of the whole batch, their
  // precision (1 int8, 2 fp16, 4 fp32), and bytes served by on-chip SRAM.
  double macs = 0;
  int precision_bytes = 1;
  double sram_bytes = 0;
};

// One batch of one model on one engine instance.
struct TaskProgram {
  int64_t batch = 1;
  double task_overhead_s = 0;      // once per task on the owning engine (DLA firmware submit)
  std::vector<SimLayer> layers;
  // Derived: the task alone on an idle SoC (every layer at its engine's DRAM ceiling).
  double alone_s = 0;
  double dram_bytes = 0;
  int fallback_layers = 0;         // layers run on another engine class than the owner
};

// Builds the program of a batch for an engine class; the simulator calls it once per batch size.
using ProgramFn = std::function<Result<TaskProgram>(int64_t batch)>;

struct SimEngine {
  std::string name;                      // "gpu", "dla0", ...
  devices::EngineClass cls = devices::EngineClass::kGpu;
  int64_t batch = 1;
  int64_t loop = 1;                      // batches pulled at once (self-scheduling)
  ProgramFn program;                     // must be set
};

enum class Dispatch { kSelfScheduling, kStatic };
const char* DispatchName(Dispatch d);

// A query: `samples` samples arriving together at `arrival_s`; `issue_after_previous` queries (the
// SingleStream/MultiStream loop) arrive when the previous query completes, `arrival_s` after it.
struct SimQuery {
  double arrival_s = 0;
  int64_t samples = 1;
};

struct SimConfig {
  std::vector<SimEngine> engines;        // at least one
  Dispatch dispatch = Dispatch::kSelfScheduling;
  std::vector<SimQuery> queries;         // fixed arrival times (Offline, Server)
  bool closed_loop = false;              // true: query i+1 is issued when query i completes
  int64_t closed_loop_queries = 0;       // with closed_loop: how many queries of closed_loop_samples
  int64_t closed_loop_samples = 1;
  bool record_trace = false;             // fill SimResult::trace (one event per layer run)
};

// One layer (or task-overhead phase) as it ran on the target: for timelines (runtime/trace_export.h).
struct SimTraceEvent {
  std::string layer;            // layer name, or "task overhead"
  std::string executor;         // the instance that ran it ("gpu", "dla0", "gpu(fallback)")
  std::string owner;            // the engine whose task it belongs to
  int64_t task = 0;             // task number (unique in the run)
  int64_t samples = 0;          // samples in that task
  double start_s = 0, end_s = 0;
  double dram_bytes = 0;
  bool fallback = false;        // run on another engine class than its task's owner
};

struct SimEngineStats {
  std::string name;
  int64_t batch = 0, loop = 0;
  int64_t samples = 0;
  int64_t tasks = 0;
  double busy_s = 0;            // time with a layer or task overhead in progress for it (own or fallback)
  double own_busy_s = 0;        // of which its own layers
  double dram_bytes = 0;        // moved by layers it executed
  devices::EngineClass cls = devices::EngineClass::kGpu;
  double macs_int8 = 0, macs_fp16 = 0, macs_fp32 = 0;   // executed by it (own and fallback layers)
  double sram_bytes = 0;        // served by its on-chip SRAM
  double task_latency_s = 0;    // mean task duration (start to last layer)
  double fallback_wait_s = 0;   // its own task in flight but waiting for (or running) layers on another engine
};

struct SimResult {
  double makespan_s = 0;        // first arrival to last completion
  int64_t samples = 0;
  double throughput = 0;        // samples / makespan
  double dram_bytes = 0;
  double dram_utilization = 0;  // average bandwidth / DRAM peak of the active power mode
  double dram_achievable_fraction = 0;   // average bandwidth / achievable total (efficiency x peak)
  std::vector<SimEngineStats> engines;
  std::vector<double> query_latency_s;   // per query: completion of its last sample - arrival
  std::vector<double> sample_latency_s;  // per sample: completion - arrival
  std::vector<double> sample_service_s;  // per sample: completion - time its engine pulled it
  int64_t events = 0;                    // fluid-phase recomputations (cost of the simulation)
  std::vector<SimTraceEvent> trace;      // with SimConfig::record_trace, in completion order
};

// Runs the simulation. Errors: no engines, an engine without a program, a program error.
Result<SimResult> Simulate(const devices::SocProfile& soc, const SimConfig& config);

// Percentile (0..100) of a sample by the nearest-rank method (MLPerf LoadGen's); 0 when empty.
double Percentile(std::vector<double> v, double pct);

}  // namespace edgeinfer::runtime
