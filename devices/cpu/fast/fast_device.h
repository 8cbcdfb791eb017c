// The fast CPU device: runs a graph on oneDNN primitives (FP32 and INT8): the compiler's fused nodes
// as one primitive with post-ops (it matches no chains itself: give it a graph compiled by
// fusions::CompileForDevice, docs/device-contract.md), blocked layouts kept between oneDNN layers,
// weights packed once, and every intermediate tensor in one arena planned by lifetimes.
//
// Ops oneDNN does not cover run through the op table's reference kernel on plain buffers in the
// same arena (Supports says which; Explain() lists them), so any graph the reference runs, runs here.
//
// Threads: Debian's oneDNN runs on OpenMP, so our own parallel loops (INT8 requantization, Q/DQ)
// use OpenMP too: one pool, not two competing for the cores. libgomp reads its spin policy from
// the environment at start-up only; on a shared machine set GOMP_SPINCOUNT=1000 or
// OMP_WAIT_POLICY=passive (docs/bench.md shows why: 5-10x on a loaded 2-core VM).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "devices/device.h"
#include "graph/memory_planner.h"

namespace edgeinfer::devices {

struct CpuFastOptions {
  int num_threads = 0;                  // 0: every core the process may use
  bool winograd = true;                 // Winograd for 3x3 stride-1 FP32 convolutions where oneDNN has it
  bool reject_non_finite_inputs = false;
  bool profile = false;                 // time every step (waits after each); Explain() prints the means
};

class CpuFastDevice : public Device {
 public:
  explicit CpuFastDevice(CpuFastOptions options = {});
  ~CpuFastDevice() override;
  std::string name() const override { return "cpu-fast"; }
  // Yes for every op with a oneDNN mapping or a reference kernel; the reason names the op otherwise.
  Support Supports(const Graph& g, NodeId id) const override;
  // Validates every node; when all graph input shapes are static, also builds the plan (primitives,
  // packed weights, arena) now. A symbolic batch is planned at the first Launch of each shape.
  Status Prepare(std::shared_ptr<const Graph> graph) override;
  // Runs synchronously. Re-plans when input shapes differ from the last plan's (one plan is kept).
  Status Launch(const TensorMap& inputs, TensorMap* outputs) override;
  Status Sync() override { return Status::Ok(); }

  // One line per step of the current plan: node, how it runs (oneDNN implementation, fused parts,
  // or "reference"), and the arena/weight totals. Empty before a plan exists.
  std::string Explain() const;
  // Bytes of the activation arena, of packed weights, and of the shared scratchpad (current plan).
  size_t arena_bytes() const;
  size_t packed_weight_bytes() const;
  // The current plan's arena as the shared planner placed it (one request per buffer, space "host"),
  // for CheckMemoryPlan and MemoryTimeline; null before a plan exists.
  const MemoryPlan* arena_plan() const;
  int num_threads() const { return threads_; }

  struct Plan;

 private:
  Status BuildPlan(const TensorMap* inputs);
  CpuFastOptions options_;
  int threads_ = 1;
  std::shared_ptr<const Graph> graph_;
  std::unique_ptr<Plan> plan_;
};

}  // namespace edgeinfer::devices
