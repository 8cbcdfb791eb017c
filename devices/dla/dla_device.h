// The functional DLA model: runs a DLA segment (a graph whose every node the capability rules
// accept) with exactly the INT8 arithmetic of graph/quant/int8_math.h and int8_kernels.h, so its
// results are bit-exact against the INT8 reference (devices::RunReference on the same graph).
// Its speed on the target is the timing model's job (devices/dla/timing_model.h), not this class's;
// this is the engine's numbers, computed for real on the host.
//
// How each node runs (plan built once in Prepare):
//   INT8 ConvBiasAct / ConvBiasActPool / ConvEltwiseAct: exact s32 accumulation, then the shared
//     requantization epilogue (int8::Epilogue): with oneDNN, the fast CPU path's Int8Conv (s8 x s8
//     -> s32 on NHWC, VNNI where present, plus its parallel RequantizeRows); without it (or with
//     DlaDeviceOptions::use_onednn = false) our own direct loops, parallel over output channels.
//     The fused pool runs int8::Pool2D, parallel over channels.
//   INT8 GemmBiasAct: exact s32 dot products parallel over output features, then the epilogue.
//   INT8 MaxPool: int8::Pool2D (same result as the reference's max), parallel over channels.
//   INT8 Relu: max(q, 0) at the same scale.
//   Data movement (Reshape, Flatten, Concat, Resize nearest, ...) and FP16 layers: the op table's
//     reference kernel (a byte copy, or FP16 defined as the FP32 chain rounded once), so they agree
//     with the reference by construction.
// Threads: our loops run on OpenMP when built with oneDNN (one pool with oneDNN's), else std::thread.
// Limits: static shapes only (the DLA has no dynamic shapes); 2-D convolutions and pools.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "devices/device.h"
#include "devices/soc/soc_profile.h"

namespace edgeinfer::devices {

struct DlaDeviceOptions {
  int num_threads = 0;      // 0: OpenMP's default (OMP_NUM_THREADS), else every core
  bool use_onednn = true;   // INT8 convolutions on the fast CPU path's Int8Conv when built with oneDNN
};

class DlaDevice : public Device {
 public:
  explicit DlaDevice(SocProfile soc, DlaDeviceOptions options = {});
  ~DlaDevice() override;
  std::string name() const override { return "dla(" + soc_.name + ")"; }
  // The capability rules of the profile (devices/dla/capability.h).
  Support Supports(const Graph& g, NodeId id) const override;
  // Every node must be supported (the error names the first that is not, with the reason); shapes
  // must be static. Builds the per-node plan (packed weights, epilogues, buffers).
  Status Prepare(std::shared_ptr<const Graph> graph) override;
  // Synchronous. Inputs are checked against the graph (names, dtypes, static dims).
  Status Launch(const TensorMap& inputs, TensorMap* outputs) override;
  Status Sync() override { return Status::Ok(); }

  // One line per node: how it runs (e.g. "int8 conv onednn:brgconv..." or "reference kernel").
  std::string Explain() const;
  int num_threads() const { return threads_; }

  struct Step;

 private:
  SocProfile soc_;
  DlaDeviceOptions options_;
  int threads_ = 1;
  std::shared_ptr<const Graph> graph_;
  std::vector<NodeId> order_;
  std::vector<std::unique_ptr<Step>> steps_;
  struct OneDnn;
  std::unique_ptr<OneDnn> dnnl_;
};

}  // namespace edgeinfer::devices
