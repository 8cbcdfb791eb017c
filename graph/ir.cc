#include "graph/ir.h"

#include <algorithm>
#include <queue>
#include <sstream>

namespace edgeinfer {

ValueId Graph::AddValue(const std::string& name, DType dtype, Shape shape) {
  std::string n = name;
  for (int k = 1; n.empty() || value_by_name_.count(n); ++k) n = (name.empty() ? "v" : name) + "_" + std::to_string(k);
  Value v;
  v.id = static_cast<ValueId>(values_.size());
  v.name = n;
  v.dtype = dtype;
  v.shape = std::move(shape);
  value_by_name_[n] = v.id;
  values_.push_back(std::move(v));
  return values_.back().id;
}

Status Graph::RenameValue(ValueId id, const std::string& name) {
  if (id < 0 || static_cast<size_t>(id) >= values_.size()) return Status::Error("RenameValue: no value " + std::to_string(id));
  auto it = value_by_name_.find(name);
  if (it != value_by_name_.end() && it->second != id) return Status::Error("RenameValue: '" + name + "' names another value");
  value_by_name_.erase(values_[static_cast<size_t>(id)].name);
  values_[static_cast<size_t>(id)].name = name;
  value_by_name_[name] = id;
  return Status::Ok();
}

ValueId Graph::AddConstant(const std::string& name, TensorPtr data) {
  ValueId id = AddValue(name, data->dtype(), data->shape());
  values_[static_cast<size_t>(id)].constant = std::move(data);
  return id;
}

NodeId Graph::AddNode(const std::string& op, const std::string& name, std::vector<ValueId> inputs,
                      std::vector<ValueId> outputs, Attributes attrs) {
  Node n;
  n.id = static_cast<NodeId>(nodes_.size());
  n.name = name.empty() ? op + "_" + std::to_string(n.id) : name;
  n.op = op;
  n.attrs = std::move(attrs);
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  for (ValueId o : n.outputs) values_[static_cast<size_t>(o)].producer = n.id;
  nodes_.push_back(std::move(n));
  return nodes_.back().id;
}

void Graph::RemoveNode(NodeId id) {
  Node& n = node(id);
  n.alive = false;
  for (ValueId o : n.outputs) {
    if (value(o).producer == id) value(o).producer = kNoNode;
  }
}

void Graph::ReplaceAllUses(ValueId from, ValueId to) {
  for (Node& n : nodes_) {
    if (!n.alive) continue;
    for (ValueId& v : n.inputs) if (v == from) v = to;
  }
  for (ValueId& v : outputs_) if (v == from) v = to;
}

std::vector<NodeId> Graph::NodeIds() const {
  std::vector<NodeId> ids;
  for (const Node& n : nodes_) if (n.alive) ids.push_back(n.id);
  return ids;
}

size_t Graph::NumLiveNodes() const {
  size_t c = 0;
  for (const Node& n : nodes_) c += n.alive;
  return c;
}

std::optional<ValueId> Graph::FindValue(const std::string& name) const {
  auto it = value_by_name_.find(name);
  if (it == value_by_name_.end()) return std::nullopt;
  return it->second;
}

std::optional<NodeId> Graph::FindNode(const std::string& name) const {
  for (const Node& n : nodes_) if (n.alive && n.name == name) return n.id;
  return std::nullopt;
}

bool Graph::IsGraphOutput(ValueId v) const {
  return std::find(outputs_.begin(), outputs_.end(), v) != outputs_.end();
}

std::vector<std::vector<NodeId>> Graph::ConsumerMap() const {
  std::vector<std::vector<NodeId>> m(values_.size());
  for (const Node& n : nodes_) {
    if (!n.alive) continue;
    for (ValueId v : n.inputs) {
      if (v == kNoValue) continue;
      auto& list = m[static_cast<size_t>(v)];
      if (list.empty() || list.back() != n.id) list.push_back(n.id);
    }
  }
  return m;
}

Result<std::vector<NodeId>> Graph::TopoOrder() const {
  // Kahn's algorithm with a min-heap on node id, so the order is deterministic and stays close to
  // the order the nodes were written in.
  std::vector<int> indeg(nodes_.size(), 0);
  auto consumers = ConsumerMap();
  for (const Node& n : nodes_) {
    if (!n.alive) continue;
    std::vector<NodeId> preds;
    for (ValueId v : n.inputs) {
      if (v == kNoValue) continue;
      NodeId p = value(v).producer;
      if (p != kNoNode && node(p).alive) preds.push_back(p);
    }
    std::sort(preds.begin(), preds.end());
    preds.erase(std::unique(preds.begin(), preds.end()), preds.end());
    indeg[static_cast<size_t>(n.id)] = static_cast<int>(preds.size());
  }
  std::priority_queue<NodeId, std::vector<NodeId>, std::greater<NodeId>> ready;
  for (const Node& n : nodes_) if (n.alive && indeg[static_cast<size_t>(n.id)] == 0) ready.push(n.id);
  std::vector<NodeId> order;
  std::vector<char> done(nodes_.size(), 0);
  while (!ready.empty()) {
    NodeId id = ready.top();
    ready.pop();
    order.push_back(id);
    done[static_cast<size_t>(id)] = 1;
    std::vector<NodeId> succ;
    for (ValueId o : node(id).outputs) {
      for (NodeId c : consumers[static_cast<size_t>(o)]) succ.push_back(c);
    }
    std::sort(succ.begin(), succ.end());
    succ.erase(std::unique(succ.begin(), succ.end()), succ.end());
    for (NodeId c : succ) {
      if (--indeg[static_cast<size_t>(c)] == 0) ready.push(c);
    }
  }
  if (order.size() != NumLiveNodes()) {
    for (const Node& n : nodes_) {
      if (n.alive && !done[static_cast<size_t>(n.id)]) {
        return Status::Error("graph has a cycle: " + Label(n.id) + " depends (directly or not) on its own output");
      }
    }
  }
  return order;
}

Status Graph::Compact() {
  EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, TopoOrder());
  // Values in use: graph inputs, outputs, and node inputs/outputs of live nodes.
  std::vector<ValueId> new_value_id(values_.size(), kNoValue);
  std::vector<Value> values;
  auto keep = [&](ValueId v) {
    if (v == kNoValue || new_value_id[static_cast<size_t>(v)] != kNoValue) return;
    new_value_id[static_cast<size_t>(v)] = static_cast<ValueId>(values.size());
    values.push_back(values_[static_cast<size_t>(v)]);
  };
  for (ValueId v : inputs_) keep(v);
  for (NodeId id : order) {
    for (ValueId v : node(id).inputs) keep(v);
    for (ValueId v : node(id).outputs) keep(v);
  }
  for (ValueId v : outputs_) keep(v);
  std::vector<Node> nodes;
  for (NodeId id : order) {
    Node n = node(id);
    n.id = static_cast<NodeId>(nodes.size());
    for (ValueId& v : n.inputs) if (v != kNoValue) v = new_value_id[static_cast<size_t>(v)];
    for (ValueId& v : n.outputs) v = new_value_id[static_cast<size_t>(v)];
    nodes.push_back(std::move(n));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    values[i].id = static_cast<ValueId>(i);
    values[i].producer = kNoNode;
  }
  for (const Node& n : nodes) for (ValueId v : n.outputs) values[static_cast<size_t>(v)].producer = n.id;
  for (ValueId& v : inputs_) v = new_value_id[static_cast<size_t>(v)];
  for (ValueId& v : outputs_) v = new_value_id[static_cast<size_t>(v)];
  values_ = std::move(values);
  nodes_ = std::move(nodes);
  value_by_name_.clear();
  for (const Value& v : values_) value_by_name_[v.name] = v.id;
  return Status::Ok();
}

Status Graph::VerifyStructure() const {
  std::vector<char> is_input(values_.size(), 0);
  for (ValueId v : inputs_) {
    if (v < 0 || static_cast<size_t>(v) >= values_.size()) return Status::Error("graph input id out of range");
    is_input[static_cast<size_t>(v)] = 1;
  }
  std::vector<NodeId> producer(values_.size(), kNoNode);
  std::unordered_map<std::string, NodeId> names;
  for (const Node& n : nodes_) {
    if (!n.alive) continue;
    if (!names.emplace(n.name, n.id).second) {
      return Status::Error(Label(n.id) + ": node name is not unique (rule: every node has a unique name)");
    }
    for (ValueId o : n.outputs) {
      if (o < 0 || static_cast<size_t>(o) >= values_.size()) return Status::Error(Label(n.id) + ": output id out of range");
      if (producer[static_cast<size_t>(o)] != kNoNode) {
        return Status::Error(Label(n.id) + ": output '" + value(o).name + "' is also produced by " +
                             Label(producer[static_cast<size_t>(o)]) + " (rule: one producer per value)");
      }
      if (is_input[static_cast<size_t>(o)] || value(o).IsConstant()) {
        return Status::Error(Label(n.id) + ": output '" + value(o).name + "' is a graph input or constant");
      }
      producer[static_cast<size_t>(o)] = n.id;
    }
  }
  for (const Node& n : nodes_) {
    if (!n.alive) continue;
    for (ValueId v : n.inputs) {
      if (v == kNoValue) continue;
      if (v < 0 || static_cast<size_t>(v) >= values_.size()) return Status::Error(Label(n.id) + ": input id out of range");
      if (!is_input[static_cast<size_t>(v)] && !value(v).IsConstant() && producer[static_cast<size_t>(v)] == kNoNode) {
        return Status::Error(Label(n.id) + ": input '" + value(v).name +
                             "' is dangling (rule: every input is a graph input, an initializer or a node output)");
      }
    }
  }
  for (ValueId v : outputs_) {
    if (!is_input[static_cast<size_t>(v)] && !value(v).IsConstant() && producer[static_cast<size_t>(v)] == kNoNode) {
      return Status::Error("graph output '" + value(v).name + "' is not produced by any node");
    }
  }
  auto order = TopoOrder();
  if (!order.ok()) return order.status();
  return Status::Ok();
}

std::string Graph::Label(NodeId id) const {
  const Node& n = node(id);
  return n.op + " '" + n.name + "'";
}

std::string Graph::DumpText() const {
  std::ostringstream os;
  os << "graph '" << name << "' opset " << opset << "\n";
  for (ValueId v : inputs_) {
    os << "  input %" << v << " '" << value(v).name << "' " << DTypeName(value(v).dtype) << value(v).shape.ToString() << "\n";
  }
  size_t nconst = 0;
  for (const Value& v : values_) nconst += v.IsConstant();
  os << "  constants: " << nconst << "\n";
  auto order = TopoOrder();
  std::vector<NodeId> ids = order.ok() ? order.value() : NodeIds();
  for (NodeId id : ids) {
    const Node& n = node(id);
    os << "  #" << n.id << " " << n.op << " '" << n.name << "' (";
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (i) os << ", ";
      if (n.inputs[i] == kNoValue) { os << "-"; continue; }
      const Value& v = value(n.inputs[i]);
      os << (v.IsConstant() ? "$" : "%") << v.id;
    }
    os << ") -> (";
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      const Value& v = value(n.outputs[i]);
      os << (i ? ", " : "") << "%" << v.id << " " << DTypeName(v.dtype) << v.shape.ToString();
    }
    os << ")";
    std::string a = n.attrs.ToString();
    if (!a.empty()) os << " {" << a << "}";
    if (!n.engine.empty()) os << " @" << n.engine;
    os << "\n";
  }
  for (ValueId v : outputs_) {
    os << "  output %" << v << " '" << value(v).name << "' " << DTypeName(value(v).dtype) << value(v).shape.ToString() << "\n";
  }
  return os.str();
}

std::string Graph::DumpDot() const {
  auto esc = [](const std::string& s) {
    std::string r;
    for (char c : s) { if (c == '"' || c == '\\') r += '\\'; r += c; }
    return r;
  };
  std::ostringstream os;
  os << "digraph \"" << esc(name) << "\" {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n";
  for (ValueId v : inputs_) os << "  v" << v << " [shape=ellipse, label=\"" << esc(value(v).name) << "\\n" << value(v).shape.ToString() << "\"];\n";
  for (ValueId v : outputs_) os << "  v" << v << " [shape=ellipse, label=\"" << esc(value(v).name) << "\\n" << value(v).shape.ToString() << "\"];\n";
  for (NodeId id : NodeIds()) {
    const Node& n = node(id);
    os << "  n" << id << " [label=\"" << esc(n.op) << "\\n" << esc(n.name);
    if (!n.engine.empty()) os << "\\n@" << esc(n.engine);
    os << "\"];\n";
  }
  for (NodeId id : NodeIds()) {
    const Node& n = node(id);
    for (ValueId v : n.inputs) {
      if (v == kNoValue || value(v).IsConstant()) continue;
      NodeId p = value(v).producer;
      if (p != kNoNode) {
        os << "  n" << p << " -> n" << id << " [label=\"" << value(v).shape.ToString() << "\"];\n";
      } else {
        os << "  v" << v << " -> n" << id << ";\n";
      }
    }
  }
  for (ValueId v : outputs_) {
    if (value(v).producer != kNoNode) os << "  n" << value(v).producer << " -> v" << v << ";\n";
  }
  os << "}\n";
  return os.str();
}

}  // namespace edgeinfer
