// The device seam (STYLE rule 3): every engine answers "can you run this node, and if not, why?",
// prepares once (weights packed, primitives built) and then launches many times.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "graph/ir.h"
#include "graph/status.h"
#include "graph/tensor.h"

namespace edgeinfer::devices {

using TensorMap = std::map<std::string, Tensor>;

struct Support {
  bool ok = true;
  std::string reason;   // why not, in words a user can read; empty when ok
  static Support Yes() { return {}; }
  static Support No(std::string why) { return {false, std::move(why)}; }
};

// Called after each node with its outputs (host memory); used by per-layer accuracy and debugging.
using LayerCallback = std::function<void(const Graph& g, NodeId id, const std::vector<const Tensor*>& outputs)>;

class Device {
 public:
  virtual ~Device() = default;
  virtual std::string name() const = 0;
  virtual Support Supports(const Graph& g, NodeId id) const = 0;
  // Takes a shared, immutable graph (weights are shared, never copied). Validates everything a
  // user can get wrong so Launch only asserts.
  virtual Status Prepare(std::shared_ptr<const Graph> graph) = 0;
  // Runs the prepared graph on named inputs; outputs by graph output name. May return before the
  // work is done on asynchronous devices; Sync() waits. Not thread-safe per instance.
  virtual Status Launch(const TensorMap& inputs, TensorMap* outputs) = 0;
  virtual Status Sync() = 0;
};

// Checks named inputs against the graph's inputs: every input given, no unknown names, dtypes
// equal, static dims equal (symbolic dims take any extent), optionally all values finite.
Status ValidateInputs(const Graph& g, const TensorMap& inputs, bool reject_non_finite);

}  // namespace edgeinfer::devices
