// The memory planner (STYLE rule 9): a pure function from buffer requests (size, first/last use,
// allowed memory spaces in preference order, alignment) to placements (space, offset). It sits in
// graph/ (it depends on status.h only) so every layer plans with it: the runtime's target plans
// (runtime/memory_plan.h) and the devices' arenas (the fast CPU path, the CUDA executor).
//
// Algorithm: greedy by size (the arena planner of TFLite): buffers sorted by size, largest first
// (ties: earlier first use, then id; an explicit priority, when set, comes before size); each goes to the first space in its preference list where a
// gap exists, at the lowest aligned offset that overlaps no already-placed buffer whose lifetime
// intersects its own, and that keeps the space within its capacity. A buffer that fits in none of
// its spaces is an error naming it (impossible when its last space is unlimited). "Does not fit in
// SRAM" is a normal outcome: list DRAM after SRAM and the buffer spills.
// Why greedy by size: on CNN activation graphs it lands within a few percent of the lower bound
// (the largest total of buffers live at one step) and runs in O(n^2) for n buffers.
// Limits: lifetimes are integer steps (topological positions) and inclusive at both ends; no
// in-place reuse of an input by its consumer's output (the fusions mark Concat in place instead).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "graph/status.h"

namespace edgeinfer {

struct MemorySpace {
  std::string name;         // "dram", "dla0.sram"
  int64_t capacity = -1;    // bytes; -1 = unlimited
};

struct BufferRequest {
  std::string name;            // the tensor's name, for messages and the timeline
  int64_t size = 0;            // bytes
  int first_use = 0;           // step that writes it (inclusive)
  int last_use = 0;            // last step that reads it (inclusive)
  std::vector<int> spaces;     // indices into the space list, in preference order
  int64_t alignment = 64;      // bytes, a power of two
  int64_t priority = 0;        // placed before every request of lower priority (then by size);
                               // 0 everywhere = pure greedy by size
};

struct Placement {
  int space = -1;
  int64_t offset = 0;
};

struct MemoryPlan {
  std::vector<MemorySpace> spaces;
  std::vector<BufferRequest> requests;
  std::vector<Placement> placements;   // one per request, same order
  std::vector<int64_t> peak;           // per space: highest end offset used
  std::vector<int64_t> lower_bound;    // per space: max over steps of the bytes live in it
};

// Plans `requests` into `spaces`. Fails only on malformed requests (negative size, last < first,
// no spaces, bad alignment) or when a buffer fits none of its spaces.
Result<MemoryPlan> PlanMemory(const std::vector<BufferRequest>& requests, const std::vector<MemorySpace>& spaces);

// The overlap checker: every pair of buffers in one space with intersecting lifetimes occupies
// disjoint byte ranges, every offset is aligned, every space is within capacity.
Status CheckMemoryPlan(const MemoryPlan& plan);

// Max over steps of the total size of the buffers live at that step (all requests, one space).
int64_t LiveBytesLowerBound(const std::vector<BufferRequest>& requests);

// A readable timeline: one line per buffer sorted by space then offset, with its lifetime drawn as
// a bar over the steps ("dram  0x000000 +802816  |  ####      | conv1.out").
std::string MemoryTimeline(const MemoryPlan& plan, int max_width = 64);

}  // namespace edgeinfer
