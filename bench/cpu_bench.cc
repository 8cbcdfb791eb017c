// edgeinfer-bench-cpu: edgeinfer's fast CPU path against ONNX Runtime (CPU, from the npm package
// onnxruntime-node, see bench/ort_peer/install_ort.sh) on the same ONNX files and the same inputs,
// in one run. Per model and batch: median latency of each after warm-up, the ratio edgeinfer/ORT,
// throughput, max abs and max relative difference of the outputs, and peak RSS of each.
//
// How it measures (docs/bench.md says more):
//   - every (engine, model, batch) runs in a fresh worker process: this same executable, exec'ed
//     with --worker, so peak RSS is each engine's own and neither warms caches for the other; both
//     workers are the same binary with the same libraries mapped;
//   - ORT is called through its C API (dlopen + our own ABI declarations, bench/ort_peer/ort_c_api.h),
//     in-process, like edgeinfer: no Node.js or IPC inside the timed region;
//   - same thread count for both (ORT: intra-op threads, inter-op 1, sequential, all graph
//     optimisations; edgeinfer: CpuFastOptions::num_threads); inputs are seeded uniform [-1, 1)
//     generated identically in each worker; time is the host's steady clock around one Run/Launch.
//   - edgeinfer runs the compiler's FP32 pipeline (fusions/) before the device, as a user would;
//     --int8 adds ResNet-50 INT8 (calibrated on the bench input with the reference executor).
#include <dlfcn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/ort_peer/ort_c_api.h"
#include "devices/cpu/fast/fast_device.h"
#include "devices/cpu/reference_executor.h"
#include "fusions/calibration.h"
#include "fusions/pass_list.h"
#include "graph/onnx_import.h"

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
namespace fs = std::filesystem;

struct Options {
  std::string models_dir = EDGEINFER_BINARY_DIR "/models";
  std::vector<std::string> models = {"resnet50", "mobilenetv2", "ssd_mobilenet"};
  std::vector<int64_t> batches = {1, 8};
  int threads = 0;
  int warmup = 5;
  int runs = 20;
  int soak = 0;              // extra edgeinfer runs to check RSS growth (ResNet-50 FP32 batch 1 only)
  bool int8 = false;
  bool compile = true;
  std::string ort_lib;
  std::string json_path;     // "" none, "-" stdout
  bool explain = false;
  int rounds = 3;            // worker pairs per (model, batch), alternating order; timings pooled
  bool no_spin = false;      // both engines' idle threads sleep instead of spinning (shared machines)
  bool winograd = true;      // edgeinfer: Winograd for 3x3 stride-1 convolutions (--no-winograd: direct only)
};

struct NamedOutput {
  std::string name;
  std::vector<int64_t> dims;
  std::vector<float> data;
};

struct WorkerResult {
  std::string engine, model, error, note;
  int64_t batch = 0;
  int threads = 0;
  double load_ms = 0;
  std::vector<double> times_ms;
  long peak_rss_kb = 0;
  long rss_before_soak_kb = 0, rss_after_soak_kb = 0;
  int soak_runs = 0;
  std::vector<NamedOutput> outputs;
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

long CurrentRssKb() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, rss = 0;
  f >> pages >> rss;
  return rss * (sysconf(_SC_PAGESIZE) / 1024);
}
long PeakRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// The same inputs in every worker: uniform [-1, 1), seeded by the input's name.
std::vector<float> MakeInput(const std::string& name, int64_t n) {
  std::mt19937 rng(static_cast<uint32_t>(std::hash<std::string>{}(name) & 0xffffffffu));
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = d(rng);
  return v;
}

int64_t Numel(const std::vector<int64_t>& d) {
  int64_t n = 1;
  for (int64_t x : d) n *= x;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Workers

void RunTimed(WorkerResult& r, const Options& o, const std::function<std::string()>& once) {
  for (int i = 0; i < o.warmup; ++i) {
    std::string e = once();
    if (!e.empty()) { r.error = e; return; }
  }
  for (int i = 0; i < o.runs; ++i) {
    auto t0 = Clock::now();
    std::string e = once();
    auto t1 = Clock::now();
    if (!e.empty()) { r.error = e; return; }
    r.times_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
}

WorkerResult RunEdgeinfer(const Options& o, const std::string& model, int64_t batch, bool int8) {
  using namespace edgeinfer;  // NOLINT
  WorkerResult r;
  r.engine = int8 ? "edgeinfer-int8" : "edgeinfer";
  r.model = model;
  r.batch = batch;
  auto t0 = Clock::now();
  ImportOptions io;
  io.batch = batch;
  auto g = ImportOnnx(o.models_dir + "/" + model + ".onnx", io);
  if (!g.ok()) { r.error = g.status().message(); return r; }
  if (o.explain) std::cerr << "RSS after import " << CurrentRssKb() / 1024 << " MB, peak " << PeakRssKb() / 1024 << " MB\n";
  devices::TensorMap feeds;
  for (ValueId v : g->inputs()) {
    const Value& val = g->value(v);
    std::vector<int64_t> dims = val.shape.dims;
    feeds[val.name] = Tensor::FromVector(DType::kFloat32, dims, MakeInput(val.name, Numel(dims)));
  }
  fusions::CalibrationTable table;
  if (int8) {
    // Calibrate on the bench input: every float tensor of the FP32 graph, via the reference.
    fusions::Calibrator cal(fusions::CalibratorKind::kMinMax);
    devices::ReferenceOptions ro;
    ro.on_layer = [&](const Graph& gg, NodeId id, const std::vector<const Tensor*>& outs) {
      for (size_t i = 0; i < outs.size(); ++i) cal.Observe(gg.value(gg.node(id).outputs[i]).name, *outs[i]);
    };
    for (const auto& [name, t] : feeds) cal.Observe(name, t);
    auto ref = devices::RunReference(*g, feeds, ro);
    if (!ref.ok()) { r.error = "calibration: " + ref.status().message(); return r; }
    cal.EndBatch();
    table = cal.Finish("bench");
  }
  if (o.compile || int8) {
    fusions::PipelineOptions po;
    po.precision = int8 ? fusions::Precision::kInt8 : fusions::Precision::kFp32;
    if (int8) po.calibration = &table;
    fusions::CompileReport rep;
    Status s = fusions::RunPipeline(*g, po, &rep);
    if (!s.ok()) { r.error = "compile: " + s.message(); return r; }
    r.note = "compiled: " + std::to_string(rep.nodes_before) + " -> " + std::to_string(rep.nodes_after) + " nodes, " +
             std::to_string(rep.layers_before) + " -> " + std::to_string(rep.layers_after) + " layers";
  }
  auto graph = std::make_shared<const Graph>(std::move(*g));
  devices::CpuFastOptions fo;
  fo.num_threads = o.threads;
  fo.profile = o.explain;
  fo.winograd = o.winograd;
  devices::CpuFastDevice dev(fo);
  r.threads = dev.num_threads();
  Status s = dev.Prepare(graph);
  if (!s.ok()) { r.error = s.message(); return r; }
  devices::TensorMap out;
  s = dev.Launch(feeds, &out);   // plans now when the batch was symbolic
  if (!s.ok()) { r.error = s.message(); return r; }
  r.load_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (o.explain) std::cerr << "RSS after prepare " << CurrentRssKb() / 1024 << " MB, peak " << PeakRssKb() / 1024 << " MB\n";
  RunTimed(r, o, [&]() -> std::string {
    Status st = dev.Launch(feeds, &out);
    return st.ok() ? "" : st.message();
  });
  if (o.explain) std::cerr << dev.Explain();
  if (!r.error.empty()) return r;
  if (o.soak > 0 && !int8 && model == "resnet50" && batch == 1) {
    r.rss_before_soak_kb = CurrentRssKb();
    for (int i = 0; i < o.soak; ++i) {
      Status st = dev.Launch(feeds, &out);
      if (!st.ok()) { r.error = st.message(); return r; }
    }
    r.rss_after_soak_kb = CurrentRssKb();
    r.soak_runs = o.soak;
  }
  r.peak_rss_kb = PeakRssKb();
  for (ValueId v : graph->outputs()) {
    const std::string& name = graph->value(v).name;
    const Tensor& t = out.at(name);
    NamedOutput no{name, t.dims(), {}};
    if (t.dtype() == DType::kFloat32) no.data.assign(t.data<float>(), t.data<float>() + t.numel());
    r.outputs.push_back(std::move(no));
  }
  return r;
}

WorkerResult RunOrt(const Options& o, const std::string& model, int64_t batch) {
  WorkerResult r;
  r.engine = "onnxruntime";
  r.model = model;
  r.batch = batch;
  r.threads = o.threads;
  void* lib = dlopen(o.ort_lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) { r.error = std::string("cannot load ONNX Runtime (run bench/ort_peer/install_ort.sh): ") + dlerror(); return r; }
  auto get_base = reinterpret_cast<OrtGetApiBaseFn>(dlsym(lib, "OrtGetApiBase"));
  if (!get_base) { r.error = "OrtGetApiBase not found in " + o.ort_lib; return r; }
  const OrtApiBase* base = get_base();
  const OrtApi* api = base->GetApi(13);
  if (!api) { r.error = "ONNX Runtime does not offer C API version 13"; return r; }
  r.note = std::string("ORT ") + base->GetVersionString();
  auto check = [&](OrtStatus* st) -> bool {
    if (!st) return true;
    r.error = api->GetErrorMessage(st);
    api->ReleaseStatus(st);
    return false;
  };
  auto t0 = Clock::now();
  OrtEnv* env = nullptr;
  OrtSessionOptions* so = nullptr;
  OrtSession* sess = nullptr;
  if (!check(api->CreateEnv(ORT_LOGGING_LEVEL_WARNING, "bench", &env))) return r;
  if (!check(api->CreateSessionOptions(&so))) return r;
  if (!check(api->SetIntraOpNumThreads(so, o.threads))) return r;
  if (!check(api->SetInterOpNumThreads(so, 1))) return r;
  if (!check(api->SetSessionExecutionMode(so, ORT_SEQUENTIAL))) return r;
  if (!check(api->SetSessionGraphOptimizationLevel(so, ORT_ENABLE_ALL))) return r;
  if (o.no_spin && !check(api->AddSessionConfigEntry(so, "session.intra_op.allow_spinning", "0"))) return r;
  const std::string path = o.models_dir + "/" + model + ".onnx";
  if (!check(api->CreateSession(env, path.c_str(), so, &sess))) return r;
  OrtAllocator* alloc = nullptr;
  if (!check(api->GetAllocatorWithDefaultOptions(&alloc))) return r;
  OrtMemoryInfo* mem = nullptr;
  if (!check(api->CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &mem))) return r;
  size_t nin = 0, nout = 0;
  if (!check(api->SessionGetInputCount(sess, &nin)) || !check(api->SessionGetOutputCount(sess, &nout))) return r;
  std::vector<std::string> in_names, out_names;
  std::vector<std::vector<float>> in_data;
  std::vector<OrtValue*> in_vals;
  for (size_t i = 0; i < nin; ++i) {
    char* nm = nullptr;
    if (!check(api->SessionGetInputName(sess, i, alloc, &nm))) return r;
    in_names.push_back(nm);
    alloc->Free(alloc, nm);
    OrtTypeInfo* ti = nullptr;
    const OrtTensorTypeAndShapeInfo* tsi = nullptr;
    if (!check(api->SessionGetInputTypeInfo(sess, i, &ti)) || !check(api->CastTypeInfoToTensorInfo(ti, &tsi))) return r;
    size_t rank = 0;
    if (!check(api->GetDimensionsCount(tsi, &rank))) return r;
    std::vector<int64_t> dims(rank);
    if (!check(api->GetDimensions(tsi, dims.data(), rank))) return r;
    api->ReleaseTypeInfo(ti);
    if (!dims.empty()) {
      if (dims[0] < 0) dims[0] = batch;
      else if (dims[0] != batch) { r.error = "model input '" + in_names.back() + "' has a fixed batch of " + std::to_string(dims[0]); return r; }
    }
    for (int64_t d : dims) if (d < 0) { r.error = "model input '" + in_names.back() + "' has a symbolic non-batch dim"; return r; }
    in_data.push_back(MakeInput(in_names.back(), Numel(dims)));
    OrtValue* v = nullptr;
    if (!check(api->CreateTensorWithDataAsOrtValue(mem, in_data.back().data(), in_data.back().size() * sizeof(float),
                                                   dims.data(), dims.size(), ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &v))) return r;
    in_vals.push_back(v);
  }
  for (size_t i = 0; i < nout; ++i) {
    char* nm = nullptr;
    if (!check(api->SessionGetOutputName(sess, i, alloc, &nm))) return r;
    out_names.push_back(nm);
    alloc->Free(alloc, nm);
  }
  std::vector<const char*> in_c, out_c;
  for (auto& s : in_names) in_c.push_back(s.c_str());
  for (auto& s : out_names) out_c.push_back(s.c_str());
  std::vector<OrtValue*> outs(nout, nullptr);
  auto run_once = [&]() -> std::string {
    for (OrtValue*& v : outs) { if (v) api->ReleaseValue(v); v = nullptr; }
    OrtStatus* st = api->Run(sess, nullptr, in_c.data(), in_vals.data(), nin, out_c.data(), nout, outs.data());
    if (st) {
      std::string e = api->GetErrorMessage(st);
      api->ReleaseStatus(st);
      return e;
    }
    return "";
  };
  std::string e = run_once();
  if (!e.empty()) { r.error = e; return r; }
  r.load_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  RunTimed(r, o, run_once);
  if (!r.error.empty()) return r;
  r.peak_rss_kb = PeakRssKb();
  for (size_t i = 0; i < nout; ++i) {
    OrtTensorTypeAndShapeInfo* info = nullptr;
    if (!check(api->GetTensorTypeAndShape(outs[i], &info))) return r;
    size_t rank = 0, count = 0;
    ONNXTensorElementDataType et{};
    if (!check(api->GetDimensionsCount(info, &rank)) || !check(api->GetTensorShapeElementCount(info, &count)) ||
        !check(api->GetTensorElementType(info, &et))) return r;
    NamedOutput no{out_names[i], std::vector<int64_t>(rank), {}};
    if (!check(api->GetDimensions(info, no.dims.data(), rank))) return r;
    api->ReleaseTensorTypeAndShapeInfo(info);
    void* p = nullptr;
    if (!check(api->GetTensorMutableData(outs[i], &p))) return r;
    if (et == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) no.data.assign(static_cast<float*>(p), static_cast<float*>(p) + count);
    r.outputs.push_back(std::move(no));
    api->ReleaseValue(outs[i]);
  }
  for (OrtValue* v : in_vals) api->ReleaseValue(v);
  api->ReleaseMemoryInfo(mem);
  api->ReleaseSession(sess);
  api->ReleaseSessionOptions(so);
  api->ReleaseEnv(env);
  return r;
}

// ---- worker <-> parent: a JSON file with the figures and the outputs ----
void SaveResult(const WorkerResult& r, const std::string& path) {
  json j = {{"engine", r.engine}, {"model", r.model}, {"batch", r.batch}, {"threads", r.threads}, {"error", r.error},
            {"note", r.note}, {"load_ms", r.load_ms}, {"times_ms", r.times_ms}, {"peak_rss_kb", r.peak_rss_kb},
            {"rss_before_soak_kb", r.rss_before_soak_kb}, {"rss_after_soak_kb", r.rss_after_soak_kb}, {"soak_runs", r.soak_runs}};
  json outs = json::array();
  for (const auto& o : r.outputs) outs.push_back({{"name", o.name}, {"dims", o.dims}, {"data", o.data}});
  j["outputs"] = outs;
  std::ofstream(path) << j.dump();
}

WorkerResult LoadResult(const std::string& path) {
  WorkerResult r;
  std::ifstream f(path);
  if (!f) { r.error = "worker wrote no result"; return r; }
  json j = json::parse(f, nullptr, false);
  if (j.is_discarded()) { r.error = "worker result is not JSON"; return r; }
  r.engine = j["engine"];
  r.model = j["model"];
  r.batch = j["batch"];
  r.threads = j["threads"];
  r.error = j["error"];
  r.note = j["note"];
  r.load_ms = j["load_ms"];
  r.times_ms = j["times_ms"].get<std::vector<double>>();
  r.peak_rss_kb = j["peak_rss_kb"];
  r.rss_before_soak_kb = j["rss_before_soak_kb"];
  r.rss_after_soak_kb = j["rss_after_soak_kb"];
  r.soak_runs = j["soak_runs"];
  for (const auto& o : j["outputs"]) r.outputs.push_back({o["name"], o["dims"].get<std::vector<int64_t>>(), o["data"].get<std::vector<float>>()});
  return r;
}

// Runs one worker in a fresh process (this executable with --worker).
WorkerResult Spawn(const Options& o, const std::string& engine, const std::string& model, int64_t batch) {
  char tmpl[] = "/tmp/edgeinfer-bench-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd >= 0) close(fd);
  std::vector<std::string> args = {"/proc/self/exe", "--worker", engine, "--model", model, "--batch", std::to_string(batch),
                                   "--threads", std::to_string(o.threads), "--warmup", std::to_string(o.warmup),
                                   "--runs", std::to_string(o.runs), "--models-dir", o.models_dir, "--ort-lib", o.ort_lib,
                                   "--soak", std::to_string(o.soak), "--result", tmpl};
  if (!o.compile) args.push_back("--no-compile");
  if (o.no_spin) args.push_back("--no-spin");
  if (!o.winograd) args.push_back("--no-winograd");
  if (o.explain) args.push_back("--explain");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    // oneDNN (Debian) runs on OpenMP, which reads its wait policy at start-up: the worker sets it
    // through the environment. --no-spin makes ORT's pool sleep too (allow_spinning=0).
    if (engine != "onnxruntime") {
      if (o.no_spin) setenv("OMP_WAIT_POLICY", "passive", 1);
      // libgomp's default (spin 300000 rounds before sleeping) is tuned for dedicated HPC nodes;
      // on a shared 2-core machine a thread spinning at a barrier steals the core its partner
      // needs. edgeinfer's worker spins briefly instead, unless the user chose a policy.
      else if (!std::getenv("OMP_WAIT_POLICY") && !std::getenv("GOMP_SPINCOUNT")) setenv("GOMP_SPINCOUNT", "1000", 1);
    }
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  WorkerResult r = LoadResult(tmpl);
  std::remove(tmpl);
  if (r.error.empty() && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) r.error = "worker exited abnormally";
  r.engine = engine;
  r.model = model;
  r.batch = batch;
  return r;
}

struct Diff {
  double max_abs = 0, max_ref = 0, max_rel = 0;
  int argmax_agree = 0, argmax_rows = 0;   // rows (leading dim) of the first output whose argmax agree
  std::string problem;
};

// max|a-b| over every float output; max_rel = max_abs / max|b| (b: ORT), per output, the worst.
Diff Compare(const WorkerResult& a, const WorkerResult& b) {
  Diff d;
  for (const auto& ob : b.outputs) {
    auto it = std::find_if(a.outputs.begin(), a.outputs.end(), [&](const NamedOutput& x) { return x.name == ob.name; });
    if (it == a.outputs.end()) { d.problem = "output '" + ob.name + "' missing"; continue; }
    if (it->dims != ob.dims || it->data.size() != ob.data.size()) { d.problem = "output '" + ob.name + "' shape differs"; continue; }
    double ma = 0, mr = 0;
    for (size_t i = 0; i < ob.data.size(); ++i) {
      ma = std::max(ma, std::fabs(static_cast<double>(it->data[i]) - ob.data[i]));
      mr = std::max(mr, std::fabs(static_cast<double>(ob.data[i])));
    }
    if (&ob == &b.outputs.front() && !ob.dims.empty() && ob.dims[0] > 0) {
      const size_t rows = static_cast<size_t>(ob.dims[0]), per = ob.data.size() / rows;
      for (size_t r = 0; r < rows && per > 0; ++r) {
        auto arg = [&](const std::vector<float>& v) {
          return std::max_element(v.begin() + static_cast<long>(r * per), v.begin() + static_cast<long>((r + 1) * per)) - v.begin();
        };
        d.argmax_agree += arg(it->data) == arg(ob.data);
        ++d.argmax_rows;
      }
    }
    d.max_abs = std::max(d.max_abs, ma);
    d.max_ref = std::max(d.max_ref, mr);
    d.max_rel = std::max(d.max_rel, mr > 0 ? ma / mr : ma);
  }
  return d;
}

int Usage() {
  std::cerr << "usage: edgeinfer-bench-cpu [--models-dir DIR] [--model NAME]... [--batch 1,8] [--threads N]\n"
               "                           [--warmup N] [--runs N] [--int8] [--soak N] [--no-compile]\n"
               "                           [--rounds N] [--no-spin] [--no-winograd] [--ort-lib PATH] [--json FILE|-] [--explain]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string worker, result_path;
  std::vector<std::string> models;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--worker") worker = val();
    else if (a == "--result") result_path = val();
    else if (a == "--models-dir") o.models_dir = val();
    else if (a == "--model") models.push_back(val());
    else if (a == "--batch") {
      o.batches.clear();
      std::stringstream ss(val());
      std::string t;
      while (std::getline(ss, t, ',')) o.batches.push_back(std::stoll(t));
    } else if (a == "--threads") o.threads = std::stoi(val());
    else if (a == "--warmup") o.warmup = std::stoi(val());
    else if (a == "--runs") o.runs = std::stoi(val());
    else if (a == "--soak") o.soak = std::stoi(val());
    else if (a == "--int8") o.int8 = true;
    else if (a == "--no-compile") o.compile = false;
    else if (a == "--ort-lib") o.ort_lib = val();
    else if (a == "--json") o.json_path = val();
    else if (a == "--explain") o.explain = true;
    else if (a == "--no-spin") o.no_spin = true;
    else if (a == "--no-winograd") o.winograd = false;
    else if (a == "--rounds") o.rounds = std::max(1, std::stoi(val()));
    else return Usage();
  }
  if (!models.empty()) o.models = models;
  if (o.threads <= 0) o.threads = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  if (o.ort_lib.empty()) {
    const char* env = std::getenv("EDGEINFER_ORT_LIB");
    const char* home = std::getenv("HOME");
    o.ort_lib = env ? env : std::string(home ? home : "") + "/.cache/edgeinfer/ort/libonnxruntime.so.1";
  }

  if (!worker.empty()) {
    const std::string model = models.empty() ? "" : models[0];
    const int64_t batch = o.batches.empty() ? 1 : o.batches[0];
    WorkerResult r = worker == "onnxruntime" ? RunOrt(o, model, batch) : RunEdgeinfer(o, model, batch, worker == "edgeinfer-int8");
    SaveResult(r, result_path);
    return 0;
  }

  json rows = json::array();
  std::printf("edgeinfer-bench-cpu: host clock, %d threads for both engines, %s, warm-up %d, median of %d rounds x %d runs\n",
              o.threads, o.no_spin ? "idle threads sleep (--no-spin: ORT allow_spinning=0, OMP passive)"
                        : "ORT default spinning, edgeinfer OpenMP spin 1000 (GOMP_SPINCOUNT)", o.warmup,
              o.rounds, o.runs);
  std::printf("%-14s %5s %10s %10s %7s %10s %10s %10s %10s %9s %9s\n", "model", "batch", "ei ms", "ort ms", "ei/ort",
              "ei img/s", "ort img/s", "max abs", "max rel", "ei RSS MB", "ort RSS MB");
  for (const std::string& model : o.models) {
    if (!fs::exists(o.models_dir + "/" + model + ".onnx")) {
      std::printf("%-14s skipped: %s/%s.onnx not found (build the zoo: cmake --build build --target zoo)\n", model.c_str(),
                  o.models_dir.c_str(), model.c_str());
      continue;
    }
    for (int64_t b : o.batches) {
      // Rounds alternate which engine goes first; timings pool over rounds (load by others drifts).
      WorkerResult ei, ort;
      for (int round = 0; round < o.rounds; ++round) {
        WorkerResult e1, o1;
        if (round % 2 == 0) {
          e1 = Spawn(o, "edgeinfer", model, b);
          o1 = Spawn(o, "onnxruntime", model, b);
        } else {
          o1 = Spawn(o, "onnxruntime", model, b);
          e1 = Spawn(o, "edgeinfer", model, b);
        }
        if (round == 0) {
          ei = e1;
          ort = o1;
        } else {
          if (ei.error.empty()) ei.error = e1.error;
          if (ort.error.empty()) ort.error = o1.error;
          ei.times_ms.insert(ei.times_ms.end(), e1.times_ms.begin(), e1.times_ms.end());
          ort.times_ms.insert(ort.times_ms.end(), o1.times_ms.begin(), o1.times_ms.end());
          ei.peak_rss_kb = std::max(ei.peak_rss_kb, e1.peak_rss_kb);
          ort.peak_rss_kb = std::max(ort.peak_rss_kb, o1.peak_rss_kb);
        }
        if (!ei.error.empty() || !ort.error.empty()) break;
      }
      json row = {{"model", model}, {"batch", b}, {"threads", o.threads}, {"clock", "host"}};
      if (!ei.error.empty() || !ort.error.empty()) {
        std::printf("%-14s %5lld  error: %s%s\n", model.c_str(), static_cast<long long>(b),
                    ei.error.empty() ? "" : ("edgeinfer: " + ei.error + " ").c_str(),
                    ort.error.empty() ? "" : ("onnxruntime: " + ort.error).c_str());
        row["error_edgeinfer"] = ei.error;
        row["error_onnxruntime"] = ort.error;
        rows.push_back(row);
        continue;
      }
      const double me = Median(ei.times_ms), mo = Median(ort.times_ms);
      Diff d = Compare(ei, ort);
      std::printf("%-14s %5lld %10.2f %10.2f %7.3f %10.1f %10.1f %10.2e %10.2e %9.1f %9.1f  argmax %d/%d%s\n", model.c_str(),
                  static_cast<long long>(b), me, mo, me / mo, 1000.0 * b / me, 1000.0 * b / mo, d.max_abs, d.max_rel,
                  ei.peak_rss_kb / 1024.0, ort.peak_rss_kb / 1024.0, d.argmax_agree, d.argmax_rows,
                  d.problem.empty() ? "" : ("  " + d.problem).c_str());
      if (o.explain || model.find("qdq") != std::string::npos) std::printf("%-14s %5s   edgeinfer %s\n", model.c_str(), "", ei.note.c_str());
      row.update({{"edgeinfer_median_ms", me}, {"ort_median_ms", mo}, {"ratio", me / mo},
                  {"edgeinfer_min_ms", *std::min_element(ei.times_ms.begin(), ei.times_ms.end())},
                  {"ort_min_ms", *std::min_element(ort.times_ms.begin(), ort.times_ms.end())},
                  {"edgeinfer_img_per_s", 1000.0 * b / me}, {"ort_img_per_s", 1000.0 * b / mo}, {"max_abs_diff", d.max_abs},
                  {"max_rel_diff", d.max_rel}, {"max_abs_ort_output", d.max_ref}, {"edgeinfer_peak_rss_kb", ei.peak_rss_kb},
                  {"ort_peak_rss_kb", ort.peak_rss_kb}, {"edgeinfer_load_ms", ei.load_ms}, {"ort_load_ms", ort.load_ms},
                  {"edgeinfer_note", ei.note}, {"ort_note", ort.note}, {"argmax_agree", d.argmax_agree}, {"argmax_rows", d.argmax_rows}});
      if (!d.problem.empty()) row["output_problem"] = d.problem;
      if (ei.soak_runs) {
        row["soak_runs"] = ei.soak_runs;
        row["rss_before_soak_kb"] = ei.rss_before_soak_kb;
        row["rss_after_soak_kb"] = ei.rss_after_soak_kb;
        std::printf("%-14s %5lld soak: %d more runs, RSS %.1f MB -> %.1f MB\n", model.c_str(), static_cast<long long>(b),
                    ei.soak_runs, ei.rss_before_soak_kb / 1024.0, ei.rss_after_soak_kb / 1024.0);
      }
      rows.push_back(row);
    }
  }
  if (o.int8 && fs::exists(o.models_dir + "/resnet50.onnx")) {
    // INT8 against our own FP32, measured in interleaved rounds too (load drifts between rows).
    WorkerResult q, f;
    for (int round = 0; round < o.rounds; ++round) {
      WorkerResult q1, f1;
      if (round % 2 == 0) {
        q1 = Spawn(o, "edgeinfer-int8", "resnet50", 1);
        f1 = Spawn(o, "edgeinfer", "resnet50", 1);
      } else {
        f1 = Spawn(o, "edgeinfer", "resnet50", 1);
        q1 = Spawn(o, "edgeinfer-int8", "resnet50", 1);
      }
      if (round == 0) {
        q = q1;
        f = f1;
      } else {
        if (q.error.empty()) q.error = q1.error;
        if (f.error.empty()) f.error = f1.error;
        q.times_ms.insert(q.times_ms.end(), q1.times_ms.begin(), q1.times_ms.end());
        f.times_ms.insert(f.times_ms.end(), f1.times_ms.begin(), f1.times_ms.end());
        q.peak_rss_kb = std::max(q.peak_rss_kb, q1.peak_rss_kb);
      }
      if (!q.error.empty() || !f.error.empty()) break;
    }
    json row = {{"model", "resnet50"}, {"batch", 1}, {"precision", "int8"}, {"threads", o.threads}, {"clock", "host"}};
    if (!q.error.empty() || !f.error.empty()) {
      std::printf("resnet50 INT8 batch 1: error: %s\n", (q.error + " " + f.error).c_str());
      row["error_edgeinfer"] = q.error + " " + f.error;
    } else {
      const double mq = Median(q.times_ms), mf = Median(f.times_ms);
      // Agreement of the INT8 result with our FP32 (quantization error, not a bug measure).
      Diff d = Compare(q, f);
      std::printf("resnet50 INT8 batch 1: %.2f ms median vs our FP32 %.2f ms in the same rounds: %.3f x; "
                  "max abs vs FP32 %.3g (rel %.3g); peak RSS %.1f MB  [%s]\n",
                  mq, mf, mq / mf, d.max_abs, d.max_rel, q.peak_rss_kb / 1024.0, q.note.c_str());
      row.update({{"edgeinfer_int8_median_ms", mq}, {"edgeinfer_fp32_median_ms", mf}, {"ratio_int8_to_fp32", mq / mf},
                  {"max_abs_diff_vs_fp32", d.max_abs}, {"max_rel_diff_vs_fp32", d.max_rel},
                  {"edgeinfer_peak_rss_kb", q.peak_rss_kb}, {"edgeinfer_note", q.note}});
    }
    rows.push_back(row);
  }
  if (!o.json_path.empty()) {
    json doc = {{"bench", "edgeinfer-bench-cpu"}, {"threads", o.threads}, {"warmup", o.warmup}, {"runs", o.runs},
                {"rounds", o.rounds}, {"no_spin", o.no_spin}, {"rows", rows}};
    if (o.json_path == "-") std::cout << doc.dump(2) << "\n";
    else std::ofstream(o.json_path) << doc.dump(2) << "\n";
  }
  return 0;
}
