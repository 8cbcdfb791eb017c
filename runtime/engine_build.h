// Building an engine file's contents from a compiled, partitioned graph: the memory plans of every
// engine instance of the SoC, the per-layer predicted cost with SRAM chaining applied, and the
// partition's order and fallback reasons.
//
// Steps: (1) the execution order is the partition's (its node list), so the planned lifetimes
// match what runs; (2) one memory plan per DLA core ("dla0", "dla1", ...: DLA segments chain
// through that core's SRAM) and one for the GPU instance ("gpu": the whole model on the GPU, all
// DRAM); without a SoC one DRAM-only plan "host"; (3) every layer is priced on its engine by the
// timing models (devices/dla/timing_model.h, devices/gpu_model/gpu_timing_model.h) with the SRAM
// flags of the "dla0" plan set on its inputs and outputs, so the cost reflects chaining.
// Known limits: the GPU instance runs the DLA-partitioned graph's order; the CPU engine has no
// timing model (cost 0 with the bound left empty).
#pragma once
#include <map>
#include <string>

#include "devices/soc/layer_work.h"
#include "devices/soc/soc_profile.h"
#include "graph/ir.h"
#include "runtime/engine_file.h"
#include "runtime/memory_plan.h"
#include "runtime/partition.h"

namespace edgeinfer::runtime {

struct EngineBuildOptions {
  std::string model;
  Precision precision = Precision::kFp32;
  std::string tool;
  int64_t batch = 1;
  int64_t sram_bytes = -1;    // per DLA core; -1: DefaultSramBytes(soc); must not exceed dla.sram_bytes_per_core
  bool sram_chaining = true;
  std::map<std::string, std::string> extra;
};

// Sets the SRAM flags of `w` (the layer of node `id`) from where `plan` keeps its first
// non-constant input, its output and (ConvEltwiseAct) its residual.
void ApplySramFlags(const Graph& g, const GraphMemoryPlan& plan, NodeId id, devices::LayerWork* w);

// `g` must be the graph `partition` was planned on (Node::engine set by runtime::Partition);
// `soc` may be null (no partition, no costs: one "host" plan). Copies g (weights are shared).
Result<EngineFile> BuildEngine(const Graph& g, const devices::SocProfile* soc, const PartitionPlan* partition,
                               const EngineBuildOptions& opts);

}  // namespace edgeinfer::runtime
