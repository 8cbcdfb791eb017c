#include "fusions/fusion_util.h"

#include <algorithm>
#include <limits>

#include "graph/op_table.h"
#include "graph/shape_inference.h"

namespace edgeinfer::fusions {

std::vector<NodeId> ConsumersOf(const Graph& g, ValueId v) {
  std::vector<NodeId> out;
  for (NodeId id : g.NodeIds()) {
    const Node& n = g.node(id);
    if (std::find(n.inputs.begin(), n.inputs.end(), v) != n.inputs.end()) out.push_back(id);
  }
  return out;
}

int UseCount(const Graph& g, ValueId v) {
  int c = 0;
  for (NodeId id : g.NodeIds()) for (ValueId x : g.node(id).inputs) c += x == v;
  for (ValueId o : g.outputs()) c += o == v;
  return c;
}

std::string SingleUseReason(const Graph& g, ValueId v) {
  const std::string name = "output '" + g.value(v).name + "'";
  if (g.IsGraphOutput(v)) return name + " is a graph output";
  int uses = UseCount(g, v);
  if (uses != 1) return name + " has " + std::to_string(uses) + " consumers";
  return "";
}

const Tensor* ConstantOf(const Graph& g, ValueId v) {
  if (v == kNoValue) return nullptr;
  return g.value(v).constant.get();
}

std::vector<float> ToFloats(const Tensor& t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  if (t.dtype() == DType::kFloat32) {
    std::copy(t.data<float>(), t.data<float>() + t.numel(), out.begin());
  } else {
    for (int64_t i = 0; i < t.numel(); ++i) out[static_cast<size_t>(i)] = static_cast<float>(t.GetAsDouble(i));
  }
  return out;
}

ValueId AddFloatConstant(Graph& g, const std::string& name, std::vector<int64_t> dims, const std::vector<float>& data) {
  return g.AddConstant(name, Tensor::FromVector(DType::kFloat32, std::move(dims), data));
}

Status InferAndStore(Graph& g, NodeId id) { return InferAndStoreNode(g, id); }

std::optional<ops::ActParams> ActivationOf(const Graph& g, const Node& n, std::string* why) {
  using ops::ActKind;
  ops::ActParams p;
  if (n.op == "Relu") {
    p.kind = ActKind::kRelu;
  } else if (n.op == "LeakyRelu") {
    p.kind = ActKind::kLeakyRelu;
    p.alpha = n.attrs.GetFloat("alpha", 0.01f);
  } else if (n.op == "Sigmoid") {
    p.kind = ActKind::kSigmoid;
  } else if (n.op == "Tanh") {
    p.kind = ActKind::kTanh;
  } else if (n.op == "HardSigmoid") {
    p.kind = ActKind::kHardSigmoid;
    p.alpha = n.attrs.GetFloat("alpha", 0.2f);
    p.beta = n.attrs.GetFloat("beta", 0.5f);
  } else if (n.op == "HardSwish") {
    p.kind = ActKind::kHardSwish;
  } else if (n.op == "Clip") {
    p.kind = ActKind::kClip;
    p.min = -std::numeric_limits<float>::infinity();
    p.max = std::numeric_limits<float>::infinity();
    for (size_t i = 1; i < n.inputs.size() && i < 3; ++i) {
      if (n.inputs[i] == kNoValue) continue;
      const Tensor* t = ConstantOf(g, n.inputs[i]);
      if (!t || t->numel() != 1) {
        *why = "Clip bound (input " + std::to_string(i) + ") is not a constant scalar";
        return std::nullopt;
      }
      (i == 1 ? p.min : p.max) = static_cast<float>(t->GetAsDouble(0));
    }
  } else {
    *why = n.op + " is not an activation a fused op carries";
    return std::nullopt;
  }
  return p;
}

NodeId ReplaceWithNode(Graph& g, const std::vector<NodeId>& remove, const std::string& op, const std::string& name,
                       std::vector<ValueId> inputs, std::vector<ValueId> outputs, Attributes attrs) {
  for (NodeId id : remove) g.RemoveNode(id);
  return g.AddNode(op, name, std::move(inputs), std::move(outputs), std::move(attrs));
}

bool BypassNode(Graph& g, NodeId id, ValueId in, ValueId out) {
  if (!g.IsGraphOutput(out)) {
    g.RemoveNode(id);
    g.ReplaceAllUses(out, in);
    return true;
  }
  NodeId p = g.value(in).producer;
  if (p == kNoNode || g.IsGraphOutput(in)) return false;
  // `in`'s producer writes `out` (keeping the graph output's name); other readers of `in` read `out`.
  g.RemoveNode(id);
  g.ReplaceAllUses(in, out);
  Node& pn = g.node(p);
  for (ValueId& o : pn.outputs) if (o == in) o = out;
  g.value(out).producer = p;
  g.value(in).producer = kNoNode;
  return true;
}

int SpatialRank(const Graph& g, ValueId x) {
  const Shape& s = g.value(x).shape;
  return s.rank() >= 3 ? static_cast<int>(s.rank()) - 2 : -1;
}

}  // namespace edgeinfer::fusions
