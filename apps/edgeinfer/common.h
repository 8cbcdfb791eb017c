// Helpers shared by the CLI's subcommands: model loading, input parsing, JSON output.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "devices/device.h"
#include "graph/ir.h"
#include "graph/status.h"

namespace edgeinfer::apps {

// Imports an ONNX model; batch > 0 binds a symbolic leading dimension.
Result<Graph> LoadModel(const std::string& path, int64_t batch);
// Parses "name=file.npy" specs into tensors (errors name the spec and the rule).
Result<devices::TensorMap> LoadInputs(const Graph& g, const std::vector<std::string>& specs, int64_t batch);
// True when some graph input has a symbolic (dynamic) leading dimension.
bool HasSymbolicBatch(const Graph& g);
// The leading extent of the given inputs whose leading dim is symbolic in the graph (the first one
// found), or 1 when none is given.
int64_t BatchOfInputs(const Graph& g, const devices::TensorMap& inputs);
// Deterministic pseudo-random inputs (seeded by `seed` and the input's name) for every graph input
// not already in `given`. Float: uniform [-1, 1); integers: [0, 10). Symbolic dims take `batch`
// (1 when batch is 0).
Status FillRandomInputs(const Graph& g, int64_t batch, uint32_t seed, devices::TensorMap* given);
// Summary of a tensor for printing: shape, dtype, min/max/mean over finite values, first values.
nlohmann::json TensorSummary(const Tensor& t);
double Median(std::vector<double> v);
// Prints the error in the CLI's one-line form and returns 1 (for "return Fail(...)").
int Fail(const std::string& cmd, const Status& s);

}  // namespace edgeinfer::apps
