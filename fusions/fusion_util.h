// Helpers shared by the passes: use counts and the single-consumer guard, constant access, building
// constants, re-inferring a rewritten node, reading an activation node's parameters, and replacing
// a chain of nodes by one node. All functions are pure over the graph they are given.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "graph/ops/activation.h"
#include "graph/status.h"

namespace edgeinfer::fusions {

// Live nodes that read `v` (each once), in id order.
std::vector<NodeId> ConsumersOf(const Graph& g, ValueId v);
// Input slots of live nodes reading `v` plus graph-output uses.
int UseCount(const Graph& g, ValueId v);
// The guard "the value flows only into one node": empty when `v` has exactly one use, by one live
// node, and is not a graph output; otherwise the reason ("output 'x' has 2 consumers").
std::string SingleUseReason(const Graph& g, ValueId v);

// The constant tensor of `v`, or nullptr (absent input, or not a constant).
const Tensor* ConstantOf(const Graph& g, ValueId v);
// Float copy of any numeric tensor.
std::vector<float> ToFloats(const Tensor& t);
// Adds an FP32 constant named `name` (made unique).
ValueId AddFloatConstant(Graph& g, const std::string& name, std::vector<int64_t> dims, const std::vector<float>& data);

// Runs the op table's inference for node `id` and stores dtypes and shapes on its outputs.
Status InferAndStore(Graph& g, NodeId id);

// The activation computed by an ONNX activation node (Relu, LeakyRelu, Clip with constant or
// absent bounds, Sigmoid, Tanh, HardSigmoid, HardSwish). nullopt with *why set when it cannot be
// carried by a fused op.
std::optional<ops::ActParams> ActivationOf(const Graph& g, const Node& n, std::string* why);

// Marks `remove` dead and adds one node (op, name, inputs, outputs, attrs). The outputs are existing
// values (normally the last removed node's outputs), so consumers and names stay as they were.
NodeId ReplaceWithNode(Graph& g, const std::vector<NodeId>& remove, const std::string& op, const std::string& name,
                       std::vector<ValueId> inputs, std::vector<ValueId> outputs, Attributes attrs);

// Removes a pass-through node (output == input element for element): every use of `out` reads `in`
// instead; when `out` is a graph output, `in`'s producer writes `out` directly. False (nothing
// changed) when that is impossible (`in` is a graph input or constant and `out` a graph output).
bool BypassNode(Graph& g, NodeId id, ValueId in, ValueId out);

// Spatial rank of a conv/pool input ("NCHW" -> 2); -1 when unknown.
int SpatialRank(const Graph& g, ValueId x);

}  // namespace edgeinfer::fusions
