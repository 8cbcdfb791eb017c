#include "runtime/memory_plan.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace edgeinfer::runtime {

namespace {

bool IsDla(const std::string& engine) { return engine.rfind("dla", 0) == 0; }

// Bytes of a value at `batch` (symbolic dims take the batch). Error names the value and the rule.
Result<int64_t> ValueBytes(const Value& v, int64_t batch) {
  const size_t es = DTypeSize(v.dtype);
  if (es == 0) return Status::Error("value '" + v.name + "': dtype " + DTypeName(v.dtype) + " has no byte size (rule: planned tensors need a numeric dtype)");
  int64_t n = 1;
  for (int64_t d : v.shape.dims) {
    const int64_t e = d == kDynamic ? batch : d;
    if (e < 0) return Status::Error("value '" + v.name + "': dim " + std::to_string(d) + " is negative (rule: shapes must be inferred before planning)");
    if (e != 0 && n > (int64_t{1} << 50) / e) return Status::Error("value '" + v.name + "': " + v.shape.ToString() + " is too large to plan");
    n *= e;
  }
  return n * static_cast<int64_t>(es);
}

// The in-place Concat marks: for each input value of a marked Concat, its byte offset inside the
// Concat's output, when the slice is contiguous. Values not in the map are planned on their own.
struct Alias {
  ValueId root = kNoValue;
  int64_t offset = 0;
};

std::map<ValueId, Alias> InPlaceAliases(const Graph& g, const std::vector<NodeId>& order, int64_t batch,
                                        const std::vector<std::vector<NodeId>>& consumers, int64_t* count) {
  std::map<ValueId, Alias> out;
  for (NodeId id : order) {
    const Node& n = g.node(id);
    if (n.op != "Concat" || n.attrs.GetInt("in_place", 0) != 1 || n.outputs.size() != 1) continue;
    const Value& y = g.value(n.outputs[0]);
    const size_t rank = y.shape.rank();
    int64_t axis = n.attrs.GetInt("axis", 0);
    if (axis < 0) axis += static_cast<int64_t>(rank);
    if (axis < 0 || static_cast<size_t>(axis) >= rank) continue;
    bool ok = true;
    for (size_t d = 0; d < static_cast<size_t>(axis); ++d) {
      const int64_t e = y.shape.dims[d] == kDynamic ? batch : y.shape.dims[d];
      if (e != 1) ok = false;   // slices are strided: the Concat copies
    }
    int64_t inner = static_cast<int64_t>(DTypeSize(y.dtype));
    for (size_t d = static_cast<size_t>(axis) + 1; d < rank; ++d) inner *= y.shape.dims[d] == kDynamic ? batch : y.shape.dims[d];
    std::set<ValueId> seen;
    int64_t off = 0;
    std::map<ValueId, Alias> mine;
    for (ValueId v : n.inputs) {
      if (v == kNoValue || !ok) { ok = false; break; }
      const Value& x = g.value(v);
      // Guards re-checked here (the marks may come from a file): produced by a node, read only by
      // this Concat, not a graph output, not already a slice, same dtype, static extent.
      if (x.producer == kNoNode || x.IsConstant() || g.IsGraphOutput(v) || consumers[static_cast<size_t>(v)].size() != 1 ||
          !seen.insert(v).second || out.count(v) || x.dtype != y.dtype || x.shape.rank() != rank ||
          x.shape.dims[static_cast<size_t>(axis)] == kDynamic) {
        ok = false;
        break;
      }
      mine[v] = Alias{n.outputs[0], off * inner};
      off += x.shape.dims[static_cast<size_t>(axis)];
    }
    if (!ok || off != y.shape.dims[static_cast<size_t>(axis)]) continue;
    // A Concat output that is itself a slice of another in-place Concat: chain to its root.
    out.insert(mine.begin(), mine.end());
    ++*count;
  }
  // Resolve chains (a slice of a slice) to the final root.
  for (auto& [v, a] : out) {
    for (int guard = 0; guard < 64; ++guard) {
      auto it = out.find(a.root);
      if (it == out.end()) break;
      a.offset += it->second.offset;
      a.root = it->second.root;
    }
  }
  return out;
}

}  // namespace

int64_t DefaultSramBytes(const devices::SocProfile& soc) {
  if (soc.dla.cores <= 0 || soc.dla.sram_bytes_per_core <= 0) return 0;
  return soc.dla.sram_default_bytes > 0 ? std::min(soc.dla.sram_default_bytes, soc.dla.sram_bytes_per_core)
                                        : soc.dla.sram_bytes_per_core;
}

std::vector<EngineRun> FindEngineRuns(const Graph& g, const std::vector<NodeId>& order) {
  std::vector<EngineRun> segs;
  for (size_t i = 0; i < order.size(); ++i) {
    const std::string& e = g.node(order[i]).engine;
    if (segs.empty() || segs.back().engine != e) segs.push_back(EngineRun{e, static_cast<int>(i), 0});
    ++segs.back().num_steps;
  }
  return segs;
}

Result<GraphMemoryPlan> PlanGraphMemory(const Graph& g, const MemoryPlanOptions& opt) {
  if (opt.batch < 1) return Status::Error("memory plan: batch " + std::to_string(opt.batch) + " must be at least 1");
  if (opt.sram_bytes < 0) return Status::Error("memory plan: SRAM bytes " + std::to_string(opt.sram_bytes) + " is negative");
  if (opt.alignment <= 0 || (opt.alignment & (opt.alignment - 1)) != 0) {
    return Status::Error("memory plan: alignment " + std::to_string(opt.alignment) + " is not a power of two");
  }
  GraphMemoryPlan gp;
  gp.options = opt;
  if (opt.order.empty()) {
    auto order = g.TopoOrder();
    if (!order.ok()) return order.status();
    gp.order = *order;
  } else {
    EI_RETURN_IF_ERROR(CheckExecutionOrder(g, opt.order));
    gp.order = opt.order;
  }
  gp.options.order.clear();   // kept once, in gp.order
  gp.segments = FindEngineRuns(g, gp.order);
  const int steps = static_cast<int>(gp.order.size());
  std::vector<int> step_of(g.num_node_slots(), -1);
  for (int i = 0; i < steps; ++i) step_of[static_cast<size_t>(gp.order[static_cast<size_t>(i)])] = i;
  std::vector<int> seg_of_step(static_cast<size_t>(steps), -1);
  for (size_t s = 0; s < gp.segments.size(); ++s) {
    for (int k = 0; k < gp.segments[s].num_steps; ++k) seg_of_step[static_cast<size_t>(gp.segments[s].first_step + k)] = static_cast<int>(s);
  }
  const auto consumers = g.ConsumerMap();
  std::map<ValueId, Alias> alias;
  if (opt.concat_in_place) alias = InPlaceAliases(g, gp.order, opt.batch, consumers, &gp.in_place_concats);

  // Which values are activations: graph inputs and node outputs (not constants).
  std::vector<char> is_act(g.num_values(), 0);
  for (ValueId v : g.inputs()) if (!g.value(v).IsConstant()) is_act[static_cast<size_t>(v)] = 1;
  for (NodeId id : gp.order) {
    for (ValueId v : g.node(id).outputs) if (v != kNoValue) is_act[static_cast<size_t>(v)] = 1;
  }
  gp.values.assign(g.num_values(), ValueLocation{});

  // One buffer per root value; aliases extend their root's lifetime and users.
  struct Buf {
    ValueId root;
    int first = 0, last = 0;
    std::set<int> segs;       // segments of every node touching it
    bool pinned_dram = false; // graph input/output, or touched outside a DLA segment
    int64_t touches = 0;      // bytes written + read (for the SRAM priority)
  };
  std::vector<Buf> bufs;
  std::map<ValueId, int> buf_of_root;
  for (size_t vi = 0; vi < g.num_values(); ++vi) {
    if (!is_act[vi]) continue;
    const ValueId v = static_cast<ValueId>(vi);
    auto bytes = ValueBytes(g.value(v), opt.batch);
    if (!bytes.ok()) return bytes.status();
    gp.values[vi].size = *bytes;
  }
  auto root_of = [&](ValueId v) { auto it = alias.find(v); return it == alias.end() ? v : it->second.root; };
  for (size_t vi = 0; vi < g.num_values(); ++vi) {
    if (!is_act[vi]) continue;
    const ValueId v = static_cast<ValueId>(vi);
    const ValueId r = root_of(v);
    auto [it, fresh] = buf_of_root.emplace(r, static_cast<int>(bufs.size()));
    if (fresh) bufs.push_back(Buf{r, steps, -1, {}, false, 0});
    Buf& b = bufs[static_cast<size_t>(it->second)];
    const Value& val = g.value(v);
    int first = val.producer == kNoNode ? 0 : step_of[static_cast<size_t>(val.producer)];
    int last = first;
    for (NodeId c : consumers[vi]) last = std::max(last, step_of[static_cast<size_t>(c)]);
    if (g.IsGraphOutput(v)) last = std::max(0, steps - 1);
    b.first = std::min(b.first, first);
    b.last = std::max(b.last, last);
    if (val.producer == kNoNode || g.IsGraphOutput(v)) b.pinned_dram = true;
    auto touch = [&](NodeId n) {
      const int s = seg_of_step[static_cast<size_t>(step_of[static_cast<size_t>(n)])];
      b.segs.insert(s);
      if (!IsDla(gp.segments[static_cast<size_t>(s)].engine)) b.pinned_dram = true;
    };
    if (val.producer != kNoNode) { touch(val.producer); b.touches += gp.values[vi].size; }
    for (NodeId c : consumers[vi]) {
      touch(c);
      if (!(g.node(c).op == "Concat" && alias.count(v))) b.touches += gp.values[vi].size;
    }
    gp.values[vi].offset_in_buffer = r == v ? 0 : alias.at(v).offset;
  }
  // Buffer sizes: the root's size (slices lie inside it).
  std::vector<BufferRequest> reqs(bufs.size());
  for (size_t i = 0; i < bufs.size(); ++i) {
    Buf& b = bufs[i];
    if (b.last < b.first) b.last = b.first;
    reqs[i].name = g.value(b.root).name;
    reqs[i].size = gp.values[static_cast<size_t>(b.root)].size;
    reqs[i].first_use = b.first;
    reqs[i].last_use = b.last;
    reqs[i].alignment = opt.alignment;
    reqs[i].spaces = {0};
  }
  for (size_t vi = 0; vi < g.num_values(); ++vi) {
    if (is_act[vi]) gp.values[vi].buffer = buf_of_root.at(root_of(static_cast<ValueId>(vi)));
  }

  std::vector<MemorySpace> spaces = {MemorySpace{"dram", -1}};
  const bool use_sram = opt.sram_chaining && opt.sram_bytes > 0;
  if (use_sram) spaces.push_back(MemorySpace{opt.instance + ".sram", opt.sram_bytes});

  // Phase 1: chaining candidates into SRAM (a scratch space takes the rest). No single greedy
  // order wins on every graph, so three are tried and the plan that keeps the most bytes of
  // traffic in SRAM is kept (ties: the earlier order): largest first (the planner's own order),
  // most traffic first, and most traffic per byte-step of SRAM held first.
  std::vector<Placement> final_place(reqs.size());
  std::vector<char> in_sram(reqs.size(), 0);
  if (use_sram) {
    std::vector<BufferRequest> cand;
    std::vector<size_t> cand_idx;
    std::vector<int64_t> touches;
    for (size_t i = 0; i < bufs.size(); ++i) {
      const Buf& b = bufs[i];
      if (b.pinned_dram || b.segs.size() != 1 || reqs[i].size == 0 || reqs[i].size > opt.sram_bytes) continue;
      BufferRequest r = reqs[i];
      r.spaces = {0, 1};
      cand.push_back(r);
      cand_idx.push_back(i);
      touches.push_back(b.touches);
    }
    static const char* const kOrders[] = {"largest first", "most traffic first", "most traffic per byte-step first"};
    int64_t best_saved = -1;
    for (int order = 0; order < 3; ++order) {
      for (size_t k = 0; k < cand.size(); ++k) {
        const double hold = static_cast<double>(cand[k].size) * (cand[k].last_use - cand[k].first_use + 1);
        cand[k].priority = order == 0 ? 0 : order == 1 ? touches[k] : static_cast<int64_t>(1e6 * static_cast<double>(touches[k]) / hold);
      }
      auto p1 = PlanMemory(cand, {MemorySpace{"sram", opt.sram_bytes}, MemorySpace{"scratch", -1}});
      if (!p1.ok()) return p1.status();
      int64_t saved = 0;
      for (size_t k = 0; k < cand.size(); ++k) saved += p1->placements[k].space == 0 ? touches[k] : 0;
      if (saved <= best_saved) continue;
      best_saved = saved;
      gp.sram_order = kOrders[order];
      std::fill(in_sram.begin(), in_sram.end(), 0);
      for (size_t k = 0; k < cand.size(); ++k) {
        if (p1->placements[k].space == 0) {
          in_sram[cand_idx[k]] = 1;
          final_place[cand_idx[k]] = Placement{1, p1->placements[k].offset};
        }
      }
    }
  }
  // Phase 2: everything else into the DRAM arena, greedy by size.
  std::vector<BufferRequest> dram_reqs;
  std::vector<size_t> dram_idx;
  for (size_t i = 0; i < reqs.size(); ++i) {
    if (in_sram[i]) continue;
    dram_reqs.push_back(reqs[i]);
    dram_idx.push_back(i);
  }
  auto p2 = PlanMemory(dram_reqs, {spaces[0]});
  if (!p2.ok()) return p2.status();
  for (size_t k = 0; k < dram_reqs.size(); ++k) final_place[dram_idx[k]] = Placement{0, p2->placements[k].offset};

  // Assemble one plan over both spaces.
  MemoryPlan& mp = gp.plan;
  mp.spaces = spaces;
  mp.requests = reqs;
  for (size_t i = 0; i < reqs.size(); ++i) mp.requests[i].spaces = in_sram[i] ? std::vector<int>{1, 0} : std::vector<int>{0};
  mp.placements = final_place;
  mp.peak.assign(spaces.size(), 0);
  mp.lower_bound.assign(spaces.size(), 0);
  for (size_t s = 0; s < spaces.size(); ++s) {
    std::vector<BufferRequest> in_space;
    for (size_t i = 0; i < reqs.size(); ++i) {
      if (final_place[i].space != static_cast<int>(s)) continue;
      in_space.push_back(reqs[i]);
      mp.peak[s] = std::max(mp.peak[s], final_place[i].offset + reqs[i].size);
    }
    mp.lower_bound[s] = LiveBytesLowerBound(in_space);
  }
  EI_RETURN_IF_ERROR(CheckMemoryPlan(mp));
  EI_RETURN_IF_ERROR(ComputeTraffic(g, &gp));
  return gp;
}

Status ComputeTraffic(const Graph& g, GraphMemoryPlan* gp) {
  gp->layers.clear();
  gp->dram_bytes = gp->dram_bytes_unchained = gp->sram_bytes = 0;
  if (gp->values.size() != g.num_values()) return Status::Error("memory plan: it covers " + std::to_string(gp->values.size()) + " values, the graph has " + std::to_string(g.num_values()));
  auto space_of = [&](ValueId v) -> int {
    const ValueLocation& l = gp->values[static_cast<size_t>(v)];
    if (l.buffer < 0 || static_cast<size_t>(l.buffer) >= gp->plan.placements.size()) return -1;
    return gp->plan.placements[static_cast<size_t>(l.buffer)].space;
  };
  for (NodeId id : gp->order) {
    const Node& n = g.node(id);
    LayerTraffic t{n.name, n.op, n.engine, 0, 0, 0};
    // An in-place Concat moves nothing: its producers wrote into its output already.
    const bool in_place = n.op == "Concat" && !n.inputs.empty() && n.inputs[0] != kNoValue &&
                          gp->values[static_cast<size_t>(n.inputs[0])].buffer >= 0 && n.outputs.size() == 1 &&
                          gp->values[static_cast<size_t>(n.inputs[0])].buffer == gp->values[static_cast<size_t>(n.outputs[0])].buffer;
    if (!in_place) {
      auto account = [&](ValueId v) {
        if (v == kNoValue) return;
        const int s = space_of(v);
        if (s < 0) return;   // a constant
        const int64_t b = gp->values[static_cast<size_t>(v)].size;
        t.dram_bytes_unchained += b;
        if (s == 0) t.dram_bytes += b; else t.sram_bytes += b;
      };
      std::set<ValueId> read;
      for (ValueId v : n.inputs) if (v != kNoValue && read.insert(v).second) account(v);
      for (ValueId v : n.outputs) account(v);
    }
    gp->dram_bytes_unchained += t.dram_bytes_unchained;
    gp->dram_bytes += t.dram_bytes;
    gp->sram_bytes += t.sram_bytes;
    gp->layers.push_back(std::move(t));
  }
  return Status::Ok();
}

Status CheckExecutionOrder(const Graph& g, const std::vector<NodeId>& order) {
  const auto live = g.NodeIds();
  if (order.size() != live.size()) {
    return Status::Error("execution order: it has " + std::to_string(order.size()) + " steps, the graph has " + std::to_string(live.size()) + " live nodes (rule: one step per live node)");
  }
  std::vector<int> step_of(g.num_node_slots(), -1);
  for (size_t i = 0; i < order.size(); ++i) {
    const NodeId id = order[i];
    if (id < 0 || static_cast<size_t>(id) >= g.num_node_slots() || !g.node(id).alive || step_of[static_cast<size_t>(id)] >= 0) {
      return Status::Error("execution order: step " + std::to_string(i) + " names node " + std::to_string(id) + " which is not a distinct live node");
    }
    step_of[static_cast<size_t>(id)] = static_cast<int>(i);
  }
  for (size_t i = 0; i < order.size(); ++i) {
    for (ValueId v : g.node(order[i]).inputs) {
      if (v == kNoValue || v < 0 || static_cast<size_t>(v) >= g.num_values()) continue;
      const NodeId p = g.value(v).producer;
      if (p != kNoNode && step_of[static_cast<size_t>(p)] >= static_cast<int>(i)) {
        return Status::Error("execution order: " + g.Label(order[i]) + " runs before " + g.Label(p) + ", which produces its input '" +
                             g.value(v).name + "' (rule: producers run first)");
      }
    }
  }
  return Status::Ok();
}

Status ValidateGraphMemoryPlan(const Graph& g, const GraphMemoryPlan& gp) {
  const auto live = g.NodeIds();
  EI_RETURN_IF_ERROR(CheckExecutionOrder(g, gp.order));
  std::vector<int> step_of(g.num_node_slots(), -1);
  for (size_t i = 0; i < gp.order.size(); ++i) step_of[static_cast<size_t>(gp.order[i])] = static_cast<int>(i);
  if (gp.values.size() != g.num_values()) return Status::Error("memory plan: it covers " + std::to_string(gp.values.size()) + " values, the graph has " + std::to_string(g.num_values()));
  EI_RETURN_IF_ERROR(CheckMemoryPlan(gp.plan));
  const auto consumers = g.ConsumerMap();
  for (size_t vi = 0; vi < g.num_values(); ++vi) {
    const Value& v = g.value(static_cast<ValueId>(vi));
    const ValueLocation& l = gp.values[vi];
    if (l.buffer < 0) continue;
    if (static_cast<size_t>(l.buffer) >= gp.plan.requests.size()) return Status::Error("memory plan: value '" + v.name + "' names buffer " + std::to_string(l.buffer) + " out of range");
    const BufferRequest& r = gp.plan.requests[static_cast<size_t>(l.buffer)];
    auto bytes = ValueBytes(v, gp.options.batch);
    if (!bytes.ok()) return bytes.status();
    if (l.size != *bytes || l.offset_in_buffer < 0 || l.offset_in_buffer > r.size - l.size) {
      return Status::Error("memory plan: value '" + v.name + "' (" + std::to_string(*bytes) + " bytes) does not fit its buffer '" + r.name + "' (rule: slice inside its buffer)");
    }
    for (NodeId c : consumers[vi]) {
      const int s = step_of[static_cast<size_t>(c)];
      if (s > r.last_use || (v.producer != kNoNode && step_of[static_cast<size_t>(v.producer)] < r.first_use)) {
        return Status::Error("memory plan: buffer '" + r.name + "' [" + std::to_string(r.first_use) + "," + std::to_string(r.last_use) +
                             "] does not cover the uses of value '" + v.name + "' (rule: live from producer to last consumer)");
      }
    }
  }
  for (ValueId v : g.inputs()) {
    if (!g.value(v).IsConstant() && gp.values[static_cast<size_t>(v)].buffer < 0) return Status::Error("memory plan: graph input '" + g.value(v).name + "' has no buffer");
  }
  for (NodeId id : live) {
    for (ValueId o : g.node(id).outputs) {
      if (o != kNoValue && gp.values[static_cast<size_t>(o)].buffer < 0) return Status::Error("memory plan: output '" + g.value(o).name + "' of " + g.Label(id) + " has no buffer");
    }
  }
  return Status::Ok();
}

namespace {
std::string Mib(int64_t b) {
  char s[32];
  std::snprintf(s, sizeof s, "%.3f MiB", static_cast<double>(b) / (1024.0 * 1024.0));
  return s;
}
}  // namespace

std::string ExplainMemoryPlan(const GraphMemoryPlan& gp, bool per_layer) {
  std::ostringstream os;
  const MemoryPlan& mp = gp.plan;
  os << "memory plan for instance '" << gp.options.instance << "' at batch " << gp.options.batch << " (" << mp.requests.size()
     << " buffers, " << gp.in_place_concats << " in-place Concat)\n";
  for (size_t s = 0; s < mp.spaces.size(); ++s) {
    char line[256];
    const double ratio = mp.lower_bound[s] > 0 ? static_cast<double>(mp.peak[s]) / static_cast<double>(mp.lower_bound[s]) : 1.0;
    std::snprintf(line, sizeof line, "  %-12s peak %s (%lld bytes), lower bound %s, peak/bound %.3f%s\n", mp.spaces[s].name.c_str(),
                  Mib(mp.peak[s]).c_str(), static_cast<long long>(mp.peak[s]), Mib(mp.lower_bound[s]).c_str(), ratio,
                  mp.spaces[s].capacity >= 0 ? (", capacity " + Mib(mp.spaces[s].capacity)).c_str() : "");
    os << line;
  }
  int dla_segments = 0;
  for (const EngineRun& s : gp.segments) dla_segments += IsDla(s.engine);
  char line[256];
  if (mp.spaces.size() > 1) {
    std::snprintf(line, sizeof line,
                  "  SRAM chaining: %d DLA segment(s); activation DRAM traffic %s -> %s (saved %.1f%%), %s served by SRAM\n",
                  dla_segments, Mib(gp.dram_bytes_unchained).c_str(), Mib(gp.dram_bytes).c_str(), 100.0 * gp.SavedFraction(),
                  Mib(gp.sram_bytes).c_str());
  } else {
    std::snprintf(line, sizeof line, "  SRAM chaining: off for this instance; activation DRAM traffic %s\n", Mib(gp.dram_bytes).c_str());
  }
  os << line;
  if (!gp.sram_order.empty()) os << "  SRAM placement order: " << gp.sram_order << " (best of three greedy orders)\n";
  if (per_layer) {
    os << "  per layer (activation bytes written + read; DRAM without chaining -> with; SRAM):\n";
    for (const LayerTraffic& t : gp.layers) {
      std::snprintf(line, sizeof line, "    %-36s %-16s %-5s %10lld -> %10lld  sram %10lld\n", t.node.c_str(), t.op.c_str(),
                    t.engine.empty() ? "-" : t.engine.c_str(), static_cast<long long>(t.dram_bytes_unchained),
                    static_cast<long long>(t.dram_bytes), static_cast<long long>(t.sram_bytes));
      os << line;
    }
  }
  return os.str();
}

std::string MemoryPlanJson(const GraphMemoryPlan& gp, bool per_layer) {
  nlohmann::json j;
  j["instance"] = gp.options.instance;
  j["batch"] = gp.options.batch;
  j["sram_chaining"] = gp.options.sram_chaining;
  j["sram_bytes"] = gp.options.sram_bytes;
  j["buffers"] = gp.plan.requests.size();
  j["in_place_concats"] = gp.in_place_concats;
  nlohmann::json sp = nlohmann::json::array();
  for (size_t s = 0; s < gp.plan.spaces.size(); ++s) {
    sp.push_back({{"name", gp.plan.spaces[s].name}, {"capacity", gp.plan.spaces[s].capacity}, {"peak", gp.plan.peak[s]},
                  {"lower_bound", gp.plan.lower_bound[s]}});
  }
  j["spaces"] = sp;
  nlohmann::json seg = nlohmann::json::array();
  for (const EngineRun& s : gp.segments) seg.push_back({{"engine", s.engine}, {"first_step", s.first_step}, {"steps", s.num_steps}});
  j["segments"] = seg;
  j["activation_dram_bytes_unchained"] = gp.dram_bytes_unchained;
  j["activation_dram_bytes"] = gp.dram_bytes;
  j["activation_sram_bytes"] = gp.sram_bytes;
  j["dram_saved_fraction"] = gp.SavedFraction();
  j["sram_order"] = gp.sram_order;
  if (per_layer) {
    nlohmann::json l = nlohmann::json::array();
    for (const LayerTraffic& t : gp.layers) {
      l.push_back({{"node", t.node}, {"op", t.op}, {"engine", t.engine}, {"dram_bytes_unchained", t.dram_bytes_unchained},
                   {"dram_bytes", t.dram_bytes}, {"sram_bytes", t.sram_bytes}});
    }
    j["layers"] = l;
  }
  return j.dump(2);
}

}  // namespace edgeinfer::runtime
