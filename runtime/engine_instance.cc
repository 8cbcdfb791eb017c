// Engine instances: target programs from the partition, the memory plan and the timing models, and
// the shared functional executors (see engine_instance.h).
#include "runtime/engine_instance.h"

#include "runtime/partition.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "devices/cpu_model/cpu_timing_model.h"
#include "devices/dla/timing_model.h"
#include "devices/gpu_model/gpu_timing_model.h"
#include "devices/soc/layer_work.h"
#include "fusions/passes.h"
#include "graph/shape_inference.h"
#include "devices/cuda_plugin.h"
#include "runtime/device_factory.h"

namespace edgeinfer::runtime {

using devices::LayerKind;
using devices::LayerWork;

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
      add({EngineClass::kGpu, 0, "gpu"});
      if (item == "gpu") continue;
    }
    if (item == "dla" || item == "all") {
      for (int i = 0; i < soc.dla.cores; ++i) add({EngineClass::kDla, i, "dla" + std::to_string(i)});
      if (soc.dla.cores == 0 && item == "dla") return Status::Error("engine 'dla': SoC profile '" + soc.name + "' has no DLA");
      continue;
    }
    if (item == "cpu") {
      add({EngineClass::kCpu, 0, "cpu"});
      continue;
    }
    if (item.rfind("dla", 0) == 0 && item.size() > 3 && std::all_of(item.begin() + 3, item.end(), ::isdigit)) {
      const int i = std::stoi(item.substr(3));
      if (i >= soc.dla.cores)
        return Status::Error("engine '" + item + "': SoC profile '" + soc.name + "' has " + std::to_string(soc.dla.cores) + " DLA cores");
      add({EngineClass::kDla, i, item});
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

Result<Graph> BindBatch(const Graph& g, int64_t batch) {
  Graph b = g;
  for (ValueId v : b.inputs()) {
    Shape& s = b.value(v).shape;
    for (size_t i = 0; i < s.dims.size(); ++i) {
      if (s.dims[i] != kDynamic) continue;
      s.dims[i] = batch;
      if (i < s.symbols.size()) s.symbols[i].clear();
    }
  }
  EI_RETURN_IF_ERROR(InferShapes(b).WithContext("binding the batch to " + std::to_string(batch)));
  // At a fixed batch the exporters' shape arithmetic (Shape -> Gather -> Unsqueeze -> Concat ->
  // Reshape) is constant, and an engine builder folds it: Shape/Size of a now static tensor become
  // constants and constant folding takes the rest, so none of it is timed as a kernel. Node ids of
  // the remaining nodes do not change (no compaction), so a batch-1 placement maps onto any batch.
  EI_RETURN_IF_ERROR(fusions::FoldShapeArithmetic(b).WithContext("folding shape arithmetic at batch " + std::to_string(batch)));
  return b;
}

Result<std::shared_ptr<TargetModel>> TargetModel::Create(std::shared_ptr<const Graph> g, const devices::SocProfile& soc,
                                                         EngineClass kind, std::shared_ptr<const PartitionPlan> partition,
                                                         std::shared_ptr<const Graph> partitioned) {
  auto m = std::shared_ptr<TargetModel>(new TargetModel());
  m->g_ = std::move(g);
  m->soc_ = soc;
  m->kind_ = kind;
  if (kind == EngineClass::kCpu && !soc.cpu.HasTimingModel())
    return Status::Error("engine 'cpu': SoC profile '" + soc.name + "' has no CPU timing model (cpu.fp32_macs_per_clock_per_core, "
                         "cpu.efficiency); the CPU runs on the host clock only");
  if (kind == EngineClass::kGpu && !soc.gpu.present) return Status::Error("engine 'gpu': SoC profile '" + soc.name + "' has no GPU");
  if (kind == EngineClass::kDla) {
    if (soc.dla.cores <= 0) return Status::Error("engine 'dla': SoC profile '" + soc.name + "' has no DLA");
    if (!partition || !partitioned) {
      EI_ASSIGN_OR_RETURN(Graph b1, BindBatch(*m->g_, 1));
      PartitionOptions po;
      po.timing = false;
      EI_ASSIGN_OR_RETURN(PartitionPlan plan, Partition(b1, soc, po));
      partition = std::make_shared<const PartitionPlan>(std::move(plan));
      partitioned = std::make_shared<const Graph>(std::move(b1));
    }
    m->partition_ = std::move(partition);
    if (m->partition_->NumNodes(EngineClass::kDla) == 0)
      return Status::Error("engine 'dla': no layer of '" + m->g_->name + "' runs on the DLA (compile for int8 or fp16):\n" +
                           m->ExplainPlacement());
    if (!soc.gpu.present && !soc.cpu.HasTimingModel() &&
        m->partition_->NumNodes(EngineClass::kDla) < static_cast<int>(m->partition_->nodes.size())) {
      // A headless DLA SoC whose host CPU has no timing model cannot time fallback layers; name them.
      std::string which;
      int n = 0;
      for (const NodeAssignment& a : m->partition_->nodes) {
        if (a.engine == EngineClass::kDla) continue;
        if (n++ < 5) which += "\n  " + a.reason;
      }
      return Status::Error("engine 'dla': " + std::to_string(n) + " layer(s) of '" + m->g_->name + "' cannot run on the DLA of '" +
                           soc.name + "' and the profile has no GPU and no CPU timing model to fall back to (rule: every "
                           "layer on the DLA, or a GPU, or cpu.fp32_macs_per_clock_per_core and cpu.efficiency in the profile)" +
                           which + (n > 5 ? "\n  ..." : ""));
    }
    m->bound1_ = std::move(partitioned);
  }
  return m;
}

std::string TargetModel::ExplainPlacement() const {
  if (!partition_) return "";
  const PartitionPlan& partition_ = *this->partition_;
  std::ostringstream os;
  os << "  " << partition_.NumNodes(EngineClass::kDla) << " of " << partition_.nodes.size() << " layers on the DLA in "
     << partition_.NumSegments(EngineClass::kDla) << " segment(s), " << partition_.NumSegments(partition_.fallback) << " "
     << EngineClassName(partition_.fallback) << "-fallback segment(s), " << partition_.conversions.size()
     << " format conversion(s) at the boundaries\n";
  for (const NodeAssignment& a : partition_.nodes)
    if (a.engine != EngineClass::kDla) os << "  " << EngineClassName(a.engine) << " fallback: " << a.reason << "\n";
  return os.str();
}

Result<TaskProgram> TargetModel::Program(int64_t batch) const {
  if (batch <= 0) return Status::Error("task batch must be positive, got " + std::to_string(batch));
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(batch);
    if (it != cache_.end()) return it->second;
  }
  const bool dla = kind_ == EngineClass::kDla;
  if (dla && batch > soc_.dla.limits.max_batch)
    return Status::Error("DLA batch " + std::to_string(batch) + " exceeds the DLA's maximum " + std::to_string(soc_.dla.limits.max_batch));
  EI_ASSIGN_OR_RETURN(Graph g, BindBatch(*g_, batch));
  if (dla) {   // the batch-1 partition's placement (node ids are the same in every copy)
    for (NodeId id : bound1_->NodeIds()) g.node(id).engine = bound1_->node(id).engine;
  }
  std::vector<NodeId> order;
  std::map<NodeId, const NodeAssignment*> assign;
  if (dla) {
    for (const NodeAssignment& a : partition_->nodes) {
      order.push_back(a.node);
      assign[a.node] = &a;
    }
  } else {
    EI_ASSIGN_OR_RETURN(order, g.TopoOrder());
  }
  // SRAM chaining inside the DLA segments at this batch.
  std::set<ValueId> sram;
  if (dla) { EI_ASSIGN_OR_RETURN(sram, SramResidentValues(g, batch, soc_)); }
  // Format conversions (GPU reformat kernels) keyed by the segment they feed / leave.
  std::map<int, std::vector<const FormatConversion*>> conv_before, conv_after;
  if (dla) {
    for (const FormatConversion& c : partition_->conversions) {
      if (c.to_segment >= 0) conv_before[c.to_segment].push_back(&c);
      else conv_after[c.from_segment].push_back(&c);
    }
  }
  // The engine class that runs fallback layers and reformats: the GPU, or the CPU on a GPU-less SoC.
  const EngineClass fallback = dla ? partition_->fallback : EngineClass::kGpu;
  auto add_conversion = [&](const FormatConversion& c, TaskProgram* p) -> Status {
    // A memory-bound reformat on the fallback engine; the partition sized it at batch 1.
    SimLayer l;
    l.name = "reformat " + c.value_name + " (" + c.from_format + " -> " + c.to_format + ")";
    l.on = fallback;
    l.fixed_s = fallback == EngineClass::kGpu ? soc_.gpu.launch_overhead_s : soc_.cpu.layer_overhead_s;
    l.dram_bytes = static_cast<double>(c.bytes_read + c.bytes_written) * static_cast<double>(batch);
    p->dram_bytes += l.dram_bytes;
    const double ceiling = devices::EngineDramCeiling(soc_, fallback);
    p->alone_s += l.fixed_s + (ceiling > 0 ? l.dram_bytes / ceiling : 0);
    ++p->fallback_layers;
    p->layers.push_back(std::move(l));
    return Status::Ok();
  };

  TaskProgram p;
  p.batch = batch;
  int prev_segment = -1;
  bool prev_dla = false;
  for (size_t i = 0; i < order.size(); ++i) {
    const NodeId id = order[i];
    const Node& n = g.node(id);
    const NodeAssignment* a = dla ? assign[id] : nullptr;
    if (a && a->segment != prev_segment) {
      if (prev_segment >= 0)
        for (const FormatConversion* c : conv_after[prev_segment]) EI_RETURN_IF_ERROR(add_conversion(*c, &p));
      for (const FormatConversion* c : conv_before[a->segment]) EI_RETURN_IF_ERROR(add_conversion(*c, &p));
      prev_segment = a->segment;
    }
    if (IsViewOp(n.op)) continue;
    const bool on_dla = a && a->engine == EngineClass::kDla;
    EI_ASSIGN_OR_RETURN(LayerWork w, devices::DescribeNode(g, id, batch));
    SimLayer c;
    c.name = n.name;
    c.on = on_dla ? EngineClass::kDla : dla ? fallback : kind_;
    c.macs = static_cast<double>(w.Macs());
    c.precision_bytes = w.precision_bytes;
    if (on_dla) {
      auto flag = [&](size_t k) { return k < n.inputs.size() && n.inputs[k] != kNoValue && sram.count(n.inputs[k]) > 0; };
      w.input_in_sram = flag(0);
      w.output_in_sram = !n.outputs.empty() && sram.count(n.outputs[0]) > 0;
      if (w.has_residual) w.residual_in_sram = n.op == "ConvEltwiseAct" ? flag(3) : flag(1);
      if (w.kind == LayerKind::kOther) {
        // Data movement the DLA does with its DMA engine: DRAM traffic only (Concat in place: none).
        const bool in_place = IsInPlaceConcat(n);
        c.dram_bytes = in_place ? 0 : static_cast<double>((w.input_in_sram ? 0 : w.input_bytes) + (w.output_in_sram ? 0 : w.output_bytes));
        c.sram_bytes = in_place ? 0 : static_cast<double>((w.input_in_sram ? w.input_bytes : 0) + (w.output_in_sram ? w.output_bytes : 0));
        c.fixed_s = soc_.dla.layer_overhead_cycles / soc_.dla.clock_hz;
      } else {
        auto t = devices::DlaLayerTiming(soc_, w);
        if (!t.ok()) return t.status();
        c.fixed_s = t->overhead_s;
        c.floor_s = std::max(t->compute_s + t->input_load_s, t->sram_s);   // input fetch precedes compute (timing_model.h)
        c.dram_bytes = static_cast<double>(t->DramBytes());
        c.sram_bytes = static_cast<double>(t->sram_bytes);
      }
      // Every DLA segment is one submitted task (its own loadable): firmware overhead once each.
      if (!prev_dla) c.fixed_s += soc_.dla.task_overhead_s;
    } else if (c.on == EngineClass::kCpu) {
      if (w.input_bytes + w.output_bytes + w.weight_bytes + w.residual_bytes == 0) continue;
      auto t = devices::CpuLayerTiming(soc_, w);
      if (!t.ok()) return t.status();
      c.fixed_s = t->overhead_s;
      c.floor_s = t->compute_s;
      c.dram_bytes = static_cast<double>(t->dram_bytes);
      if (dla) ++p.fallback_layers;
    } else {
      if (w.input_bytes + w.output_bytes + w.weight_bytes + w.residual_bytes == 0) continue;
      auto t = devices::GpuLayerTiming(soc_, w);
      if (!t.ok()) return t.status();
      c.fixed_s = t->launch_s;
      c.floor_s = t->compute_s;
      c.dram_bytes = static_cast<double>(t->dram_bytes);
      if (dla) ++p.fallback_layers;
    }
    prev_dla = on_dla;
    const double ceiling = devices::EngineDramCeiling(soc_, c.on);
    p.alone_s += c.fixed_s + std::max(c.floor_s, ceiling > 0 ? c.dram_bytes / ceiling : 0.0);
    p.dram_bytes += c.dram_bytes;
    p.layers.push_back(std::move(c));
  }
  if (prev_segment >= 0)
    for (const FormatConversion* c : conv_after[prev_segment]) EI_RETURN_IF_ERROR(add_conversion(*c, &p));
  std::lock_guard<std::mutex> lock(mu_);
  cache_.emplace(batch, p);
  return p;
}

std::string FunctionalDeviceFor(EngineClass kind, std::string* why) {
  if (kind == EngineClass::kDla) {
    if (why) *why = "emulated DLA: DLA segments on the functional DLA model (INT8 bit-exact with the reference), fallback segments on the CPU reference";
    return "dla";
  }
  // The CUDA plugin is only looked for (dlopen'ed) for a GPU engine.
  std::string cuda_why;
  if (kind == EngineClass::kGpu && devices::CudaAvailable(&cuda_why)) {
    if (why) *why = "CUDA device present: the GPU instance computes on it";
    return "cuda";
  }
#ifdef EDGEINFER_HAVE_DNNL
  if (why) {
    *why = kind == EngineClass::kGpu ? cuda_why + "; GPU numerics on the fast CPU path, target time from the iGPU model"
                                    : "CPU engine: the fast CPU path";
  }
  return "cpu-fast";
#else
  if (why) {
    *why = kind == EngineClass::kGpu ? cuda_why + "; oneDNN not built: GPU numerics on the CPU reference executor"
                                    : "oneDNN not built: numerics on the CPU reference executor";
  }
  return "cpu-reference";
#endif
}

Result<std::shared_ptr<FunctionalExecutor>> FunctionalExecutor::Create(std::shared_ptr<const Graph> g, const std::string& device,
                                                                        Precision float_precision) {
  auto x = std::shared_ptr<FunctionalExecutor>(new FunctionalExecutor());
  x->name_ = device;
  DeviceOptions o;
  o.float_precision = float_precision;
  if (device == "cuda") {
    EI_ASSIGN_OR_RETURN(x->device_, CreateDevice(EngineClass::kGpu, o));
  } else if (device == "cpu-fast" && FastCpuBuilt()) {
    EI_ASSIGN_OR_RETURN(x->device_, CreateDevice(EngineClass::kCpu, o));
  } else if (device == "cpu-reference") {
    o.reference = true;
    EI_ASSIGN_OR_RETURN(x->device_, CreateDevice(EngineClass::kCpu, o));
  }
  if (!x->device_) return Status::Error("functional device '" + device + "' is not built into this edgeinfer");
  x->batched_ = !g->inputs().empty();
  for (ValueId v : g->inputs()) {
    const Shape& sh = g->value(v).shape;
    x->batched_ = x->batched_ && sh.rank() > 0 && sh.dims[0] == kDynamic;
  }
  EI_RETURN_IF_ERROR(x->device_->Prepare(std::move(g)).WithContext("preparing " + device));
  return x;
}

FunctionalExecutor::~FunctionalExecutor() = default;

std::string FunctionalExecutor::device_description() const {
  if (partitioned_) return partitioned_->Describe();
  return device_ ? device_->name() : name_;
}

Result<std::shared_ptr<FunctionalExecutor>> FunctionalExecutor::CreateDla(const TargetModel& target, const devices::SocProfile& soc) {
  if (target.kind() != EngineClass::kDla || !target.partitioned_graph()) return Status::Error("CreateDla: not a DLA target model");
  auto x = std::shared_ptr<FunctionalExecutor>(new FunctionalExecutor());
  x->name_ = "dla";
  x->partitioned_ = std::make_unique<PartitionedExecutor>();
  EI_RETURN_IF_ERROR(x->partitioned_->Prepare(target.partitioned_graph(), target.partition(), soc).WithContext("preparing the DLA model"));
  return x;
}

Status FunctionalExecutor::Run(const devices::TensorMap& inputs, devices::TensorMap* outputs) {
  std::lock_guard<std::mutex> lock(mu_);
  if (partitioned_) return partitioned_->Launch(inputs, outputs);
  EI_RETURN_IF_ERROR(device_->Launch(inputs, outputs));
  return device_->Sync();
}

}  // namespace edgeinfer::runtime
