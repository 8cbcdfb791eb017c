// edgeinfer run MODEL: runs a model on one engine with .npy or generated inputs; reports outputs and
// the median host latency. JSON fields are documented in docs/cli.md.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "apps/edgeinfer/commands.h"
#include "apps/edgeinfer/common.h"
#include "devices/cpu/reference_executor.h"
#include "graph/npy.h"

namespace edgeinfer::apps {

namespace {

struct RunArgs {
  std::string model;
  std::vector<std::string> inputs;
  std::string output_dir;
  int64_t batch = 0;
  int repeat = 1;
  int warmup = 1;
  uint32_t seed = 1;
  std::string engine = "reference";
  bool json = false;
};

Result<std::unique_ptr<devices::Device>> MakeEngine(const std::string& name) {
  if (name == "reference") return std::unique_ptr<devices::Device>(new devices::ReferenceDevice());
  return Status::Error("--engine '" + name + "' is not available in this build (engines: reference)");
}

int Run(const RunArgs& a) {
  auto g = LoadModel(a.model, a.batch);
  if (!g.ok()) return Fail("run", g.status());
  auto inputs = LoadInputs(*g, a.inputs, a.batch);
  if (!inputs.ok()) return Fail("run", inputs.status());
  Status s = FillRandomInputs(*g, a.batch, a.seed, &*inputs);
  if (!s.ok()) return Fail("run", s);
  auto dev = MakeEngine(a.engine);
  if (!dev.ok()) return Fail("run", dev.status());
  auto graph = std::make_shared<const Graph>(std::move(g).value());
  s = (*dev)->Prepare(graph);
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
  j["model"] = a.model;
  j["engine"] = (*dev)->name();
  j["clock"] = "host";
  j["repeat"] = a.repeat;
  j["latency_ms"] = {{"median", Median(ms)}, {"min", *std::min_element(ms.begin(), ms.end())},
                     {"max", *std::max_element(ms.begin(), ms.end())}};
  nlohmann::json ins = nlohmann::json::object();
  for (const auto& [name, t] : *inputs) ins[name] = {{"shape", t.dims()}, {"dtype", DTypeName(t.dtype())}};
  j["inputs"] = ins;
  nlohmann::json outs = nlohmann::json::object();
  for (ValueId v : graph->outputs()) outs[graph->value(v).name] = TensorSummary(outputs.at(graph->value(v).name));
  j["outputs"] = outs;
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << "model    " << a.model << "\nengine   " << (*dev)->name() << "\n";
  for (const auto& [name, t] : *inputs) std::cout << "input    " << name << " " << DTypeName(t.dtype()) << t.shape().ToString() << "\n";
  for (ValueId v : graph->outputs()) {
    const auto& o = outs[graph->value(v).name];
    const Tensor& t = outputs.at(graph->value(v).name);
    std::cout << "output   " << graph->value(v).name << " " << DTypeName(t.dtype()) << t.shape().ToString()
              << "  min " << o["min"].get<double>() << "  max " << o["max"].get<double>() << "  mean "
              << o["mean"].get<double>() << "\n";
  }
  std::cout << "latency  " << Median(ms) << " ms median over " << a.repeat << " run(s) [host clock]\n";
  return 0;
}

}  // namespace

void RegisterRun(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* c = app.add_subcommand("run", "Run a model on one engine and print its outputs and host latency");
  c->add_option("model", a->model, "ONNX model file")->required();
  c->add_option("--input,-i", a->inputs, "NAME=FILE.npy (repeatable); missing inputs are generated (seeded)");
  c->add_option("--output-dir,-o", a->output_dir, "Write each output as NAME.npy here");
  c->add_option("--batch,-b", a->batch, "Bind the symbolic batch dimension")->check(CLI::Range(int64_t{1}, int64_t{4096}));
  c->add_option("--repeat,-r", a->repeat, "Timed runs (median reported) after --warmup runs")->check(CLI::Range(1, 1000000));
  c->add_option("--warmup", a->warmup, "Untimed runs before timing when --repeat > 1")->check(CLI::Range(0, 1000));
  c->add_option("--seed", a->seed, "Seed of generated inputs");
  c->add_option("--engine,-e", a->engine, "Engine: reference");
  c->add_flag("--json", a->json, "Print one JSON object (see docs/cli.md)");
  c->callback([a, exit_code] { *exit_code = Run(*a); });
}

}  // namespace edgeinfer::apps
