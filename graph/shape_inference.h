// Shape and type inference over a whole graph, through the op table.
#pragma once
#include <optional>
#include <vector>

#include "graph/ir.h"
#include "graph/op_table.h"
#include "graph/status.h"

namespace edgeinfer {

// Builds the InferContext of a node from the graph's value info (constant values included).
InferContext MakeInferContext(const Graph& g, const Node& n);
// Checks arity against the table and runs the op's inference.
Status InferNode(const OpDef& def, InferContext& ctx);
// Infers one node from its inputs' stored dtypes/shapes and stores the results on its outputs.
// Symbolic names survive: an output keeps the names it had when inference gives none and the rank
// is unchanged; otherwise a dynamic leading dim takes input 0's leading symbol ("N").
Status InferAndStoreNode(Graph& g, NodeId id);
// Infers every node in topological order and stores the results on the output values.
// Fails on the first unknown op, arity error or inference error (message names the node).
Status InferShapes(Graph& g);
// One value's dtype and concrete dims at a binding of the graph inputs (InferShapesAt).
struct BoundShape {
  bool known = false;   // false: a dead value, or an absent one
  DType dtype = DType::kUndefined;
  std::vector<int64_t> dims;
};
// Shapes at one binding: every value's dtype and dims when the graph inputs have `input_dims` (one
// per graph input, in order; the inputs' own dtypes), through the op table, without changing the
// graph (constants keep theirs). What a device needs at one batch size. Indexed by ValueId. Fails
// naming the node when an output shape is not static at this binding (e.g. a Reshape whose target
// shape is computed at run time), or when the number of input shapes is wrong.
Result<std::vector<BoundShape>> InferShapesAt(const Graph& g, const std::vector<std::vector<int64_t>>& input_dims);

// VerifyStructure + every op known + stored dtypes/shapes agree with a fresh inference.
Status VerifyGraph(const Graph& g);

// The value of a Shape or Size node whose input shape is static (Shape's start/end applied), or
// nothing: other ops, or a dynamic input. What the importer and the folding passes turn into a constant.
std::optional<Tensor> StaticShapeValue(const Graph& g, const Node& n);

}  // namespace edgeinfer
