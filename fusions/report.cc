// The compile report: counting layers and printing what the passes did (text and JSON).
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fusions/pass.h"
#include "graph/op_table.h"

namespace edgeinfer::fusions {

bool IsLayer(const Node& n) {
  static const std::set<std::string> kNoOpReshapes = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"};
  if (!n.alive) return false;
  if (kNoOpReshapes.count(n.op)) return false;
  const OpDef* def = FindOp(n.op);
  if (def && def->op_class == OpClass::kSource) return false;
  if (n.op == "Constant") return false;
  return true;
}

int CountLayers(const Graph& g) {
  int c = 0;
  for (NodeId id : g.NodeIds()) c += IsLayer(g.node(id));
  return c;
}

std::map<std::string, int> CompileReport::CountByKind() const {
  std::map<std::string, int> m;
  for (const FusionRecord& f : fusions) ++m[f.kind];
  return m;
}

std::string CompileReport::ToText(bool verbose) const {
  std::ostringstream os;
  os << "model " << model << ", precision " << PrecisionName(precision) << "\n";
  os << "layers: " << layers_before << " -> " << layers_after << "   (nodes: " << nodes_before << " -> " << nodes_after
     << ")\n";
  os << "rewrites by kind:\n";
  for (const auto& [k, c] : CountByKind()) os << "  " << k << ": " << c << "\n";
  if (verbose) {
    os << "rewrites:\n";
    for (const FusionRecord& f : fusions) {
      os << "  [" << f.pass << "] " << f.kind << ": ";
      for (size_t i = 0; i < f.nodes.size(); ++i) os << (i ? " + " : "") << "'" << f.nodes[i] << "'";
      if (!f.result.empty()) os << " -> '" << f.result << "'";
      os << "\n";
    }
  }
  os << "refused (" << refusals.size() << "):\n";
  for (const Refusal& r : refusals) os << "  [" << r.pass << "] '" << r.node << "': " << r.reason << "\n";
  if (verbose) {
    os << "passes:\n";
    for (const PassStat& p : passes) {
      os << "  " << p.pass << ": " << p.nodes_after << " nodes, " << p.layers_after << " layers, " << p.ms << " ms\n";
    }
  }
  for (const std::string& n : notes) os << n << "\n";
  return os.str();
}

std::string CompileReport::ToJson() const {
  nlohmann::ordered_json j;
  j["model"] = model;
  j["precision"] = PrecisionName(precision);
  j["layers_before"] = layers_before;
  j["layers_after"] = layers_after;
  j["nodes_before"] = nodes_before;
  j["nodes_after"] = nodes_after;
  j["fusions_by_kind"] = CountByKind();
  nlohmann::ordered_json fs = nlohmann::ordered_json::array();
  for (const FusionRecord& f : fusions) fs.push_back({{"pass", f.pass}, {"kind", f.kind}, {"nodes", f.nodes}, {"result", f.result}});
  j["fusions"] = fs;
  nlohmann::ordered_json rs = nlohmann::ordered_json::array();
  for (const Refusal& r : refusals) rs.push_back({{"pass", r.pass}, {"node", r.node}, {"reason", r.reason}});
  j["refusals"] = rs;
  nlohmann::ordered_json ps = nlohmann::ordered_json::array();
  for (const PassStat& p : passes) {
    ps.push_back({{"pass", p.pass}, {"nodes_after", p.nodes_after}, {"layers_after", p.layers_after}, {"host_ms", p.ms}});
  }
  j["passes"] = ps;
  j["notes"] = notes;
  return j.dump(2);
}

}  // namespace edgeinfer::fusions
