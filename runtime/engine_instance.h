// Engine instances: what a session runs a model on. Each instance pairs
//   - a target model: the per-layer target-clock program of one batch on its engine class (the
//     DLA timing model for DLA layers, the iGPU timing model for the GPU and for a DLA's
//     GPU-fallback layers), fed to the simulator; and
//   - a functional executor that computes the numbers on this host: CudaDevice when a CUDA device
//     is present (GPU instance), otherwise the fast CPU path (oneDNN, FP32/INT8) -- for the DLA the
//     same INT8 arithmetic as the reference (bit-exact), standing in for the emulated DLA device.
// One copy of the weights: the compiled Graph is held by shared_ptr<const Graph>; instances whose
// functional arithmetic is the same share one prepared executor (its packed weights, its arena)
// behind a mutex, so GPU + 2 DLA stand-ins cost what one engine costs.
//
// Partition (interim, until runtime/partition.h lands): a node runs on the DLA when its op is in
// the profile's dla.limits.ops and it computes in a DLA precision (dla.precisions); every other
// node is a GPU-fallback layer. PlaceNodesForDla is the one function to switch.
// SRAM (interim, until the memory-plan helper's chaining lands): activations produced and consumed
// inside one DLA segment are offered to the core's default SRAM by runtime::PlanMemory (greedy by
// size, spills to DRAM); PlaceSramForDla is the one function to switch.
// Thread-safety: TargetModel::Program and FunctionalExecutor::Run are thread-safe.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "devices/device.h"
#include "devices/soc/dram_model.h"
#include "devices/soc/soc_profile.h"
#include "graph/ir.h"
#include "runtime/simulator.h"

namespace edgeinfer::runtime {

enum class EngineKind { kGpu, kDla, kCpu };
const char* EngineKindName(EngineKind k);
devices::EngineClass ClassOf(EngineKind k);

struct EngineSpec {
  EngineKind kind = EngineKind::kGpu;
  int index = 0;            // DLA core number
  std::string name;         // "gpu", "dla0", "dla1", "cpu"
};

// Parses "gpu,dla0,dla1" ("dla" = every DLA core, "all" = gpu + every DLA core). Errors name the
// entry and what the profile has ("dla2: orin-agx has 2 DLA cores").
Result<std::vector<EngineSpec>> ParseEngineList(const std::string& list, const devices::SocProfile& soc);
std::string EngineListString(const std::vector<EngineSpec>& engines);

// Where a node runs when its model is compiled for a DLA engine, and why.
struct NodePlacement {
  NodeId node = kNoNode;
  std::string engine;       // "dla" or "gpu" (fallback)
  std::string reason;       // why not the DLA (empty when on the DLA)
};
std::vector<NodePlacement> PlaceNodesForDla(const Graph& g, const devices::SocProfile& soc);

// The target-clock side of an instance: per-batch task programs (cached).
class TargetModel {
 public:
  // `g` compiled (fused, quantized), shapes inferred; its batch may be symbolic.
  static Result<std::shared_ptr<TargetModel>> Create(std::shared_ptr<const Graph> g, const devices::SocProfile& soc,
                                                     EngineKind kind);
  Result<TaskProgram> Program(int64_t batch) const;
  EngineKind kind() const { return kind_; }
  const std::vector<NodePlacement>& placements() const { return placements_; }
  int dla_segments() const { return dla_segments_; }
  int gpu_segments() const { return gpu_segments_; }
  // One line per fallback layer: "GPU fallback: DequantizeLinear 'x': <reason>".
  std::string ExplainPlacement() const;

 private:
  std::shared_ptr<const Graph> g_;
  devices::SocProfile soc_;
  EngineKind kind_ = EngineKind::kGpu;
  std::vector<NodeId> order_;
  std::vector<NodePlacement> placements_;   // DLA only
  int dla_segments_ = 0, gpu_segments_ = 0;
  mutable std::mutex mu_;
  mutable std::map<int64_t, TaskProgram> cache_;
};

// A prepared functional device shared by every instance with the same arithmetic.
class FunctionalExecutor {
 public:
  static Result<std::shared_ptr<FunctionalExecutor>> Create(std::shared_ptr<const Graph> g, const std::string& device);
  // Runs one launch; serialised by a mutex (devices are not thread-safe per instance).
  Status Run(const devices::TensorMap& inputs, devices::TensorMap* outputs);
  const std::string& device_name() const { return name_; }

 private:
  std::string name_;
  std::unique_ptr<devices::Device> device_;
  std::mutex mu_;
};

// The functional device an engine kind uses on this host: "cuda" (GPU with a CUDA device present),
// else "cpu-fast" (oneDNN built) or "cpu-reference". `why` says which and why.
std::string FunctionalDeviceFor(EngineKind kind, std::string* why);

struct EngineInstance {
  EngineSpec spec;
  std::shared_ptr<TargetModel> target;
  std::shared_ptr<FunctionalExecutor> functional;
  std::string functional_note;   // "cpu-fast: INT8 stand-in for the emulated DLA (bit-exact arithmetic)"
};

}  // namespace edgeinfer::runtime
