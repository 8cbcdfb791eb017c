// Scenario construction and target-clock runs (see scenario.h).
#include "runtime/scenario.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

namespace edgeinfer::runtime {

const char* ScenarioName(ScenarioKind k) {
  switch (k) {
    case ScenarioKind::kOffline: return "Offline";
    case ScenarioKind::kSingleStream: return "SingleStream";
    case ScenarioKind::kMultiStream: return "MultiStream";
    case ScenarioKind::kServer: return "Server";
  }
  return "?";
}

Result<ScenarioKind> ParseScenario(const std::string& s) {
  std::string l = s;
  std::transform(l.begin(), l.end(), l.begin(), ::tolower);
  l.erase(std::remove(l.begin(), l.end(), '-'), l.end());
  l.erase(std::remove(l.begin(), l.end(), '_'), l.end());
  if (l == "offline") return ScenarioKind::kOffline;
  if (l == "singlestream") return ScenarioKind::kSingleStream;
  if (l == "multistream") return ScenarioKind::kMultiStream;
  if (l == "server") return ScenarioKind::kServer;
  return Status::Error("scenario '" + s + "': unknown (offline, singlestream, multistream, server)");
}

int64_t ScenarioSpec::SamplesPerQuery() const {
  if (samples_per_query > 0) return samples_per_query;
  return kind == ScenarioKind::kMultiStream ? 8 : 1;
}

int64_t ScenarioSpec::MinQueries() const {
  if (min_queries > 0) return min_queries;
  switch (kind) {
    case ScenarioKind::kOffline: return 24576;       // MLPerf LoadGen's Offline minimum sample count
    case ScenarioKind::kSingleStream: return 1024;
    case ScenarioKind::kMultiStream: return 1024;
    case ScenarioKind::kServer: return 4096;
  }
  return 1024;
}

std::string BatchPlan::ToString() const {
  std::ostringstream os;
  for (size_t i = 0; i < engines.size(); ++i)
    os << (i ? " + " : "") << engines[i].engine.name << " b" << engines[i].batch << "x" << engines[i].loop;
  os << " (" << DispatchName(dispatch) << ")";
  return os.str();
}

LatencyStats LatencyStats::Of(const std::vector<double>& v) {
  LatencyStats s;
  if (v.empty()) return s;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  s.p50 = Percentile(v, 50);
  s.p90 = Percentile(v, 90);
  s.p99 = Percentile(v, 99);
  s.max = *std::max_element(v.begin(), v.end());
  return s;
}

Result<SimConfig> BuildSimConfig(const BatchPlan& plan, const std::vector<std::shared_ptr<TargetModel>>& models,
                                 const ScenarioSpec& spec, int64_t query_count) {
  if (plan.engines.empty()) return Status::Error("batch plan has no engine");
  if (models.size() != plan.engines.size()) return Status::Error("batch plan: one target model per engine expected");
  SimConfig c;
  c.dispatch = plan.dispatch;
  c.record_trace = spec.record_trace;
  for (size_t i = 0; i < plan.engines.size(); ++i) {
    const EnginePlan& e = plan.engines[i];
    if (!models[i]) return Status::Error("engine '" + e.engine.name + "' has no target model");
    SimEngine se;
    se.name = e.engine.name;
    se.cls = e.engine.kind;
    se.batch = e.batch;
    se.loop = e.loop;
    std::shared_ptr<TargetModel> m = models[i];
    se.program = [m](int64_t b) { return m->Program(b); };
    c.engines.push_back(std::move(se));
  }
  const int64_t q = query_count > 0 ? query_count : spec.MinQueries();
  const int64_t spq = spec.SamplesPerQuery();
  switch (spec.kind) {
    case ScenarioKind::kOffline:
      c.queries.push_back({0.0, q});   // one query of every sample, at t = 0
      break;
    case ScenarioKind::kSingleStream:
    case ScenarioKind::kMultiStream:
      c.closed_loop = true;            // the next query is issued when the previous one completes
      c.closed_loop_queries = q;
      c.closed_loop_samples = spq;
      break;
    case ScenarioKind::kServer: {
      if (!(spec.server_qps > 0)) return Status::Error("Server scenario needs a target rate (--server-qps)");
      std::mt19937_64 rng(spec.seed);
      std::exponential_distribution<double> gap(spec.server_qps / static_cast<double>(spq));
      double t = 0;
      for (int64_t i = 0; i < q; ++i) {
        c.queries.push_back({t, spq});
        t += gap(rng);
      }
      break;
    }
  }
  return c;
}

Result<ScenarioResult> RunTargetScenario(const devices::SocProfile& soc, const BatchPlan& plan,
                                         const std::vector<std::shared_ptr<TargetModel>>& models,
                                         const ScenarioSpec& spec, int64_t query_count) {
  int64_t q = query_count > 0 ? query_count : spec.MinQueries();
  ScenarioResult r;
  for (int attempt = 0; attempt < 3; ++attempt) {
    EI_ASSIGN_OR_RETURN(SimConfig c, BuildSimConfig(plan, models, spec, q));
    EI_ASSIGN_OR_RETURN(r.sim, Simulate(soc, c));
    // Minimum duration (only when the caller did not fix the count): extend and run again.
    if (query_count > 0 || r.sim.makespan_s >= spec.min_duration_s || r.sim.makespan_s <= 0) break;
    q = static_cast<int64_t>(std::ceil(static_cast<double>(q) * spec.min_duration_s / r.sim.makespan_s * 1.02));
  }
  r.clock = "target";
  r.kind = spec.kind;
  r.queries = static_cast<int64_t>(r.sim.query_latency_s.size());
  r.samples = r.sim.samples;
  r.duration_s = r.sim.makespan_s;
  r.throughput = r.sim.throughput;
  r.latency = LatencyStats::Of(spec.kind == ScenarioKind::kOffline ? r.sim.sample_service_s : r.sim.query_latency_s);
  r.bound_latency_s = spec.kind == ScenarioKind::kSingleStream ? r.latency.p90 : r.latency.p99;
  std::ostringstream os;
  os << "target: simulated " << r.queries << " queries (" << r.samples << " samples) on " << soc.name << " "
     << soc.active_power_mode;
  r.note = os.str();
  return r;
}

}  // namespace edgeinfer::runtime
