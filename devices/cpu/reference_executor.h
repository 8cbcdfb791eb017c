// The reference executor: runs a graph node by node through the op table's naive FP32 reference
// kernels. It is the golden every other device is tested against; speed is not its job.
// Shapes are re-inferred from the actual inputs, so any batch size runs.
#pragma once
#include "devices/device.h"

namespace edgeinfer::devices {

struct ReferenceOptions {
  bool reject_non_finite_inputs = true;
  LayerCallback on_layer;   // optional
};

// Runs `g` on `inputs` (validated first) and returns the graph outputs by name.
Result<TensorMap> RunReference(const Graph& g, const TensorMap& inputs, const ReferenceOptions& opts = {});

class ReferenceDevice : public Device {
 public:
  std::string name() const override { return "cpu-reference"; }
  Support Supports(const Graph& g, NodeId id) const override;
  Status Prepare(std::shared_ptr<const Graph> graph) override;
  Status Launch(const TensorMap& inputs, TensorMap* outputs) override;
  Status Sync() override { return Status::Ok(); }

 private:
  std::shared_ptr<const Graph> graph_;
};

}  // namespace edgeinfer::devices
