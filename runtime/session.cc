// Session: models, their engine instances and schedulers (see session.h).
#include "runtime/session.h"

#include <filesystem>
#include <random>
#include <set>
#include <sstream>

#include "graph/onnx_import.h"
#include "graph/shape_inference.h"
#include "runtime/compile.h"
#include "runtime/engine_file.h"
#include "runtime/partition.h"

namespace edgeinfer::runtime {

struct Session::Model {
  std::shared_ptr<const Graph> graph;
  ModelOptions options;
  ModelInfo info;
  std::map<std::string, EngineInstance> instances;   // by engine name
  std::unique_ptr<Scheduler> scheduler;
  mutable std::mutex plan_mu;                        // SetPlan vs Submit
};

Result<std::unique_ptr<Session>> Session::Create(const SessionOptions& options) {
  EI_ASSIGN_OR_RETURN(devices::SocProfile soc, LoadSoc(options.soc, options.power_mode));
  auto s = std::unique_ptr<Session>(new Session());
  s->soc_ = std::move(soc);
  return s;
}

Session::~Session() {
  std::map<ModelId, std::unique_ptr<Model>> models;
  {
    std::lock_guard<std::mutex> lock(mu_);
    models.swap(models_);
  }
  for (auto& [id, m] : models) m->scheduler.reset();   // drains and joins
}

CompileOptions SessionCompileOptions(const std::string& model_path, const ModelOptions& options) {
  CompileOptions co;
  co.model_path = model_path;
  co.precision = options.precision;
  co.engines = options.engines;
  co.io_format = options.io_format;
  co.fallback_fp16 = true;
  co.partition_timing = false;   // the target models time every layer per batch themselves
  co.calibration.table = options.calibration;
  co.calibration.batches = options.calibration_batches;
  co.calibration.calibrator = fusions::CalibratorKind::kMinMax;
  co.calibration.seeded_samples = std::max<int64_t>(1, options.random_calibration_samples);
  co.calibration.on_reference = true;
  return co;
}

Result<ModelId> Session::LoadModel(const std::string& onnx_path, const ModelOptions& options) {
  // The engine set is checked against the profile before the model is even read.
  EI_RETURN_IF_ERROR(ParseEngineSet(options.engines, soc_).status());
  ImportOptions io;
  io.batch = 0;   // keep the batch symbolic: every engine batch size is planned from one graph
  EI_ASSIGN_OR_RETURN(Graph imported, ImportOnnx(onnx_path, io));
  ModelInfo info;
  info.name = std::filesystem::path(onnx_path).filename().string();
  EI_ASSIGN_OR_RETURN(CompiledModel compiled, Compile(imported, SessionCompileOptions(onnx_path, options), &soc_));
  info.calibration = compiled.calibration_note;
  return AddCompiled(std::make_shared<const Graph>(std::move(compiled.graph)), options, std::move(info), compiled.partition,
                     compiled.partitioned_graph);
}

Result<ModelId> Session::LoadEngineFile(const std::string& plan_path, const ModelOptions& options) {
  EI_RETURN_IF_ERROR(ParseEngineSet(options.engines, soc_).status());   // before the file is read
  EI_ASSIGN_OR_RETURN(EngineFile e, ReadEngineFile(plan_path));
  Graph g = std::move(e.graph);
  std::vector<int64_t> bound;
  for (ValueId v : g.inputs()) {
    Shape& sh = g.value(v).shape;
    if (sh.rank() == 0) return Status::Error("engine file '" + plan_path + "': input '" + g.value(v).name + "' is a scalar; no batch to unbind");
    bound.push_back(sh.dims[0]);
    sh.dims[0] = kDynamic;
    if (sh.symbols.size() != sh.dims.size()) sh.symbols.assign(sh.dims.size(), "");
    sh.symbols[0] = "N";
  }
  // Intermediate values keep the compiled batch until inference runs again.
  for (size_t v = 0; v < g.num_values(); ++v) {
    Value& val = g.value(static_cast<ValueId>(v));
    if (val.producer != kNoNode) val.shape = Shape();
  }
  Status st = InferShapes(g);
  if (st.ok()) {
    for (ValueId v : g.outputs()) {
      const Shape& sh = g.value(v).shape;
      if (sh.rank() == 0 || sh.dims[0] != kDynamic) {
        st = Status::Error("output '" + g.value(v).name + "' does not follow the input batch (shape " + sh.ToString() + ")");
        break;
      }
    }
  }
  if (!st.ok())
    return st.WithContext("engine file '" + plan_path + "' (compiled for batch " + (bound.empty() ? "?" : std::to_string(bound[0])) +
                          "): cannot plan other batch sizes");
  ModelOptions mo = options;
  mo.precision = e.options.precision;
  ModelInfo info;
  info.name = std::filesystem::path(plan_path).filename().string();
  info.calibration = "from the engine file (" + (e.options.extra.count("calibrator") ? e.options.extra.at("calibrator") : std::string("as compiled")) + ")";
  return AddModel(std::make_shared<const Graph>(std::move(g)), mo, info);
}

Result<ModelId> Session::AddModel(std::shared_ptr<const Graph> compiled, const ModelOptions& options, ModelInfo info) {
  return AddCompiled(std::move(compiled), options, std::move(info), nullptr, nullptr);
}

Result<ModelId> Session::AddCompiled(std::shared_ptr<const Graph> compiled, const ModelOptions& options, ModelInfo info,
                                     std::shared_ptr<const PartitionPlan> partition, std::shared_ptr<const Graph> partitioned) {
  if (!compiled) return Status::Error("AddModel: no graph");
  auto m = std::make_unique<Model>();
  m->graph = compiled;
  m->options = options;
  m->info = std::move(info);
  if (m->info.name.empty()) m->info.name = compiled->name;
  m->info.precision = options.precision;
  m->info.nodes = compiled->NumLiveNodes();
  for (size_t v = 0; v < compiled->num_values(); ++v) {
    const Value& val = compiled->value(static_cast<ValueId>(v));
    if (val.IsConstant()) m->info.weight_bytes += static_cast<int64_t>(val.constant->bytes());
  }
  EI_ASSIGN_OR_RETURN(EngineSet engines, ParseEngineSet(options.engines, soc_));
  m->info.engines = engines.engines;
  // One partition per model: every DLA core runs the same placement.
  if (engines.Has(EngineClass::kDla) && !partition) {
    EI_ASSIGN_OR_RETURN(Graph b1, BindBatch(*compiled, 1));
    PartitionOptions po;
    po.timing = false;
    EI_ASSIGN_OR_RETURN(PartitionPlan plan, Partition(b1, soc_, po));
    partition = std::make_shared<const PartitionPlan>(std::move(plan));
    partitioned = std::make_shared<const Graph>(std::move(b1));
  }
  for (const EngineSpec& e : m->info.engines) {
    EngineInstance inst;
    inst.spec = e;
    if (e.kind != EngineClass::kCpu || soc_.cpu.HasTimingModel()) {   // a CPU without a timing model: host clock only
      EI_ASSIGN_OR_RETURN(inst.target, TargetModel::Create(compiled, soc_, e.kind, partition, partitioned));
      if (e.kind == EngineClass::kDla && m->info.placement.empty()) m->info.placement = inst.target->ExplainPlacement();
    }
    std::string why;
    std::string dev = FunctionalDeviceFor(e.kind, &why);
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto key = std::make_pair(compiled.get(), dev);
      auto it = executors_.find(key);
      if (it == executors_.end()) {
        std::shared_ptr<FunctionalExecutor> x;
        if (dev == "dla") {
          EI_ASSIGN_OR_RETURN(x, FunctionalExecutor::CreateDla(*inst.target, soc_));
        } else {
          // The compiled float precision decides how the GPU stores and computes floats (an FP16
          // compile computes in FP16 on the CUDA device); INT8 nodes run INT8 either way.
          const Precision float_precision = options.precision == Precision::kFp16 ? Precision::kFp16 : Precision::kFp32;
          auto made = FunctionalExecutor::Create(compiled, dev, float_precision);
          if (!made.ok() && dev == "cuda") {
            // A graph the CUDA executor cannot run (an op it lacks) still runs on the target clock;
            // its host numbers come from the CPU path instead, and the note says why.
            std::string cpu_why;
            const std::string cpu = FunctionalDeviceFor(EngineClass::kCpu, &cpu_why);
            why = "the CUDA executor cannot run this graph (" + made.status().message() + "); GPU numerics on " + cpu +
                  ", target time from the iGPU model";
            dev = cpu;
            key = std::make_pair(compiled.get(), dev);
            it = executors_.find(key);
            if (it != executors_.end()) made = it->second;
            else made = FunctionalExecutor::Create(compiled, dev);
          }
          EI_ASSIGN_OR_RETURN(x, std::move(made));
        }
        if (it == executors_.end() || it->first != key) it = executors_.emplace(key, x).first;
      }
      inst.functional = it->second;
    }
    inst.functional_note = dev + ": " + why;
    if (dev == "cuda") inst.functional_note += " (" + inst.functional->device_description() + ")";   // its float storage type
    m->info.functional[e.name] = inst.functional_note;
    m->instances[e.name] = inst;
  }
  BatchPlan plan = options.plan;
  if (plan.engines.empty()) {
    for (const EngineSpec& e : m->info.engines)
      plan.engines.push_back({e, e.kind == EngineClass::kGpu ? 8 : std::min<int64_t>(2, std::max<int64_t>(1, soc_.dla.limits.max_batch)), 1});
  }
  std::lock_guard<std::mutex> lock(mu_);
  const ModelId id = next_id_++;
  Model* raw = m.get();
  models_[id] = std::move(m);
  // SetPlan without the session lock held would race with nothing yet: the model is not visible
  // to callers until this function returns.
  std::vector<EngineInstance> insts;
  for (const EnginePlan& e : plan.engines) {
    auto it = raw->instances.find(e.engine.name);
    if (it == raw->instances.end()) {
      models_.erase(id);
      return Status::Error("plan engine '" + e.engine.name + "' is not among the model's engines (" + options.engines + ")");
    }
    insts.push_back(it->second);
  }
  raw->scheduler = std::make_unique<Scheduler>(std::move(insts), plan, options.ordered);
  return id;
}

Result<Session::Model*> Session::Find(ModelId id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = models_.find(id);
  if (it == models_.end()) return Status::Error("session: no model with id " + std::to_string(id));
  return it->second.get();
}

std::future<Result<devices::TensorMap>> Session::Submit(ModelId model, devices::TensorMap inputs) {
  std::promise<Result<devices::TensorMap>> p;
  auto f = p.get_future();
  auto m = Find(model);
  if (!m.ok()) {
    p.set_value(m.status());
    return f;
  }
  std::lock_guard<std::mutex> lock((*m)->plan_mu);
  (*m)->scheduler->Enqueue(std::move(inputs), std::move(p));
  return f;
}

void Session::Submit(ModelId model, devices::TensorMap inputs, ResultCallback callback) {
  auto m = Find(model);
  if (!m.ok()) {
    callback(m.status());
    return;
  }
  std::lock_guard<std::mutex> lock((*m)->plan_mu);
  (*m)->scheduler->Enqueue(std::move(inputs), std::move(callback));
}

Result<devices::TensorMap> Session::Infer(ModelId model, const devices::TensorMap& inputs) {
  return Submit(model, inputs).get();
}

void Session::Hold(ModelId model, bool hold) {
  auto m = Find(model);
  if (!m.ok()) return;
  std::lock_guard<std::mutex> lock((*m)->plan_mu);
  (*m)->scheduler->SetHold(hold);
}

void Session::Drain(ModelId model) {
  auto m = Find(model);
  if (m.ok()) (*m)->scheduler->Drain();
}

Status Session::SetPlan(ModelId model, const BatchPlan& plan) {
  EI_ASSIGN_OR_RETURN(Model* m, Find(model));
  if (plan.engines.empty()) return Status::Error("SetPlan: the plan has no engine");
  std::vector<EngineInstance> insts;
  for (const EnginePlan& e : plan.engines) {
    if (e.batch <= 0 || e.loop <= 0) return Status::Error("SetPlan: engine '" + e.engine.name + "': batch and loop must be positive");
    auto it = m->instances.find(e.engine.name);
    if (it == m->instances.end()) return Status::Error("SetPlan: engine '" + e.engine.name + "' is not among the model's engines");
    insts.push_back(it->second);
  }
  std::lock_guard<std::mutex> lock(m->plan_mu);
  m->scheduler.reset();   // drains and joins the old workers
  m->scheduler = std::make_unique<Scheduler>(std::move(insts), plan, m->options.ordered);
  return Status::Ok();
}

Result<BatchPlan> Session::Plan(ModelId model) const {
  EI_ASSIGN_OR_RETURN(Model* m, Find(model));
  std::lock_guard<std::mutex> lock(m->plan_mu);
  return m->scheduler->plan();
}

Result<std::vector<std::shared_ptr<TargetModel>>> Session::TargetModels(ModelId model, const BatchPlan& plan) const {
  EI_ASSIGN_OR_RETURN(Model* m, Find(model));
  std::vector<std::shared_ptr<TargetModel>> out;
  for (const EnginePlan& e : plan.engines) {
    auto it = m->instances.find(e.engine.name);
    if (it == m->instances.end()) return Status::Error("engine '" + e.engine.name + "' is not among the model's engines");
    if (!it->second.target) return Status::Error("engine '" + e.engine.name + "' has no target timing model");
    out.push_back(it->second.target);
  }
  return out;
}

Result<ModelInfo> Session::Info(ModelId model) const {
  EI_ASSIGN_OR_RETURN(Model* m, Find(model));
  return m->info;
}

Result<std::vector<HostEngineStats>> Session::HostStats(ModelId model) const {
  EI_ASSIGN_OR_RETURN(Model* m, Find(model));
  std::lock_guard<std::mutex> lock(m->plan_mu);
  return m->scheduler->Stats();
}

std::shared_ptr<const Graph> Session::graph(ModelId model) const {
  auto m = Find(model);
  return m.ok() ? (*m)->graph : nullptr;
}

}  // namespace edgeinfer::runtime

// ---- edgeinfer.h: tuning and host-clock scenarios over a session ---------------------------------

#include "runtime/edgeinfer.h"

#include <chrono>
#include <condition_variable>
#include <thread>

namespace edgeinfer::runtime {

Result<TuneResult> TuneModel(const Session& session, ModelId model, const ScenarioSpec& spec, const TunerOptions& options,
                             TunerSpace* space_out) {
  EI_ASSIGN_OR_RETURN(ModelInfo info, session.Info(model));
  TunerSpace space;
  BatchPlan all;
  for (const EngineSpec& e : info.engines) {
    if (e.kind == EngineClass::kCpu && !session.soc().cpu.HasTimingModel()) continue;   // host clock only
    space.engines.push_back(e);
    all.engines.push_back({e, 1, 1});
  }
  if (space.engines.empty()) return Status::Error("tuning: the model has no engine with a target timing model");
  // DLA batches the profile allows (dla.limits.max_batch; nv_small has no batching).
  const int64_t max_dla = std::max<int64_t>(1, session.soc().dla.limits.max_batch);
  std::vector<int64_t> dla;
  for (int64_t b : space.dla_batches)
    if (b <= max_dla) dla.push_back(b);
  space.dla_batches = dla.empty() ? std::vector<int64_t>{1} : dla;
  EI_ASSIGN_OR_RETURN(auto models, session.TargetModels(model, all));
  if (space_out) *space_out = space;
  return Tune(session.soc(), space, models, spec, options);
}

Result<ScenarioResult> RunHostScenario(Session& session, ModelId model, const ScenarioSpec& spec,
                                       const std::function<devices::TensorMap(int64_t)>& make_input, double host_qps) {
  using Clock = std::chrono::steady_clock;
  const int64_t spq = spec.SamplesPerQuery();
  const int64_t samples = std::max<int64_t>(spec.host_samples, spq);
  const int64_t queries = spec.kind == ScenarioKind::kOffline ? 1 : samples / spq;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<double> submit_at, done_at;
  int64_t done = 0;
  Status first_error = Status::Ok();
  const Clock::time_point t0 = Clock::now();
  auto now = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  auto submit = [&](int64_t i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      submit_at[static_cast<size_t>(i)] = now();
    }
    session.Submit(model, make_input(i), [&, i](Result<devices::TensorMap> r) {
      std::lock_guard<std::mutex> lock(mu);
      done_at[static_cast<size_t>(i)] = now();
      if (!r.ok() && first_error.ok()) first_error = r.status();
      ++done;
      cv.notify_all();
    });
  };
  const int64_t total = spec.kind == ScenarioKind::kOffline ? samples : queries * spq;
  submit_at.assign(static_cast<size_t>(total), 0);
  done_at.assign(static_cast<size_t>(total), 0);
  std::vector<double> query_latency;
  if (spec.kind == ScenarioKind::kOffline) {
    // Issued back to back without a hold: with a bounded host sample count smaller than the plan's
    // batches, a hold would hand every sample to whichever engine wakes first.
    for (int64_t i = 0; i < total; ++i) submit(i);
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done >= total; });
  } else if (spec.kind == ScenarioKind::kServer) {
    const double rate = host_qps > 0 ? host_qps : 1.0;
    std::mt19937_64 rng(spec.seed);
    std::exponential_distribution<double> gap(rate / static_cast<double>(spq));
    double next = 0;
    for (int64_t q = 0; q < queries; ++q) {
      std::this_thread::sleep_until(t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(next)));
      for (int64_t k = 0; k < spq; ++k) submit(q * spq + k);
      next += gap(rng);
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done >= total; });
  } else {
    for (int64_t q = 0; q < queries; ++q) {
      for (int64_t k = 0; k < spq; ++k) submit(q * spq + k);
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return done >= (q + 1) * spq; });
    }
  }
  EI_RETURN_IF_ERROR(first_error);
  ScenarioResult r;
  r.clock = "host";
  r.kind = spec.kind;
  r.samples = total;
  r.queries = spec.kind == ScenarioKind::kOffline ? 1 : queries;
  double end = 0;
  for (double d : done_at) end = std::max(end, d);
  r.duration_s = end;
  r.throughput = end > 0 ? static_cast<double>(total) / end : 0;
  if (spec.kind == ScenarioKind::kOffline) {
    std::vector<double> lat;
    for (int64_t i = 0; i < total; ++i) lat.push_back(done_at[static_cast<size_t>(i)] - submit_at[static_cast<size_t>(i)]);
    r.latency = LatencyStats::Of(lat);
  } else {
    for (int64_t q = 0; q < queries; ++q) {
      double s = 1e300, e = 0;
      for (int64_t k = 0; k < spq; ++k) {
        s = std::min(s, submit_at[static_cast<size_t>(q * spq + k)]);
        e = std::max(e, done_at[static_cast<size_t>(q * spq + k)]);
      }
      query_latency.push_back(e - s);
    }
    r.latency = LatencyStats::Of(query_latency);
  }
  r.bound_latency_s = spec.kind == ScenarioKind::kSingleStream ? r.latency.p90 : r.latency.p99;
  std::ostringstream os;
  os << "host: " << total << " samples executed for real on this machine (bounded; functional executors";
  EI_ASSIGN_OR_RETURN(ModelInfo info, session.Info(model));
  std::set<std::string> devs;
  for (const auto& [e, f] : info.functional) devs.insert(f.substr(0, f.find(':')));
  for (const std::string& d : devs) os << " " << d;
  os << ")";
  if (spec.kind == ScenarioKind::kServer) os << ", Poisson arrivals at " << host_qps << " samples/s (host rate)";
  r.note = os.str();
  return r;
}

}  // namespace edgeinfer::runtime
