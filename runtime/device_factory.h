// The one device factory: which implementation computes an engine class's numbers on this host.
// `edgeinfer run`, the session's functional executors and any tool that needs a Device call
// CreateDevice; nothing above runtime/ names a concrete device type.
//   kGpu: the CUDA executor (plugin, devices/cuda_plugin.h); an error "GPU engine unavailable: ..."
//         when there is no CUDA device, the plugin or its libraries.
//   kCpu: the fast oneDNN path, or the reference executor (the golden) when asked or when oneDNN is
//         not built.
//   kDla: the partitioned DLA executor: Prepare partitions the compiled graph on the profile, runs
//         the DLA segments on the functional DLA model (bit-exact INT8) and the fallback segments on
//         the CPU reference standing in for the fallback engine.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "devices/device.h"
#include "devices/engine_class.h"
#include "devices/soc/soc_profile.h"
#include "fusions/compile_for_device.h"
#include "graph/precision.h"
#include "runtime/partition.h"

namespace edgeinfer::runtime {

struct DeviceOptions {
  // kGpu: the precision float values are stored and computed in (kFp16 for an FP16 compile; kInt8
  // reads as kFp32: INT8 nodes run INT8 whatever this says).
  Precision float_precision = Precision::kFp32;
  bool int8_exact_epilogue = true;   // kGpu: bit-exact INT8 requantization (false: float scaling, within 1 LSB)
  bool reference = false;            // kCpu: the reference executor instead of the fast path
  int threads = 0;                   // kCpu fast path: worker threads (0 = every core)
  const devices::SocProfile* soc = nullptr;   // kDla: required (copied)
};

// Created, not prepared. Errors name the engine and why it cannot be made here.
Result<std::unique_ptr<devices::Device>> CreateDevice(EngineClass engine, const DeviceOptions& options = {});

// What the device CreateDevice(engine) makes asks of the compiler (devices/compile_caps.h): set it
// as CompileOptions::device when compiling a graph for that device alone (`edgeinfer run`).
fusions::DeviceCapabilities CompileCapabilities(EngineClass engine);

// Whether kCpu without `reference` gives the fast path in this build.
bool FastCpuBuilt();

// The kDla device (what CreateDevice(kDla) returns), for callers that print its partition.
class DlaEngineDevice : public devices::Device {
 public:
  explicit DlaEngineDevice(devices::SocProfile soc) : soc_(std::move(soc)) {}
  std::string name() const override;
  devices::Support Supports(const Graph& g, NodeId id) const override;
  Status Prepare(std::shared_ptr<const Graph> graph) override;
  Status Launch(const devices::TensorMap& inputs, devices::TensorMap* outputs) override { return exec_.Launch(inputs, outputs); }
  Status Sync() override { return Status::Ok(); }
  const PartitionPlan& plan() const { return plan_; }
  // The partition runtime::Compile made for the graph Prepare will get (same node ids): Prepare
  // uses it instead of planning again.
  void UsePlan(PartitionPlan plan) { preset_ = std::move(plan); }
  std::string Describe() const { return exec_.Describe(); }

 private:
  devices::SocProfile soc_;
  PartitionPlan plan_;
  std::optional<PartitionPlan> preset_;
  PartitionedExecutor exec_;
};

}  // namespace edgeinfer::runtime
