#include "runtime/partition.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "devices/cpu/reference_executor.h"
#include "devices/dla/capability.h"
#include "devices/dla/dla_device.h"
#include "devices/cpu_model/cpu_timing_model.h"
#include "devices/dla/timing_model.h"
#include "devices/soc/dram_model.h"
#include "devices/gpu_model/gpu_timing_model.h"
#include "devices/soc/layer_work.h"

namespace edgeinfer::runtime {

using devices::SocProfile;

namespace {

std::string PrecisionWord(DType t) {
  if (t == DType::kInt8 || t == DType::kFloat16 || t == DType::kFloat32) return PrecisionName(PrecisionOfDType(t));
  return DTypeName(t);
}

int64_t LinearBytes(const Value& v) {
  const int64_t n = v.shape.NumElements();
  return n < 0 ? 0 : n * static_cast<int64_t>(DTypeSize(v.dtype));
}

// Bytes of v in a channel-blocked format (channels padded to the block; dim 1 is the channel).
int64_t BlockedBytes(const Value& v, int block) {
  if (v.shape.rank() < 2 || block <= 1 || !v.shape.IsStatic()) return LinearBytes(v);
  int64_t n = 1;
  for (size_t i = 0; i < v.shape.rank(); ++i) {
    int64_t d = v.shape.dims[i];
    if (i == 1) d = (d + block - 1) / block * block;
    n *= d;
  }
  return n * static_cast<int64_t>(DTypeSize(v.dtype));
}

// Engine-preferring topological order of the live nodes (step 2).
Result<std::vector<NodeId>> EngineOrder(const Graph& g, const std::map<NodeId, EngineClass>& engine) {
  const std::vector<std::vector<NodeId>> consumers = g.ConsumerMap();
  std::map<NodeId, int> indeg;
  for (NodeId id : g.NodeIds()) {
    std::set<NodeId> producers;
    for (ValueId v : g.node(id).inputs) {
      if (v == kNoValue) continue;
      NodeId p = g.value(v).producer;
      if (p != kNoNode && g.node(p).alive) producers.insert(p);
    }
    indeg[id] = static_cast<int>(producers.size());
  }
  std::map<EngineClass, std::set<NodeId>> ready;
  for (const auto& [id, d] : indeg) if (d == 0) ready[engine.at(id)].insert(id);
  std::vector<NodeId> order;
  bool have_current = false;
  EngineClass current = EngineClass::kDla;
  while (true) {
    if (!have_current || ready[current].empty()) {
      // Switch to the engine whose earliest ready node comes first.
      NodeId best = kNoNode;
      for (auto& [e, s] : ready) {
        if (!s.empty() && (best == kNoNode || *s.begin() < best)) { best = *s.begin(); current = e; }
      }
      if (best == kNoNode) break;
      have_current = true;
    }
    NodeId id = *ready[current].begin();
    ready[current].erase(ready[current].begin());
    order.push_back(id);
    std::set<NodeId> done;
    for (ValueId v : g.node(id).outputs) {
      for (NodeId c : consumers[static_cast<size_t>(v)]) {
        if (done.count(c)) continue;
        done.insert(c);
        if (--indeg[c] == 0) ready[engine.at(c)].insert(c);
      }
    }
  }
  if (order.size() != g.NumLiveNodes()) return Status::Error("partition: the graph has a cycle");
  return order;
}

// Step 3: segments (runs of one engine) with their boundary values.
std::vector<Segment> MakeSegments(const Graph& g, const std::vector<NodeId>& order, const std::map<NodeId, EngineClass>& engine) {
  std::vector<Segment> segs;
  std::map<NodeId, int> seg_of;
  for (NodeId id : order) {
    if (segs.empty() || segs.back().engine != engine.at(id)) {
      Segment s;
      s.index = static_cast<int>(segs.size());
      s.engine = engine.at(id);
      segs.push_back(s);
    }
    segs.back().nodes.push_back(id);
    seg_of[id] = segs.back().index;
  }
  const std::vector<std::vector<NodeId>> consumers = g.ConsumerMap();
  for (Segment& s : segs) {
    std::set<ValueId> in_seen, out_seen;
    for (NodeId id : s.nodes) {
      for (ValueId v : g.node(id).inputs) {
        if (v == kNoValue || g.value(v).IsConstant() || in_seen.count(v)) continue;
        NodeId p = g.value(v).producer;
        if (p == kNoNode || seg_of.at(p) != s.index) { s.inputs.push_back(v); in_seen.insert(v); }
      }
      for (ValueId v : g.node(id).outputs) {
        bool leaves = g.IsGraphOutput(v);
        for (NodeId c : consumers[static_cast<size_t>(v)]) leaves = leaves || seg_of.at(c) != s.index;
        if (leaves && !out_seen.count(v)) { s.outputs.push_back(v); out_seen.insert(v); }
      }
    }
  }
  return segs;
}

}  // namespace

int PartitionPlan::NumNodes(EngineClass e) const {
  return static_cast<int>(std::count_if(nodes.begin(), nodes.end(), [&](const NodeAssignment& n) { return n.engine == e; }));
}
int PartitionPlan::NumSegments(EngineClass e) const {
  return static_cast<int>(std::count_if(segments.begin(), segments.end(), [&](const Segment& s) { return s.engine == e; }));
}
int64_t PartitionPlan::ConversionBytes() const {
  int64_t b = 0;
  for (const auto& c : conversions) b += c.bytes_read + c.bytes_written;
  return b;
}
double PartitionPlan::PredictedSeconds(EngineClass e) const {
  double s = 0;
  for (const auto& n : nodes) if (n.engine == e) s += n.predicted_s;
  return s;
}
double PartitionPlan::ConversionSeconds() const {
  double s = 0;
  for (const auto& c : conversions) s += c.predicted_s;
  return s;
}
double PartitionPlan::PredictedTotalSeconds() const {
  double s = ConversionSeconds();
  for (const auto& n : nodes) s += n.predicted_s;
  return s;
}
const NodeAssignment* PartitionPlan::Find(const std::string& node_name) const {
  for (const auto& n : nodes) if (n.name == node_name) return &n;
  return nullptr;
}

bool IsViewOp(const std::string& op) {
  return op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" || op == "Identity";
}

bool IsInPlaceConcat(const Node& n) { return n.op == "Concat" && n.attrs.GetInt("in_place", 0) != 0; }

Result<PartitionPlan> PlanPartition(const Graph& g, const SocProfile& soc, const PartitionOptions& opts) {
  PartitionPlan plan;
  plan.model = g.name;
  plan.soc = soc.name;
  plan.power_mode = soc.active_power_mode;
  plan.fallback = soc.gpu.present ? EngineClass::kGpu : EngineClass::kCpu;
  plan.dla_segment_limit = opts.max_dla_segments > 0 ? opts.max_dla_segments : soc.dla.limits.max_loadables_per_core;
  const std::string fb = EngineClassName(plan.fallback);

  // 1. assign.
  std::map<NodeId, EngineClass> engine;
  std::map<NodeId, std::string> reason;
  for (NodeId id : g.NodeIds()) {
    devices::Support s = devices::DlaSupport(soc, g, id);
    engine[id] = s.ok ? EngineClass::kDla : plan.fallback;
    if (!s.ok) reason[id] = s.reason;
  }
  // 2-4. order, segment, honour the segment limit.
  std::vector<Segment> segs;
  bool first = true;
  while (true) {
    EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, EngineOrder(g, engine));
    segs = MakeSegments(g, order, engine);
    int dla = 0;
    for (const Segment& s : segs) dla += s.engine == EngineClass::kDla;
    if (first) { plan.dla_segments_before_limit = dla; first = false; }
    if (plan.dla_segment_limit <= 0 || dla <= plan.dla_segment_limit) break;
    // The smallest DLA segment by MACs, then nodes, then the later one.
    const Segment* victim = nullptr;
    int64_t victim_macs = 0;
    for (const Segment& s : segs) {
      if (s.engine != EngineClass::kDla) continue;
      int64_t macs = 0;
      for (NodeId id : s.nodes) {
        auto w = devices::DescribeNode(g, id);
        if (w.ok()) macs += w->Macs();
      }
      if (!victim || macs < victim_macs || (macs == victim_macs && s.nodes.size() <= victim->nodes.size())) {
        victim = &s;
        victim_macs = macs;
      }
    }
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.3g", static_cast<double>(victim_macs));
    for (NodeId id : victim->nodes) {
      engine[id] = plan.fallback;
      reason[id] = g.Label(id) + ": moved to the " + fb + ": the plan had " + std::to_string(dla) +
                   " DLA segments, more than the DLA's limit of " + std::to_string(plan.dla_segment_limit) +
                   " loadables per core (" + soc.name + " dla.limits.max_loadables_per_core); its segment of " +
                   std::to_string(victim->nodes.size()) + " layer(s), " + buf + " MACs, was the smallest";
    }
  }

  // Node records and per-node timing (step 6).
  std::map<NodeId, int> seg_of;
  for (const Segment& s : segs) for (NodeId id : s.nodes) seg_of[id] = s.index;
  for (Segment& s : segs) {
    for (NodeId id : s.nodes) {
      const Node& n = g.node(id);
      NodeAssignment a;
      a.node = id;
      a.name = n.name;
      a.op = n.op;
      a.dtype = PrecisionWord(devices::NodeDataType(g, id));
      a.engine = engine.at(id);
      a.segment = s.index;
      auto r = reason.find(id);
      if (r != reason.end()) a.reason = r->second;
      if (opts.timing) {
        auto w = devices::DescribeNode(g, id);
        if (!w.ok()) {
          a.timing_note = w.status().message();
        } else {
          a.macs = w->Macs();
          if (IsViewOp(n.op)) {
            a.predicted_s = 0;   // a view: no kernel, no data moved (the runtime skips it too)
          } else if (a.engine == EngineClass::kDla && w->kind == devices::LayerKind::kOther) {
            // Data movement the DLA does with its DMA (Concat, Split, Resize nearest, Transpose): its
            // bytes at the DLA's DRAM ceiling plus the per-layer overhead, as the runtime charges it.
            const double bytes = IsInPlaceConcat(n) ? 0.0 : static_cast<double>(w->input_bytes + w->output_bytes);
            const double bw = devices::EngineDramCeiling(soc, devices::EngineClass::kDla);
            a.predicted_s = soc.dla.layer_overhead_cycles / soc.dla.clock_hz + (bw > 0 ? bytes / bw : 0.0);
          } else if (a.engine == EngineClass::kDla) {
            auto t = devices::DlaLayerTiming(soc, *w);
            if (t.ok()) a.predicted_s = t->total_s;
            else a.timing_note = "not timed on the DLA: " + t.status().message();
          } else if (a.engine == EngineClass::kGpu) {
            auto t = devices::GpuLayerTiming(soc, *w);
            if (t.ok()) a.predicted_s = t->total_s;
            else a.timing_note = "not timed on the GPU: " + t.status().message();
          } else {
            auto t = devices::CpuLayerTiming(soc, *w);
            if (t.ok()) a.predicted_s = t->total_s;
            else a.timing_note = "not timed on the CPU: " + t.status().message();
          }
        }
      }
      s.macs += a.macs;
      s.predicted_s += a.predicted_s;
      plan.nodes.push_back(a);
    }
  }

  // 5. conversions at DLA boundaries (one per value and direction).
  const std::vector<std::vector<NodeId>> consumers = g.ConsumerMap();
  std::set<std::pair<ValueId, bool>> done;   // (value, to_dla)
  auto add_conversion = [&](ValueId v, int from, int to, bool from_dla, bool to_dla) {
    if (from_dla == to_dla || done.count({v, to_dla})) return;
    done.insert({v, to_dla});
    const Value& val = g.value(v);
    const std::string native = devices::DlaNativeFormat(soc, val.dtype);
    const int block = devices::FormatChannelBlock(native);
    const std::string prec = PrecisionWord(val.dtype);
    FormatConversion c;
    c.value = v;
    c.value_name = val.name;
    c.from_segment = from;
    c.to_segment = to;
    const std::string lin = "linear " + prec + " " + val.shape.ToString();
    const std::string nat = (native.empty() ? std::string("native") : native) + " " + prec;
    c.from_format = from_dla ? nat : lin;
    c.to_format = to_dla ? nat : lin;
    c.bytes_read = from_dla ? BlockedBytes(val, block) : LinearBytes(val);
    c.bytes_written = to_dla ? BlockedBytes(val, block) : LinearBytes(val);
    if (opts.timing) {
      // The fallback engine does the reformat: a GPU kernel, or a CPU copy on a GPU-less SoC.
      devices::LayerWork w;
      w.name = "reformat " + val.name;
      w.kind = devices::LayerKind::kOther;
      w.input_bytes = c.bytes_read;
      w.output_bytes = c.bytes_written;
      w.precision_bytes = static_cast<int>(std::max<size_t>(1, DTypeSize(val.dtype)));
      if (soc.gpu.present) {
        auto t = devices::GpuLayerTiming(soc, w);
        if (t.ok()) c.predicted_s = t->total_s;
        else c.timing_note = t.status().message();
      } else {
        auto t = devices::CpuLayerTiming(soc, w);
        if (t.ok()) c.predicted_s = t->total_s;
        else c.timing_note = "not timed on the CPU: " + t.status().message();
      }
    }
    plan.conversions.push_back(c);
  };
  // INT8 network I/O (--io-format int8; Graph::metadata "io_format") is exchanged in the INT8 layout
  // the DLA and the GPU share (CHW32, as NVIDIA's harness feeds its DLA engines; TensorRT's
  // int8:chw32 I/O format), so its int8 graph inputs and outputs need no reformat at the network
  // boundary. Other I/O is linear and is reformatted on the GPU.
  const auto io = g.metadata.find("io_format");
  const bool int8_io = io != g.metadata.end() && io->second == IoFormatName(IoFormat::kInt8);
  auto native_io = [&](ValueId v) { return int8_io && g.value(v).dtype == DType::kInt8; };
  for (const Segment& s : segs) {
    const bool dla = s.engine == EngineClass::kDla;
    for (ValueId v : s.inputs) {
      NodeId p = g.value(v).producer;
      if (p == kNoNode && !native_io(v)) add_conversion(v, -1, s.index, false, dla);   // graph input from host memory
    }
    for (ValueId v : s.outputs) {
      std::set<int> to;
      for (NodeId c : consumers[static_cast<size_t>(v)]) if (seg_of.at(c) != s.index) to.insert(seg_of.at(c));
      for (int t : to) add_conversion(v, s.index, t, dla, segs[static_cast<size_t>(t)].engine == EngineClass::kDla);
      if (g.IsGraphOutput(v) && !native_io(v)) add_conversion(v, s.index, -1, dla, false);
    }
  }
  for (const Segment& s : segs) {
    for (ValueId v : s.inputs) plan.value_names[v] = g.value(v).name;
    for (ValueId v : s.outputs) plan.value_names[v] = g.value(v).name;
  }
  plan.segments = std::move(segs);
  return plan;
}

Result<PartitionPlan> Partition(Graph& g, const SocProfile& soc, const PartitionOptions& opts) {
  EI_ASSIGN_OR_RETURN(PartitionPlan plan, PlanPartition(g, soc, opts));
  for (const NodeAssignment& a : plan.nodes) g.node(a.node).engine = EngineClassName(a.engine);
  return plan;
}

namespace {
std::string Ms(double s) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.4f", s * 1e3);
  return b;
}
std::string Bytes(int64_t b) {
  char buf[32];
  if (b >= (1 << 20)) std::snprintf(buf, sizeof(buf), "%.2f MiB", static_cast<double>(b) / (1 << 20));
  else if (b >= 1024) std::snprintf(buf, sizeof(buf), "%.1f KiB", static_cast<double>(b) / 1024);
  else std::snprintf(buf, sizeof(buf), "%lld B", static_cast<long long>(b));
  return buf;
}
}  // namespace

std::string PartitionPlan::ToText() const {
  // Boundary values by name (ids are kept in the JSON form); at most 3, then a count.
  auto ValueList = [&](const std::vector<ValueId>& vs) {
    std::string r;
    for (size_t i = 0; i < vs.size() && i < 3; ++i) {
      auto it = value_names.find(vs[i]);
      r += (i ? ", " : "") + (it != value_names.end() ? it->second : "%" + std::to_string(vs[i]));
    }
    if (vs.size() > 3) r += " +" + std::to_string(vs.size() - 3) + " more";
    return r.empty() ? std::string("-") : r;
  };
  std::string s;
  const std::string fb = EngineClassName(fallback);
  s += "partition of '" + model + "' on " + soc + (power_mode.empty() ? "" : " (" + power_mode + ")") + "\n";
  s += "  layers: " + std::to_string(NumNodes(EngineClass::kDla)) + " on the DLA, " + std::to_string(NumNodes(fallback)) +
       " on the " + fb + "\n";
  s += "  segments: " + std::to_string(NumSegments(EngineClass::kDla)) + " DLA, " + std::to_string(NumSegments(fallback)) + " " +
       fb + " (DLA limit " + std::to_string(dla_segment_limit) + " per core";
  if (dla_segments_before_limit > NumSegments(EngineClass::kDla)) {
    s += "; " + std::to_string(dla_segments_before_limit) + " before the limit, the smallest moved to the " + fb;
  }
  s += ")\n";
  s += "  format conversions: " + std::to_string(conversions.size()) + ", " + Bytes(ConversionBytes()) + " moved, " +
       Ms(ConversionSeconds()) + " ms\n";
  s += "  predicted target time (one inference, sequential): DLA " + Ms(PredictedSeconds(EngineClass::kDla)) + " ms + " + fb +
       " " + Ms(PredictedSeconds(fallback)) + " ms + conversions " + Ms(ConversionSeconds()) + " ms = " +
       Ms(PredictedTotalSeconds()) + " ms [target clock]\n";
  int untimed = 0;
  std::string first_note;
  for (const NodeAssignment& a : nodes)
    if (!a.timing_note.empty() && untimed++ == 0) first_note = a.name + ": " + a.timing_note;
  for (const FormatConversion& c : conversions)
    if (!c.timing_note.empty() && untimed++ == 0) first_note = "reformat " + c.value_name + ": " + c.timing_note;
  if (untimed > 0) {
    s += "  WARNING: " + std::to_string(untimed) + " layer(s)/conversion(s) have no target time, so the total leaves them out (" +
         first_note + ")\n";
  }
  s += "\nsegments:\n";
  for (const Segment& sg : segments) {
    s += "  #" + std::to_string(sg.index) + " " + EngineClassName(sg.engine) + "  " + std::to_string(sg.nodes.size()) +
         " layer(s), " + Ms(sg.predicted_s) + " ms  in: " + ValueList(sg.inputs) + "  out: " + ValueList(sg.outputs) + "\n";
  }
  s += "\nlayers (target ms on the engine shown; why it is not on the DLA):\n";
  char line[512];
  for (const NodeAssignment& a : nodes) {
    std::snprintf(line, sizeof(line), "  %-36s %-16s %-5s %-4s seg %-3d %10s", a.name.substr(0, 36).c_str(), a.op.c_str(),
                  a.dtype.c_str(), EngineClassName(a.engine), a.segment, a.timing_note.empty() ? Ms(a.predicted_s).c_str() : "-");
    s += line;
    if (!a.reason.empty()) s += "  " + a.reason;
    else if (!a.timing_note.empty()) s += "  (" + a.timing_note + ")";
    s += "\n";
  }
  if (!conversions.empty()) {
    s += "\nformat conversions:\n";
    for (const FormatConversion& c : conversions) {
      s += "  " + c.value_name + ": " + c.from_format + " (" + (c.from_segment < 0 ? std::string("host") : "seg " + std::to_string(c.from_segment)) +
           ") -> " + c.to_format + " (" + (c.to_segment < 0 ? std::string("host") : "seg " + std::to_string(c.to_segment)) + "), " +
           Bytes(c.bytes_read) + " read, " + Bytes(c.bytes_written) + " written, " + Ms(c.predicted_s) + " ms\n";
    }
  }
  return s;
}

std::string PartitionPlan::ToJson() const {
  nlohmann::ordered_json j;
  j["model"] = model;
  j["soc"] = soc;
  j["power_mode"] = power_mode;
  j["clock"] = "target";
  j["fallback_engine"] = EngineClassName(fallback);
  j["dla_segment_limit"] = dla_segment_limit;
  j["dla_segments_before_limit"] = dla_segments_before_limit;
  j["summary"] = {{"dla_layers", NumNodes(EngineClass::kDla)},
                  {"fallback_layers", NumNodes(fallback)},
                  {"dla_segments", NumSegments(EngineClass::kDla)},
                  {"fallback_segments", NumSegments(fallback)},
                  {"conversions", conversions.size()},
                  {"conversion_bytes", ConversionBytes()},
                  {"predicted_dla_ms", PredictedSeconds(EngineClass::kDla) * 1e3},
                  {"predicted_fallback_ms", PredictedSeconds(fallback) * 1e3},
                  {"predicted_conversion_ms", ConversionSeconds() * 1e3},
                  {"predicted_total_ms", PredictedTotalSeconds() * 1e3}};
  nlohmann::ordered_json segs = nlohmann::ordered_json::array();
  for (const Segment& s : segments) {
    nlohmann::ordered_json sj;
    sj["index"] = s.index;
    sj["engine"] = EngineClassName(s.engine);
    nlohmann::ordered_json ns = nlohmann::ordered_json::array();
    for (NodeId id : s.nodes) {
      auto it = std::find_if(nodes.begin(), nodes.end(), [&](const NodeAssignment& a) { return a.node == id; });
      ns.push_back(it != nodes.end() ? it->name : std::to_string(id));
    }
    sj["nodes"] = ns;
    nlohmann::ordered_json in = nlohmann::ordered_json::array(), out = nlohmann::ordered_json::array();
    for (ValueId v : s.inputs) in.push_back(value_names.count(v) ? value_names.at(v) : std::to_string(v));
    for (ValueId v : s.outputs) out.push_back(value_names.count(v) ? value_names.at(v) : std::to_string(v));
    sj["inputs"] = in;
    sj["outputs"] = out;
    sj["macs"] = s.macs;
    sj["predicted_ms"] = s.predicted_s * 1e3;
    segs.push_back(sj);
  }
  j["segments"] = segs;
  nlohmann::ordered_json ns = nlohmann::ordered_json::array();
  for (const NodeAssignment& a : nodes) {
    nlohmann::ordered_json nj;
    nj["id"] = a.node;
    nj["name"] = a.name;
    nj["op"] = a.op;
    nj["precision"] = a.dtype;
    nj["engine"] = EngineClassName(a.engine);
    nj["segment"] = a.segment;
    nj["reason"] = a.reason;
    nj["macs"] = a.macs;
    if (a.timing_note.empty()) nj["predicted_ms"] = a.predicted_s * 1e3;
    else { nj["predicted_ms"] = nullptr; nj["timing_note"] = a.timing_note; }
    ns.push_back(nj);
  }
  j["layers"] = ns;
  nlohmann::ordered_json cs = nlohmann::ordered_json::array();
  for (const FormatConversion& c : conversions) {
    cs.push_back({{"value", c.value_name}, {"from_segment", c.from_segment}, {"to_segment", c.to_segment},
                  {"from_format", c.from_format}, {"to_format", c.to_format}, {"bytes_read", c.bytes_read},
                  {"bytes_written", c.bytes_written}, {"predicted_ms", c.predicted_s * 1e3}});
  }
  j["conversions"] = cs;
  return j.dump(2);
}

Result<Graph> SegmentGraph(const Graph& g, const Segment& s) {
  Graph out;
  out.name = g.name + ".seg" + std::to_string(s.index);
  out.opset = g.opset;
  std::map<ValueId, ValueId> map;
  auto get = [&](ValueId v) -> ValueId {
    if (v == kNoValue) return kNoValue;
    auto it = map.find(v);
    if (it != map.end()) return it->second;
    const Value& src = g.value(v);
    ValueId nv = src.IsConstant() ? out.AddConstant(src.name, src.constant) : out.AddValue(src.name, src.dtype, src.shape);
    out.value(nv).quant = src.quant;
    if (out.value(nv).name != src.name) return kNoValue;   // cannot happen: names are unique in g
    map[v] = nv;
    return nv;
  };
  for (ValueId v : s.inputs) out.inputs().push_back(get(v));
  for (NodeId id : s.nodes) {
    const Node& n = g.node(id);
    std::vector<ValueId> ins, outs;
    for (ValueId v : n.inputs) ins.push_back(get(v));
    for (ValueId v : n.outputs) outs.push_back(get(v));
    NodeId nid = out.AddNode(n.op, n.name, ins, outs, n.attrs);
    out.node(nid).engine = n.engine;
  }
  for (ValueId v : s.outputs) out.outputs().push_back(get(v));
  EI_RETURN_IF_ERROR(out.VerifyStructure().WithContext("segment " + std::to_string(s.index)));
  return out;
}

Status PartitionedExecutor::Prepare(std::shared_ptr<const Graph> graph, const PartitionPlan& plan, const SocProfile& soc,
                                    int dla_threads) {
  parts_.clear();
  for (const Segment& s : plan.segments) {
    EI_ASSIGN_OR_RETURN(Graph sg, SegmentGraph(*graph, s));
    Part p;
    p.segment = s.index;
    p.engine = s.engine;
    p.graph = std::make_shared<const Graph>(std::move(sg));
    if (s.engine == EngineClass::kDla) {
      devices::DlaDeviceOptions o;
      o.num_threads = dla_threads;
      p.device = std::make_unique<devices::DlaDevice>(soc, o);
    } else {
      p.device = std::make_unique<devices::ReferenceDevice>();
    }
    EI_RETURN_IF_ERROR(p.device->Prepare(p.graph).WithContext("segment " + std::to_string(s.index)));
    parts_.push_back(std::move(p));
  }
  graph_ = std::move(graph);
  return Status::Ok();
}

Status PartitionedExecutor::Launch(const devices::TensorMap& inputs, devices::TensorMap* outputs) {
  if (!graph_) return Status::Error("PartitionedExecutor: Launch before Prepare");
  EI_RETURN_IF_ERROR(devices::ValidateInputs(*graph_, inputs, false));
  devices::TensorMap live = inputs;
  for (Part& p : parts_) {
    devices::TensorMap in, out;
    for (ValueId v : p.graph->inputs()) {
      const std::string& name = p.graph->value(v).name;
      auto it = live.find(name);
      if (it == live.end()) return Status::Error("segment " + std::to_string(p.segment) + ": input '" + name + "' was not produced");
      in[name] = it->second;
    }
    EI_RETURN_IF_ERROR(p.device->Launch(in, &out).WithContext("segment " + std::to_string(p.segment)));
    EI_RETURN_IF_ERROR(p.device->Sync());
    for (auto& [name, t] : out) live[name] = std::move(t);
  }
  outputs->clear();
  for (ValueId v : graph_->outputs()) {
    const Value& val = graph_->value(v);
    if (val.IsConstant()) { (*outputs)[val.name] = *val.constant; continue; }
    auto it = live.find(val.name);
    if (it == live.end()) return Status::Error("graph output '" + val.name + "' was not produced");
    (*outputs)[val.name] = it->second;
  }
  return Status::Ok();
}

std::string PartitionedExecutor::Describe(bool verbose) const {
  std::string s;
  for (const Part& p : parts_) {
    s += "segment " + std::to_string(p.segment) + " (" + EngineClassName(p.engine) + ", " +
         std::to_string(p.graph->NumLiveNodes()) + " layer(s)) runs on " + p.device->name() +
         (p.engine == EngineClass::kDla ? "" : " standing in for the " + std::string(EngineClassName(p.engine))) + "\n";
    if (verbose) {
      if (auto* d = dynamic_cast<const devices::DlaDevice*>(p.device.get())) s += d->Explain();
    }
  }
  return s;
}

}  // namespace edgeinfer::runtime
