// edgeinfer run MODEL: runs a model on one engine with .npy or generated inputs; reports outputs and
// the median host latency. JSON fields are documented in docs/cli.md.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "apps/edgeinfer/commands.h"
#include "apps/edgeinfer/common.h"
#include "graph/npy.h"
#include "graph/ops/fused.h"
#include "runtime/compile.h"
#include "runtime/device_factory.h"
#include "runtime/engine_file.h"

namespace edgeinfer::apps {

namespace {

// An explicitly quantized (Q/DQ) model as imported: Q/DQ nodes and no fused op. It still needs the
// compiler (convert_qdq + quantize_int8), although runtime::IsCompiledGraph counts Q/DQ as compiled.
bool UncompiledQdq(const Graph& g) {
  bool qdq = false;
  for (NodeId id : g.NodeIds()) {
    const std::string& op = g.node(id).op;
    if (ops::IsFusedOp(op)) return false;
    qdq = qdq || op == "QuantizeLinear" || op == "DequantizeLinear";
  }
  return qdq;
}

using runtime::EngineClass;

struct RunArgs {
  std::string model;
  std::string plan;   // an engine file from 'edgeinfer compile ... -o X.plan'; replaces MODEL
  std::vector<std::string> inputs;
  std::string output_dir;
  int64_t batch = 0;
  int repeat = 1;
  int warmup = 1;
  uint32_t seed = 1;
#ifdef EDGEINFER_HAVE_DNNL
  std::string engine = "cpu";
#else
  std::string engine = "reference";
#endif
  int threads = 0;    // --engine cpu: 0 = every core
  std::string int8_epilogue = "exact";   // --engine gpu: INT8 requantization, exact or float (docs/gpu.md)
  bool engine_given = false;
  bool json = false;
  // --engine dla: the SoC profile, and how the model is compiled for the DLA.
  std::string soc = "orin-agx";
  std::string power_mode;
  std::string clocks;
  std::string precision = "int8";
  std::string calib;
  std::string calibrator;
  std::string preprocess;
};

// Resident set of this process now and at its peak (kB, Linux), for the host-memory figures: the
// part above the RSS before loading is what the model costs (the binary's linked libraries have a
// large fixed RSS of their own).
int64_t CurrentRssKb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}
int64_t PeakRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// The engine's device, from the one factory (runtime::CreateDevice).
Result<std::unique_ptr<devices::Device>> MakeEngine(const RunArgs& a, const devices::SocProfile* soc,
                                                    std::shared_ptr<const runtime::PartitionPlan> dla_plan) {
  const std::string& name = a.engine;
  runtime::DeviceOptions o;
  if (name == "reference") {
    o.reference = true;
    return runtime::CreateDevice(EngineClass::kCpu, o);
  }
  if (name == "dla") {
    o.soc = soc;
    EI_ASSIGN_OR_RETURN(auto dev, runtime::CreateDevice(EngineClass::kDla, o));
    if (dla_plan) static_cast<runtime::DlaEngineDevice*>(dev.get())->UsePlan(*dla_plan);
    return dev;
  }
  if (name == "cpu") {
    o.threads = a.threads;
    return runtime::CreateDevice(EngineClass::kCpu, o);
  }
  if (name == "gpu") {
    // The graph's own INT8 nodes (a compiled --plan) run INT8; floats run FP32 unless asked for FP16.
    o.float_precision = a.precision == "fp16" ? Precision::kFp16 : Precision::kFp32;
    o.int8_exact_epilogue = a.int8_epilogue != "float";
    return runtime::CreateDevice(EngineClass::kGpu, o);
  }
  return Status::Error("--engine '" + name + "' is unknown (engines: cpu, gpu, dla, reference)");
}

// Compiles the imported graph (batch bound) for the DLA of `soc`: int8 scales from --calib data, or
// from the run's own input when none is given; fp16 needs none. *note says where the scales came from.
Result<runtime::CompiledModel> CompileForDla(const Graph& imported, const RunArgs& a, const devices::SocProfile& soc,
                                             const devices::TensorMap& run_inputs, std::string* note) {
  EI_ASSIGN_OR_RETURN(Precision precision, ParsePrecision(a.precision));
  if (precision == Precision::kFp32) {
    return Status::Error("--engine dla runs int8 or fp16; FP32 is not a DLA precision (use --precision int8 or fp16)");
  }
  runtime::CompileOptions co;
  co.model_path = a.model;
  co.precision = precision;
  co.engines = "dla";
  co.fallback_fp16 = true;
  std::string kind_name = a.calibrator;
  if (precision == Precision::kInt8) {
    if (!a.calib.empty()) {
      co.calibration.data = a.calib;
      co.calibration.preprocess = a.preprocess;
      if (kind_name.empty()) kind_name = "entropy";
    } else {
      if (imported.inputs().size() != 1) return Status::Error("--engine dla without --calib calibrates on the run's input; the model has several inputs");
      co.calibration.batches.push_back(run_inputs.at(imported.value(imported.inputs()[0]).name));
      if (kind_name.empty()) kind_name = "minmax";
    }
    EI_ASSIGN_OR_RETURN(co.calibration.calibrator, fusions::ParseCalibrator(kind_name));
  }
  EI_ASSIGN_OR_RETURN(runtime::CompiledModel c, runtime::Compile(imported, co, &soc));
  if (precision == Precision::kFp16) *note = "FP16 weights and activations";
  else if (a.calib.empty()) *note = "INT8 scales calibrated (" + kind_name + ") on the run's own input (no --calib given)";
  else *note = c.calibration_note;
  return c;
}

int Run(const RunArgs& a) {
  if (a.model.empty() == a.plan.empty()) return Fail("run", Status::Error("give either a MODEL or --plan FILE (not both)"));
  const int64_t rss_before_kb = CurrentRssKb();
  int64_t arena_bytes = -1;
  Result<Graph> g = Status::Error("no model");
  if (!a.plan.empty()) {
    // The engine file's graph is the compiled one (shapes bound at compile time); its weights are
    // read straight into their tensors, and the rest of the file is dropped here.
    auto e = runtime::ReadEngineFile(a.plan);
    if (!e.ok()) return Fail("run", e.status());
    if (a.batch != 0 && a.batch != e->options.batch) {
      return Fail("run", Status::Error("--batch " + std::to_string(a.batch) + " differs from the engine file's batch " +
                                       std::to_string(e->options.batch) + " (rule: recompile with --batch to change it)"));
    }
    for (const runtime::GraphMemoryPlan& p : e->memory_plans) arena_bytes = std::max(arena_bytes, p.DramPeak());
    auto cal = e->options.extra.find("calibration");
    if (cal != e->options.extra.end() && cal->second.rfind("synthetic", 0) == 0) {
      std::fprintf(stderr, "edgeinfer run: warning: engine file '%s': %s\n", a.plan.c_str(), cal->second.c_str());
    }
    g = std::move(e->graph);
  } else {
    g = LoadModel(a.model, a.batch);
  }
  if (!g.ok()) return Fail("run", g.status());
  auto inputs = LoadInputs(*g, a.inputs, a.batch);
  if (!inputs.ok()) return Fail("run", inputs.status());
  int64_t batch = a.batch;
  if (a.plan.empty() && batch == 0 && HasSymbolicBatch(*g)) {
    // Bind the symbolic batch to what is being run (the given inputs' leading dimension, else 1) and
    // re-import: exporter shape chains (Shape -> Gather -> Concat -> Reshape) then fold to constants
    // and every engine sees static shapes, as with --batch.
    batch = BatchOfInputs(*g, *inputs);
    g = LoadModel(a.model, batch);
    if (!g.ok()) return Fail("run", g.status());
  }
  Status s = FillRandomInputs(*g, batch, a.seed, &*inputs);
  if (!s.ok()) return Fail("run", s);
  // Every engine gets the same checks (names, dtypes, shapes, finite values) before any work.
  s = devices::ValidateInputs(*g, *inputs, /*reject_non_finite=*/true);
  if (!s.ok()) return Fail("run", s);
  std::string dla_note;
  std::optional<devices::SocProfile> soc;
  std::shared_ptr<const runtime::PartitionPlan> dla_plan;
  if (a.engine == "dla") {
    auto p = runtime::LoadSoc(a.soc, a.power_mode, a.clocks);
    if (!p.ok()) return Fail("run", p.status());
    soc = std::move(p).value();
  }
  if (a.engine == "dla" && (!runtime::IsCompiledGraph(*g) || UncompiledQdq(*g))) {
    // The DLA has no dynamic shapes: a symbolic batch is bound to 1 unless --batch says otherwise.
    if (a.batch == 0) g = LoadModel(a.model, 1);
    if (!g.ok()) return Fail("run", g.status());
    auto compiled = CompileForDla(*g, a, *soc, *inputs, &dla_note);
    if (!compiled.ok()) return Fail("run", compiled.status());
    dla_plan = compiled->partition;   // the compile's partition: the device does not plan it again
    g = std::move(compiled->graph);
  } else if (a.engine == "dla") {
    dla_note = "the graph was compiled before (engine file)";
  }
  if ((a.engine == "gpu" || a.engine == "cpu") && a.plan.empty() && (!runtime::IsCompiledGraph(*g) || UncompiledQdq(*g))) {
    // Devices run the compiler's output (docs/device-contract.md): canonicalise and fuse at FP32
    // (BatchNorm folded, Conv+bias+act(+residual) fused, in-place Concats marked) with the device's
    // needs (runtime::CompileCapabilities), as `edgeinfer compile` would. FP16 storage is the GPU
    // executor's own choice (--precision fp16). The reference engine runs the imported graph as it
    // is (the golden). An explicitly quantized (Q/DQ) model becomes the INT8 graph its Q/DQ nodes
    // describe (fusions/convert_qdq.cc: INT8 at any precision).
    runtime::CompileOptions co;
    co.model_path = a.model;
    co.precision = Precision::kFp32;
    co.device = runtime::CompileCapabilities(a.engine == "gpu" ? EngineClass::kGpu : EngineClass::kCpu);
    auto compiled = runtime::Compile(*g, co, nullptr);
    if (!compiled.ok()) return Fail("run", compiled.status());
    g = std::move(compiled->graph);
  }
  auto dev = MakeEngine(a, soc ? &*soc : nullptr, dla_plan);
  if (!dev.ok()) return Fail("run", dev.status());
  auto graph = std::make_shared<const Graph>(std::move(g).value());
  s = (*dev)->Prepare(graph);
  std::string engine_note;
  if (!s.ok() && !a.engine_given && a.engine == "cpu") {
    // The default engine cannot run this model (e.g. an output whose size depends on the data, such
    // as NonMaxSuppression's): say so and run it on the reference kernels rather than fail.
    engine_note = "cpu-fast cannot run this model (" + s.message() + "); it ran on cpu-reference instead";
    std::cerr << "edgeinfer run: note: " << engine_note << "\n";
    runtime::DeviceOptions ro;
    ro.reference = true;
    dev = runtime::CreateDevice(EngineClass::kCpu, ro);
    if (!dev.ok()) return Fail("run", dev.status());
    s = (*dev)->Prepare(graph);
  }
  if (!s.ok()) return Fail("run", s);
  devices::TensorMap outputs;
  const int warm = a.repeat > 1 ? a.warmup : 0;
  std::vector<double> ms;
  for (int i = 0; i < warm + a.repeat; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    s = (*dev)->Launch(*inputs, &outputs);
    if (s.ok()) s = (*dev)->Sync();
    auto t1 = std::chrono::steady_clock::now();
    if (!s.ok()) return Fail("run", s);
    if (i >= warm) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  if (!a.output_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(a.output_dir, ec);
    if (ec) return Fail("run", Status::Error("cannot create --output-dir '" + a.output_dir + "': " + ec.message()));
    for (const auto& [name, t] : outputs) {
      std::string safe = name;
      for (char& c : safe) if (c == '/' || c == '\\' || c == ':') c = '_';
      s = WriteNpy(a.output_dir + "/" + safe + ".npy", t);
      if (!s.ok()) return Fail("run", s);
    }
  }
  nlohmann::json j;
  j["model"] = a.plan.empty() ? a.model : a.plan;
  j["engine"] = (*dev)->name();
  j["clock"] = "host";
  j["repeat"] = a.repeat;
  j["latency_ms"] = {{"median", Median(ms)}, {"min", *std::min_element(ms.begin(), ms.end())},
                     {"max", *std::max_element(ms.begin(), ms.end())}};
  nlohmann::json ins = nlohmann::json::object();
  for (const auto& [name, t] : *inputs) ins[name] = {{"shape", t.dims()}, {"dtype", DTypeName(t.dtype())}};
  j["inputs"] = ins;
  nlohmann::json outs = nlohmann::json::object();
  for (ValueId v : graph->outputs()) {
    outs[graph->value(v).name] = TensorSummary(outputs.at(graph->value(v).name));
    const Value& val = graph->value(v);
    if (val.dtype == DType::kInt8 && val.quant && val.quant->scale.size() == 1) outs[val.name]["scale"] = val.quant->scale[0];
  }
  j["outputs"] = outs;
  int64_t weight_bytes = 0;
  for (size_t i = 0; i < graph->num_values(); ++i) {
    if (graph->value(static_cast<ValueId>(i)).IsConstant()) weight_bytes += static_cast<int64_t>(graph->value(static_cast<ValueId>(i)).constant->bytes());
  }
  j["host_memory"] = {{"rss_before_load_kb", rss_before_kb}, {"peak_rss_kb", PeakRssKb()}, {"weight_bytes", weight_bytes},
                      {"plan_dram_arena_bytes", arena_bytes}};
  const auto* dla = dynamic_cast<const runtime::DlaEngineDevice*>(dev->get());
  if (dla) {
    const runtime::PartitionPlan& p = dla->plan();
    j["dla"] = {{"soc", p.soc}, {"power_mode", p.power_mode}, {"precision", a.precision}, {"compiled", dla_note},
                {"dla_layers", p.NumNodes(runtime::EngineClass::kDla)}, {"fallback_layers", p.NumNodes(p.fallback)},
                {"dla_segments", p.NumSegments(runtime::EngineClass::kDla)}, {"fallback_segments", p.NumSegments(p.fallback)},
                {"fallback_runs_on", "cpu-reference"}, {"predicted_target_ms", p.PredictedTotalSeconds() * 1e3}};
  }
  if (!engine_note.empty()) j["engine_note"] = engine_note;
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << "model    " << (a.plan.empty() ? a.model : a.plan) << "\nengine   " << (*dev)->name() << "\n";
  if (dla) {
    const runtime::PartitionPlan& p = dla->plan();
    const std::string fb = runtime::EngineClassName(p.fallback);
    std::cout << "dla      " << p.soc << (p.power_mode.empty() ? "" : " " + p.power_mode) << ", " << a.precision << "; " << dla_note
              << "\n         " << p.NumNodes(runtime::EngineClass::kDla) << " layers in " << p.NumSegments(runtime::EngineClass::kDla)
              << " segment(s) ran on the DLA model (exact INT8 arithmetic); " << p.NumNodes(p.fallback) << " " << fb
              << "-fallback layers in " << p.NumSegments(p.fallback) << " segment(s) ran on cpu-reference in the " << fb
              << "'s place\n         predicted target time " << p.PredictedTotalSeconds() * 1e3
              << " ms [target clock]; `edgeinfer compile MODEL --soc " << p.soc << " --explain` lists every layer\n";
  }
  // INT8 network I/O (--io-format int8): the scale that maps the int8 values to real ones.
  auto scale_of = [&](const std::string& name) -> std::string {
    auto id = graph->FindValue(name);
    if (!id) return "";
    const Value& v = graph->value(*id);
    if (v.dtype != DType::kInt8 || !v.quant || v.quant->scale.size() != 1) return "";
    std::ostringstream s;
    s << " scale " << v.quant->scale[0] << " (real = scale * q)";
    return s.str();
  };
  for (const auto& [name, t] : *inputs)
    std::cout << "input    " << name << " " << DTypeName(t.dtype()) << t.shape().ToString() << scale_of(name) << "\n";
  for (ValueId v : graph->outputs()) {
    const auto& o = outs[graph->value(v).name];
    const Tensor& t = outputs.at(graph->value(v).name);
    std::cout << "output   " << graph->value(v).name << " " << DTypeName(t.dtype()) << t.shape().ToString()
              << scale_of(graph->value(v).name) << "  min " << o["min"].get<double>() << "  max " << o["max"].get<double>() << "  mean "
              << o["mean"].get<double>() << "\n";
  }
  std::cout << "latency  " << Median(ms) << " ms median over " << a.repeat << " run(s) [host clock]\n";
  return 0;
}

}  // namespace

void RegisterRun(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* c = app.add_subcommand("run", "Run a model on one engine and print its outputs and host latency");
  c->add_option("model", a->model, "ONNX model file (or give --plan)");
  c->add_option("--plan", a->plan, "Engine file written by 'edgeinfer compile ... -o X.plan' (runs its compiled graph)");
  c->add_option("--input,-i", a->inputs, "NAME=FILE.npy (repeatable); missing inputs are generated (seeded)");
  c->add_option("--output-dir,-o", a->output_dir, "Write each output as NAME.npy here");
  c->add_option("--batch,-b", a->batch, "Bind the symbolic batch dimension")->check(CLI::Range(int64_t{1}, int64_t{4096}));
  c->add_option("--repeat,-r", a->repeat, "Timed runs (median reported) after --warmup runs")->check(CLI::Range(1, 1000000));
  c->add_option("--warmup", a->warmup, "Untimed runs before timing when --repeat > 1")->check(CLI::Range(0, 1000));
  c->add_option("--seed", a->seed, "Seed of generated inputs");
  c->add_option("--engine,-e", a->engine,
                 "Engine: cpu (oneDNN fast path, the default), gpu (CUDA, when a GPU and the plugin are present), "
                 "dla (compile + quantize; DLA model, GPU-fallback layers on the reference) or reference (the golden)");
  c->add_option("--threads", a->threads, "--engine cpu: worker threads (0 = every core)")->check(CLI::Range(0, 1024));
  c->add_option("--int8-epilogue", a->int8_epilogue,
                "--engine gpu: INT8 requantization: exact (bit-exact fixed point, the default) or float (float scaling, within 1 LSB, faster)")
      ->check(CLI::IsMember({"exact", "float"}));
  c->add_option("--soc", a->soc, "--engine dla: SoC profile name or YAML path (default orin-agx)");
  c->add_option("--power-mode", a->power_mode, "--engine dla: power mode (default: the profile's)");
  c->add_option("--clocks", a->clocks, "--engine dla: clock caps over the power mode (gpu=F,dla=F,emc=F,cpu=NxF)");
  c->add_option("--precision", a->precision, "--engine dla: int8 (default) or fp16")->check(CLI::IsMember({"int8", "fp16"}));
  c->add_option("--calib", a->calib, "--engine dla: calibration data (.npy, folder of .npy or images); default: the run's input");
  c->add_option("--calibrator", a->calibrator, "--engine dla: entropy, minmax or percentile")
      ->check(CLI::IsMember({"entropy", "minmax", "percentile"}));
  c->add_option("--preprocess", a->preprocess, "--engine dla: YAML preprocessing for image folders");
  c->add_flag("--json", a->json, "Print one JSON object (see docs/cli.md)");
  c->callback([a, exit_code, c] {
    a->engine_given = c->count("--engine") > 0;
    *exit_code = Run(*a);
  });
}

}  // namespace edgeinfer::apps
