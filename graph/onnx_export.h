// ONNX export: writes a Graph as a ModelProto (ir_version 8, opset g.opset).
//
// Constants become initializers (raw_data, little-endian), every intermediate value gets a
// value_info with its dtype and shape, symbolic dims are written as dim_param (an unnamed dynamic
// dim as a dim with neither value nor param). Ops that are not ONNX ops at g.opset (fused and
// internal ops) are written in the domain "edgeinfer" (opset 1), which ImportOnnx reads back.
// Known limit: Value::quant and Node::engine are not written (ONNX has no field for them).
#pragma once
#include <string>

#include "graph/ir.h"
#include "graph/status.h"

namespace edgeinfer {

// Serializes `g` (read only, not modified) to `path`. Errors: a cycle in `g`, a value of
// undefined dtype, a model over protobuf's 2 GiB limit, or an unwritable file. Thread-safe.
Status ExportOnnx(const Graph& g, const std::string& path);
// Same, returning the serialized ModelProto.
Result<std::string> ExportOnnxToBytes(const Graph& g);

}  // namespace edgeinfer
