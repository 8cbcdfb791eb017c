// Engine instances: target programs from the timing models, interim DLA partition and SRAM
// placement, and the shared functional executors (see engine_instance.h).
#include "runtime/engine_instance.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "devices/cpu/reference_executor.h"
#include "devices/dla/timing_model.h"
#include "devices/gpu_model/gpu_timing_model.h"
#include "devices/soc/layer_work.h"
#include "runtime/memory_planner.h"
#ifdef EDGEINFER_HAVE_DNNL
#include "devices/cpu/fast/fast_device.h"
#endif
#ifdef EDGEINFER_HAVE_CUDA
#include "devices/cuda/cuda_device.h"
#endif

namespace edgeinfer::runtime {

using devices::EngineClass;
using devices::LayerKind;
using devices::LayerWork;

const char* EngineKindName(EngineKind k) {
  switch (k) {
    case EngineKind::kGpu: return "gpu";
    case EngineKind::kDla: return "dla";
    case EngineKind::kCpu: return "cpu";
  }
  return "?";
}

EngineClass ClassOf(EngineKind k) {
  switch (k) {
    case EngineKind::kGpu: return EngineClass::kGpu;
    case EngineKind::kDla: return EngineClass::kDla;
    case EngineKind::kCpu: return EngineClass::kCpu;
  }
  return EngineClass::kGpu;
}

Result<std::vector<EngineSpec>> ParseEngineList(const std::string& list, const devices::SocProfile& soc) {
  std::vector<EngineSpec> out;
  std::set<std::string> seen;
  auto add = [&](EngineSpec s) {
    if (seen.insert(s.name).second) out.push_back(s);
  };
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(std::remove_if(item.begin(), item.end(), ::isspace), item.end());
    std::transform(item.begin(), item.end(), item.begin(), ::tolower);
    if (item.empty()) continue;
    if (item == "gpu" || item == "all") {
      if (!soc.gpu.present) return Status::Error("engine '" + item + "': SoC profile '" + soc.name + "' has no GPU");
      add({EngineKind::kGpu, 0, "gpu"});
      if (item == "gpu") continue;
    }
    if (item == "dla" || item == "all") {
      for (int i = 0; i < soc.dla.cores; ++i) add({EngineKind::kDla, i, "dla" + std::to_string(i)});
      if (soc.dla.cores == 0 && item == "dla") return Status::Error("engine 'dla': SoC profile '" + soc.name + "' has no DLA");
      continue;
    }
    if (item == "cpu") {
      add({EngineKind::kCpu, 0, "cpu"});
      continue;
    }
    if (item.rfind("dla", 0) == 0 && item.size() > 3 && std::all_of(item.begin() + 3, item.end(), ::isdigit)) {
      const int i = std::stoi(item.substr(3));
      if (i >= soc.dla.cores)
        return Status::Error("engine '" + item + "': SoC profile '" + soc.name + "' has " + std::to_string(soc.dla.cores) + " DLA cores");
      add({EngineKind::kDla, i, item});
      continue;
    }
    return Status::Error("engine '" + item + "': unknown (expected gpu, dla, dlaN, cpu or all)");
  }
  if (out.empty()) return Status::Error("engine list '" + list + "' names no engine");
  return out;
}

std::string EngineListString(const std::vector<EngineSpec>& engines) {
  std::string s;
  for (const EngineSpec& e : engines) s += (s.empty() ? "" : ",") + e.name;
  return s;
}

namespace {

// Ops that are views of their input (no kernel on either engine: the engines alias the buffer).
bool IsView(const std::string& op) {
  return op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" || op == "Identity";
}

std::string DTypeShort(DType t) {
  switch (t) {
    case DType::kInt8: return "int8";
    case DType::kFloat16: return "fp16";
    case DType::kFloat32: return "fp32";
    default: return "other";
  }
}

// The precision a node computes in: its first non-constant input's dtype (else its output's).
DType ComputeDType(const Graph& g, const Node& n) {
  for (ValueId v : n.inputs)
    if (v != kNoValue && !g.value(v).IsConstant()) return g.value(v).dtype;
  return n.outputs.empty() ? DType::kUndefined : g.value(n.outputs[0]).dtype;
}

int64_t ValueBytes(const Graph& g, ValueId v, int64_t batch) {
  const Value& val = g.value(v);
  int64_t n = 1;
  for (int64_t d : val.shape.dims) n *= d == kDynamic ? batch : d;
  return n * static_cast<int64_t>(DTypeSize(val.dtype));
}

}  // namespace

std::vector<NodePlacement> PlaceNodesForDla(const Graph& g, const devices::SocProfile& soc) {
  std::vector<NodePlacement> out;
  const std::set<std::string> ops(soc.dla.limits.ops.begin(), soc.dla.limits.ops.end());
  const std::set<std::string> precisions(soc.dla.precisions.begin(), soc.dla.precisions.end());
  auto order = g.TopoOrder();
  const std::vector<NodeId> ids = order.ok() ? order.value() : g.NodeIds();
  for (NodeId id : ids) {
    const Node& n = g.node(id);
    NodePlacement p;
    p.node = id;
    p.engine = "dla";
    const std::string prec = DTypeShort(ComputeDType(g, n));
    if (soc.dla.cores <= 0) {
      p.engine = "gpu";
      p.reason = "SoC profile '" + soc.name + "' has no DLA";
    } else if (!ops.count(n.op)) {
      p.engine = "gpu";
      p.reason = g.Label(id) + ": op not in the DLA's op list (" + soc.name + " dla.limits.ops)";
    } else if (!precisions.count(prec)) {
      p.engine = "gpu";
      p.reason = g.Label(id) + ": computes in " + prec + ", not a DLA precision (" + soc.name + " dla.precisions)";
    }
    out.push_back(p);
  }
  return out;
}

namespace {

// Interim SRAM chaining: which values of the DLA segments live in the core's SRAM at `batch`.
std::set<ValueId> PlaceSramForDla(const Graph& g, const std::vector<NodeId>& order, const std::vector<NodePlacement>& place,
                                  const devices::SocProfile& soc, int64_t batch) {
  std::set<ValueId> sram;
  const int64_t budget = soc.dla.sram_default_bytes > 0 ? soc.dla.sram_default_bytes : soc.dla.sram_bytes_per_core;
  if (budget <= 0) return sram;
  std::vector<int> step_of(g.num_node_slots(), -1), segment(order.size(), 0);
  int seg = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    step_of[static_cast<size_t>(order[i])] = static_cast<int>(i);
    if (i > 0 && place[i].engine != place[i - 1].engine) ++seg;
    segment[i] = seg;
  }
  const auto consumers = g.ConsumerMap();
  std::vector<BufferRequest> reqs;
  std::vector<ValueId> req_value;
  for (size_t i = 0; i < order.size(); ++i) {
    if (place[i].engine != "dla") continue;
    for (ValueId v : g.node(order[i]).outputs) {
      if (v == kNoValue || g.IsGraphOutput(v)) continue;
      const auto& cons = consumers[static_cast<size_t>(v)];
      if (cons.empty()) continue;
      int last = static_cast<int>(i);
      bool ok = true;
      for (NodeId c : cons) {
        const int s = step_of[static_cast<size_t>(c)];
        if (s < 0 || place[static_cast<size_t>(s)].engine != "dla" || segment[static_cast<size_t>(s)] != segment[i]) ok = false;
        last = std::max(last, s);
      }
      if (!ok) continue;
      BufferRequest r;
      r.name = g.value(v).name;
      r.size = ValueBytes(g, v, batch);
      r.first_use = static_cast<int>(i);
      r.last_use = last;
      r.spaces = {0, 1};
      reqs.push_back(r);
      req_value.push_back(v);
    }
  }
  if (reqs.empty()) return sram;
  auto plan = PlanMemory(reqs, {{"dla.sram", budget}, {"dram", -1}});
  if (!plan.ok()) return sram;
  for (size_t k = 0; k < reqs.size(); ++k)
    if (plan->placements[k].space == 0) sram.insert(req_value[k]);
  return sram;
}

}  // namespace

Result<std::shared_ptr<TargetModel>> TargetModel::Create(std::shared_ptr<const Graph> g, const devices::SocProfile& soc,
                                                         EngineKind kind) {
  auto m = std::shared_ptr<TargetModel>(new TargetModel());
  m->g_ = std::move(g);
  m->soc_ = soc;
  m->kind_ = kind;
  EI_ASSIGN_OR_RETURN(m->order_, m->g_->TopoOrder());
  if (kind == EngineKind::kCpu) return Status::Error("engine 'cpu': the SoC profile has no CPU timing model; the CPU runs on the host clock only");
  if (kind == EngineKind::kGpu && !soc.gpu.present) return Status::Error("engine 'gpu': SoC profile '" + soc.name + "' has no GPU");
  if (kind == EngineKind::kDla) {
    if (soc.dla.cores <= 0) return Status::Error("engine 'dla': SoC profile '" + soc.name + "' has no DLA");
    m->placements_ = PlaceNodesForDla(*m->g_, soc);
    std::string prev;
    for (const NodePlacement& p : m->placements_) {
      if (IsView(m->g_->node(p.node).op)) continue;
      if (p.engine != prev) (p.engine == "dla" ? m->dla_segments_ : m->gpu_segments_)++;
      prev = p.engine;
    }
    if (m->dla_segments_ == 0) return Status::Error("engine 'dla': no layer of '" + m->g_->name + "' runs on the DLA (compile for int8 or fp16)");
  } else {
    m->gpu_segments_ = 1;
  }
  return m;
}

std::string TargetModel::ExplainPlacement() const {
  std::ostringstream os;
  int dla = 0;
  for (const NodePlacement& p : placements_) {
    if (p.engine == "dla") ++dla;
    else os << "  GPU fallback: " << p.reason << "\n";
  }
  std::ostringstream head;
  head << "  " << dla << " of " << placements_.size() << " layers on the DLA in " << dla_segments_ << " segment(s), "
       << gpu_segments_ << " GPU-fallback segment(s)\n";
  return head.str() + os.str();
}

Result<TaskProgram> TargetModel::Program(int64_t batch) const {
  if (batch <= 0) return Status::Error("task batch must be positive, got " + std::to_string(batch));
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(batch);
    if (it != cache_.end()) return it->second;
  }
  const Graph& g = *g_;
  TaskProgram p;
  p.batch = batch;
  std::set<ValueId> sram;
  if (kind_ == EngineKind::kDla) sram = PlaceSramForDla(g, order_, placements_, soc_, batch);
  std::string prev_engine;
  for (size_t i = 0; i < order_.size(); ++i) {
    const NodeId id = order_[i];
    const Node& n = g.node(id);
    if (IsView(n.op)) continue;
    const bool on_dla = kind_ == EngineKind::kDla && placements_[i].engine == "dla";
    EI_ASSIGN_OR_RETURN(LayerWork w, devices::DescribeNode(g, id, batch));
    LayerCost c;
    c.name = n.name;
    c.on = on_dla ? EngineClass::kDla : EngineClass::kGpu;
    if (on_dla) {
      auto flag = [&](size_t k) { return k < n.inputs.size() && n.inputs[k] != kNoValue && sram.count(n.inputs[k]) > 0; };
      w.input_in_sram = flag(0);
      w.output_in_sram = !n.outputs.empty() && sram.count(n.outputs[0]) > 0;
      if (w.has_residual) w.residual_in_sram = n.op == "ConvEltwiseAct" ? flag(3) : flag(1);
      if (w.kind == LayerKind::kOther) {
        // Concat in place / data movement the DLA does through its DMA: DRAM traffic only.
        c.dram_bytes = static_cast<double>((w.input_in_sram ? 0 : w.input_bytes) + (w.output_in_sram ? 0 : w.output_bytes));
        c.fixed_s = soc_.dla.layer_overhead_cycles / soc_.dla.clock_hz;
      } else {
        auto t = devices::DlaLayerTiming(soc_, w);
        if (!t.ok()) return t.status();
        c.fixed_s = t->overhead_s;
        c.floor_s = std::max(t->compute_s, t->sram_s);
        c.dram_bytes = static_cast<double>(t->DramBytes());
      }
      // Every DLA segment is one submitted task (its own loadable): firmware overhead once each.
      if (prev_engine != "dla") c.fixed_s += soc_.dla.task_overhead_s;
    } else {
      if (w.input_bytes + w.output_bytes + w.weight_bytes + w.residual_bytes == 0) continue;
      auto t = devices::GpuLayerTiming(soc_, w);
      if (!t.ok()) return t.status();
      c.fixed_s = t->launch_s;
      c.floor_s = t->compute_s;
      c.dram_bytes = static_cast<double>(t->dram_bytes);
      if (kind_ == EngineKind::kDla) ++p.fallback_layers;
    }
    prev_engine = on_dla ? "dla" : "gpu";
    const double ceiling = devices::EngineDramCeiling(soc_, c.on);
    p.alone_s += c.fixed_s + std::max(c.floor_s, ceiling > 0 ? c.dram_bytes / ceiling : 0.0);
    p.dram_bytes += c.dram_bytes;
    p.layers.push_back(std::move(c));
  }
  std::lock_guard<std::mutex> lock(mu_);
  cache_.emplace(batch, p);
  return p;
}

std::string FunctionalDeviceFor(EngineKind kind, std::string* why) {
#ifdef EDGEINFER_HAVE_CUDA
  std::string cuda_why;
  if (kind == EngineKind::kGpu && devices::CudaDevice::Available(&cuda_why)) {
    if (why) *why = "CUDA device present: the GPU instance computes on it";
    return "cuda";
  }
#endif
#ifdef EDGEINFER_HAVE_DNNL
  if (why) {
    *why = kind == EngineKind::kDla ? "emulated DLA: numerics on the fast CPU path (INT8 arithmetic bit-exact with the reference)"
         : kind == EngineKind::kGpu ? "no CUDA device: GPU numerics on the fast CPU path, target time from the iGPU model"
                                    : "CPU engine: the fast CPU path";
  }
  return "cpu-fast";
#else
  if (why) *why = "oneDNN not built: numerics on the CPU reference executor";
  return "cpu-reference";
#endif
}

Result<std::shared_ptr<FunctionalExecutor>> FunctionalExecutor::Create(std::shared_ptr<const Graph> g, const std::string& device) {
  auto x = std::shared_ptr<FunctionalExecutor>(new FunctionalExecutor());
  x->name_ = device;
  if (device == "cuda") {
#ifdef EDGEINFER_HAVE_CUDA
    x->device_ = std::make_unique<devices::CudaDevice>();
#endif
  } else if (device == "cpu-fast") {
#ifdef EDGEINFER_HAVE_DNNL
    x->device_ = std::make_unique<devices::CpuFastDevice>();
#endif
  } else if (device == "cpu-reference") {
    x->device_ = std::make_unique<devices::ReferenceDevice>();
  }
  if (!x->device_) return Status::Error("functional device '" + device + "' is not built into this edgeinfer");
  EI_RETURN_IF_ERROR(x->device_->Prepare(std::move(g)).WithContext("preparing " + device));
  return x;
}

Status FunctionalExecutor::Run(const devices::TensorMap& inputs, devices::TensorMap* outputs) {
  std::lock_guard<std::mutex> lock(mu_);
  EI_RETURN_IF_ERROR(device_->Launch(inputs, outputs));
  return device_->Sync();
}

}  // namespace edgeinfer::runtime
