// Memory plan of a compiled, partitioned graph: which bytes every activation tensor occupies while
// one engine instance runs the model at one batch, and how much DRAM traffic SRAM chaining saves.
//
// Steps (each a pure function of the graph and the options):
//   1. Order: the graph's topological order; step i runs the i-th node. A graph input is live from
//      step 0, a graph output until the last step; any other value from its producer's step to its
//      last consumer's step (inclusive).
//   2. Sizes: static dims x dtype size; symbolic dims take `batch`.
//   3. Aliases: a Concat marked `in_place` by the fusions (attrs in_place=1 on the Concat,
//      concat_into/concat_offset on its producers) gets one buffer; each input is a slice of it at
//      byte offset (axis offset x inner size x dtype size). Honoured only where the slices are
//      contiguous (every dim before the axis is 1); otherwise the Concat copies as usual.
//   4. DLA segments: maximal runs of consecutive (topological) nodes whose Node::engine starts with
//      "dla". A value produced and consumed only inside one segment (and not a graph output) is a
//      chaining candidate: it may live in the DLA core's SRAM ("dla0.sram"), else DRAM.
//   5. Placement: SRAM candidates first, through runtime::PlanMemory over {sram, scratch} in three
//      greedy orders (largest first; most traffic first; most traffic per byte-step held first),
//      keeping the one that serves the most traffic from SRAM; then every other buffer into the
//      DRAM arena, greedy by size.
//   6. Traffic: DRAM activation bytes of each node = bytes it writes (its outputs) + bytes it reads
//      (its non-constant inputs), for the plan with chaining and for the same graph with every
//      tensor in DRAM. Graph inputs are written by the host (not counted); weights are not
//      activations (not counted).
// Why this shape: the planner stays a pure buffer-level function (STYLE rule 9); this file is the
// only place that knows graphs. Limits: no in-place reuse beyond marked Concats (Reshape/Flatten
// copies are planned as separate buffers); one SRAM space per instance (its DLA core).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "devices/soc/soc_profile.h"
#include "graph/ir.h"
#include "graph/status.h"
#include "graph/memory_planner.h"

namespace edgeinfer::runtime {

// The pure planner lives below the devices (graph/memory_planner.h) so the devices plan their
// arenas with it too; the runtime keeps its names.
using ::edgeinfer::BufferRequest;
using ::edgeinfer::CheckMemoryPlan;
using ::edgeinfer::LiveBytesLowerBound;
using ::edgeinfer::MemoryPlan;
using ::edgeinfer::MemorySpace;
using ::edgeinfer::MemoryTimeline;
using ::edgeinfer::Placement;
using ::edgeinfer::PlanMemory;

struct MemoryPlanOptions {
  std::string instance = "dla0";   // the engine instance the plan is for ("gpu", "dla0", "dla1")
  int64_t batch = 1;               // extent of symbolic dims
  bool sram_chaining = true;       // false: every tensor in DRAM
  int64_t sram_bytes = 0;          // SRAM of the instance's DLA core; 0: none (no chaining)
  int64_t alignment = 64;          // bytes, every buffer
  bool concat_in_place = true;     // honour the fusions' in-place Concat marks
  std::vector<NodeId> order;       // execution order (the partitioner's); empty: Graph::TopoOrder
};

// SRAM bytes a DLA core gets by default on `soc`: dla.sram_default_bytes, or all of
// dla.sram_bytes_per_core when the default is 0 ("all"); 0 when the DLA has no SRAM.
int64_t DefaultSramBytes(const devices::SocProfile& soc);

// A DLA segment: consecutive topological steps [first_step, first_step + num_steps) on one engine.
struct EngineRun {
  std::string engine;   // Node::engine of its nodes ("dla", "gpu", "" = not partitioned)
  int first_step = 0;
  int num_steps = 0;
};

// Where one value lives. buffer = index into plan.requests, -1 for constants and absent values.
struct ValueLocation {
  int buffer = -1;
  int64_t offset_in_buffer = 0;   // non-zero for a slice of an in-place Concat
  int64_t size = 0;               // bytes of this value
};

// DRAM activation bytes of one node (written + read), with and without chaining.
struct LayerTraffic {
  std::string node;
  std::string op;
  std::string engine;
  int64_t dram_bytes_unchained = 0;
  int64_t dram_bytes = 0;           // with the plan's SRAM placements
  int64_t sram_bytes = 0;           // bytes served by SRAM instead (written + read)
};

struct GraphMemoryPlan {
  MemoryPlanOptions options;
  std::vector<NodeId> order;              // step -> node id
  std::vector<EngineRun> segments;          // every maximal run of one engine, in step order
  MemoryPlan plan;                        // spaces: 0 = "dram", 1 = "<instance>.sram" when present
  std::vector<ValueLocation> values;      // one per graph value id
  std::vector<LayerTraffic> layers;       // one per step
  int64_t dram_bytes_unchained = 0;       // totals over layers
  int64_t dram_bytes = 0;
  int64_t sram_bytes = 0;
  int64_t in_place_concats = 0;           // Concats planned without a copy
  std::string sram_order;                 // the greedy order that placed the SRAM ("" without SRAM)
  // Summary figures.
  int64_t DramPeak() const { return plan.peak.empty() ? 0 : plan.peak[0]; }
  int64_t DramLowerBound() const { return plan.lower_bound.empty() ? 0 : plan.lower_bound[0]; }
  double SavedFraction() const {
    return dram_bytes_unchained > 0 ? 1.0 - static_cast<double>(dram_bytes) / static_cast<double>(dram_bytes_unchained) : 0.0;
  }
};

// DLA segments (and the runs of other engines between them) of `order`, from Node::engine.
std::vector<EngineRun> FindEngineRuns(const Graph& g, const std::vector<NodeId>& order);

// Checks that `order` lists every live node of `g` once, each after the producers of its inputs.
Status CheckExecutionOrder(const Graph& g, const std::vector<NodeId>& order);

// Plans the activation memory of `g` (shapes inferred, compacted or not). Errors name the value and
// the rule (a dynamic dim without a batch, an unknown dtype). Pure; thread-safe.
Result<GraphMemoryPlan> PlanGraphMemory(const Graph& g, const MemoryPlanOptions& options);

// Re-derives the traffic figures of `plan` from its placements (used after loading a plan from an
// engine file, and by PlanGraphMemory itself). `g` must be the graph the plan was made for.
Status ComputeTraffic(const Graph& g, GraphMemoryPlan* plan);

// Checks that `plan` fits `g`: the order is a topological order of g's live nodes, every
// non-constant value has a buffer of the right size, lifetimes cover producers and consumers, and
// the placements pass CheckMemoryPlan. Used when loading engine files.
Status ValidateGraphMemoryPlan(const Graph& g, const GraphMemoryPlan& plan);

// Text for --explain: arena peak vs lower bound per space, SRAM chaining totals, and (verbose) one
// line per layer with DRAM bytes with/without chaining.
std::string ExplainMemoryPlan(const GraphMemoryPlan& plan, bool per_layer = true);
// The same as JSON text (one object; fields documented in docs/memory-planning.md).
std::string MemoryPlanJson(const GraphMemoryPlan& plan, bool per_layer = true);

}  // namespace edgeinfer::runtime
