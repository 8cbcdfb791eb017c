// CudaDevice: the facade over the executor's phases (devices/cuda/executor.h lists them; the
// algorithm is described in cuda_device.h).
#include "devices/cuda/cuda_device.h"

#include "devices/cuda/executor.h"

namespace edgeinfer::devices {

CudaDevice::CudaDevice(CudaOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->opt = std::move(options);
  impl_->fk = impl_->opt.float_precision == DType::kFloat16 ? KType::kF16 : KType::kF32;
}
CudaDevice::~CudaDevice() = default;

bool CudaDevice::Available(std::string* why) {
  cuda::CudaDeviceInfo info = cuda::QueryCudaDevice(0);
  if (!info.present && why) *why = info.why_absent;
  return info.present;
}

std::string CudaDevice::name() const {
  cuda::CudaDeviceInfo info = cuda::QueryCudaDevice(impl_->opt.device_index);
  return std::string("cuda:") + (info.present ? info.name : "absent") + (impl_->fk == KType::kF16 ? " fp16" : " fp32");
}

Support CudaDevice::Supports(const Graph& g, NodeId id) const {
  static const std::set<std::string> kOps = {
      "Conv", "ConvBiasAct", "ConvBiasActPool", "ConvEltwiseAct", "Gemm", "GemmBiasAct", "MatMul", "MaxPool", "AveragePool",
      "GlobalAveragePool", "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Identity", "Add", "Sub",
      "Mul", "Div", "Max", "Min", "Pow", "Softmax", "Concat", "Resize", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
      "Transpose", "Split", "Slice", "QuantizeLinear", "DequantizeLinear"};
  const Node& n = g.node(id);
  if (n.op == "BatchNormalization")
    return Support::No("BatchNormalization runs on the GPU only folded by the compiler (pass fold_batchnorm: into its Conv, or a 1x1 depthwise Conv)");
  if (!kOps.count(n.op)) return Support::No("op '" + n.op + "' has no CUDA implementation");
  const bool int8 = !n.inputs.empty() && n.inputs[0] != kNoValue && g.value(n.inputs[0]).dtype == DType::kInt8;
  if (int8) {
    static const std::set<std::string> kInt8Ops = {"ConvBiasAct", "ConvBiasActPool", "ConvEltwiseAct", "GemmBiasAct", "MaxPool", "AveragePool",
                                                   "GlobalAveragePool", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "DequantizeLinear", "Concat", "Resize",
                                                   "Transpose", "Split", "Slice"};
    if (!kInt8Ops.count(n.op)) return Support::No("INT8 " + n.op + " is not implemented on the GPU (runs in float after DequantizeLinear)");
  }
  return Support::Yes();
}

Status CudaDevice::Prepare(std::shared_ptr<const Graph> graph) {
  std::string why;
  if (!Available(&why)) return Status::Error("cuda: no usable CUDA device: " + why);
  EI_RETURN_IF_ERROR(graph->VerifyStructure());
  Impl& I = *impl_;
  for (auto& [n, p] : I.plans) I.FreePlan(p);
  I.plans.clear();
  I.steps.clear();
  I.g = std::move(graph);
  EI_RETURN_IF_ERROR(I.Init());
  I.LoadCache();
  return I.BuildSteps();
}

Status CudaDevice::PrepareBatch(int batch) {
  if (!impl_->g) return Status::Error("cuda: PrepareBatch before Prepare");
  return impl_->PlanBatch(batch);
}

Status CudaDevice::Enqueue(int batch) {
  if (!impl_->g) return Status::Error("cuda: Enqueue before Prepare");
  return impl_->Run(batch);
}

void* CudaDevice::stream() const { return impl_->stream; }

Status CudaDevice::Profile(int batch) {
  if (!impl_->g) return Status::Error("cuda: Profile before Prepare");
  return impl_->Profile(batch);
}

Status CudaDevice::Sync() {
  if (!impl_->stream) return Status::Ok();
  CU_CHECK(cudaStreamSynchronize(impl_->stream));
  return Status::Ok();
}

Status CudaDevice::Launch(const TensorMap& inputs, TensorMap* outputs) {
  Impl& I = *impl_;
  if (!I.g) return Status::Error("cuda: Launch before Prepare");
  const Graph& G = *I.g;
  EI_RETURN_IF_ERROR(ValidateInputs(G, inputs, false));
  int n = -1;
  for (ValueId v : G.inputs()) {
    const Tensor& t = inputs.at(G.value(v).name);
    int bn = t.rank() > 0 ? static_cast<int>(t.dim(0)) : 1;
    if (n >= 0 && bn != n) return Status::Error("cuda: inputs disagree on the batch size (" + std::to_string(n) + " vs " + std::to_string(bn) + ")");
    n = bn;
  }
  if (n < 0) n = 1;
  EI_RETURN_IF_ERROR(I.PlanBatch(n));
  BatchPlan& p = I.plans[n];
  for (ValueId v : G.inputs()) {
    const Tensor& t = inputs.at(G.value(v).name);
    if (t.dims() != p.dims[static_cast<size_t>(v)]) return Status::Error("cuda: input '" + G.value(v).name + "' has shape " + DimsStr(t.dims()) + ", expected " + DimsStr(p.dims[static_cast<size_t>(v)]));
    CU_CHECK(cudaMemcpyAsync(p.arena + p.host_off[static_cast<size_t>(v)], t.raw(), t.bytes(), cudaMemcpyHostToDevice, I.stream));
  }
  EI_RETURN_IF_ERROR(I.Run(n));
  outputs->clear();
  for (ValueId v : G.outputs()) {
    Tensor t(G.value(v).dtype, p.dims[static_cast<size_t>(v)]);
    CU_CHECK(cudaMemcpyAsync(t.raw(), p.arena + p.host_off[static_cast<size_t>(v)], t.bytes(), cudaMemcpyDeviceToHost, I.stream));
    (*outputs)[G.value(v).name] = t;
  }
  CU_CHECK(cudaStreamSynchronize(I.stream));
  return Status::Ok();
}

const MemoryPlan* CudaDevice::ArenaPlan(int batch) const {
  const Impl& I = *impl_;
  const BatchPlan* p = I.plans.empty() ? nullptr : &I.plans.rbegin()->second;
  if (batch > 0) p = I.plans.count(batch) ? &I.plans.at(batch) : nullptr;
  return p ? &p->arena_plan : nullptr;
}

std::vector<std::string> CudaDevice::Explain(int batch) const {
  const Impl& I = *impl_;
  std::vector<std::string> out;
  const BatchPlan* p = I.plans.empty() ? nullptr : &I.plans.rbegin()->second;
  if (batch > 0) p = I.plans.count(batch) ? &I.plans.at(batch) : nullptr;
  if (p) out.push_back("batch " + std::to_string(p->n) + ": arena " + std::to_string(p->arena_bytes >> 20) + " MiB (workspace " + std::to_string(p->ws_bytes >> 20) + " MiB); " + p->graph_note);
  for (size_t i = 0; i < I.steps.size(); ++i) {
    const Step& st = I.steps[i];
    std::string line = std::string(SKName(st.kind)) + "  " + st.label;
    if (p && p->step_ms.size() == I.steps.size()) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "  [%.3f ms]", p->step_ms[i]);
      line += buf;
    }
    if (p && st.kind == SK::kConv) {
      if (p->conv[i].use_lt || p->conv[i].use_dw || p->conv[i].use_graph) line += "  " + p->conv[i].how;
      else line += "  cudnn algo " + std::to_string(static_cast<int>(p->conv[i].algo)) + (p->conv[i].fused ? " fused-bias-act" : " +epilogue") + " " + p->conv[i].how;
    }
    if (p && st.kind == SK::kConcat) {
      size_t k = 0;
      for (ValueId v : st.in) k += p->in_place[static_cast<size_t>(v)] ? 1 : 0;
      line += "  " + std::to_string(k) + " of " + std::to_string(st.in.size()) + " inputs in place";
    }
    if (p && (st.kind == SK::kConvInt8 || st.kind == SK::kGemmInt8)) line += "  " + std::string(p->lt[i].direct ? "" : "cublasLt int8 + requant kernel: ") + p->lt[i].how;
    out.push_back(line);
  }
  return out;
}

}  // namespace edgeinfer::devices
