// cuDNN backend (graph) API: conv_fprop + bias + residual + activation as one fused operation graph.
#include "devices/cuda/cudnn_graph.h"

#include <array>
#include <utility>

namespace edgeinfer::devices::cuda {
namespace {

// Unique ids of the graph's tensors (the variant pack maps them to pointers).
constexpr int64_t kX = 1, kW = 2, kB = 3, kZ = 4, kY = 5, kConvOut = 101, kBiasOut = 102, kResOut = 103;

std::string Err(const char* what, cudnnStatus_t s) { return std::string(what) + ": " + cudnnGetErrorString(s); }

// Pointwise mode and parameters of an activation, or false when cuDNN has none for it.
bool ActMode(const KActParams& a, cudnnPointwiseMode_t* mode, double* lo, double* hi, double* slope) {
  *lo = 0.0;
  *hi = 3.0e38;
  *slope = 0.0;
  switch (a.kind) {
    case KAct::kRelu: *mode = CUDNN_POINTWISE_RELU_FWD; return true;
    case KAct::kClip:
      if (!(a.min <= a.max)) return false;
      *mode = CUDNN_POINTWISE_RELU_FWD;   // y = min(max(x, lower), upper)
      *lo = a.min;
      *hi = a.max;
      return true;
    case KAct::kLeakyRelu:
      *mode = CUDNN_POINTWISE_RELU_FWD;   // y = x >= 0 ? x : slope * x
      *lo = 0.0;
      *slope = a.alpha;
      return true;
    case KAct::kSigmoid: *mode = CUDNN_POINTWISE_SIGMOID_FWD; return true;
    case KAct::kTanh: *mode = CUDNN_POINTWISE_TANH_FWD; return true;
    default: return false;
  }
}

// One backend descriptor being built: created, attributes set, finalized; kept in `owned`.
class Builder {
 public:
  explicit Builder(std::vector<cudnnBackendDescriptor_t>* owned) : owned_(owned) {}
  Status Create(cudnnBackendDescriptorType_t t, cudnnBackendDescriptor_t* d) {
    cudnnStatus_t s = cudnnBackendCreateDescriptor(t, d);
    if (s != CUDNN_STATUS_SUCCESS) return Status::Error(Err("cudnnBackendCreateDescriptor", s));
    owned_->push_back(*d);
    return Status::Ok();
  }
  Status Set(cudnnBackendDescriptor_t d, cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, int64_t count, const void* v,
             const char* what) {
    cudnnStatus_t s = cudnnBackendSetAttribute(d, name, type, count, v);
    if (s != CUDNN_STATUS_SUCCESS) return Status::Error(Err(what, s));
    return Status::Ok();
  }
  Status Finalize(cudnnBackendDescriptor_t d, const char* what) {
    cudnnStatus_t s = cudnnBackendFinalize(d);
    if (s != CUDNN_STATUS_SUCCESS) return Status::Error(Err(what, s));
    return Status::Ok();
  }
  // An NHWC-strided 4-D tensor [n, c, h, w] (logical NCHW dims).
  Result<cudnnBackendDescriptor_t> Tensor(int64_t uid, cudnnDataType_t type, std::array<int64_t, 4> dims, bool is_virtual) {
    cudnnBackendDescriptor_t t;
    EI_RETURN_IF_ERROR(Create(CUDNN_BACKEND_TENSOR_DESCRIPTOR, &t));
    const int64_t n = dims[0], c = dims[1], h = dims[2], w = dims[3];
    (void)n;
    const std::array<int64_t, 4> strides = {c * h * w, 1, w * c, c};
    const int64_t align = 16;
    EI_RETURN_IF_ERROR(Set(t, CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &type, "tensor data type"));
    EI_RETURN_IF_ERROR(Set(t, CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, 4, dims.data(), "tensor dims"));
    EI_RETURN_IF_ERROR(Set(t, CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, 4, strides.data(), "tensor strides"));
    EI_RETURN_IF_ERROR(Set(t, CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, 1, &uid, "tensor uid"));
    EI_RETURN_IF_ERROR(Set(t, CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, 1, &align, "tensor alignment"));
    EI_RETURN_IF_ERROR(Set(t, CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, 1, &is_virtual, "tensor virtual"));
    EI_RETURN_IF_ERROR(Finalize(t, "tensor finalize"));
    return t;
  }
  // A pointwise operation y = op(x [, b]).
  Result<cudnnBackendDescriptor_t> Pointwise(cudnnPointwiseMode_t mode, cudnnBackendDescriptor_t x, cudnnBackendDescriptor_t b,
                                             cudnnBackendDescriptor_t y, double lo = 0, double hi = 0, double slope = 0) {
    cudnnBackendDescriptor_t pw, op;
    EI_RETURN_IF_ERROR(Create(CUDNN_BACKEND_POINTWISE_DESCRIPTOR, &pw));
    const cudnnDataType_t prec = CUDNN_DATA_FLOAT;
    EI_RETURN_IF_ERROR(Set(pw, CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, 1, &mode, "pointwise mode"));
    EI_RETURN_IF_ERROR(Set(pw, CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, 1, &prec, "pointwise precision"));
    if (mode == CUDNN_POINTWISE_RELU_FWD) {
      EI_RETURN_IF_ERROR(Set(pw, CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP, CUDNN_TYPE_DOUBLE, 1, &lo, "relu lower clip"));
      EI_RETURN_IF_ERROR(Set(pw, CUDNN_ATTR_POINTWISE_RELU_UPPER_CLIP, CUDNN_TYPE_DOUBLE, 1, &hi, "relu upper clip"));
      EI_RETURN_IF_ERROR(Set(pw, CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP_SLOPE, CUDNN_TYPE_DOUBLE, 1, &slope, "relu slope"));
    }
    EI_RETURN_IF_ERROR(Finalize(pw, "pointwise finalize"));
    EI_RETURN_IF_ERROR(Create(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR, &op));
    EI_RETURN_IF_ERROR(Set(op, CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &pw, "pointwise op desc"));
    EI_RETURN_IF_ERROR(Set(op, CUDNN_ATTR_OPERATION_POINTWISE_XDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x, "pointwise x"));
    if (b) EI_RETURN_IF_ERROR(Set(op, CUDNN_ATTR_OPERATION_POINTWISE_BDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &b, "pointwise b"));
    EI_RETURN_IF_ERROR(Set(op, CUDNN_ATTR_OPERATION_POINTWISE_YDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &y, "pointwise y"));
    EI_RETURN_IF_ERROR(Finalize(op, "pointwise op finalize"));
    return op;
  }

 private:
  std::vector<cudnnBackendDescriptor_t>* owned_;
};

}  // namespace

bool ConvGraphSupported(const ConvGraphDesc& d, std::string* why) {
  cudnnPointwiseMode_t m;
  double lo, hi, slope;
  if (d.c % 8 != 0 || d.k % 8 != 0) {
    if (why) *why = "channels not a multiple of 8";
    return false;
  }
  if (d.act.kind != KAct::kNone && !ActMode(d.act, &m, &lo, &hi, &slope)) {
    if (why) *why = "activation has no cuDNN pointwise mode";
    return false;
  }
  return true;
}

Result<std::shared_ptr<CudnnConvGraph>> CudnnConvGraph::Build(cudnnHandle_t handle, const ConvGraphDesc& d, int64_t max_workspace) {
  std::string why;
  if (!ConvGraphSupported(d, &why)) return Status::Error("cuDNN graph: " + why);
  std::shared_ptr<CudnnConvGraph> g(new CudnnConvGraph());
  g->bias_ = d.bias;
  g->residual_ = d.residual;
  Builder b(&g->owned_);
  const cudnnDataType_t io = d.io_type, f32 = CUDNN_DATA_FLOAT;
  const bool has_act = d.act.kind != KAct::kNone;
  const std::array<int64_t, 4> ydims = {d.n, d.k, d.oh, d.ow};
  EI_ASSIGN_OR_RETURN(cudnnBackendDescriptor_t x, b.Tensor(kX, io, {d.n, d.c, d.h, d.w}, false));
  EI_ASSIGN_OR_RETURN(cudnnBackendDescriptor_t w, b.Tensor(kW, io, {d.k, d.c, d.r, d.s}, false));
  // The last op writes Y; the ones before write virtual FP32 tensors.
  const bool conv_last = !d.bias && !d.residual && !has_act;
  EI_ASSIGN_OR_RETURN(cudnnBackendDescriptor_t conv_out, b.Tensor(conv_last ? kY : kConvOut, conv_last ? io : f32, ydims, !conv_last));

  cudnnBackendDescriptor_t cd;
  EI_RETURN_IF_ERROR(b.Create(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR, &cd));
  const int64_t dims = 2;
  const cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  EI_RETURN_IF_ERROR(b.Set(cd, CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &f32, "conv compute type"));
  EI_RETURN_IF_ERROR(b.Set(cd, CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode, "conv mode"));
  EI_RETURN_IF_ERROR(b.Set(cd, CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_TYPE_INT64, 1, &dims, "conv dims"));
  EI_RETURN_IF_ERROR(b.Set(cd, CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64, 2, d.dilation, "conv dilations"));
  EI_RETURN_IF_ERROR(b.Set(cd, CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, CUDNN_TYPE_INT64, 2, d.stride, "conv strides"));
  EI_RETURN_IF_ERROR(b.Set(cd, CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_TYPE_INT64, 2, d.pre_pad, "conv pre paddings"));
  EI_RETURN_IF_ERROR(b.Set(cd, CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_TYPE_INT64, 2, d.post_pad, "conv post paddings"));
  EI_RETURN_IF_ERROR(b.Finalize(cd, "conv finalize"));

  std::vector<cudnnBackendDescriptor_t> ops;
  cudnnBackendDescriptor_t conv_op;
  EI_RETURN_IF_ERROR(b.Create(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR, &conv_op));
  const float alpha = 1.f, beta = 0.f;
  EI_RETURN_IF_ERROR(b.Set(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x, "conv x"));
  EI_RETURN_IF_ERROR(b.Set(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &w, "conv w"));
  EI_RETURN_IF_ERROR(b.Set(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &conv_out, "conv y"));
  EI_RETURN_IF_ERROR(b.Set(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &cd, "conv desc"));
  EI_RETURN_IF_ERROR(b.Set(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, CUDNN_TYPE_FLOAT, 1, &alpha, "conv alpha"));
  EI_RETURN_IF_ERROR(b.Set(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, CUDNN_TYPE_FLOAT, 1, &beta, "conv beta"));
  EI_RETURN_IF_ERROR(b.Finalize(conv_op, "conv op finalize"));
  ops.push_back(conv_op);

  cudnnBackendDescriptor_t cur = conv_out;
  if (d.bias) {
    const bool last = !d.residual && !has_act;
    EI_ASSIGN_OR_RETURN(cudnnBackendDescriptor_t bt, b.Tensor(kB, io, {1, d.k, 1, 1}, false));
    EI_ASSIGN_OR_RETURN(cudnnBackendDescriptor_t out, b.Tensor(last ? kY : kBiasOut, last ? io : f32, ydims, !last));
    EI_ASSIGN_OR_RETURN(cudnnBackendDescriptor_t op, b.Pointwise(CUDNN_POINTWISE_ADD, cur, bt, out));
    ops.push_back(op);
    cur = out;
  }
  if (d.residual) {
    const bool last = !has_act;
    EI_ASSIGN_OR_RETURN(cudnnBackendDescriptor_t zt, b.Tensor(kZ, io, ydims, false));
    EI_ASSIGN_OR_RETURN(cudnnBackendDescriptor_t out, b.Tensor(last ? kY : kResOut, last ? io : f32, ydims, !last));
    EI_ASSIGN_OR_RETURN(cudnnBackendDescriptor_t op, b.Pointwise(CUDNN_POINTWISE_ADD, cur, zt, out));
    ops.push_back(op);
    cur = out;
  }
  if (has_act) {
    cudnnPointwiseMode_t m;
    double lo, hi, slope;
    ActMode(d.act, &m, &lo, &hi, &slope);
    EI_ASSIGN_OR_RETURN(cudnnBackendDescriptor_t yt, b.Tensor(kY, io, ydims, false));
    EI_ASSIGN_OR_RETURN(cudnnBackendDescriptor_t op, b.Pointwise(m, cur, nullptr, yt, lo, hi, slope));
    ops.push_back(op);
  }

  cudnnBackendDescriptor_t graph;
  EI_RETURN_IF_ERROR(b.Create(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR, &graph));
  EI_RETURN_IF_ERROR(b.Set(graph, CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR, static_cast<int64_t>(ops.size()), ops.data(), "graph ops"));
  EI_RETURN_IF_ERROR(b.Set(graph, CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle, "graph handle"));
  EI_RETURN_IF_ERROR(b.Finalize(graph, "operation graph finalize"));

  cudnnBackendDescriptor_t heur;
  EI_RETURN_IF_ERROR(b.Create(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR, &heur));
  const cudnnBackendHeurMode_t hm = CUDNN_HEUR_MODE_A;
  EI_RETURN_IF_ERROR(b.Set(heur, CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &graph, "heuristics graph"));
  EI_RETURN_IF_ERROR(b.Set(heur, CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, &hm, "heuristics mode"));
  EI_RETURN_IF_ERROR(b.Finalize(heur, "heuristics finalize"));
  int64_t count = 0;
  cudnnStatus_t s = cudnnBackendGetAttribute(heur, CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, &count, nullptr);
  if (s != CUDNN_STATUS_SUCCESS) return Status::Error(Err("cuDNN graph: heuristics results", s));
  if (count <= 0) return Status::Error("cuDNN graph: no engine for this conv + bias + add + activation graph");
  std::vector<cudnnBackendDescriptor_t> cfgs(static_cast<size_t>(count));
  for (auto& c : cfgs) EI_RETURN_IF_ERROR(b.Create(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR, &c));
  int64_t got = 0;
  s = cudnnBackendGetAttribute(heur, CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, count, &got, cfgs.data());
  if (s != CUDNN_STATUS_SUCCESS) return Status::Error(Err("cuDNN graph: heuristics results", s));
  std::string last_error = "no engine configuration";
  for (int64_t i = 0; i < got; ++i) {
    cudnnBackendDescriptor_t plan;
    EI_RETURN_IF_ERROR(b.Create(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR, &plan));
    if (!b.Set(plan, CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle, "plan handle").ok()) continue;
    if (!b.Set(plan, CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &cfgs[static_cast<size_t>(i)], "plan config").ok()) continue;
    Status fs = b.Finalize(plan, "plan finalize");
    if (!fs.ok()) {
      last_error = fs.message();
      continue;
    }
    int64_t ws = 0, n = 0;
    if (cudnnBackendGetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE, CUDNN_TYPE_INT64, 1, &n, &ws) != CUDNN_STATUS_SUCCESS) continue;
    if (ws > max_workspace) {
      last_error = "workspace " + std::to_string(ws) + " bytes above " + std::to_string(max_workspace);
      continue;
    }
    g->plan_ = plan;
    g->workspace_ = ws;
    g->engine_ = "cuDNN graph (engine config " + std::to_string(i) + " of " + std::to_string(got) + ")";
    break;
  }
  if (!g->plan_) return Status::Error("cuDNN graph: no execution plan finalized (" + last_error + ")");
  g->uids_ = {kX, kW};
  if (d.bias) g->uids_.push_back(kB);
  if (d.residual) g->uids_.push_back(kZ);
  g->uids_.push_back(kY);
  return g;
}

CudnnConvGraph::~CudnnConvGraph() {
  for (auto it = owned_.rbegin(); it != owned_.rend(); ++it) cudnnBackendDestroyDescriptor(*it);
}

cudnnStatus_t CudnnConvGraph::Run(cudnnHandle_t handle, const void* x, const void* w, const void* bias, const void* z, void* y,
                                  void* workspace) const {
  std::vector<void*> ptrs = {const_cast<void*>(x), const_cast<void*>(w)};
  if (bias_) ptrs.push_back(const_cast<void*>(bias));
  if (residual_) ptrs.push_back(const_cast<void*>(z));
  ptrs.push_back(y);
  cudnnBackendDescriptor_t vp;
  cudnnStatus_t s = cudnnBackendCreateDescriptor(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR, &vp);
  if (s != CUDNN_STATUS_SUCCESS) return s;
  s = cudnnBackendSetAttribute(vp, CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, static_cast<int64_t>(uids_.size()), uids_.data());
  if (s == CUDNN_STATUS_SUCCESS) s = cudnnBackendSetAttribute(vp, CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, static_cast<int64_t>(ptrs.size()), ptrs.data());
  if (s == CUDNN_STATUS_SUCCESS) s = cudnnBackendSetAttribute(vp, CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &workspace);
  if (s == CUDNN_STATUS_SUCCESS) s = cudnnBackendFinalize(vp);
  if (s == CUDNN_STATUS_SUCCESS) s = cudnnBackendExecute(handle, plan_, vp);
  cudnnBackendDestroyDescriptor(vp);
  return s;
}

}  // namespace edgeinfer::devices::cuda
