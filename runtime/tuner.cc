// Batch-plan tuner and exhaustive search (see tuner.h).
#include "runtime/tuner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace edgeinfer::runtime {

namespace {

const std::vector<int64_t>& BatchesOf(const TunerSpace& s, EngineClass k) {
  return k == EngineClass::kGpu ? s.gpu_batches : s.dla_batches;
}

std::string Key(const BatchPlan& p) { return p.ToString(); }

bool Better(const Candidate& a, const Candidate& b) {
  if (a.feasible != b.feasible) return a.feasible;
  if (a.score != b.score) return a.score > b.score;
  if (a.latency_s != b.latency_s) return a.latency_s < b.latency_s;   // tie: the shorter latency
  return a.dram_utilization < b.dram_utilization;                     // then the lighter DRAM user
}

class Search {
 public:
  Search(const devices::SocProfile& soc, const TunerSpace& space, const std::vector<std::shared_ptr<TargetModel>>& models,
         const ScenarioSpec& spec, const TunerOptions& opts)
      : soc_(soc), space_(space), models_(models), spec_(spec), opts_(opts) {}

  // Evaluates a plan given as (engine index in the space -> batch), loop; cached.
  Result<Candidate> Eval(const std::vector<std::pair<size_t, int64_t>>& engines, int64_t loop, const std::string& stage) {
    BatchPlan p;
    std::vector<std::shared_ptr<TargetModel>> m;
    for (const auto& [i, b] : engines) {
      p.engines.push_back({space_.engines[i], b, loop});
      m.push_back(models_[i]);
    }
    const std::string key = Key(p);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    EI_ASSIGN_OR_RETURN(Candidate c, EvaluatePlan(soc_, p, m, spec_, opts_));
    c.stage = stage;
    cache_.emplace(key, c);
    result_.evaluated.push_back(c);
    ++result_.evaluations;
    if (!have_best_ || Better(c, result_.best)) {
      result_.best = c;
      have_best_ = true;
    }
    return c;
  }

  TuneResult& result() { return result_; }

 private:
  const devices::SocProfile& soc_;
  const TunerSpace& space_;
  const std::vector<std::shared_ptr<TargetModel>>& models_;
  const ScenarioSpec& spec_;
  const TunerOptions& opts_;
  std::map<std::string, Candidate> cache_;
  TuneResult result_;
  bool have_best_ = false;
};

std::vector<std::vector<size_t>> Subsets(const TunerSpace& s) {
  std::vector<std::vector<size_t>> out;
  const size_t n = s.engines.size();
  if (!s.search_subsets) {
    std::vector<size_t> all(n);
    for (size_t i = 0; i < n; ++i) all[i] = i;
    out.push_back(all);
    return out;
  }
  for (size_t mask = 1; mask < (size_t(1) << n); ++mask) {
    std::vector<size_t> sub;
    for (size_t i = 0; i < n; ++i)
      if (mask & (size_t(1) << i)) sub.push_back(i);
    out.push_back(sub);
  }
  return out;
}

Status CheckInputs(const TunerSpace& space, const std::vector<std::shared_ptr<TargetModel>>& models) {
  if (space.engines.empty()) return Status::Error("tuner: no engines to search");
  if (models.size() != space.engines.size()) return Status::Error("tuner: one target model per engine expected");
  if (space.loops.empty() || space.gpu_batches.empty() || space.dla_batches.empty())
    return Status::Error("tuner: empty batch or loop list");
  for (size_t i = 0; i < space.engines.size(); ++i)
    if (!models[i]) return Status::Error("tuner: engine '" + space.engines[i].name + "' has no target timing model; leave it out of the tuned set");
  return Status::Ok();
}

std::string Why(const TuneResult& r, const ScenarioSpec& spec) {
  std::ostringstream os;
  const Candidate& b = r.best;
  // Best plan per engine subset, to say what each engine adds.
  std::map<std::string, const Candidate*> best_by_set;
  for (const Candidate& c : r.evaluated) {
    std::string set;
    for (const EnginePlan& e : c.plan.engines) set += (set.empty() ? "" : "+") + e.engine.name;
    auto& slot = best_by_set[set];
    if (!slot || Better(c, *slot)) slot = &c;
  }
  const bool offline = spec.kind == ScenarioKind::kOffline;
  os << "winner " << b.plan.ToString() << ": ";
  if (offline) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%.0f samples/s, DRAM %.0f%% of peak", b.throughput, 100 * b.dram_utilization);
    os << buf;
  } else {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s latency %.3f ms", spec.kind == ScenarioKind::kSingleStream ? "p90" : "p99",
                  b.latency_s * 1e3);
    os << buf;
  }
  os << ".";
  // Compare with the best plan of each smaller engine set.
  std::vector<std::pair<std::string, const Candidate*>> sets(best_by_set.begin(), best_by_set.end());
  std::sort(sets.begin(), sets.end(), [](const auto& x, const auto& y) { return Better(*x.second, *y.second); });
  int shown = 0;
  for (const auto& [set, c] : sets) {
    if (c->plan.ToString() == b.plan.ToString() || shown >= 3) continue;
    char buf[256];
    if (offline)
      std::snprintf(buf, sizeof buf, " Best evaluated with %s only: %.0f samples/s (%+.1f%%).", set.c_str(), c->throughput,
                    100 * (c->throughput / std::max(b.throughput, 1e-9) - 1));
    else
      std::snprintf(buf, sizeof buf, " Best evaluated with %s only: %.3f ms.", set.c_str(), c->latency_s * 1e3);
    os << buf;
    ++shown;
  }
  // Fallback layers run on the GPU, or on the CPU of a GPU-less SoC (the "cpu(fallback)" executor).
  bool cpu_fallback = false;
  for (const auto& bz : b.busy) cpu_fallback |= bz.first == "cpu(fallback)";
  const char* fb = cpu_fallback ? "CPU" : "GPU";
  for (size_t k = 0; k < b.busy.size(); ++k) {
    const auto& [name, f] = b.busy[k];
    const double wait = k < b.fallback_wait.size() ? b.fallback_wait[k].second : 0;
    if (f < 0.9 && offline) {
      char buf[240];
      if (name.size() > 10 && name.compare(name.size() - 10, 10, "(fallback)") == 0)
        std::snprintf(buf, sizeof buf, " %s runs fallback layers only: busy %.0f%% of the run.", name.c_str(), 100 * f);
      else if (wait > 0.02)
        std::snprintf(buf, sizeof buf, " %s is busy %.0f%% of the run; %.0f%% it waits for its %s-fallback layers, queued behind the %s's own work.",
                      name.c_str(), 100 * f, 100 * wait, fb, fb);
      else
        std::snprintf(buf, sizeof buf, " %s is busy %.0f%% of the run (idle at the end, when the shared queue is empty).", name.c_str(), 100 * f);
      os << buf;
    }
  }
  if (offline) {
    // Why not a larger batch: the neighbours in the descent.
    for (const EnginePlan& e : b.plan.engines) {
      const Candidate* bigger = nullptr;
      for (const Candidate& c : r.evaluated) {
        if (c.plan.engines.size() != b.plan.engines.size()) continue;
        bool same_else = true, is_bigger = false;
        for (size_t k = 0; k < c.plan.engines.size(); ++k) {
          const EnginePlan& ce = c.plan.engines[k];
          const EnginePlan& be = b.plan.engines[k];
          if (ce.engine.name != be.engine.name || ce.loop != be.loop) { same_else = false; break; }
          if (ce.engine.name == e.engine.name) is_bigger = ce.batch == be.batch * 2;
          else if (ce.batch != be.batch) same_else = false;
        }
        if (same_else && is_bigger) bigger = &c;
      }
      if (bigger) {
        double wait = 0, wait_best = 0;   // the others' fallback wait there and in the winner
        for (const auto& [n, w] : bigger->fallback_wait)
          if (n != e.engine.name) wait = std::max(wait, w);
        for (const auto& [n, w] : b.fallback_wait)
          if (n != e.engine.name) wait_best = std::max(wait_best, w);
        char extra[160] = "";
        if (e.engine.kind == EngineClass::kGpu && wait > wait_best + 0.01)
          std::snprintf(extra, sizeof extra, "; its longer layers hold the DLAs' fallback layers: they wait %.0f%% of the run instead of %.0f%%",
                        100 * wait, 100 * wait_best);
        char buf[360];
        std::snprintf(buf, sizeof buf, " %s batch %lld instead: %+.1f%%%s%s.", e.engine.name.c_str(),
                      static_cast<long long>(e.batch * 2), 100 * (bigger->throughput / std::max(b.throughput, 1e-9) - 1),
                      bigger->feasible ? "" : " (over the latency bound)", extra);
        os << buf;
      }
    }
  }
  if (spec.latency_bound_s > 0) {
    int infeasible = 0;
    for (const Candidate& c : r.evaluated) infeasible += c.feasible ? 0 : 1;
    os << " " << infeasible << " candidate(s) exceeded the latency bound of " << spec.latency_bound_s * 1e3 << " ms.";
  }
  return os.str();
}

}  // namespace

int64_t TunerSpace::Size() const {
  int64_t total = 0;
  for (const auto& sub : Subsets(*this)) {
    int64_t n = static_cast<int64_t>(loops.size());
    for (size_t i : sub) n *= static_cast<int64_t>(BatchesOf(*this, engines[i].kind).size());
    total += n;
  }
  return total;
}

Result<Candidate> EvaluatePlan(const devices::SocProfile& soc, const BatchPlan& plan,
                               const std::vector<std::shared_ptr<TargetModel>>& models, const ScenarioSpec& spec,
                               const TunerOptions& opts) {
  int64_t q = opts.eval_queries;
  if (q <= 0) q = spec.kind == ScenarioKind::kOffline ? 4096 : 256;
  EI_ASSIGN_OR_RETURN(ScenarioResult r, RunTargetScenario(soc, plan, models, spec, q));
  Candidate c;
  c.plan = plan;
  c.throughput = r.throughput;
  c.latency_s = r.bound_latency_s;
  c.dram_utilization = r.sim.dram_utilization;
  for (const SimEngineStats& e : r.sim.engines) {
    c.busy.push_back({e.name, r.sim.makespan_s > 0 ? e.busy_s / r.sim.makespan_s : 0});
    c.fallback_wait.push_back({e.name, r.sim.makespan_s > 0 ? e.fallback_wait_s / r.sim.makespan_s : 0});
  }
  c.feasible = !(spec.latency_bound_s > 0 && c.latency_s > spec.latency_bound_s);
  if (spec.kind == ScenarioKind::kServer) {
    // A Server plan that cannot keep up with the arrival rate is infeasible whatever its latency.
    if (r.throughput < 0.97 * spec.server_qps) c.feasible = false;
  }
  c.score = spec.kind == ScenarioKind::kOffline ? c.throughput : -c.latency_s;
  return c;
}

Result<TuneResult> Tune(const devices::SocProfile& soc, const TunerSpace& space,
                        const std::vector<std::shared_ptr<TargetModel>>& models, const ScenarioSpec& spec,
                        const TunerOptions& opts) {
  EI_RETURN_IF_ERROR(CheckInputs(space, models));
  const auto t0 = std::chrono::steady_clock::now();
  Search s(soc, space, models, spec, opts);
  const int64_t loop0 = space.loops.front();
  // 1. Each engine alone.
  std::vector<int64_t> best_alone(space.engines.size(), 1);
  for (size_t i = 0; i < space.engines.size(); ++i) {
    Candidate best;
    bool have = false;
    for (int64_t b : BatchesOf(space, space.engines[i].kind)) {
      EI_ASSIGN_OR_RETURN(Candidate c, s.Eval({{i, b}}, loop0, "alone"));
      if (!have || Better(c, best)) {
        best = c;
        best_alone[i] = b;
        have = true;
      }
    }
  }
  // 2. Every subset at the engines' best batches alone.
  std::vector<std::pair<Candidate, std::vector<size_t>>> starts;
  for (const auto& sub : Subsets(space)) {
    std::vector<std::pair<size_t, int64_t>> e;
    for (size_t i : sub) e.push_back({i, best_alone[i]});
    EI_ASSIGN_OR_RETURN(Candidate c, s.Eval(e, loop0, "subset"));
    starts.push_back({c, sub});
  }
  std::stable_sort(starts.begin(), starts.end(), [](const auto& a, const auto& b) { return Better(a.first, b.first); });
  // 3. Coordinate descent on the best subsets, from two starts: the engines' best-alone batches, and
  //    the smallest batches (latency scenarios: the best alone is one engine taking a whole query,
  //    from which single-engine moves cannot reach a split of the query).
  auto descend = [&](std::vector<std::pair<size_t, int64_t>> cur) -> Status {
    EI_ASSIGN_OR_RETURN(Candidate cur_c, s.Eval(cur, loop0, "descent"));
    for (int pass = 0; pass < 4; ++pass) {
      bool changed = false;
      for (size_t j = 0; j < cur.size(); ++j) {
        for (int64_t b : BatchesOf(space, space.engines[cur[j].first].kind)) {
          auto trial = cur;
          trial[j].second = b;
          EI_ASSIGN_OR_RETURN(Candidate c, s.Eval(trial, loop0, "descent"));
          if (Better(c, cur_c)) {
            cur_c = c;
            cur = trial;
            changed = true;
          }
        }
      }
      if (!changed) break;
    }
    return Status::Ok();
  };
  const size_t max_descents = opts.descent_subsets > 0 ? static_cast<size_t>(opts.descent_subsets) : starts.size();
  for (size_t k = 0, done = 0; k < starts.size() && done < max_descents; ++k) {
    const std::vector<size_t>& sub = starts[k].second;
    if (sub.size() < 2) continue;   // a single engine was already searched whole in step 1
    ++done;
    std::vector<std::pair<size_t, int64_t>> from_alone, from_small;
    for (size_t i : sub) {
      from_alone.push_back({i, best_alone[i]});
      from_small.push_back({i, BatchesOf(space, space.engines[i].kind).front()});
    }
    EI_RETURN_IF_ERROR(descend(from_alone));
    EI_RETURN_IF_ERROR(descend(from_small));
  }
  // 3b. Latency scenarios: pair moves on each multi-engine subset's best plan: two engines' batches
  //     at once (a query split across engines needs both to change together; many plans tie on a
  //     plateau where one engine takes the whole query), then single moves again, until nothing
  //     improves. Offline throughput is close to additive across engines: single moves suffice
  //     there (and its evaluations are the expensive ones).
  // The best plan evaluated on exactly the engine set `set` (names joined by '+').
  auto engine_set = [](const BatchPlan& p) {
    std::string k;
    for (const EnginePlan& e : p.engines) k += (k.empty() ? "" : "+") + e.engine.name;
    return k;
  };
  auto best_on = [&](const std::string& set) -> const Candidate* {
    const Candidate* m = nullptr;
    for (const Candidate& c : s.result().evaluated)
      if (engine_set(c.plan) == set && (!m || Better(c, *m))) m = &c;
    return m;
  };
  if (spec.kind != ScenarioKind::kOffline) {
    for (const auto& start : starts) {
      if (start.second.size() < 2) continue;
      const std::string set = engine_set(start.first.plan);
      for (int round = 0; round < 3; ++round) {
        const Candidate* from = best_on(set);
        if (!from) break;
        std::vector<std::pair<size_t, int64_t>> cur;
        for (const EnginePlan& e : from->plan.engines)
          for (size_t i = 0; i < space.engines.size(); ++i)
            if (space.engines[i].name == e.engine.name) cur.push_back({i, e.batch});
        const std::string before = from->plan.ToString();
        for (size_t x = 0; x < cur.size(); ++x)
          for (size_t y = x + 1; y < cur.size(); ++y)
            for (int64_t bx : BatchesOf(space, space.engines[cur[x].first].kind))
              for (int64_t by : BatchesOf(space, space.engines[cur[y].first].kind)) {
                auto trial = cur;
                trial[x].second = bx;
                trial[y].second = by;
                EI_RETURN_IF_ERROR(s.Eval(trial, loop0, "pair").status());
              }
        const Candidate* after = best_on(set);
        if (after->plan.ToString() == before) break;
        std::vector<std::pair<size_t, int64_t>> next;
        for (const EnginePlan& e : after->plan.engines)
          for (size_t i = 0; i < space.engines.size(); ++i)
            if (space.engines[i].name == e.engine.name) next.push_back({i, e.batch});
        EI_RETURN_IF_ERROR(descend(next));
      }
    }
  }
  // 4. Loop counts for the winner.
  {
    std::vector<std::pair<size_t, int64_t>> w;
    for (const EnginePlan& e : s.result().best.plan.engines) {
      for (size_t i = 0; i < space.engines.size(); ++i)
        if (space.engines[i].name == e.engine.name) w.push_back({i, e.batch});
    }
    for (int64_t l : space.loops) EI_RETURN_IF_ERROR(s.Eval(w, l, "loop").status());
  }
  TuneResult r = std::move(s.result());
  r.host_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.why = Why(r, spec);
  return r;
}

Result<TuneResult> ExhaustiveSearch(const devices::SocProfile& soc, const TunerSpace& space,
                                    const std::vector<std::shared_ptr<TargetModel>>& models, const ScenarioSpec& spec,
                                    const TunerOptions& opts) {
  EI_RETURN_IF_ERROR(CheckInputs(space, models));
  const auto t0 = std::chrono::steady_clock::now();
  Search s(soc, space, models, spec, opts);
  for (const auto& sub : Subsets(space)) {
    std::vector<size_t> idx(sub.size(), 0);   // odometer over the subset's batch lists
    while (true) {
      std::vector<std::pair<size_t, int64_t>> e;
      for (size_t j = 0; j < sub.size(); ++j) e.push_back({sub[j], BatchesOf(space, space.engines[sub[j]].kind)[idx[j]]});
      for (int64_t l : space.loops) EI_RETURN_IF_ERROR(s.Eval(e, l, "exhaustive").status());
      size_t j = 0;
      for (; j < sub.size(); ++j) {
        if (++idx[j] < BatchesOf(space, space.engines[sub[j]].kind).size()) break;
        idx[j] = 0;
      }
      if (j == sub.size()) break;
    }
  }
  TuneResult r = std::move(s.result());
  r.host_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.why = Why(r, spec);
  return r;
}

std::string FormatCandidates(const TuneResult& r, size_t max_rows) {
  std::vector<const Candidate*> v;
  for (const Candidate& c : r.evaluated) v.push_back(&c);
  std::stable_sort(v.begin(), v.end(), [](const Candidate* a, const Candidate* b) { return Better(*a, *b); });
  std::ostringstream os;
  char buf[512];
  std::snprintf(buf, sizeof buf, "  %-46s %10s %10s %6s  %s\n", "plan", "samples/s", "lat ms", "DRAM%", "busy % per engine");
  os << buf;
  std::vector<std::pair<std::string, double>> shown;   // plan without loops, throughput
  size_t rows = 0, hidden = 0;
  for (size_t i = 0; i < v.size() && rows < max_rows; ++i) {
    const Candidate& c = *v[i];
    std::string batches;
    for (const EnginePlan& e : c.plan.engines) batches += e.engine.name + ":" + std::to_string(e.batch) + " ";
    bool dup = false;
    for (const auto& [p, t] : shown) dup |= p == batches && t == c.throughput;
    if (dup) { ++hidden; continue; }   // the same plan at another loop count, same throughput
    shown.push_back({batches, c.throughput});
    ++rows;
    std::string busy;
    for (const auto& [n, f] : c.busy) {
      char b2[64];
      std::snprintf(b2, sizeof b2, "%s%s %.0f", busy.empty() ? "" : ", ", n.c_str(), 100 * f);
      busy += b2;
    }
    std::string plan = c.plan.ToString();
    const auto paren = plan.find(" (");
    if (paren != std::string::npos) plan = plan.substr(0, paren);
    std::snprintf(buf, sizeof buf, "  %-46s %10.0f %10.3f %5.0f%%  %s%s\n", plan.c_str(), c.throughput, c.latency_s * 1e3,
                  100 * c.dram_utilization, busy.c_str(), c.feasible ? "" : "  [over bound]");
    os << buf;
  }
  if (hidden > 0) os << "  (" << hidden << " row(s) hidden: the same batches at another loop count, same throughput)\n";
  return os.str();
}

}  // namespace edgeinfer::runtime
