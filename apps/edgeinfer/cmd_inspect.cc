// edgeinfer inspect MODEL: inputs, outputs, op histogram, parameters and MACs of a model.
#include <iomanip>
#include <iostream>

#include "apps/edgeinfer/commands.h"
#include "apps/edgeinfer/common.h"
#include "graph/model_stats.h"
#include "runtime/engine_file.h"

namespace edgeinfer::apps {

namespace {

struct InspectArgs {
  std::string model;
  int64_t batch = 0;
  bool json = false;
  bool layers = false;
  std::string dump;   // "text" or "dot"
};

nlohmann::json ValueJson(const Value& v) {
  nlohmann::json dims = nlohmann::json::array();
  for (size_t i = 0; i < v.shape.rank(); ++i) {
    if (v.shape.dims[i] >= 0) {
      dims.push_back(v.shape.dims[i]);
    } else {
      dims.push_back(i < v.shape.symbols.size() && !v.shape.symbols[i].empty() ? v.shape.symbols[i] : "?");
    }
  }
  return {{"name", v.name}, {"dtype", DTypeName(v.dtype)}, {"shape", dims}};
}

int Inspect(const InspectArgs& a) {
  // An engine file (compile -o X.plan): its summary (options, graph, partition, memory plans,
  // predicted time), then the usual report on its compiled graph.
  Result<Graph> g = Status::Error("no model");
  if (a.model.size() > 5 && a.model.compare(a.model.size() - 5, 5, ".plan") == 0) {
    auto e = runtime::ReadEngineFile(a.model);
    if (!e.ok()) return Fail("inspect", e.status());
    if (!a.json && a.dump.empty()) std::cout << runtime::DescribeEngine(*e);
    g = std::move(e->graph);
  } else {
    g = LoadModel(a.model, a.batch);
  }
  if (!g.ok()) return Fail("inspect", g.status());
  if (a.dump == "text") { std::cout << g->DumpText(); return 0; }
  if (a.dump == "dot") { std::cout << g->DumpDot(); return 0; }
  ModelStatsOptions so;
  so.dynamic_extent = a.batch > 0 ? a.batch : 1;
  auto st = ComputeModelStats(*g, so);
  if (!st.ok()) return Fail("inspect", st.status());
  nlohmann::json j;
  j["model"] = a.model;
  j["graph"] = g->name;
  j["opset"] = g->opset;
  j["inputs"] = nlohmann::json::array();
  for (ValueId v : g->inputs()) j["inputs"].push_back(ValueJson(g->value(v)));
  j["outputs"] = nlohmann::json::array();
  for (ValueId v : g->outputs()) j["outputs"].push_back(ValueJson(g->value(v)));
  j["nodes"] = st->num_nodes;
  j["op_histogram"] = st->op_histogram;
  j["params"] = st->params;
  j["param_bytes"] = st->param_bytes;
  j["macs"] = st->macs;
  j["batch_assumed"] = st->dynamic_extent;
  j["activation_bytes"] = st->activation_bytes;
  if (a.layers) {
    j["layers"] = nlohmann::json::array();
    for (const NodeStats& n : st->nodes) {
      j["layers"].push_back({{"name", n.name}, {"op", n.op}, {"macs", n.macs}, {"params", n.params}, {"output_bytes", n.output_bytes}});
    }
  }
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << "model   " << a.model << " (graph '" << g->name << "', opset " << g->opset << ")\n";
  for (ValueId v : g->inputs()) std::cout << "input   " << g->value(v).name << " " << DTypeName(g->value(v).dtype) << g->value(v).shape.ToString() << "\n";
  for (ValueId v : g->outputs()) std::cout << "output  " << g->value(v).name << " " << DTypeName(g->value(v).dtype) << g->value(v).shape.ToString() << "\n";
  std::cout << FormatModelStats(*st);
  if (a.layers) {
    std::cout << "layers (MACs at batch " << st->dynamic_extent << "):\n";
    for (const NodeStats& n : st->nodes) {
      std::cout << "  " << std::left << std::setw(20) << n.op << std::setw(40) << n.name << std::right << std::setw(14) << n.macs << "\n";
    }
  }
  return 0;
}

}  // namespace

void RegisterInspect(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<InspectArgs>();
  CLI::App* c = app.add_subcommand("inspect", "Show a model's inputs, outputs, op histogram, parameters and MACs");
  c->add_option("model", a->model, "ONNX model file")->required();
  c->add_option("--batch,-b", a->batch, "Bind the symbolic batch dimension (MACs are counted at this batch)")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  c->add_flag("--layers", a->layers, "List every layer with its MACs");
  c->add_option("--dump", a->dump, "Print the imported IR instead: text or dot")->check(CLI::IsMember({"text", "dot"}));
  c->add_flag("--json", a->json, "Print one JSON object (see docs/cli.md)");
  c->callback([a, exit_code] { *exit_code = Inspect(*a); });
}

}  // namespace edgeinfer::apps
