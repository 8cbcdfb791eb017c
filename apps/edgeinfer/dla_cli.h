// The CLI's DLA pieces: loading --soc/--power-mode, compiling a model for the DLA inside `run`
// (quantize with --calib data, or on the run's own inputs when none is given), and the "dla"
// engine of `run`: the partition's DLA segments on the functional DLA model, the GPU-fallback
// segments on the CPU reference standing in for the GPU (its exact INT8 results).
#pragma once
#include <memory>
#include <string>

#include "devices/device.h"
#include "devices/soc/soc_profile.h"
#include "graph/ir.h"
#include "runtime/partition.h"

namespace edgeinfer::apps {

// Loads a profile by name or path and applies a power mode ("" = the profile's default).
Result<devices::SocProfile> LoadSocForCli(const std::string& soc, const std::string& power_mode, const std::string& clocks = "");

struct DlaCompileArgs {
  std::string model;                    // the .onnx path (its hash keys the calibration)
  std::string precision = "int8";       // int8 or fp16
  std::string calib;                    // .npy / folder; "" = calibrate on the run's inputs
  std::string calibrator;               // "" = entropy with --calib data, minmax on the run's inputs
  std::string preprocess;
  int64_t calib_samples = 500;
};

// True when g is already compiled (it holds fused or quantization nodes), e.g. from an engine file.
bool IsCompiledGraph(const Graph& g);

// Compiles `imported` (batch bound) for the DLA; *note says where the INT8 scales came from.
Result<Graph> CompileForDla(const Graph& imported, const DlaCompileArgs& a, const devices::TensorMap& run_inputs,
                            std::string* note);

// The `run --engine dla` device: Prepare partitions the (compiled) graph on the profile and
// prepares one device per segment; Launch runs them in order.
class DlaEngine : public devices::Device {
 public:
  explicit DlaEngine(devices::SocProfile soc) : soc_(std::move(soc)) {}
  std::string name() const override;
  devices::Support Supports(const Graph& g, NodeId id) const override;
  Status Prepare(std::shared_ptr<const Graph> graph) override;
  Status Launch(const devices::TensorMap& inputs, devices::TensorMap* outputs) override { return exec_.Launch(inputs, outputs); }
  Status Sync() override { return Status::Ok(); }
  const runtime::PartitionPlan& plan() const { return plan_; }
  std::string Describe() const { return exec_.Describe(); }

 private:
  devices::SocProfile soc_;
  runtime::PartitionPlan plan_;
  runtime::PartitionedExecutor exec_;
};

}  // namespace edgeinfer::apps
