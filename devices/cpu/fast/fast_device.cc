// CpuFastDevice: the facade over its builder (devices/cpu/fast/builder.h lists the files).
#include "devices/cpu/fast/fast_device.h"

#include <omp.h>

#include <chrono>
#include <cstdio>
#include <sstream>

#include "devices/cpu/fast/builder.h"
#include "graph/op_table.h"

namespace edgeinfer::devices {

using fast::Builder;
using fast::IsActivationOp;
using fast::IsConvLike;
using fast::PlanError;

// ---------------------------------------------------------------------------------------------
CpuFastDevice::CpuFastDevice(CpuFastOptions options) : options_(options) {
  threads_ = options_.num_threads > 0 ? options_.num_threads : omp_get_num_procs();
}

CpuFastDevice::~CpuFastDevice() = default;

Support CpuFastDevice::Supports(const Graph& g, NodeId id) const {
  const Node& n = g.node(id);
  const OpDef* def = FindOp(n.op);
  if (!def) return Support::No("op '" + n.op + "' is not in the op table");
  if (IsConvLike(n.op) || n.op == "Gemm" || n.op == "GemmBiasAct" || n.op == "MatMul" || n.op == "ConvTranspose" ||
      n.op == "MaxPool" || n.op == "AveragePool" || n.op == "GlobalAveragePool" || n.op == "GlobalMaxPool" ||
      IsActivationOp(n.op) || n.op == "Add" || n.op == "Sub" || n.op == "Mul" || n.op == "Div" ||
      n.op == "BatchNormalization" || n.op == "Softmax" || n.op == "LogSoftmax" || n.op == "Concat" ||
      n.op == "Reshape" || n.op == "Flatten" || n.op == "Squeeze" || n.op == "Unsqueeze" || n.op == "Transpose" ||
      n.op == "Split") {
    return Support::Yes();   // oneDNN (shapes or attributes it cannot take fall back to the reference)
  }
  if (def->reference) return Support::Yes();   // reference kernel on plain buffers
  return Support::No("op '" + n.op + "' has neither a oneDNN mapping nor a reference kernel");
}

Status CpuFastDevice::Prepare(std::shared_ptr<const Graph> graph) {
  EI_RETURN_IF_ERROR(graph->VerifyStructure());
  for (NodeId id : graph->NodeIds()) {
    Support s = Supports(*graph, id);
    if (!s.ok) return Status::Error(graph->Label(id) + ": " + s.reason);
  }
  graph_ = std::move(graph);
  plan_.reset();
  bool all_static = true;
  for (ValueId v : graph_->inputs()) all_static = all_static && graph_->value(v).shape.IsStatic();
  if (all_static) {
    omp_set_num_threads(threads_);
    return BuildPlan(nullptr);
  }
  return Status::Ok();
}

Status CpuFastDevice::BuildPlan(const TensorMap* inputs) {
  std::vector<std::vector<int64_t>> dims;
  for (ValueId v : graph_->inputs()) {
    if (inputs) dims.push_back(inputs->at(graph_->value(v).name).dims());
    else dims.push_back(graph_->value(v).shape.dims);
  }
  plan_.reset();
  auto plan = std::make_unique<Plan>();
  plan->key = dims;
  try {
    Builder b(*graph_, *plan, options_);
    EI_RETURN_IF_ERROR(b.Build(dims).WithContext("cpu-fast: planning '" + graph_->name + "'"));
  } catch (const dnnl::error& e) {
    return Status::Error(std::string("cpu-fast: oneDNN error while planning: ") + e.what());
  } catch (const PlanError& e) {
    return Status::Error("cpu-fast: planning '" + graph_->name + "': " + e.message);
  }
  plan->input_ptrs.assign(graph_->inputs().size(), nullptr);
  plan->out_ptrs.assign(graph_->outputs().size(), nullptr);
  plan_ = std::move(plan);
  return Status::Ok();
}

Status CpuFastDevice::Launch(const TensorMap& inputs, TensorMap* outputs) {
  if (!graph_) return Status::Error("cpu-fast: Launch before Prepare");
  EI_RETURN_IF_ERROR(ValidateInputs(*graph_, inputs, options_.reject_non_finite_inputs));
  omp_set_num_threads(threads_);
  bool same = plan_ != nullptr;
  for (size_t i = 0; same && i < graph_->inputs().size(); ++i) {
    same = inputs.at(graph_->value(graph_->inputs()[i]).name).dims() == plan_->key[i];
  }
  if (!same) EI_RETURN_IF_ERROR(BuildPlan(&inputs));
  Plan& p = *plan_;
  for (size_t i = 0; i < graph_->inputs().size(); ++i) {
    p.input_ptrs[i] = inputs.at(graph_->value(graph_->inputs()[i]).name).raw();
  }
  for (auto& [m, idx] : p.input_fix) m.set_data_handle(const_cast<void*>(p.input_ptrs[static_cast<size_t>(idx)]));
  outputs->clear();
  for (size_t i = 0; i < graph_->outputs().size(); ++i) {
    const ValueId v = graph_->outputs()[i];
    Tensor t(p.vals[static_cast<size_t>(v)].dtype, p.vals[static_cast<size_t>(v)].dims);
    p.out_ptrs[i] = t.raw();
    if (p.out_mems[i]) p.out_mems[i].set_data_handle(t.raw());
    (*outputs)[graph_->value(v).name] = std::move(t);
  }
  p.run_error = Status::Ok();
  try {
    if (options_.profile) {
      p.step_ms.resize(p.steps.size(), 0.0);
      for (size_t i = 0; i < p.steps.size(); ++i) {
        auto t0 = std::chrono::steady_clock::now();
        p.steps[i]();
        p.strm.wait();
        p.step_ms[i] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      }
      ++p.profiled_runs;
    } else {
      for (auto& step : p.steps) step();
      p.strm.wait();
    }
  } catch (const dnnl::error& e) {
    return Status::Error(std::string("cpu-fast: oneDNN error while running: ") + e.what());
  }
  return p.run_error;
}

std::string CpuFastDevice::Explain() const {
  if (!plan_) return "";
  std::ostringstream os;
  const Plan& p = *plan_;
  for (size_t i = 0; i < p.explain.size(); ++i) {
    if (p.profiled_runs && i < p.step_ms.size()) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%9.3f ms  ", p.step_ms[i] / p.profiled_runs);
      os << buf;
    }
    os << p.explain[i] << "\n";
  }
  os << "arena " << plan_->arena_size << " bytes, packed weights " << plan_->packed_bytes << " bytes, scratchpad "
     << plan_->scratch_bytes << " bytes, " << plan_->steps.size() << " steps, " << threads_ << " threads\n";
  return os.str();
}

size_t CpuFastDevice::arena_bytes() const { return plan_ ? plan_->arena_size : 0; }
size_t CpuFastDevice::packed_weight_bytes() const { return plan_ ? plan_->packed_bytes : 0; }
const MemoryPlan* CpuFastDevice::arena_plan() const { return plan_ ? &plan_->arena_plan : nullptr; }

}  // namespace edgeinfer::devices
