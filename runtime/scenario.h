// Scenarios after MLPerf LoadGen: Offline, SingleStream, MultiStream (8 samples a query), Server
// (Poisson arrivals at a target rate), each with minimum query counts and a minimum duration, and
// p50/p90/p99 latencies. Every result carries its clock:
//   - target: the discrete-event simulation of the SoC profile (runtime/simulator.h); long
//     simulated durations are cheap, so the MLPerf-like minimums apply there;
//   - host: real numerics through a Session on this machine, on a bounded number of samples
//     (ScenarioSpec::host_samples), said so in the output.
// Plans (BatchPlan: engines, per-engine batch and loop, dispatch) are plain data.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "devices/soc/soc_profile.h"
#include "graph/status.h"
#include "runtime/engine_instance.h"
#include "runtime/simulator.h"

namespace edgeinfer::runtime {

enum class ScenarioKind { kOffline, kSingleStream, kMultiStream, kServer };
const char* ScenarioName(ScenarioKind k);
Result<ScenarioKind> ParseScenario(const std::string& s);   // offline, singlestream, multistream, server

struct ScenarioSpec {
  ScenarioKind kind = ScenarioKind::kOffline;
  int64_t min_queries = 0;          // 0: the scenario's default (Offline 24576 samples; SingleStream 1024;
                                    // MultiStream 1024 queries of 8; Server 4096 queries)
  double min_duration_s = 1.0;      // target clock: the run is extended to last at least this long
  int64_t samples_per_query = 0;    // 0: 1 (MultiStream: 8)
  double server_qps = 0;            // Server: target arrival rate (samples/s); required
  uint32_t seed = 1;                // Server arrival times
  double latency_bound_s = 0;       // tuner: plans whose bound latency exceeds it are infeasible (0: none)
  int64_t host_samples = 32;        // host clock: samples executed for real
  bool record_trace = false;        // target clock: keep every layer's timeline (SimResult::trace)
  int64_t SamplesPerQuery() const;
  int64_t MinQueries() const;
};

struct EnginePlan {
  EngineSpec engine;
  int64_t batch = 1;
  int64_t loop = 1;
};

struct BatchPlan {
  std::vector<EnginePlan> engines;
  Dispatch dispatch = Dispatch::kSelfScheduling;
  // "gpu b64x1 + dla0 b2x1 + dla1 b2x1 (self-scheduling)"
  std::string ToString() const;
};

// Latency statistics of one run (seconds).
struct LatencyStats {
  double mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
  static LatencyStats Of(const std::vector<double>& v);
};

struct ScenarioResult {
  std::string clock;                 // "target" or "host"
  ScenarioKind kind = ScenarioKind::kOffline;
  int64_t queries = 0, samples = 0;
  double duration_s = 0;
  double throughput = 0;             // samples/s
  LatencyStats latency;              // per query (Offline: per sample, from the pull by its engine)
  // The scenario's latency metric: SingleStream p90, MultiStream p99, Server p99, Offline p99.
  double bound_latency_s = 0;
  SimResult sim;                     // target clock only
  std::string note;                  // what was run (e.g. "host: 32 samples, functional stand-ins")
};

// Builds the simulator's configuration of `plan` under `spec` (queries, closed loop) with
// `query_count` queries (0: spec.MinQueries(), extended to spec.min_duration_s with `est_rate`
// samples/s when given).
Result<SimConfig> BuildSimConfig(const BatchPlan& plan, const std::vector<std::shared_ptr<TargetModel>>& models,
                                 const ScenarioSpec& spec, int64_t query_count);

// Runs a scenario on the target clock: simulation of `plan` with the targets' programs (one per
// plan engine, same order). `query_count` 0 = spec's minimum (and the minimum duration).
Result<ScenarioResult> RunTargetScenario(const devices::SocProfile& soc, const BatchPlan& plan,
                                         const std::vector<std::shared_ptr<TargetModel>>& models,
                                         const ScenarioSpec& spec, int64_t query_count = 0);

}  // namespace edgeinfer::runtime
