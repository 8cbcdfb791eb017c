// Shape and type inference over a whole graph, through the op table.
#pragma once
#include <optional>

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
// VerifyStructure + every op known + stored dtypes/shapes agree with a fresh inference.
Status VerifyGraph(const Graph& g);

// The value of a Shape or Size node whose input shape is static (Shape's start/end applied), or
// nothing: other ops, or a dynamic input. What the importer and the folding passes turn into a constant.
std::optional<Tensor> StaticShapeValue(const Graph& g, const Node& n);

}  // namespace edgeinfer
