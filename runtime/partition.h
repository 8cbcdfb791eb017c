// The partitioner: which fused nodes of a compiled graph run on the DLA and which fall back to the
// GPU (or the CPU on a SoC without one), and why; the plan is plain data, printable as text
// (--explain) and JSON (--json).
//
// Steps:
//   1. Assign: a node goes to the DLA when devices::DlaSupport accepts it, else to the fallback
//      engine with the capability rule's reason.
//   2. Order: a topological order that keeps running the current engine while it has ready nodes
//      (Kahn's algorithm with an engine preference), so branches of one engine stay together.
//   3. Segment: maximal runs of one engine class in that order. Each segment's boundary values are
//      the non-constant values it reads from outside and the values it produces that later
//      segments or the graph outputs read.
//   4. Segment limit: while there are more DLA segments than dla.limits.max_loadables_per_core,
//      the DLA segment with the fewest MACs (ties: fewest nodes, then the later one) moves to the
//      fallback engine, with the reason; then steps 2-3 run again (its neighbours merge).
//   5. Conversions: a boundary value crossing between the DLA and another engine (or the host's
//      graph inputs/outputs) is reformatted once per direction between the linear layout and the
//      DLA's native format of its precision (dla.native_formats: CHW32 int8, CHW16 fp16); bytes
//      read and written are counted and timed as a memory-bound reformat on the GPU.
//   6. Timing: every node's predicted target time on its engine (devices/dla/timing_model.h,
//      devices/gpu_model/gpu_timing_model.h) from devices::DescribeNode.
// Why greedy: TensorRT's DLA partitioning is also greedy on a topological order; this one only
// adds the engine preference, which never splits more than plain topological order does.
// Known limits: one DLA core per plan (the limit is per core); conversions are charged to the GPU
// even on a SoC without one (then untimed); data-movement nodes (Reshape, Concat, ...) have no
// DLA timing unit and are charged 0 with a note.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "devices/device.h"
#include "devices/engine_class.h"
#include "devices/soc/soc_profile.h"
#include "graph/ir.h"

namespace edgeinfer::runtime {

// The engine vocabulary is the devices layer's (devices/engine_class.h).
using devices::EngineClass;
using devices::EngineClassName;

struct NodeAssignment {
  NodeId node = kNoNode;
  std::string name;
  std::string op;
  std::string dtype;                 // the precision it computes in ("int8", "float16", "float")
  EngineClass engine = EngineClass::kDla;
  std::string reason;                // why this engine: the refusal, or the segment-limit move; "" on the DLA
  int segment = -1;
  int64_t macs = 0;
  double predicted_s = 0;            // target clock, on its engine
  std::string timing_note;           // why there is no prediction ("" when there is one)
};

struct Segment {
  int index = 0;
  EngineClass engine = EngineClass::kDla;
  std::vector<NodeId> nodes;         // execution order
  std::vector<ValueId> inputs;       // boundary values read (graph inputs or other segments' outputs)
  std::vector<ValueId> outputs;      // boundary values written (read by later segments or graph outputs)
  int64_t macs = 0;
  double predicted_s = 0;            // sum of its nodes' predictions
};

struct FormatConversion {
  ValueId value = kNoValue;
  std::string value_name;
  int from_segment = -1;             // -1: a graph input (host memory)
  int to_segment = -1;               // -1: a graph output (host memory)
  std::string from_format;           // "linear int8 [1,64,56,56]" ...
  std::string to_format;             // "CHW32 int8"
  int64_t bytes_read = 0;
  int64_t bytes_written = 0;
  double predicted_s = 0;
  std::string timing_note;
};

struct PartitionPlan {
  std::string model;
  std::string soc;
  std::string power_mode;
  EngineClass fallback = EngineClass::kGpu;
  int dla_segment_limit = 0;         // dla.limits.max_loadables_per_core
  int dla_segments_before_limit = 0; // DLA segments before step 4
  std::vector<NodeAssignment> nodes; // execution order
  std::vector<Segment> segments;
  std::vector<FormatConversion> conversions;
  std::map<ValueId, std::string> value_names;   // names of the segments' boundary values

  int NumNodes(EngineClass e) const;
  int NumSegments(EngineClass e) const;
  int64_t ConversionBytes() const;   // read + written
  double PredictedSeconds(EngineClass e) const;   // sum over its nodes
  double ConversionSeconds() const;
  // Sequential target time of one inference: every node on its engine plus every conversion.
  double PredictedTotalSeconds() const;
  const NodeAssignment* Find(const std::string& node_name) const;

  // Readable: summary, segments, one line per layer (engine, target ms, reason), conversions.
  std::string ToText() const;
  std::string ToJson() const;        // one JSON object (docs/partitioning.md lists the fields)
};

// Ops that are views of their input: no kernel on any engine (the engines alias the buffer), no time.
bool IsViewOp(const std::string& op);
// A Concat the memory planner placed in place (its producers write into it): no data moved.
bool IsInPlaceConcat(const Node& n);

struct PartitionOptions {
  int max_dla_segments = 0;          // 0: the profile's dla.limits.max_loadables_per_core
  bool timing = true;                // predict per-layer target times
};

// Plans `g` (compiled: fused, quantized; shapes inferred) on `soc`. Pure; does not change g.
Result<PartitionPlan> PlanPartition(const Graph& g, const devices::SocProfile& soc, const PartitionOptions& opts = {});

// PlanPartition, then sets Node::engine ("dla", "gpu", "cpu") on every live node of g.
Result<PartitionPlan> Partition(Graph& g, const devices::SocProfile& soc, const PartitionOptions& opts = {});

// The subgraph of one segment: its nodes (same names and attributes), its boundary inputs as graph
// inputs, its boundary outputs as graph outputs; constants share the original blobs (no copies).
Result<Graph> SegmentGraph(const Graph& g, const Segment& s);

// Runs a partitioned graph: DLA segments on devices::DlaDevice, the others on the CPU reference
// executor standing in for the GPU (so INT8 fallback layers are the reference's exact results).
// Not thread-safe per instance.
class PartitionedExecutor {
 public:
  Status Prepare(std::shared_ptr<const Graph> graph, const PartitionPlan& plan, const devices::SocProfile& soc,
                 int dla_threads = 0);
  Status Launch(const devices::TensorMap& inputs, devices::TensorMap* outputs);
  // One line per segment: engine, device that ran it, node count; verbose adds how the DLA model
  // runs each of its nodes.
  std::string Describe(bool verbose = false) const;

 private:
  struct Part {
    int segment = 0;
    EngineClass engine = EngineClass::kDla;
    std::shared_ptr<const Graph> graph;
    std::unique_ptr<devices::Device> device;
  };
  std::shared_ptr<const Graph> graph_;
  std::vector<Part> parts_;
};

}  // namespace edgeinfer::runtime
