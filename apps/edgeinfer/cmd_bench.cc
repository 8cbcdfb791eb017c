// edgeinfer bench MODEL: compiles a model for the GPU and DLA engines of a SoC profile, tunes the
// batch plan for a scenario, runs it on the target clock (simulation) and on the host clock (real
// numerics on a bounded number of samples), and explains the plan. JSON fields: docs/runtime.md.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "apps/edgeinfer/commands.h"
#include "apps/edgeinfer/common.h"
#include "runtime/edgeinfer.h"

namespace edgeinfer::apps {

namespace {

struct BenchArgs {
  std::string model;
  std::string soc = "orin-agx";
  std::string power_mode;
  std::string scenario = "offline";
  std::string precision = "int8";
  std::string engines = "gpu,dla0,dla1";
  std::string io_format = "float";  // float | int8 (network input and output quantized by the caller)
  std::string plan;                 // "gpu:64x1,dla0:2x1" skips tuning
  std::string dispatch = "self";    // self | static
  double latency_bound_ms = 0;
  double server_qps = 0;
  double host_qps = 0;
  int64_t min_queries = 0;
  int64_t host_samples = 16;
  int64_t eval_queries = 0;
  bool exhaustive = false;
  bool json = false;
  bool skip_host = false;
  std::string trace;                // Chrome trace-event JSON of the plan's target run
  int64_t profile = 0;              // print the N most expensive layers of each engine (target)
};

int64_t PeakRssBytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return 0;
}

Result<runtime::BatchPlan> ParsePlan(const std::string& text, const std::vector<runtime::EngineSpec>& engines) {
  runtime::BatchPlan p;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto colon = item.find(':');
    if (colon == std::string::npos) return Status::Error("--plan '" + item + "': expected ENGINE:BATCHxLOOP (e.g. dla0:2x1)");
    const std::string name = item.substr(0, colon);
    const std::string bl = item.substr(colon + 1);
    const auto x = bl.find('x');
    runtime::EnginePlan ep;
    bool found = false;
    for (const auto& e : engines)
      if (e.name == name) { ep.engine = e; found = true; }
    if (!found) return Status::Error("--plan engine '" + name + "' is not in --engines");
    try {
      ep.batch = std::stoll(bl.substr(0, x));
      ep.loop = x == std::string::npos ? 1 : std::stoll(bl.substr(x + 1));
    } catch (...) {
      return Status::Error("--plan '" + item + "': batch and loop must be integers");
    }
    if (ep.batch <= 0 || ep.loop <= 0) return Status::Error("--plan '" + item + "': batch and loop must be positive");
    p.engines.push_back(ep);
  }
  if (p.engines.empty()) return Status::Error("--plan names no engine");
  return p;
}

nlohmann::json LatJson(const runtime::LatencyStats& l) {
  return {{"mean_ms", l.mean * 1e3}, {"p50_ms", l.p50 * 1e3}, {"p90_ms", l.p90 * 1e3}, {"p99_ms", l.p99 * 1e3}, {"max_ms", l.max * 1e3}};
}

nlohmann::json PlanJson(const runtime::BatchPlan& p) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& e : p.engines) j.push_back({{"engine", e.engine.name}, {"batch", e.batch}, {"loop", e.loop}});
  return {{"engines", j}, {"dispatch", runtime::DispatchName(p.dispatch)}, {"text", p.ToString()}};
}

nlohmann::json CandJson(const runtime::Candidate& c) {
  nlohmann::json busy = nlohmann::json::object();
  for (const auto& [n, f] : c.busy) busy[n] = f;
  return {{"plan", PlanJson(c.plan)}, {"throughput", c.throughput}, {"latency_ms", c.latency_s * 1e3},
          {"dram_utilization", c.dram_utilization}, {"busy", busy}, {"feasible", c.feasible}, {"stage", c.stage}};
}

nlohmann::json PowerJson(const runtime::PowerReport& p) {
  nlohmann::json eng = nlohmann::json::array();
  for (const auto& e : p.engines)
    eng.push_back({{"engine", e.name}, {"static_j", e.static_j}, {"compute_j", e.compute_j}, {"sram_j", e.sram_j}, {"dram_j", e.dram_j}});
  return {{"clock", "target"}, {"average_w", p.AverageW()}, {"total_j", p.TotalJ()}, {"samples_per_j", p.SamplesPerJ()},
          {"soc_static_j", p.soc_static_j}, {"static_j", p.StaticJ()}, {"compute_j", p.ComputeJ()}, {"dram_j", p.DramJ()},
          {"budget_w", p.budget_w}, {"engines", eng}};
}

nlohmann::json ResultJson(const runtime::ScenarioResult& r, const devices::SocProfile& soc) {
  nlohmann::json j = {{"clock", r.clock}, {"scenario", runtime::ScenarioName(r.kind)}, {"queries", r.queries},
                      {"samples", r.samples}, {"duration_s", r.duration_s}, {"throughput", r.throughput},
                      {"latency", LatJson(r.latency)}, {"note", r.note}};
  if (r.clock == "target") {
    nlohmann::json eng = nlohmann::json::array();
    for (const auto& e : r.sim.engines)
      eng.push_back({{"engine", e.name}, {"batch", e.batch}, {"loop", e.loop}, {"samples", e.samples}, {"tasks", e.tasks},
                     {"busy_fraction", r.sim.makespan_s > 0 ? e.busy_s / r.sim.makespan_s : 0},
                     {"own_busy_fraction", r.sim.makespan_s > 0 ? e.own_busy_s / r.sim.makespan_s : 0},
                     {"fallback_wait_fraction", r.sim.makespan_s > 0 ? e.fallback_wait_s / r.sim.makespan_s : 0},
                     {"dram_bytes", e.dram_bytes}, {"mean_task_ms", e.task_latency_s * 1e3}});
    j["engines"] = eng;
    j["dram_utilization"] = r.sim.dram_utilization;
    j["dram_achievable_fraction"] = r.sim.dram_achievable_fraction;
    j["dram_gb_per_s"] = r.duration_s > 0 ? r.sim.dram_bytes / r.duration_s / 1e9 : 0;
    auto p = runtime::EstimatePower(soc, r.sim);
    if (p.ok()) j["power"] = PowerJson(*p);
  }
  return j;
}

std::string EngineLine(const runtime::ScenarioResult& r) {
  std::ostringstream os;
  char buf[160];
  for (const auto& e : r.sim.engines) {
    const double f = r.sim.makespan_s > 0 ? e.busy_s / r.sim.makespan_s : 0;
    const double w = r.sim.makespan_s > 0 ? e.fallback_wait_s / r.sim.makespan_s : 0;
    if (e.batch > 0 && w > 0.005)
      std::snprintf(buf, sizeof buf, "%s%s b%lldx%lld %lld samples busy %.0f%% (fallback wait %.0f%%)", os.str().empty() ? "" : "; ",
                    e.name.c_str(), static_cast<long long>(e.batch), static_cast<long long>(e.loop),
                    static_cast<long long>(e.samples), 100 * f, 100 * w);
    else if (e.batch > 0)
      std::snprintf(buf, sizeof buf, "%s%s b%lldx%lld %lld samples busy %.0f%%", os.str().empty() ? "" : "; ", e.name.c_str(),
                    static_cast<long long>(e.batch), static_cast<long long>(e.loop), static_cast<long long>(e.samples), 100 * f);
    else
      std::snprintf(buf, sizeof buf, "%s%s fallback layers only, busy %.0f%%", os.str().empty() ? "" : "; ", e.name.c_str(), 100 * f);
    os << buf;
  }
  return os.str();
}

int Bench(const BenchArgs& a) {
  using namespace runtime;
  const auto t_start = std::chrono::steady_clock::now();
  auto scenario = ParseScenario(a.scenario);
  if (!scenario.ok()) return Fail("bench", scenario.status());
  SessionOptions so;
  so.soc = a.soc;
  so.power_mode = a.power_mode;
  auto session = Session::Create(so);
  if (!session.ok()) return Fail("bench", session.status());
  Session& s = **session;
  ModelOptions mo;
  auto precision = ParsePrecision(a.precision);
  if (!precision.ok()) return Fail("bench", precision.status());
  auto io_format = ParseIoFormat(a.io_format);
  if (!io_format.ok()) return Fail("bench", io_format.status());
  mo.precision = *precision;
  mo.engines = a.engines;
  mo.io_format = *io_format;
  auto t_compile = std::chrono::steady_clock::now();
  const bool is_plan = a.model.size() > 5 && a.model.compare(a.model.size() - 5, 5, ".plan") == 0;
  auto model = is_plan ? s.LoadEngineFile(a.model, mo) : s.LoadModel(a.model, mo);
  if (!model.ok()) return Fail("bench", model.status());
  const double compile_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_compile).count();
  auto info = s.Info(*model);
  if (!info.ok()) return Fail("bench", info.status());

  ScenarioSpec spec;
  spec.kind = *scenario;
  spec.min_queries = a.min_queries;
  spec.server_qps = a.server_qps;
  spec.latency_bound_s = a.latency_bound_ms * 1e-3;
  spec.host_samples = a.host_samples;
  if (spec.kind == ScenarioKind::kServer && !(spec.server_qps > 0))
    return Fail("bench", Status::Error("--scenario server needs --server-qps RATE (samples/s on the target)"));
  TunerOptions to;
  to.eval_queries = a.eval_queries;

  // The plan: given, or tuned over the engines' subsets.
  TuneResult tuned;
  TunerSpace space;
  BatchPlan plan;
  bool have_tune = false;
  if (!a.plan.empty()) {
    auto p = ParsePlan(a.plan, info->engines);
    if (!p.ok()) return Fail("bench", p.status());
    plan = *p;
  } else {
    auto t = TuneModel(s, *model, spec, to, &space);
    if (!t.ok()) return Fail("bench", t.status());
    tuned = std::move(t).value();
    plan = tuned.best.plan;
    have_tune = true;
  }
  plan.dispatch = a.dispatch == "static" ? Dispatch::kStatic : Dispatch::kSelfScheduling;
  std::optional<TuneResult> exhaustive;
  if (a.exhaustive && have_tune) {
    BatchPlan all;
    for (const auto& e : space.engines) all.engines.push_back({e, 1, 1});
    auto models = s.TargetModels(*model, all);
    if (!models.ok()) return Fail("bench", models.status());
    auto ex = ExhaustiveSearch(s.soc(), space, *models, spec, to);
    if (!ex.ok()) return Fail("bench", ex.status());
    exhaustive = std::move(ex).value();
  }

  // Reference plans (Offline): the best GPU-only and one-DLA plans the tuner saw, run in full.
  struct Ref { std::string label; BatchPlan plan; ScenarioResult r; };
  std::vector<Ref> refs;
  auto run_target = [&](const BatchPlan& p, bool trace = false) -> Result<ScenarioResult> {
    EI_ASSIGN_OR_RETURN(auto models, s.TargetModels(*model, p));
    ScenarioSpec sp = spec;
    sp.record_trace = trace;
    return RunTargetScenario(s.soc(), p, models, sp);
  };
  if (have_tune) {
    auto best_of = [&](const std::function<bool(const BatchPlan&)>& pred) -> const Candidate* {
      const Candidate* best = nullptr;
      for (const Candidate& c : tuned.evaluated)
        if (pred(c.plan) && c.feasible && (!best || c.score > best->score)) best = &c;
      return best;
    };
    const Candidate* gpu = best_of([](const BatchPlan& p) { return p.engines.size() == 1 && p.engines[0].engine.kind == EngineClass::kGpu; });
    const Candidate* dla = best_of([](const BatchPlan& p) { return p.engines.size() == 1 && p.engines[0].engine.kind == EngineClass::kDla; });
    if (gpu) refs.push_back({"GPU only", gpu->plan, {}});
    if (dla) refs.push_back({"one DLA", dla->plan, {}});
    // Both DLA cores at batch 2, the DLA-SW README's ResNet-50 setup (its calibration points).
    std::vector<EnginePlan> dlas;
    for (const EngineSpec& e : space.engines)
      if (e.kind == EngineClass::kDla) dlas.push_back({e, 2, 1});
    if (dlas.size() >= 2 && spec.kind == ScenarioKind::kOffline) {
      BatchPlan p;
      p.engines = dlas;
      refs.push_back({"DLAs b2", p, {}});
    }
    for (Ref& r : refs) {
      auto res = run_target(r.plan);
      if (!res.ok()) return Fail("bench", res.status());
      r.r = std::move(res).value();
    }
  }
  auto target = run_target(plan, !a.trace.empty() || a.profile > 0);
  if (!target.ok()) return Fail("bench", target.status());
  std::vector<LayerProfileRow> profile;
  if (a.profile > 0) {
    auto pr = ProfileLayers(target->sim);
    if (!pr.ok()) return Fail("bench", pr.status());
    profile = std::move(pr).value();
  }
  if (!a.trace.empty()) {
    const std::string process = s.soc().name + " " + s.soc().active_power_mode + " target: " + plan.ToString();
    Status ts = WriteChromeTrace(target->sim, process, a.trace);
    if (!ts.ok()) return Fail("bench", ts);
  }
  target->sim.trace.clear();
  // Static split of the same batches, for comparison with self-scheduling.
  std::optional<ScenarioResult> static_r;
  if (plan.engines.size() > 1 && spec.kind == ScenarioKind::kOffline) {
    BatchPlan sp = plan;
    sp.dispatch = plan.dispatch == Dispatch::kStatic ? Dispatch::kSelfScheduling : Dispatch::kStatic;
    auto r = run_target(sp);
    if (r.ok()) static_r = std::move(r).value();
  }

  // Host clock: real numerics on a bounded number of samples with the same plan.
  std::optional<ScenarioResult> host;
  if (!a.skip_host) {
    Status st = s.SetPlan(*model, plan);
    if (!st.ok()) return Fail("bench", st);
    auto g = s.graph(*model);
    const Value& in = g->value(g->inputs()[0]);
    auto make_input = [&](int64_t i) {
      devices::TensorMap m;
      Status fs = FillRandomInputs(*g, 1, static_cast<uint32_t>(i + 1), &m);
      (void)fs;
      return m;
    };
    (void)in;
    double host_qps = a.host_qps;
    if (spec.kind == ScenarioKind::kServer && host_qps <= 0) host_qps = 4;   // a rate a 2-core host sustains
    auto h = RunHostScenario(s, *model, spec, make_input, host_qps);
    if (!h.ok()) return Fail("bench", h.status());
    host = std::move(h).value();
  }
  const int64_t rss = PeakRssBytes();
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();

  if (a.json) {
    nlohmann::json j;
    j["model"] = info->name;
    j["soc"] = s.soc().name;
    j["power_mode"] = s.soc().active_power_mode;
    j["precision"] = PrecisionName(info->precision);
    j["scenario"] = ScenarioName(spec.kind);
    j["calibration"] = info->calibration;
    j["weight_bytes"] = info->weight_bytes;
    j["placement"] = info->placement;
    j["functional"] = info->functional;
    j["plan"] = PlanJson(plan);
    j["target"] = ResultJson(*target, s.soc());
    if (!profile.empty()) {
      nlohmann::json pj = nlohmann::json::array();
      for (const LayerProfileRow& r : profile)
        pj.push_back({{"engine", r.executor}, {"layer", r.layer}, {"runs", r.runs}, {"total_ms", r.total_s * 1e3},
                      {"busy_share", r.busy_share}, {"dram_mb", r.dram_bytes / 1e6}, {"fallback", r.fallback}});
      j["profile"] = pj;
    }
    if (static_r) j["target_other_dispatch"] = ResultJson(*static_r, s.soc());
    if (host) {
      j["host"] = ResultJson(*host, s.soc());
      auto hs = s.HostStats(*model);
      if (hs.ok()) {
        nlohmann::json he = nlohmann::json::array();
        for (const auto& e : *hs)
          he.push_back({{"engine", e.name}, {"samples", e.samples}, {"functional", e.functional}, {"busy_s", e.busy_s}});
        j["host"]["engines"] = he;
      }
    }
    nlohmann::json rj = nlohmann::json::array();
    for (const Ref& r : refs) rj.push_back({{"label", r.label}, {"plan", PlanJson(r.plan)}, {"target", ResultJson(r.r, s.soc())}});
    j["reference_plans"] = rj;
    if (have_tune) {
      nlohmann::json cj = nlohmann::json::array();
      for (const Candidate& c : tuned.evaluated) cj.push_back(CandJson(c));
      j["tuner"] = {{"evaluations", tuned.evaluations}, {"host_seconds", tuned.host_seconds}, {"space_size", space.Size()},
                    {"best", CandJson(tuned.best)}, {"why", tuned.why}, {"candidates", cj}};
      if (exhaustive) {
        j["exhaustive"] = {{"evaluations", exhaustive->evaluations}, {"host_seconds", exhaustive->host_seconds},
                           {"best", CandJson(exhaustive->best)},
                           {"tuned_vs_best", exhaustive->best.score != 0 ? tuned.best.score / exhaustive->best.score : 1}};
      }
    }
    j["host_peak_rss_bytes"] = rss;
    j["compile_host_seconds"] = compile_s;
    j["total_host_seconds"] = total_s;
    std::cout << j.dump(2) << std::endl;
    return 0;
  }

  const auto& soc = s.soc();
  std::string io = "float I/O";
  if (auto gg = s.graph(*model); gg && !gg->inputs().empty() && gg->value(gg->inputs()[0]).dtype == DType::kInt8) io = "int8 I/O";
  std::printf("edgeinfer bench %s | %s %s | %s, %s | %s\n", info->name.c_str(), soc.name.c_str(), soc.active_power_mode.c_str(),
              PrecisionName(info->precision), io.c_str(), ScenarioName(spec.kind));
  std::printf("compile    %zu nodes, weights %.1f MB (one shared copy), %.1f s host; calibration: %s\n", info->nodes,
              info->weight_bytes / 1e6, compile_s, info->calibration.c_str());
  if (!info->placement.empty()) {
    std::istringstream ps(info->placement);
    std::string line;
    int n = 0;
    while (std::getline(ps, line) && n < 4) { std::printf("placement %s\n", line.c_str()); ++n; }
  }
  for (const auto& [e, f] : info->functional) std::printf("engine     %-5s numerics: %s\n", e.c_str(), f.c_str());
  if (!refs.empty()) {
    std::printf("\nmodeled (target clock, %s %s), %s, %lld samples each:\n", soc.name.c_str(), soc.active_power_mode.c_str(),
                ScenarioName(spec.kind), static_cast<long long>(target->samples));
    auto watts = [&](const ScenarioResult& r) {
      auto p = EstimatePower(soc, r.sim);
      char b[64] = "";
      if (p.ok()) std::snprintf(b, sizeof b, "  %5.1f W  %5.1f samples/J", p->AverageW(), p->SamplesPerJ());
      return std::string(b);
    };
    for (const Ref& r : refs)
      std::printf("  %-12s %-28s %8.0f samples/s  DRAM %4.1f%% of peak%s\n", r.label.c_str(), r.plan.ToString().substr(0, r.plan.ToString().find(" (")).c_str(),
                  r.r.throughput, 100 * r.r.sim.dram_utilization, watts(r.r).c_str());
    std::printf("  %-12s %-28s %8.0f samples/s  DRAM %4.1f%% of peak%s\n", "tuned", plan.ToString().substr(0, plan.ToString().find(" (")).c_str(),
                target->throughput, 100 * target->sim.dram_utilization, watts(*target).c_str());
  }
  if (have_tune) {
    std::printf("\ntuner: %lld of %lld plans evaluated in %.2f s host (each: %s)\n", static_cast<long long>(tuned.evaluations),
                static_cast<long long>(space.Size()), tuned.host_seconds,
                spec.kind == ScenarioKind::kOffline ? "Offline simulation of 4096 samples" : "256-query simulation");
    if (exhaustive)
      std::printf("exhaustive: %lld plans in %.1f s host; best %s = %.1f; tuned plan is %.2f%% of it\n",
                  static_cast<long long>(exhaustive->evaluations), exhaustive->host_seconds,
                  exhaustive->best.plan.ToString().c_str(),
                  spec.kind == ScenarioKind::kOffline ? exhaustive->best.throughput : exhaustive->best.latency_s * 1e3,
                  100 * (exhaustive->best.score != 0 ? (spec.kind == ScenarioKind::kOffline ? tuned.best.score / exhaustive->best.score
                                                                                              : exhaustive->best.score / tuned.best.score)
                                                     : 1));
    std::printf("%s", FormatCandidates(tuned, 8).c_str());
    std::printf("why: %s\n", tuned.why.c_str());
  }
  std::printf("\nplan %s\n", plan.ToString().c_str());
  std::printf("target  %9.1f samples/s  latency p50 %.3f p90 %.3f p99 %.3f ms  DRAM %.1f%% of peak (%.1f GB/s)\n",
              target->throughput, target->latency.p50 * 1e3, target->latency.p90 * 1e3, target->latency.p99 * 1e3,
              100 * target->sim.dram_utilization, target->duration_s > 0 ? target->sim.dram_bytes / target->duration_s / 1e9 : 0);
  std::printf("        %s\n        %s\n", EngineLine(*target).c_str(), target->note.c_str());
  if (!profile.empty()) {
    std::printf("profile (target clock, under contention; the %lld most expensive layers of each engine):\n",
                static_cast<long long>(a.profile));
    std::map<std::string, int64_t> shown;
    for (const LayerProfileRow& r : profile) {
      if (shown[r.executor]++ >= a.profile) continue;
      std::printf("        %-14s %-36s %6lld runs %9.2f ms %5.1f%% of busy %8.1f MB DRAM%s\n", r.executor.c_str(),
                  r.layer.substr(0, 36).c_str(), static_cast<long long>(r.runs), r.total_s * 1e3, 100 * r.busy_share,
                  r.dram_bytes / 1e6, r.fallback ? "  (fallback)" : "");
    }
  }
  if (auto pw = EstimatePower(soc, target->sim); pw.ok())
    std::printf("power   %s (modeled, target; coefficients: the profile's power section, docs/power-model.md)\n",
                pw->Summary(soc.active_power_mode).c_str());
  if (static_r)
    std::printf("        same batches, %s dispatch: %.1f samples/s\n",
                DispatchName(plan.dispatch == Dispatch::kStatic ? Dispatch::kSelfScheduling : Dispatch::kStatic), static_r->throughput);
  if (host) {
    std::printf("host    %9.1f samples/s  latency p50 %.1f p90 %.1f p99 %.1f ms\n", host->throughput, host->latency.p50 * 1e3,
                host->latency.p90 * 1e3, host->latency.p99 * 1e3);
    auto hs = s.HostStats(*model);
    if (hs.ok()) {
      std::string line;
      for (const auto& e : *hs) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "%s%s %lld samples on %s (%.2f s)", line.empty() ? "" : "; ", e.name.c_str(),
                      static_cast<long long>(e.samples), e.functional.c_str(), e.busy_s);
        line += buf;
      }
      std::printf("        %s\n", line.c_str());
    }
    std::printf("        %s\n", host->note.c_str());
  }
  std::printf("host peak RSS %.0f MB; total %.1f s host\n", rss / 1e6, total_s);
  return 0;
}

}  // namespace

void RegisterBench(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* c = app.add_subcommand("bench", "Compile for the GPU and DLA engines, tune the batch plan, run a scenario on the target and host clocks");
  c->add_option("model", a->model, "ONNX model, or an engine file (.plan) from edgeinfer compile --soc S -o F.plan")->required();
  c->add_option("--soc", a->soc, "SoC profile name or YAML path (default orin-agx)");
  c->add_option("--power-mode", a->power_mode, "power mode (default: the profile's default, MAXN on orin-agx)");
  c->add_option("--scenario", a->scenario, "offline, singlestream, multistream or server (default offline)");
  c->add_option("--precision", a->precision, "int8 (default), fp16 or fp32");
  c->add_option("--engines", a->engines, "engines to compile for and tune over (default gpu,dla0,dla1)");
  c->add_option("--io-format", a->io_format,
                "float (default) or int8: the network input is given and the output taken in int8 at the graph's "
                "scales (TensorRT's --inputIOFormats=int8; NVIDIA's DLA harness), so no Q/DQ falls back to the GPU")
      ->check(CLI::IsMember({"float", "int8"}));
  c->add_option("--plan", a->plan, "fixed plan instead of tuning, e.g. gpu:64x1,dla0:2x1,dla1:2x1 (ENGINE:BATCHxLOOP)");
  c->add_option("--dispatch", a->dispatch, "self (shared queue, default) or static (fixed split)");
  c->add_option("--latency-bound-ms", a->latency_bound_ms, "tuner: reject plans whose scenario latency exceeds this");
  c->add_option("--server-qps", a->server_qps, "Server: target arrival rate on the target clock (samples/s)");
  c->add_option("--host-qps", a->host_qps, "Server: arrival rate of the host-clock run (default 4 samples/s)");
  c->add_option("--min-queries", a->min_queries, "target clock: minimum queries (default: the scenario's)");
  c->add_option("--host-samples", a->host_samples, "host clock: samples executed for real (default 16)");
  c->add_option("--eval-queries", a->eval_queries, "tuner: queries per evaluation (default 4096 Offline, 256 others)");
  c->add_flag("--exhaustive", a->exhaustive, "also search the whole plan space and compare with the tuner");
  c->add_flag("--skip-host", a->skip_host, "target clock only");
  c->add_option("--profile", a->profile,
                "print each engine's N most expensive layers on the target clock, under contention (runs, time, "
                "share of the engine's busy time, DRAM)");
  c->add_option("--trace", a->trace,
                "write the plan's target-clock timeline (every layer on every engine) as Chrome trace-event JSON "
                "(open in ui.perfetto.dev or chrome://tracing)");
  c->add_flag("--json", a->json, "print one JSON object");
  c->callback([a, exit_code] { *exit_code = Bench(*a); });
}

}  // namespace edgeinfer::apps
