// Tuner: chooses a BatchPlan (which engines, each engine's batch size, the loop count) for a
// scenario and a latency bound, on the target clock.
//
// Every candidate is scored by one evaluation: a simulation of the plan under the scenario with a
// fixed query count (TunerOptions::eval_queries), so the tuner and the exhaustive search compare
// plans on exactly the same numbers. Score: Offline = throughput; SingleStream = -p90 latency;
// MultiStream/Server = -p99 latency. A plan whose scenario latency (Offline: p99 of the time from
// an engine pulling a sample to its result) exceeds the bound is infeasible.
// Search (Tune):
//   1. each engine alone at every batch size of the space (loop 1);
//   2. every subset of the engines, each engine at its best batch alone;
//   3. coordinate descent on every multi-engine subset (or the best `descent_subsets`), best first,
//      from the engines' best-alone batches and from the smallest batches: one engine at a time
//      takes every batch size with the others fixed, until a full pass changes nothing (a start
//      that breaks the latency bound is repaired by the same moves);
//   4. latency scenarios: pair moves on each multi-engine subset's best plan (two engines' batches
//      at once, then single moves again), until nothing improves;
//   5. the winner's loop count over the space's loops.
// Why: throughput is close to additive across engines, coupled through the shared DRAM; the
// descent finds the coupling's best response per engine in O(engines x batches) evaluations
// instead of the product. ExhaustiveSearch evaluates the whole space (the check that the tuner
// lands within 1% of the best). Limits: one loop count for all engines of a plan; self-scheduling
// dispatch (the static split is evaluated for the winner and reported).
#pragma once
#include <string>
#include <vector>

#include "devices/soc/soc_profile.h"
#include "graph/status.h"
#include "runtime/scenario.h"

namespace edgeinfer::runtime {

struct TunerSpace {
  std::vector<EngineSpec> engines;                          // candidates (subsets are searched)
  std::vector<int64_t> gpu_batches = {1, 2, 4, 8, 16, 32, 64, 128, 256};
  std::vector<int64_t> dla_batches = {1, 2, 4, 8, 16, 32};
  std::vector<int64_t> loops = {1, 2, 4};
  bool search_subsets = true;                               // false: always every engine given
  // Plans in the space (for the exhaustive search and reports).
  int64_t Size() const;
};

struct TunerOptions {
  int64_t eval_queries = 0;        // per evaluation; 0: Offline 4096 samples, others 256 queries
  int descent_subsets = 0;         // coordinate descent on this many best subsets; 0: every multi-engine subset
};

struct Candidate {
  BatchPlan plan;
  double score = 0;
  bool feasible = true;
  double throughput = 0;           // samples/s, target clock
  double latency_s = 0;            // the scenario's bound latency (see file comment)
  double dram_utilization = 0;     // of DRAM peak
  std::vector<std::pair<std::string, double>> busy;   // engine -> busy fraction of the run
  std::vector<std::pair<std::string, double>> fallback_wait;   // engine -> fraction of the run waiting for its fallback layers
  std::string stage;               // which tuner step proposed it
};

struct TuneResult {
  Candidate best;
  std::vector<Candidate> evaluated;   // every plan evaluated, in evaluation order
  int64_t evaluations = 0;
  double host_seconds = 0;            // wall time of the search on this host
  std::string why;                    // why the winner won, in words
};

// One scored evaluation of `plan` (thread-safe).
Result<Candidate> EvaluatePlan(const devices::SocProfile& soc, const BatchPlan& plan,
                               const std::vector<std::shared_ptr<TargetModel>>& models, const ScenarioSpec& spec,
                               const TunerOptions& opts);

// `models` has one target model per space engine (same order).
Result<TuneResult> Tune(const devices::SocProfile& soc, const TunerSpace& space,
                        const std::vector<std::shared_ptr<TargetModel>>& models, const ScenarioSpec& spec,
                        const TunerOptions& opts = {});
Result<TuneResult> ExhaustiveSearch(const devices::SocProfile& soc, const TunerSpace& space,
                                    const std::vector<std::shared_ptr<TargetModel>>& models, const ScenarioSpec& spec,
                                    const TunerOptions& opts = {});

// Table of the best `max_rows` feasible candidates (plan, throughput, latency, DRAM %, busy %).
std::string FormatCandidates(const TuneResult& r, size_t max_rows = 12);

}  // namespace edgeinfer::runtime
