// Engine instances: what a session runs a model on. Each instance pairs
//   - a target model: the per-layer target-clock program of one batch on its engine class (the
//     DLA timing model for DLA layers, the iGPU timing model for the GPU, for a DLA's
//     GPU-fallback layers and for the format conversions at segment boundaries), fed to the
//     simulator; and
//   - a functional executor that computes the numbers on this host: CudaDevice when a CUDA device
//     is present (GPU instance), otherwise the fast CPU path (oneDNN, FP32/INT8); a DLA instance
//     runs the partitioned graph (runtime/partition.h): DLA segments on devices::DlaDevice (the
//     bit-exact functional DLA model), fallback segments on the CPU reference.
// One copy of the weights: the compiled Graph is held by shared_ptr<const Graph> (copies bound to a
// batch share its constant blobs); instances whose functional arithmetic is the same (dla0, dla1)
// share one prepared executor (its packed weights, its buffers) behind a mutex.
//
// Partition: runtime::Partition (capability rules of the profile, segment limit, conversions) on the
// graph bound to batch 1 (the DLA needs static shapes); the same placement at every batch.
// SRAM: runtime::PlanGraphMemory at each batch (chaining inside DLA segments, default SRAM of a core);
// a layer's input/output/residual flags come from where its values were placed.
// Thread-safety: TargetModel::Program and FunctionalExecutor::Run are thread-safe.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "devices/device.h"
#include "devices/soc/dram_model.h"
#include "devices/soc/soc_profile.h"
#include "graph/precision.h"
#include "graph/ir.h"
#include "runtime/simulator.h"

namespace edgeinfer::runtime {

struct PartitionPlan;         // runtime/partition.h
class PartitionedExecutor;

using devices::EngineClass;       // devices/engine_class.h: the one engine vocabulary
using devices::EngineClassName;

struct EngineSpec {
  EngineClass kind = EngineClass::kGpu;
  int index = 0;            // DLA core number
  std::string name;         // "gpu", "dla0", "dla1", "cpu"
};

// Parses "gpu,dla0,dla1" ("dla" = every DLA core, "all" = gpu + every DLA core). Errors name the
// entry and what the profile has ("dla2: orin-agx has 2 DLA cores").
Result<std::vector<EngineSpec>> ParseEngineList(const std::string& list, const devices::SocProfile& soc);
std::string EngineListString(const std::vector<EngineSpec>& engines);

// A copy of `g` with its symbolic (batch) dims bound to `batch`, shapes re-inferred. Constants are
// shared with `g` (no weight copies).
Result<Graph> BindBatch(const Graph& g, int64_t batch);

// Values of `g` (Node::engine set, batch bound) that runtime::PlanGraphMemory keeps in one DLA
// core's default SRAM at `batch` (chaining inside DLA segments; the rest spills to DRAM).
Result<std::set<ValueId>> SramResidentValues(const Graph& g, int64_t batch, const devices::SocProfile& soc);

// The target-clock side of an instance: per-batch task programs (cached).
class TargetModel {
 public:
  // `g` compiled (fused, quantized), shapes inferred; its batch may be symbolic. A DLA target takes
  // the model's partition (made once per model, runtime::Compile) and the batch-1 graph it was
  // planned on; when they are null it partitions `g` at batch 1 itself.
  static Result<std::shared_ptr<TargetModel>> Create(std::shared_ptr<const Graph> g, const devices::SocProfile& soc,
                                                     EngineClass kind, std::shared_ptr<const PartitionPlan> partition = nullptr,
                                                     std::shared_ptr<const Graph> partitioned = nullptr);
  Result<TaskProgram> Program(int64_t batch) const;
  EngineClass kind() const { return kind_; }
  // DLA only: the partition (at batch 1) and its graph with Node::engine set.
  const PartitionPlan& partition() const { return *partition_; }
  std::shared_ptr<const Graph> partitioned_graph() const { return bound1_; }
  // Summary and one line per fallback layer: "GPU fallback: DequantizeLinear 'x': <reason>".
  std::string ExplainPlacement() const;

 private:
  std::shared_ptr<const Graph> g_;
  std::shared_ptr<const Graph> bound1_;   // DLA: bound to batch 1, Node::engine set
  devices::SocProfile soc_;
  EngineClass kind_ = EngineClass::kGpu;
  std::shared_ptr<const PartitionPlan> partition_;
  mutable std::mutex mu_;
  mutable std::map<int64_t, TaskProgram> cache_;
};

// A prepared functional executor shared by every instance with the same arithmetic.
class FunctionalExecutor {
 public:
  ~FunctionalExecutor();
  // device: "cuda", "cpu-fast", "cpu-reference" (whole graph, any batch), made by
  // runtime::CreateDevice; `float_precision` is the compiled float precision (the CUDA device
  // stores and computes floats in it).
  static Result<std::shared_ptr<FunctionalExecutor>> Create(std::shared_ptr<const Graph> g, const std::string& device,
                                                            Precision float_precision = Precision::kFp32);
  // The DLA: `target`'s partitioned graph (batch 1) on DlaDevice + the reference for fallback.
  static Result<std::shared_ptr<FunctionalExecutor>> CreateDla(const TargetModel& target, const devices::SocProfile& soc);
  // Runs one launch; serialised by a mutex (devices are not thread-safe per instance).
  Status Run(const devices::TensorMap& inputs, devices::TensorMap* outputs);
  const std::string& device_name() const { return name_; }
  // The prepared device's own name (e.g. "cuda:NVIDIA H100 fp16": its float storage type).
  std::string device_description() const;
  // Whether one launch may carry several samples stacked along dim 0: every graph input has a
  // symbolic dim 0 (the DLA model's graph is bound to batch 1: never).
  bool batched() const { return batched_; }

 private:
  std::string name_;
  std::unique_ptr<devices::Device> device_;
  std::unique_ptr<PartitionedExecutor> partitioned_;
  bool batched_ = false;
  std::mutex mu_;
};

// The functional device an engine kind uses on this host: "dla" (DLA: DlaDevice + partition),
// "cuda" (GPU with a CUDA device present), else "cpu-fast" (oneDNN built) or "cpu-reference".
// `why` says which and why.
std::string FunctionalDeviceFor(EngineClass kind, std::string* why);

struct EngineInstance {
  EngineSpec spec;
  std::shared_ptr<TargetModel> target;
  std::shared_ptr<FunctionalExecutor> functional;
  std::string functional_note;   // "cpu-fast: INT8 stand-in for the emulated DLA (bit-exact arithmetic)"
};

}  // namespace edgeinfer::runtime
