// ONNX import: reads an ONNX ModelProto (opsets 7 to 17, default domain; opsets 1-6 read as 7 when
// their ops are unchanged or in a form NormaliseLegacy rewrites) into a Graph.
// Nodes of the domain "edgeinfer" (fused ops written by ExportOnnx) are read back too.
//
// Steps (onnx_import.cc):
//   1. parse the protobuf (any parse failure, a missing graph or opset is an error, never a crash);
//   2. list EVERY unsupported op at once, with node names; check the opset (an opset below 7 is
//      read as 7 when every op it uses is unchanged between the two, per ONNX's schema registry,
//      or changed in one of the ways step 5 rewrites: consumed_inputs, legacy broadcast/axis,
//      is_test, PRelu's per-channel slope, Concat's default axis, Reshape-1's shape attribute,
//      Cast-1's type name, Pad-1's paddings; anything else is an error naming the op and node);
//   3. load weights: initializers (raw_data or typed fields, external data files), Constant nodes;
//   4. build values and nodes (undefined input names, duplicate producers are errors), find a
//      topological order (a cycle is an error);
//   5. walk the nodes in that order: bring opset-1..6 forms to opset 7 (legacy broadcasting
//      becomes NumPy broadcasting by reshaping B, or an Unsqueeze when B is not constant), then
//      normalise older opset forms to the canonical forms of
//      helpers/RULES.md (Clip/Slice/Squeeze/Unsqueeze/Split/Pad/ReduceSum attributes and TopK-1's
//      k become constant inputs named after the node; the other Reduce ops keep their axes
//      attribute, their opset-13 form; RoiAlign < 16 names its output_half_pixel coordinates;
//      Upsample and Resize-10 become Resize-11+, old
//      BatchNormalization/Dropout attributes and unused extra outputs are dropped, Softmax < 13
//      gets opset-13 semantics), infer the node's outputs, and fold it to a constant when all its
//      inputs are constant (never Q/DQ, never outputs above 16 MiB); Shape/Size of a static
//      shape fold too, so exporter shape chains collapse into constant inputs;
//   6. compact, InferShapes, VerifyGraph.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "graph/status.h"

namespace edgeinfer {

struct ImportOptions {
  // Replaces the declared shape of the named graph inputs (same rank required; kDynamic allowed).
  // Naming an input the model does not have is an error.
  std::map<std::string, std::vector<int64_t>> input_shapes;
  // If > 0, the leading dim of every graph input that is symbolic or unknown becomes this value.
  int64_t batch = 0;
  // Evaluate nodes whose inputs are all constant once at import (see step 5 above).
  bool fold_constants = true;
};

// Imports the model at `path`. External data files are looked up relative to the model's folder.
// The returned Graph owns everything (weights are shared immutable tensors; nothing refers to the
// file afterwards). Errors (missing/truncated/non-ONNX file, unsupported opset or ops, undefined
// names, cycles, dtype/shape mismatches, missing external data) come back as a Status whose
// message starts with "model '<file name>': " and names the element and the rule; unsupported
// ops come as one list, in order of first use: "model 'x.onnx' has 3 unsupported ops: TopK (nodes
// 'tk1', 'tk2'), NonMaxSuppression (node 'nms1')" (other domains as "ai.onnx.ml.Normalizer").
// Thread-safe: no shared state.
Result<Graph> ImportOnnx(const std::string& path, const ImportOptions& opts = {});

// Same, from the serialized ModelProto in `bytes`; `base_dir` is where external data is looked up
// ("" = current directory). Messages name the model by its graph name.
Result<Graph> ImportOnnxFromBytes(const std::string& bytes, const std::string& base_dir,
                                  const ImportOptions& opts = {});

}  // namespace edgeinfer
