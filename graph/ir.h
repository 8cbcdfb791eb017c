// The graph IR: typed values, nodes with attributes, weights as shared immutable tensors.
//
// Ids are dense indices assigned in insertion order, so dumps of the same model diff cleanly.
// Removing a node marks it dead; Compact() drops dead nodes and unused values and renumbers
// everything in topological order (again deterministic). Every node and value keeps its ONNX name:
// error messages and --explain use it.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "graph/attributes.h"
#include "graph/shape.h"
#include "graph/status.h"
#include "graph/tensor.h"

namespace edgeinfer {

using ValueId = int32_t;
using NodeId = int32_t;
constexpr ValueId kNoValue = -1;   // an absent optional input
constexpr NodeId kNoNode = -1;

struct Value {
  ValueId id = kNoValue;
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
  std::optional<QuantParams> quant;   // set by quantization / Q-DQ import
  TensorPtr constant;                 // non-null for weights and folded constants
  NodeId producer = kNoNode;          // kNoNode for graph inputs and constants
  bool IsConstant() const { return constant != nullptr; }
};

struct Node {
  NodeId id = kNoNode;
  std::string name;      // ONNX node name (made unique at import when empty or repeated)
  std::string op;        // ONNX op type, or a fused op name ("ConvBiasActPool")
  Attributes attrs;
  std::vector<ValueId> inputs;   // kNoValue for an absent optional input
  std::vector<ValueId> outputs;
  std::string engine;    // set by the partitioner; empty before
  bool alive = true;
};

class Graph {
 public:
  std::string name;
  int64_t opset = 17;
  // Compiler facts about the whole network that engines must honour, e.g. "io_format" = "int8"
  // (fusions/int8_io.cc: int8 network I/O in the DLA/GPU-shared INT8 layout). Kept in engine files.
  std::map<std::string, std::string> metadata;

  // Adds a value; names must be unique (a suffix is added when taken). Returns its id.
  ValueId AddValue(const std::string& name, DType dtype, Shape shape);
  ValueId AddConstant(const std::string& name, TensorPtr data);
  ValueId AddConstant(const std::string& name, Tensor data) {
    return AddConstant(name, std::make_shared<const Tensor>(std::move(data)));
  }
  NodeId AddNode(const std::string& op, const std::string& name, std::vector<ValueId> inputs,
                 std::vector<ValueId> outputs, Attributes attrs = {});
  // Marks a node dead and clears its outputs' producer links (the values stay until Compact).
  void RemoveNode(NodeId id);
  // Gives value `id` a new name (its old name becomes free). Error when another value has it.
  Status RenameValue(ValueId id, const std::string& name);
  // Rewires every consumer and graph output from `from` to `to`.
  void ReplaceAllUses(ValueId from, ValueId to);

  Value& value(ValueId id) { return values_[static_cast<size_t>(id)]; }
  const Value& value(ValueId id) const { return values_[static_cast<size_t>(id)]; }
  Node& node(NodeId id) { return nodes_[static_cast<size_t>(id)]; }
  const Node& node(NodeId id) const { return nodes_[static_cast<size_t>(id)]; }
  size_t num_values() const { return values_.size(); }
  size_t num_node_slots() const { return nodes_.size(); }
  // Ids of live nodes in insertion order.
  std::vector<NodeId> NodeIds() const;
  size_t NumLiveNodes() const;
  std::optional<ValueId> FindValue(const std::string& name) const;
  std::optional<NodeId> FindNode(const std::string& name) const;

  std::vector<ValueId>& inputs() { return inputs_; }
  const std::vector<ValueId>& inputs() const { return inputs_; }
  std::vector<ValueId>& outputs() { return outputs_; }
  const std::vector<ValueId>& outputs() const { return outputs_; }
  bool IsGraphOutput(ValueId v) const;

  // For each value, the live nodes that read it (in node order).
  std::vector<std::vector<NodeId>> ConsumerMap() const;
  // Live nodes in a topological order (stable: ties broken by id). Error names a node on a cycle.
  Result<std::vector<NodeId>> TopoOrder() const;
  // Drops dead nodes and values nothing uses, renumbers in topological order. Fails on a cycle.
  Status Compact();

  // Structural checks: unique names, inputs defined (graph input, constant or produced), a single
  // producer per value, no cycles, outputs produced. Shape/dtype agreement is checked by
  // VerifyGraph() in shape_inference.h, which re-runs inference.
  Status VerifyStructure() const;

  // Text dump: one line per node "%id op 'name' (in...) -> (out...) {attrs}" plus values.
  std::string DumpText() const;
  // Graphviz DOT dump.
  std::string DumpDot() const;

  // "Conv 'layer3.0.conv2'" for messages.
  std::string Label(NodeId id) const;

 private:
  std::vector<Value> values_;
  std::vector<Node> nodes_;
  std::vector<ValueId> inputs_;
  std::vector<ValueId> outputs_;
  std::unordered_map<std::string, ValueId> value_by_name_;
};

}  // namespace edgeinfer
