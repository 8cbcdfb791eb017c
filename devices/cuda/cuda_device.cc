// CudaDevice implementation (the algorithm is described in cuda_device.h).
#include "devices/cuda/cuda_device.h"

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

#include "devices/cuda/cuda_memory.h"
#include "devices/cuda/cudnn_graph.h"
#include "devices/cuda/kernels.h"
#include "graph/memory_planner.h"
#include "graph/ops/data_movement.h"
#include "graph/ops/fused.h"
#include "graph/quant/int8_kernels.h"
#include "graph/quant/int8_math.h"
#include "graph/shape_inference.h"

namespace edgeinfer::devices {
namespace {

using cuda::KAct;
using cuda::KActParams;
using cuda::KType;

#define CU_CHECK(expr)                                                                                     \
  do {                                                                                                     \
    cudaError_t e_ = (expr);                                                                               \
    if (e_ != cudaSuccess) return Status::Error(std::string("cuda: ") + #expr + ": " + cudaGetErrorString(e_)); \
  } while (0)
#define DNN_CHECK(expr)                                                                                        \
  do {                                                                                                         \
    cudnnStatus_t e_ = (expr);                                                                                 \
    if (e_ != CUDNN_STATUS_SUCCESS) return Status::Error(std::string("cudnn: ") + #expr + ": " + cudnnGetErrorString(e_)); \
  } while (0)
#define BLAS_CHECK(expr)                                                                                          \
  do {                                                                                                            \
    cublasStatus_t e_ = (expr);                                                                                   \
    if (e_ != CUBLAS_STATUS_SUCCESS) return Status::Error(std::string("cublas: ") + #expr + ": " + cublasGetStatusString(e_)); \
  } while (0)

size_t KSize(KType t) {
  switch (t) {
    case KType::kF32: return 4;
    case KType::kF16: return 2;
    case KType::kI8: return 1;
    case KType::kI32: return 4;
  }
  return 4;
}
KType ToK(DType d) {
  switch (d) {
    case DType::kFloat16: return KType::kF16;
    case DType::kInt8: return KType::kI8;
    case DType::kInt32: return KType::kI32;
    default: return KType::kF32;
  }
}
cudnnDataType_t ToDnn(KType t) {
  switch (t) {
    case KType::kF16: return CUDNN_DATA_HALF;
    case KType::kI8: return CUDNN_DATA_INT8;
    case KType::kI32: return CUDNN_DATA_INT32;
    default: return CUDNN_DATA_FLOAT;
  }
}
int64_t Prod(const std::vector<int64_t>& d, size_t from = 0, size_t to = SIZE_MAX) {
  int64_t p = 1;
  for (size_t i = from; i < std::min(to, d.size()); ++i) p *= d[i];
  return p;
}
std::string DimsStr(const std::vector<int64_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? "," : "") + std::to_string(d[i]);
  return s + "]";
}
size_t AlignUp(size_t x, size_t a) { return (x + a - 1) / a * a; }

// Parses an activation given by op name ("Relu") or the fused `activation` attribute.
bool ParseAct(const std::string& name, float alpha, float beta, float mn, float mx, KActParams* p) {
  KActParams a;
  a.alpha = alpha;
  a.beta = beta;
  a.min = mn;
  a.max = mx;
  if (name.empty() || name == "Identity") a.kind = KAct::kNone;
  else if (name == "Relu") a.kind = KAct::kRelu;
  else if (name == "LeakyRelu") a.kind = KAct::kLeakyRelu;
  else if (name == "Clip") a.kind = KAct::kClip;
  else if (name == "Sigmoid") a.kind = KAct::kSigmoid;
  else if (name == "Tanh") a.kind = KAct::kTanh;
  else if (name == "HardSigmoid") a.kind = KAct::kHardSigmoid;
  else if (name == "HardSwish") a.kind = KAct::kHardSwish;
  else return false;
  *p = a;
  return true;
}

enum class SK {
  kInput, kOutput, kConv, kConvInt8, kGemm, kGemmInt8, kPool, kGlobalPool, kAct, kBinary, kSoftmax, kConcat,
  kResize, kReshape, kQuantize, kDequantize, kTranspose, kSplit, kSlice
};
const char* SKName(SK k) {
  switch (k) {
    case SK::kInput: return "input";
    case SK::kOutput: return "output";
    case SK::kConv: return "conv";
    case SK::kConvInt8: return "conv-int8";
    case SK::kGemm: return "gemm";
    case SK::kGemmInt8: return "gemm-int8";
    case SK::kPool: return "pool";
    case SK::kGlobalPool: return "global-pool";
    case SK::kAct: return "activation";
    case SK::kBinary: return "binary";
    case SK::kSoftmax: return "softmax";
    case SK::kConcat: return "concat";
    case SK::kResize: return "resize";
    case SK::kReshape: return "reshape";
    case SK::kQuantize: return "quantize";
    case SK::kDequantize: return "dequantize";
    case SK::kTranspose: return "transpose";
    case SK::kSlice: return "slice";
    case SK::kSplit: return "split";
  }
  return "?";
}

struct PoolAttr {
  bool on = false;
  int kind = 0;   // 0 max, 1 average
  int k[2] = {1, 1}, s[2] = {1, 1}, p[4] = {0, 0, 0, 0}, d[2] = {1, 1};
  bool ceil = false, count_include_pad = false;
  std::string auto_pad = "NOTSET";
};

// Everything a step needs that does not depend on the batch size.
struct Step {
  SK kind;
  int pos = 0;                         // execution order: topological index of the last node it covers
  NodeId node = kNoNode;               // the node whose name labels the step
  std::string label;                   // "Conv 'name'"
  std::vector<ValueId> in;             // activation (non-weight) inputs
  ValueId out = kNoValue;
  int graph_io = -1;                   // kInput/kOutput: index into the graph's inputs/outputs
  bool skip = false;                   // kInput / kDequantize: its only reader reads its input itself
  bool from_staging = false;           // kQuantize: quantizes the NCHW staging copy of a graph input
  // Conv / Gemm
  int k = 0, c = 0, r = 1, s = 1, group = 1;
  int pads[4] = {0, 0, 0, 0}, strides[2] = {1, 1}, dil[2] = {1, 1};
  std::string auto_pad = "NOTSET";
  KActParams act;
  bool residual = false;               // in[1] is the residual
  PoolAttr pool;                       // ConvBiasActPool's pool, or the Pool step's
  void* w_dev = nullptr;               // KRSC weights (compute dtype) / int8 [K, ldw] / gemm [N, K]
  void* w_gemm = nullptr;              // FP16 group-1 conv: KRSC rows padded to ldg (for the cuBLASLt path)
  void* w_dw = nullptr;                // depthwise conv: weights [R*S, K] (channel fastest) for our kernel
  int ldg = 0;
  float* bias_f32 = nullptr;           // device FP32 bias (our kernels)
  void* bias_cd = nullptr;             // device bias in the compute dtype (cuDNN's fused call)
  int ldw = 0;                         // int8: padded row length of the weight matrix
  // INT8
  int32_t* bias_i32 = nullptr;
  cuda::KMultiplier* mult_dev = nullptr;
  cuda::KMultiplier res_mult{0, 0};
  float* fmult_dev = nullptr;           // float multipliers (CudaOptions::int8_exact_epilogue false)
  float* fbias_dev = nullptr;           // ... and the bias in output units (bias[k] * fmult[k])
  std::vector<float> fmult_host;
  float res_fmult = 0.f;
  cuda::KIntAct iact;
  int8_t* lut_dev = nullptr;
  // Binary / Softmax / Concat / Resize / Reshape / Quant
  cuda::KBinary bop = cuda::KBinary::kAdd;
  int axis = 0;
  cuda::ResizeDesc rz{};
  std::vector<float> rz_scales;        // from the node (scales input), or empty when sizes given
  std::vector<int64_t> rz_sizes;
  float qscale = 1.f;
  bool gap_requant = false;       // INT8 GlobalAveragePool requantized to its y_scale (x_scale/y_scale attrs)
  float gap_x_scale = 0.f, gap_y_scale = 0.f;
  // Transpose: perm (logical axes). Split: one step per output; split_sizes (empty: split_count
  // equal parts, the last smaller, as ONNX opset 18), split_index = this step's output; axis.
  std::vector<int64_t> perm;
  std::vector<int64_t> split_sizes;
  int split_count = 0, split_index = 0;
  // Slice: the node's constant starts / ends / axes / steps (resolved per batch by ops::ResolveSlice).
  std::vector<int64_t> slice_starts, slice_ends, slice_axes, slice_steps;
  // Concat: per input, whether the compiler marked its producer to write it in place
  // (`concat_into` names this Concat; fusions/concat_in_place.cc).
  std::vector<char> concat_marked;
};

// The part sizes of a Split step for an axis extent `dim`: its constant sizes, or split_count equal
// parts with the last one smaller (ONNX opset 18), as graph/ops/data_movement.cc computes them.
Status SplitSizesOf(const Step& st, int64_t dim, std::vector<int64_t>* sizes) {
  if (!st.split_sizes.empty()) {
    *sizes = st.split_sizes;
    int64_t sum = 0;
    for (int64_t v : *sizes) sum += v;
    if (sum != dim) return Status::Error(st.label + ": split " + DimsStr(*sizes) + " sums to " + std::to_string(sum) + ", not the axis extent " + std::to_string(dim));
    return Status::Ok();
  }
  const int64_t n = st.split_count;
  const int64_t chunk = n > 0 ? (dim + n - 1) / n : 0;
  if (n <= 0 || dim - chunk * (n - 1) < 0) return Status::Error(st.label + ": axis extent " + std::to_string(dim) + " cannot be split into " + std::to_string(n) + " parts");
  sizes->assign(static_cast<size_t>(n), chunk);
  sizes->back() = dim - chunk * (n - 1);
  return Status::Ok();
}

// A Transpose step's perm: the node's, or the axes reversed (ONNX default) for an input of `rank`.
std::vector<int64_t> TransposePerm(const Step& st, size_t rank) {
  if (!st.perm.empty() || rank == 0) return st.perm;
  std::vector<int64_t> p(rank);
  for (size_t i = 0; i < rank; ++i) p[i] = static_cast<int64_t>(rank - 1 - i);
  return p;
}

struct ConvRun {   // per batch, per conv step
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, b = nullptr, z = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnActivationDescriptor_t act = nullptr;
  cudnnConvolutionFwdAlgo_t algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
  size_t ws = 0;
  bool fused = false;   // cudnnConvolutionBiasActivationForward (ReLU or identity, optional residual)
  std::string how;
  // The alternative FP16 path: (im2col +) cuBLASLt GEMM with the bias (+ReLU) epilogue and the
  // residual as C (beta 1). Chosen per layer when its timing beats cuDNN's.
  bool use_dw = false;   // our depthwise kernel (timed against cuDNN)
  // The cuDNN graph API (conv + bias + residual + activation in one engine; FP16), when timed faster.
  std::shared_ptr<cuda::CudnnConvGraph> graph;
  bool use_graph = false;
  bool use_lt = false, lt_im2col = false;
  cublasLtMatmulDesc_t lop = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, lc = nullptr;
  cublasLtMatmulAlgo_t lalgo{};
  size_t lws = 0;
};
struct LtRun {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool has_algo = false;
  size_t ws = 0;
  int m = 0, n = 0, kd = 0, ldb = 0;
  bool im2col = false;
  bool direct = false;  // our fused kernels (implicit GEMM / depthwise / grouped)
  bool lt_ok = false;   // the cuBLASLt + requantize alternative is set up (descriptors, algo)
  bool use_lt = false;  // ... and was timed faster than our fused kernel
  bool lt_im2col = false;
  int tile_n = 0;       // the fused implicit GEMM's N tile (0: by K; 64 or 128 when timed)
  // Float epilogue only: cuBLASLt writing int8 itself (alpha per output channel, the bias scaled,
  // the residual as C with a scalar beta, ReLU), for plain 1x1 convolutions, when timed faster.
  cublasLtMatmulDesc_t op8 = nullptr;
  cublasLtMatrixLayout_t a8 = nullptr, b8 = nullptr, c8 = nullptr;
  cublasLtMatmulAlgo_t algo8{};
  size_t ws8 = 0;
  bool use_lt8 = false;
  std::string how;
};

struct BatchPlan {
  int n = 0;
  std::vector<std::vector<int64_t>> dims;   // logical (NCHW) dims of each value at this batch
  std::vector<size_t> off;                  // arena offset of each value (SIZE_MAX: none)
  std::vector<size_t> host_off;             // graph I/O: offset of the NCHW graph-dtype staging copy
  std::vector<char> in_place;               // value written by its producer straight into its Concat's output
  MemoryPlan arena_plan;                    // the arena's buffers as the shared planner placed them (BuildArena)
  char* arena = nullptr;
  size_t arena_bytes = 0, scratch_off = 0, scratch_bytes = 0, ws_off = 0, ws_bytes = 0;
  std::vector<ConvRun> conv;
  std::vector<LtRun> lt;
  cudaGraphExec_t exec = nullptr;
  bool ran_once = false;
  std::vector<float> step_ms;   // from Profile(): eager per-step time
  std::string graph_note;
};

}  // namespace

struct CudaDevice::Impl {
  CudaOptions opt;
  std::shared_ptr<const Graph> g;
  KType fk = KType::kF32;   // storage type of float values
  cudaStream_t stream = nullptr;
  cudnnHandle_t dnn = nullptr;
  cublasHandle_t blas = nullptr;
  cublasLtHandle_t lt = nullptr;
  std::vector<Step> steps;
  std::vector<KType> vtype;      // storage type per value
  std::vector<bool> nhwc;        // rank-4 activations live NHWC
  std::vector<ValueId> alias;    // Reshape outputs that alias their input: root value, else kNoValue
  std::vector<void*> const_dev;  // constants used as activation inputs (Add with a constant, ...)
  std::vector<void*> owned;      // device allocations of weights
  std::map<int, BatchPlan> plans;
  std::map<std::string, std::string> cache;   // timing cache: key -> choice
  bool cache_dirty = false;
  std::vector<std::string> explain;

  ~Impl() {
    for (auto& [n, p] : plans) FreePlan(p);
    for (void* p : owned) cudaFree(p);
    if (lt) cublasLtDestroy(lt);
    if (blas) cublasDestroy(blas);
    if (dnn) cudnnDestroy(dnn);
    if (stream) cudaStreamDestroy(stream);
  }

  void FreePlan(BatchPlan& p) {
    for (ConvRun& c : p.conv) {
      if (c.x) cudnnDestroyTensorDescriptor(c.x);
      if (c.y) cudnnDestroyTensorDescriptor(c.y);
      if (c.b) cudnnDestroyTensorDescriptor(c.b);
      if (c.z) cudnnDestroyTensorDescriptor(c.z);
      if (c.w) cudnnDestroyFilterDescriptor(c.w);
      if (c.conv) cudnnDestroyConvolutionDescriptor(c.conv);
      if (c.act) cudnnDestroyActivationDescriptor(c.act);
      if (c.lop) cublasLtMatmulDescDestroy(c.lop);
      if (c.la) cublasLtMatrixLayoutDestroy(c.la);
      if (c.lb) cublasLtMatrixLayoutDestroy(c.lb);
      if (c.lc) cublasLtMatrixLayoutDestroy(c.lc);
    }
    for (LtRun& l : p.lt) {
      if (l.op) cublasLtMatmulDescDestroy(l.op);
      if (l.a) cublasLtMatrixLayoutDestroy(l.a);
      if (l.b) cublasLtMatrixLayoutDestroy(l.b);
      if (l.c) cublasLtMatrixLayoutDestroy(l.c);
      if (l.op8) cublasLtMatmulDescDestroy(l.op8);
      if (l.a8) cublasLtMatrixLayoutDestroy(l.a8);
      if (l.b8) cublasLtMatrixLayoutDestroy(l.b8);
      if (l.c8) cublasLtMatrixLayoutDestroy(l.c8);
    }
    if (p.exec) cudaGraphExecDestroy(p.exec);
    if (p.arena) cudaFree(p.arena);
    p = BatchPlan{};
  }

  const Value& V(ValueId v) const { return g->value(v); }

  Result<void*> Upload(const void* src, size_t bytes) {
    void* d = nullptr;
    if (bytes == 0) bytes = 4;
    CU_CHECK(cudaMalloc(&d, bytes));
    owned.push_back(d);
    CU_CHECK(cudaMemcpy(d, src, bytes, cudaMemcpyHostToDevice));
    return d;
  }
  // Host float vector -> device in type t.
  Result<void*> UploadFloats(const std::vector<float>& v, KType t) {
    if (t == KType::kF16) {
      std::vector<uint16_t> h(v.size());
      for (size_t i = 0; i < v.size(); ++i) h[i] = FloatToHalf(v[i]);
      return Upload(h.data(), h.size() * 2);
    }
    return Upload(v.data(), v.size() * 4);
  }

  // ---- timing cache ----
  void LoadCache() {
    if (opt.timing_cache.empty()) return;
    std::ifstream f(opt.timing_cache);
    std::string line;
    while (std::getline(f, line)) {
      auto tab = line.find('\t');
      if (tab != std::string::npos) cache[line.substr(0, tab)] = line.substr(tab + 1);
    }
  }
  void SaveCache() {
    if (opt.timing_cache.empty() || !cache_dirty) return;
    std::ofstream f(opt.timing_cache, std::ios::trunc);
    f << "# edgeinfer CUDA timing cache: layer signature -> chosen algorithm (cuDNN " << cudnnGetVersion() << ")\n";
    for (auto& [k, v] : cache) f << k << '\t' << v << '\n';
    cache_dirty = false;
  }

  Status Init() {
    if (stream) return Status::Ok();
    CU_CHECK(cudaSetDevice(opt.device_index));
    CU_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    DNN_CHECK(cudnnCreate(&dnn));
    DNN_CHECK(cudnnSetStream(dnn, stream));
    BLAS_CHECK(cublasCreate(&blas));
    BLAS_CHECK(cublasSetStream(blas, stream));
    BLAS_CHECK(cublasLtCreate(&lt));
    return Status::Ok();
  }

  Status BuildSteps();
  Status AddConvStep(NodeId id, Step st, ValueId x, ValueId w, ValueId b, ValueId res);
  Status AddGemmStep(NodeId id, Step st, ValueId a, ValueId b, ValueId c, bool trans_b, float alpha, float beta);
  Status Int8Epilogue(NodeId id, ValueId x, ValueId w, ValueId y, ValueId r, Step* st);
  Status PlanBatch(int n);
  // The arena at one batch: which Concat inputs are written in place (the compiler's marks, checked
  // at this batch), Reshape aliases, then one BufferRequest per buffer planned by the shared
  // planner (graph/memory_planner.h) and checked.
  Status BuildArena(BatchPlan& p);
  Status SetupLibraries(BatchPlan& p);
  // choice: index of the cached cuBLASLt algorithm, -1 cached "cuDNN", -2 tune now (time cuDNN's
  // chosen algorithm against cuBLASLt's candidates and keep the faster).
  Status SetupLtConv(BatchPlan& p, size_t i, int choice, const std::string& key, cudaEvent_t e0, cudaEvent_t e1);
  // Mean GPU time of step i over 5 runs after 2 warm-up runs (tuning); 1e30 when a run fails.
  float TimeStep(BatchPlan& p, size_t i, cudaEvent_t e0, cudaEvent_t e1);
  // cuBLASLt's candidate algorithms for a matmul (workspace at most min(arena workspace, 64 MiB),
  // written to *ws_limit): how many it filled into res (0 when none or on error).
  int LtHeuristics(cublasLtMatmulDesc_t op, cublasLtMatrixLayout_t a, cublasLtMatrixLayout_t b, cublasLtMatrixLayout_t c,
                   const BatchPlan& p, size_t* ws_limit, cublasLtMatmulHeuristicResult_t* res, int max_results);
  // The cuBLASLt int8-output alternative of a plain 1x1 INT8 convolution in float-epilogue mode:
  // set up, timed against the step as it is, kept when faster (cached under `key`).
  Status SetupLt8(BatchPlan& p, size_t i, cudaEvent_t e0, cudaEvent_t e1, size_t* need_ws);
  Status RunLtConv(BatchPlan& p, size_t i);
  Status RunSteps(BatchPlan& p, bool first);
  Status RunStep(BatchPlan& p, size_t i);
  void* Ptr(const BatchPlan& p, ValueId v) const {
    ValueId r = alias[static_cast<size_t>(v)] != kNoValue ? alias[static_cast<size_t>(v)] : v;
    if (const_dev[static_cast<size_t>(r)]) return const_dev[static_cast<size_t>(r)];
    return p.arena + p.off[static_cast<size_t>(r)];
  }
  Status Run(int n);
  Status Profile(int n) {
    EI_RETURN_IF_ERROR(Run(n));   // plan, eager first run, capture
    BatchPlan& p = plans[n];
    std::vector<cudaEvent_t> ev(steps.size() + 1);
    for (auto& e : ev) CU_CHECK(cudaEventCreate(&e));
    p.step_ms.assign(steps.size(), 0.f);
    for (int rep = 0; rep < 3; ++rep) {
      CU_CHECK(cudaEventRecord(ev[0], stream));
      for (size_t i = 0; i < steps.size(); ++i) {
        EI_RETURN_IF_ERROR(RunStep(p, i));
        CU_CHECK(cudaEventRecord(ev[i + 1], stream));
      }
      CU_CHECK(cudaEventSynchronize(ev.back()));
      for (size_t i = 0; i < steps.size(); ++i) {
        float ms = 0.f;
        cudaEventElapsedTime(&ms, ev[i], ev[i + 1]);
        p.step_ms[i] = rep == 0 ? ms : std::min(p.step_ms[i], ms);
      }
    }
    for (auto& e : ev) cudaEventDestroy(e);
    return Status::Ok();
  }
};

// ---------------------------------------------------------------------------------------------
// Prepare: nodes -> steps

namespace {

Status ConstFloats(const Graph& g, ValueId v, std::vector<float>* out, const std::string& what) {
  if (v == kNoValue || !g.value(v).IsConstant()) return Status::Error(what + " must be a constant");
  const Tensor& t = *g.value(v).constant;
  out->resize(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) (*out)[static_cast<size_t>(i)] = static_cast<float>(t.GetAsDouble(i));
  return Status::Ok();
}

void ReadConvAttrs(const Node& n, Step* st) {
  auto ks = n.attrs.GetInts("kernel_shape");
  auto pads = n.attrs.GetInts("pads", {0, 0, 0, 0});
  auto strides = n.attrs.GetInts("strides", {1, 1});
  auto dil = n.attrs.GetInts("dilations", {1, 1});
  for (int i = 0; i < 4 && i < static_cast<int>(pads.size()); ++i) st->pads[i] = static_cast<int>(pads[static_cast<size_t>(i)]);
  for (int i = 0; i < 2 && i < static_cast<int>(strides.size()); ++i) st->strides[i] = static_cast<int>(strides[static_cast<size_t>(i)]);
  for (int i = 0; i < 2 && i < static_cast<int>(dil.size()); ++i) st->dil[i] = static_cast<int>(dil[static_cast<size_t>(i)]);
  st->group = static_cast<int>(n.attrs.GetInt("group", 1));
  st->auto_pad = n.attrs.GetString("auto_pad", "NOTSET");
}

void ReadPoolAttrs(const Node& n, const std::string& prefix, PoolAttr* p) {
  auto ks = n.attrs.GetInts(prefix + "kernel_shape", {1, 1});
  auto st = n.attrs.GetInts(prefix + "strides", {1, 1});
  auto pads = n.attrs.GetInts(prefix + "pads", {0, 0, 0, 0});
  auto dil = n.attrs.GetInts(prefix + "dilations", {1, 1});
  for (int i = 0; i < 2; ++i) {
    p->k[i] = ks.size() > static_cast<size_t>(i) ? static_cast<int>(ks[static_cast<size_t>(i)]) : 1;
    p->s[i] = st.size() > static_cast<size_t>(i) ? static_cast<int>(st[static_cast<size_t>(i)]) : 1;
    p->d[i] = dil.size() > static_cast<size_t>(i) ? static_cast<int>(dil[static_cast<size_t>(i)]) : 1;
  }
  for (int i = 0; i < 4; ++i) p->p[i] = pads.size() > static_cast<size_t>(i) ? static_cast<int>(pads[static_cast<size_t>(i)]) : 0;
  p->ceil = n.attrs.GetInt(prefix + "ceil_mode", 0) != 0;
  p->count_include_pad = n.attrs.GetInt(prefix + "count_include_pad", 0) != 0;
  p->auto_pad = n.attrs.GetString(prefix + "auto_pad", "NOTSET");
}

// Output extent of a window op; pads are resolved for auto_pad (pads_begin/pads_end updated).
int64_t WindowOut(int64_t in, int k, int s, int d, int* pb, int* pe, const std::string& auto_pad, bool ceil) {
  int64_t ek = static_cast<int64_t>(d) * (k - 1) + 1;
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    int64_t out = (in + s - 1) / s;
    int64_t total = std::max<int64_t>(0, (out - 1) * s + ek - in);
    int small = static_cast<int>(total / 2), big = static_cast<int>(total - total / 2);
    *pb = auto_pad == "SAME_UPPER" ? small : big;
    *pe = auto_pad == "SAME_UPPER" ? big : small;
    return out;
  }
  if (auto_pad == "VALID") { *pb = 0; *pe = 0; }
  int64_t span = in + *pb + *pe - ek;
  if (span < 0) return 0;
  int64_t out = (ceil ? (span + s - 1) / s : span / s) + 1;
  // ONNX ceil mode: the last window must start inside the input or the begin padding.
  if (ceil && (out - 1) * s >= in + *pb) --out;
  return out;
}

}  // namespace

namespace {

// Whether the compiler marked v's producer to write v in place into the Concat named `concat`.
bool ConcatMarked(const Graph& g, ValueId v, const std::string& concat) {
  const NodeId pid = g.value(v).producer;
  if (pid == kNoNode) return false;
  const Node& p = g.node(pid);
  auto it = p.attrs.all().find("concat_into");
  if (it == p.attrs.all().end()) return false;
  const auto* into = std::get_if<std::vector<std::string>>(&it->second);
  if (!into) return false;
  for (size_t i = 0; i < p.outputs.size() && i < into->size(); ++i) {
    if (p.outputs[i] == v && (*into)[i] == concat) return true;
  }
  return false;
}

float ScaleOf(const Graph& g, const Node& n, const char* attr, ValueId v) {
  if (n.attrs.Has(attr)) return n.attrs.GetFloat(attr, 0.f);
  if (v != kNoValue && g.value(v).quant && !g.value(v).quant->scale.empty()) return g.value(v).quant->scale[0];
  return 0.f;
}

}  // namespace

// The INT8 epilogue of a fused node, built by the reference's own host function (so multipliers,
// clamp bounds and LUT are the reference's), then uploaded for our requantization kernel.
Status CudaDevice::Impl::Int8Epilogue(NodeId id, ValueId x, ValueId w, ValueId y, ValueId r, Step* st) {
  const Graph& G = *g;
  const Node& n = G.node(id);
  if (!ops::IsFusedOp(n.op)) return Status::Error(G.Label(id) + ": INT8 runs on the GPU as fused nodes (ConvBiasAct, ConvEltwiseAct, ConvBiasActPool, GemmBiasAct)");
  EI_ASSIGN_OR_RETURN(std::optional<ops::ActParams> act, ops::ParseFusedActivation(n.attrs));
  std::vector<float> ws = n.attrs.GetFloats("w_scale");
  if (ws.empty() && G.value(w).quant) ws = G.value(w).quant->scale;
  if (ws.size() != 1 && ws.size() != static_cast<size_t>(st->k))
    return Status::Error(G.Label(id) + ": w_scale has " + std::to_string(ws.size()) + " values for " + std::to_string(st->k) + " output channels");
  if (G.value(y).dtype != DType::kInt8) return Status::Error(G.Label(id) + ": INT8 node must produce int8");
  auto e = int8::MakeEpilogue(act.value_or(ops::ActParams{ops::ActKind::kIdentity}), act.has_value(), ScaleOf(G, n, "x_scale", x), ws,
                              ScaleOf(G, n, "y_scale", y), n.attrs.GetFloat("act_in_scale", 0.f), r != kNoValue, ScaleOf(G, n, "r_scale", r));
  if (!e.ok()) return e.status().WithContext(G.Label(id));
  std::vector<cuda::KMultiplier> mult(static_cast<size_t>(st->k));
  for (int k = 0; k < st->k; ++k) {
    const int8::Multiplier& m = e->m.size() == 1 ? e->m[0] : e->m[static_cast<size_t>(k)];
    mult[static_cast<size_t>(k)] = {m.multiplier, m.shift};
  }
  EI_ASSIGN_OR_RETURN(void* md, Upload(mult.data(), mult.size() * sizeof(cuda::KMultiplier)));
  st->mult_dev = static_cast<cuda::KMultiplier*>(md);
  if (e->has_residual) st->res_mult = {e->m_r.multiplier, e->m_r.shift};
  if (!opt.int8_exact_epilogue) {   // the same multipliers as floats (Q31 mantissa * 2^(shift - 31))
    std::vector<float> fm(mult.size());
    for (size_t k = 0; k < mult.size(); ++k) fm[k] = static_cast<float>(std::ldexp(static_cast<double>(mult[k].multiplier), mult[k].shift - 31));
    EI_ASSIGN_OR_RETURN(void* fd, Upload(fm.data(), fm.size() * sizeof(float)));
    st->fmult_dev = static_cast<float*>(fd);
    st->fmult_host = fm;
    if (e->has_residual) st->res_fmult = static_cast<float>(std::ldexp(static_cast<double>(e->m_r.multiplier), e->m_r.shift - 31));
  }
  st->iact = cuda::KIntAct{};
  switch (e->mode) {
    case int8::Epilogue::Mode::kNone: break;
    case int8::Epilogue::Mode::kRelu: st->iact.lo = 0; break;
    case int8::Epilogue::Mode::kClamp: st->iact.lo = e->lo; st->iact.hi = e->hi; break;
    case int8::Epilogue::Mode::kLut: {
      EI_ASSIGN_OR_RETURN(void* ld, Upload(e->lut.data(), 256));
      st->iact.lut = static_cast<int8_t*>(ld);
      break;
    }
  }
  return Status::Ok();
}

Status CudaDevice::Impl::AddConvStep(NodeId id, Step st, ValueId x, ValueId w, ValueId b, ValueId res) {
  const Node& n = g->node(id);
  st.node = id;
  st.in = {x};
  if (res != kNoValue) { st.in.push_back(res); st.residual = true; }
  ReadConvAttrs(n, &st);
  if (!V(w).IsConstant()) return Status::Error(g->Label(id) + ": weights must be a constant on the GPU");
  const Tensor& wt = *V(w).constant;
  if (wt.rank() != 4) return Status::Error(g->Label(id) + ": only 2-D convolutions (4-D weights) are supported, got " + DimsStr(wt.dims()));
  st.k = static_cast<int>(wt.dim(0));
  int cpg = static_cast<int>(wt.dim(1));
  st.r = static_cast<int>(wt.dim(2));
  st.s = static_cast<int>(wt.dim(3));
  st.c = cpg * st.group;
  if (st.group < 1 || st.k % st.group != 0) return Status::Error(g->Label(id) + ": group=" + std::to_string(st.group) + " does not divide " + std::to_string(st.k) + " output channels");
  st.label = g->Label(id);
  const bool int8 = V(x).dtype == DType::kInt8;
  const size_t per_k = static_cast<size_t>(cpg) * st.r * st.s;
  if (!int8) {
    st.kind = SK::kConv;
    std::vector<float> wf, bias(static_cast<size_t>(st.k), 0.f);
    EI_RETURN_IF_ERROR(ConstFloats(*g, w, &wf, g->Label(id) + ": weights"));
    if (b != kNoValue) {
      std::vector<float> bf;
      EI_RETURN_IF_ERROR(ConstFloats(*g, b, &bf, g->Label(id) + ": bias"));
      if (bf.size() != static_cast<size_t>(st.k)) return Status::Error(g->Label(id) + ": bias has " + std::to_string(bf.size()) + " values for " + std::to_string(st.k) + " output channels");
      bias = bf;
    }
    // OIHW -> KRSC (cuDNN's NHWC filter layout).
    std::vector<float> krsc(wf.size());
    for (int k = 0; k < st.k; ++k)
      for (int c = 0; c < cpg; ++c)
        for (int r = 0; r < st.r; ++r)
          for (int s = 0; s < st.s; ++s)
            krsc[((static_cast<size_t>(k) * st.r + r) * st.s + s) * cpg + c] = wf[((static_cast<size_t>(k) * cpg + c) * st.r + r) * st.s + s];
    EI_ASSIGN_OR_RETURN(st.w_dev, UploadFloats(krsc, fk));
    if (cpg == 1 && st.group == st.k) {
      std::vector<float> dw(static_cast<size_t>(st.r) * st.s * st.k);
      for (int k = 0; k < st.k; ++k)
        for (int j = 0; j < st.r * st.s; ++j) dw[static_cast<size_t>(j) * st.k + k] = krsc[static_cast<size_t>(k) * per_k + j];
      EI_ASSIGN_OR_RETURN(st.w_dw, UploadFloats(dw, fk));
    }
    if (fk == KType::kF16 && st.group == 1) {
      st.ldg = static_cast<int>(AlignUp(per_k, 8));
      std::vector<float> padded(static_cast<size_t>(st.k) * st.ldg, 0.f);
      for (int k = 0; k < st.k; ++k) std::copy(krsc.begin() + static_cast<int64_t>(k * per_k), krsc.begin() + static_cast<int64_t>((k + 1) * per_k), padded.begin() + static_cast<int64_t>(k) * st.ldg);
      EI_ASSIGN_OR_RETURN(st.w_gemm, UploadFloats(padded, fk));
    }
    EI_ASSIGN_OR_RETURN(void* bf, UploadFloats(bias, KType::kF32));
    st.bias_f32 = static_cast<float*>(bf);
    EI_ASSIGN_OR_RETURN(st.bias_cd, UploadFloats(bias, fk));
  } else {
    st.kind = SK::kConvInt8;
    if (wt.dtype() != DType::kInt8) return Status::Error(st.label + ": INT8 convolution needs int8 weights, got " + DTypeName(wt.dtype()));
    EI_RETURN_IF_ERROR(Int8Epilogue(id, x, w, n.outputs[0], res, &st));
    if (b != kNoValue) {
      const Tensor& bt = *V(b).constant;
      if (!V(b).IsConstant() || bt.dtype() != DType::kInt32 || bt.numel() != st.k) return Status::Error(st.label + ": INT8 bias must be an int32 constant with one value per output channel");
      EI_ASSIGN_OR_RETURN(void* bd, Upload(bt.raw(), bt.bytes()));
      st.bias_i32 = static_cast<int32_t*>(bd);
    }
    if (!st.fmult_host.empty()) {   // float epilogue: the bias in output units, for cuBLASLt's bias epilogue
      std::vector<float> fb(st.fmult_host.size(), 0.f);
      if (b != kNoValue)
        for (size_t k = 0; k < fb.size(); ++k) fb[k] = static_cast<float>(static_cast<double>(V(b).constant->data<int32_t>()[k]) * st.fmult_host[k]);
      EI_ASSIGN_OR_RETURN(void* fbd, Upload(fb.data(), fb.size() * sizeof(float)));
      st.fbias_dev = static_cast<float*>(fbd);
    }
    // Weights: OIHW int8 -> [K, R*S*Cpg] (KRSC) rows padded to ldw (multiple of 16) with zeros.
    st.ldw = st.group == 1 ? static_cast<int>(AlignUp(per_k, 16)) : static_cast<int>(per_k);
    std::vector<int8_t> wq(static_cast<size_t>(st.k) * st.ldw, 0);
    const int8_t* src = wt.data<int8_t>();
    for (int k = 0; k < st.k; ++k)
      for (int c = 0; c < cpg; ++c)
        for (int r = 0; r < st.r; ++r)
          for (int s = 0; s < st.s; ++s)
            wq[static_cast<size_t>(k) * st.ldw + (static_cast<size_t>(r) * st.s + s) * cpg + c] = src[((static_cast<size_t>(k) * cpg + c) * st.r + r) * st.s + s];
    EI_ASSIGN_OR_RETURN(st.w_dev, Upload(wq.data(), wq.size()));
    if (cpg == 1 && st.group == st.k) {
      std::vector<int8_t> dw(static_cast<size_t>(st.r) * st.s * st.k);
      for (int k = 0; k < st.k; ++k)
        for (int j = 0; j < st.r * st.s; ++j) dw[static_cast<size_t>(j) * st.k + k] = wq[static_cast<size_t>(k) * st.ldw + j];
      EI_ASSIGN_OR_RETURN(st.w_dw, Upload(dw.data(), dw.size()));
    }
  }
  steps.push_back(std::move(st));
  return Status::Ok();
}

Status CudaDevice::Impl::AddGemmStep(NodeId id, Step st, ValueId a, ValueId b, ValueId c, bool trans_b, float alpha,
                                     float beta) {
  st.node = id;
  st.in = {a};
  if (st.label.empty()) st.label = g->Label(id);
  if (!V(b).IsConstant() || V(b).constant->rank() != 2) return Status::Error(st.label + ": the GPU runs Gemm/MatMul with a constant 2-D B only");
  const Tensor& bt = *V(b).constant;
  const int kd = static_cast<int>(trans_b ? bt.dim(1) : bt.dim(0));
  const int nn = static_cast<int>(trans_b ? bt.dim(0) : bt.dim(1));
  st.k = nn;
  st.c = kd;
  std::vector<float> bias(static_cast<size_t>(nn), 0.f);
  if (c != kNoValue) {
    if (!V(c).IsConstant()) return Status::Error(st.label + ": C must be a constant");
    const Tensor& ct = *V(c).constant;
    if (ct.numel() != nn && ct.numel() != 1) return Status::Error(st.label + ": C of shape " + DimsStr(ct.dims()) + " is not a per-column bias of " + std::to_string(nn));
    if (V(a).dtype == DType::kInt8) {
      if (ct.dtype() != DType::kInt32 || ct.numel() != nn) return Status::Error(st.label + ": INT8 Gemm bias must be int32 per column");
      EI_ASSIGN_OR_RETURN(void* bd, Upload(ct.raw(), ct.bytes()));
      st.bias_i32 = static_cast<int32_t*>(bd);
    } else {
      for (int i = 0; i < nn; ++i) bias[static_cast<size_t>(i)] = beta * static_cast<float>(ct.GetAsDouble(ct.numel() == 1 ? 0 : i));
    }
  }
  if (V(a).dtype != DType::kInt8) {
    st.kind = SK::kGemm;
    std::vector<float> w(static_cast<size_t>(nn) * kd);   // [N, K] row-major, alpha folded in
    for (int i = 0; i < nn; ++i)
      for (int j = 0; j < kd; ++j)
        w[static_cast<size_t>(i) * kd + j] = alpha * static_cast<float>(bt.GetAsDouble(trans_b ? static_cast<int64_t>(i) * kd + j : static_cast<int64_t>(j) * nn + i));
    EI_ASSIGN_OR_RETURN(st.w_dev, UploadFloats(w, fk));
    EI_ASSIGN_OR_RETURN(void* bf, UploadFloats(bias, KType::kF32));
    st.bias_f32 = static_cast<float*>(bf);
  } else {
    st.kind = SK::kGemmInt8;
    if (alpha != 1.f || (c != kNoValue && beta != 1.f)) return Status::Error(st.label + ": INT8 Gemm needs alpha = beta = 1");
    if (kd % 4 != 0) return Status::Error(st.label + ": INT8 Gemm needs K (" + std::to_string(kd) + ") to be a multiple of 4 for the IMMA path");
    if (bt.dtype() != DType::kInt8) return Status::Error(st.label + ": INT8 Gemm needs int8 B");
    EI_RETURN_IF_ERROR(Int8Epilogue(id, a, b, g->node(id).outputs[0], kNoValue, &st));
    std::vector<int8_t> w(static_cast<size_t>(nn) * kd);
    const int8_t* src = bt.data<int8_t>();
    for (int i = 0; i < nn; ++i)
      for (int j = 0; j < kd; ++j) w[static_cast<size_t>(i) * kd + j] = trans_b ? src[static_cast<size_t>(i) * kd + j] : src[static_cast<size_t>(j) * nn + i];
    st.ldw = kd;
    EI_ASSIGN_OR_RETURN(st.w_dev, Upload(w.data(), w.size()));
  }
  steps.push_back(std::move(st));
  return Status::Ok();
}

Status CudaDevice::Impl::BuildSteps() {
  const Graph& G = *g;
  EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, G.TopoOrder());
  const auto consumers = G.ConsumerMap();
  vtype.assign(G.num_values(), KType::kF32);
  nhwc.assign(G.num_values(), false);
  alias.assign(G.num_values(), kNoValue);
  const_dev.assign(G.num_values(), nullptr);
  for (size_t i = 0; i < G.num_values(); ++i) {
    const Value& v = G.value(static_cast<ValueId>(i));
    DType d = v.IsConstant() ? v.constant->dtype() : v.dtype;
    vtype[i] = IsFloating(d) ? fk : ToK(d);
    nhwc[i] = !v.IsConstant() && v.shape.rank() == 4;
  }
  auto act_of = [&](const Node& n, KActParams* a) -> bool {
    if (n.op == "Clip") {
      float mn = -INFINITY, mx = INFINITY;
      if (n.inputs.size() > 1 && n.inputs[1] != kNoValue) {
        if (!G.value(n.inputs[1]).IsConstant()) return false;
        mn = static_cast<float>(G.value(n.inputs[1]).constant->GetAsDouble(0));
      }
      if (n.inputs.size() > 2 && n.inputs[2] != kNoValue) {
        if (!G.value(n.inputs[2]).IsConstant()) return false;
        mx = static_cast<float>(G.value(n.inputs[2]).constant->GetAsDouble(0));
      }
      return ParseAct("Clip", 0, 0, mn, mx, a);
    }
    float alpha = n.attrs.GetFloat("alpha", n.op == "HardSigmoid" ? 0.2f : 0.01f);
    float beta = n.attrs.GetFloat("beta", 0.5f);
    return ParseAct(n.op, alpha, beta, 0, 0, a);
  };
  // Graph inputs: staging copy (host dtype, NCHW) -> storage layout and type.
  for (size_t i = 0; i < G.inputs().size(); ++i) {
    Step st;
    st.kind = SK::kInput;
    st.pos = -1;
    st.out = G.inputs()[i];
    st.graph_io = static_cast<int>(i);
    st.label = "input '" + G.value(st.out).name + "'";
    steps.push_back(st);
  }
  // Constants read as activations (not as weights of a conv/gemm step) are uploaded lazily below.
  auto need_const = [&](ValueId v) -> Status {
    if (v == kNoValue || !G.value(v).IsConstant() || const_dev[static_cast<size_t>(v)]) return Status::Ok();
    const Tensor& t = *G.value(v).constant;
    if (IsFloating(t.dtype())) {
      std::vector<float> f(static_cast<size_t>(t.numel()));
      for (int64_t i = 0; i < t.numel(); ++i) f[static_cast<size_t>(i)] = static_cast<float>(t.GetAsDouble(i));
      EI_ASSIGN_OR_RETURN(const_dev[static_cast<size_t>(v)], UploadFloats(f, fk));
    } else {
      EI_ASSIGN_OR_RETURN(const_dev[static_cast<size_t>(v)], Upload(t.raw(), t.bytes()));
    }
    return Status::Ok();
  };

  std::map<NodeId, int> topo_index;
  for (size_t i = 0; i < order.size(); ++i) topo_index[order[i]] = static_cast<int>(i);
  for (NodeId id : order) {
    const Node& n = G.node(id);
    const std::string& op = n.op;
    const size_t first_new = steps.size();
    // The steps made for this node run at its topological position.
    auto place = [&]() {
      for (size_t k = first_new; k < steps.size(); ++k) steps[k].pos = topo_index[id];
    };
    auto in = [&](size_t i) { return i < n.inputs.size() ? n.inputs[i] : kNoValue; };
    Step st;
    st.node = id;
    st.label = G.Label(id);
    st.out = n.outputs.empty() ? kNoValue : n.outputs[0];
    for (ValueId v : n.inputs) if (v != kNoValue && !G.value(v).IsConstant() && G.value(v).dtype != DType::kInt8 && !IsFloating(G.value(v).dtype) && op != "Reshape")
      return Status::Error(G.Label(id) + ": input '" + G.value(v).name + "' has dtype " + DTypeName(G.value(v).dtype) + ", which the GPU executor does not run");
    if (op == "Conv" || op == "ConvBiasAct" || op == "ConvBiasActPool" || op == "ConvEltwiseAct") {
      // A plain Conv runs alone; chains are fused by the compiler (fusions::CompileForDevice).
      ValueId res = kNoValue;
      if (op != "Conv") {
        if (!ParseAct(n.attrs.GetString("activation", ""), n.attrs.GetFloat("act_alpha", 0.01f), n.attrs.GetFloat("act_beta", 0.5f),
                      n.attrs.GetFloat("act_min", -INFINITY), n.attrs.GetFloat("act_max", INFINITY), &st.act))
          return Status::Error(G.Label(id) + ": activation '" + n.attrs.GetString("activation", "") + "' is not supported");
        if (op == "ConvEltwiseAct") res = in(3);
        if (op == "ConvBiasActPool") {
          st.pool.on = true;
          std::string pk = n.attrs.GetString("pool", "MaxPool");
          if (pk != "MaxPool" && pk != "AveragePool") return Status::Error(G.Label(id) + ": pool '" + pk + "' is not supported");
          st.pool.kind = pk == "MaxPool" ? 0 : 1;
          ReadPoolAttrs(n, "pool_", &st.pool);
        }
      }
      if (res != kNoValue && G.value(res).IsConstant()) return Status::Error(G.Label(id) + ": residual must be an activation");
      EI_RETURN_IF_ERROR(AddConvStep(id, st, in(0), in(1), in(2), res));
      place();
      continue;
    }
    if (op == "Gemm" || op == "GemmBiasAct" || op == "MatMul") {
      if (n.attrs.GetInt("transA", 0) != 0) return Status::Error(G.Label(id) + ": transA=1 is not supported on the GPU");
      if (op == "GemmBiasAct" && !ParseAct(n.attrs.GetString("activation", ""), n.attrs.GetFloat("act_alpha", 0.01f), n.attrs.GetFloat("act_beta", 0.5f),
                                           n.attrs.GetFloat("act_min", -INFINITY), n.attrs.GetFloat("act_max", INFINITY), &st.act))
        return Status::Error(G.Label(id) + ": activation '" + n.attrs.GetString("activation", "") + "' is not supported");
      bool tb = op == "MatMul" ? false : n.attrs.GetInt("transB", 0) != 0;
      EI_RETURN_IF_ERROR(AddGemmStep(id, st, in(0), in(1), op == "MatMul" ? kNoValue : in(2), tb,
                                     n.attrs.GetFloat("alpha", 1.f), n.attrs.GetFloat("beta", 1.f)));
      place();
      continue;
    }
    if (op == "MaxPool" || op == "AveragePool") {
      st.kind = SK::kPool;
      st.in = {in(0)};
      st.pool.on = true;
      st.pool.kind = op == "MaxPool" ? 0 : 1;
      ReadPoolAttrs(n, "", &st.pool);
      if (n.outputs.size() > 1 && n.outputs[1] != kNoValue) return Status::Error(G.Label(id) + ": MaxPool Indices output is not supported");
    } else if (op == "GlobalAveragePool") {
      st.kind = SK::kGlobalPool;
      st.in = {in(0)};
      // INT8 in and out: the exact integer average over the whole map, at the input's scale or
      // requantized to the output's (x_scale / y_scale attributes) (Execute).
      if (n.attrs.Has("y_scale")) {
        st.gap_requant = true;
        st.gap_x_scale = n.attrs.GetFloat("x_scale", 0.f);
        st.gap_y_scale = n.attrs.GetFloat("y_scale", 0.f);
      }
    } else if (op == "Cast" && IsFloating(G.value(in(0)).dtype) && IsFloating(G.value(n.outputs[0]).dtype)) {
      // Between float types a Cast is a copy here: every float value is held in the executor's one
      // float type, and the input/output steps convert the graph's FP16/FP32 I/O (an FP16-converted
      // model's boundary casts, graph/onnx_import.h).
      st.kind = SK::kAct;
      st.in = {in(0)};
      st.act.kind = KAct::kNone;
    } else if (op == "Relu" || op == "LeakyRelu" || op == "Clip" || op == "Sigmoid" || op == "Tanh" || op == "HardSigmoid" || op == "HardSwish" || op == "Identity") {
      st.kind = SK::kAct;
      st.in = {in(0)};
      if (!act_of(n, &st.act) && op != "Identity") return Status::Error(G.Label(id) + ": Clip bounds must be constants");
      if (op == "Identity") st.act.kind = KAct::kNone;
      if (G.value(in(0)).dtype == DType::kInt8) return Status::Error(G.Label(id) + ": INT8 standalone activations are not supported on the GPU (fused ones are)");
    } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Max" || op == "Min" || op == "Pow") {
      if (n.inputs.size() != 2) return Status::Error(G.Label(id) + ": expects 2 inputs");
      st.kind = SK::kBinary;
      st.in = {in(0), in(1)};
      st.bop = op == "Add" ? cuda::KBinary::kAdd : op == "Sub" ? cuda::KBinary::kSub : op == "Mul" ? cuda::KBinary::kMul
             : op == "Div" ? cuda::KBinary::kDiv : op == "Max" ? cuda::KBinary::kMax : op == "Min" ? cuda::KBinary::kMin : cuda::KBinary::kPow;
      for (ValueId v : st.in) {
        if (G.value(v).dtype == DType::kInt8 || (G.value(v).IsConstant() && G.value(v).constant->dtype() == DType::kInt8))
          return Status::Error(G.Label(id) + ": INT8 elementwise ops are not supported on the GPU (the fused residual add is)");
        EI_RETURN_IF_ERROR(need_const(v));
      }
    } else if (op == "Softmax") {
      st.kind = SK::kSoftmax;
      st.in = {in(0)};
      st.axis = static_cast<int>(n.attrs.GetInt("axis", -1));
    } else if (op == "Concat") {
      st.kind = SK::kConcat;
      st.in.assign(n.inputs.begin(), n.inputs.end());
      st.axis = static_cast<int>(n.attrs.GetInt("axis", 1));
      for (ValueId v : st.in) {
        if (G.value(v).IsConstant() && G.value(v).constant->rank() == 4) return Status::Error(G.Label(id) + ": a 4-D constant input to Concat is not supported on the GPU");
        EI_RETURN_IF_ERROR(need_const(v));
        st.concat_marked.push_back(ConcatMarked(G, v, n.name) ? 1 : 0);
      }
    } else if (op == "Resize") {
      st.kind = SK::kResize;
      st.in = {in(0)};
      std::string mode = n.attrs.GetString("mode", "nearest");
      std::string coord = n.attrs.GetString("coordinate_transformation_mode", "half_pixel");
      std::string nm = n.attrs.GetString("nearest_mode", "round_prefer_floor");
      st.rz.mode = mode == "nearest" ? 0 : mode == "linear" ? 1 : -1;
      st.rz.coord = coord == "half_pixel" ? 0 : coord == "asymmetric" ? 1 : coord == "align_corners" ? 2 : coord == "pytorch_half_pixel" ? 3 : -1;
      st.rz.nearest = nm == "round_prefer_floor" ? 0 : nm == "floor" ? 1 : nm == "round_prefer_ceil" ? 2 : nm == "ceil" ? 3 : -1;
      if (st.rz.mode < 0 || st.rz.coord < 0 || st.rz.nearest < 0) return Status::Error(G.Label(id) + ": Resize mode '" + mode + "' / '" + coord + "' / '" + nm + "' is not supported on the GPU");
      if (in(2) != kNoValue && G.value(in(2)).IsConstant() && G.value(in(2)).constant->numel() > 0) {
        std::vector<float> sc;
        EI_RETURN_IF_ERROR(ConstFloats(G, in(2), &sc, G.Label(id) + ": scales"));
        st.rz_scales = sc;
      } else if (in(3) != kNoValue && G.value(in(3)).IsConstant()) {
        const Tensor& t = *G.value(in(3)).constant;
        for (int64_t i = 0; i < t.numel(); ++i) st.rz_sizes.push_back(t.GetAsInt64(i));
      } else {
        return Status::Error(G.Label(id) + ": Resize needs constant scales or sizes on the GPU");
      }
    } else if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze") {
      st.kind = SK::kReshape;
      st.in = {in(0)};
      // The output dims at each batch come from the op table (PlanBatch); here only what the GPU needs.
      if (op == "Reshape") {
        if (!G.value(in(1)).IsConstant()) return Status::Error(G.Label(id) + ": shape must be a constant on the GPU");
      } else if (op != "Flatten") {
        const Shape& os = G.value(n.outputs[0]).shape;
        if (os.rank() == 0) return Status::Error(G.Label(id) + ": output shape unknown");
        if (G.value(in(0)).shape.rank() == 0 || G.value(in(0)).shape.dims[0] != os.dims[0]) return Status::Error(G.Label(id) + ": only squeezes that keep the batch axis are supported");
      }
    } else if (op == "Transpose") {
      st.kind = SK::kTranspose;
      st.in = {in(0)};
      if (n.attrs.Has("perm")) st.perm = n.attrs.GetInts("perm");   // else reversed axes, of the rank known per batch
      if (st.perm.size() > static_cast<size_t>(cuda::kMaxRank)) return Status::Error(G.Label(id) + ": rank " + std::to_string(st.perm.size()) + " is above 6, the GPU Transpose limit");
      EI_RETURN_IF_ERROR(need_const(in(0)));
    } else if (op == "Slice") {
      st.kind = SK::kSlice;
      st.in = {in(0)};
      auto ints = [&](int k, std::vector<int64_t>* v) -> Status {
        if (in(k) == kNoValue) return Status::Ok();
        if (!G.value(in(k)).IsConstant()) return Status::Error(G.Label(id) + ": Slice input " + std::to_string(k) + " must be a constant on the GPU");
        const Tensor& t = *G.value(in(k)).constant;
        for (int64_t i = 0; i < t.numel(); ++i) v->push_back(t.GetAsInt64(i));
        return Status::Ok();
      };
      EI_RETURN_IF_ERROR(ints(1, &st.slice_starts));
      EI_RETURN_IF_ERROR(ints(2, &st.slice_ends));
      EI_RETURN_IF_ERROR(ints(3, &st.slice_axes));
      EI_RETURN_IF_ERROR(ints(4, &st.slice_steps));
      EI_RETURN_IF_ERROR(need_const(in(0)));
    } else if (op == "Split") {
      // One step per output: each gathers its part of the input (no multi-output steps).
      st.kind = SK::kSplit;
      st.in = {in(0)};
      st.axis = static_cast<int>(n.attrs.GetInt("axis", 0));
      st.split_count = static_cast<int>(n.outputs.size());
      if (in(1) != kNoValue) {
        if (!G.value(in(1)).IsConstant()) return Status::Error(G.Label(id) + ": split sizes must be a constant on the GPU");
        const Tensor& t = *G.value(in(1)).constant;
        for (int64_t i = 0; i < t.numel(); ++i) st.split_sizes.push_back(t.GetAsInt64(i));
        if (st.split_sizes.size() != n.outputs.size()) return Status::Error(G.Label(id) + ": split has " + std::to_string(st.split_sizes.size()) + " sizes for " + std::to_string(n.outputs.size()) + " outputs");
      }
      EI_RETURN_IF_ERROR(need_const(in(0)));
      for (size_t j = 0; j < n.outputs.size(); ++j) {
        if (n.outputs[j] == kNoValue) continue;
        Step part = st;
        part.out = n.outputs[j];
        part.split_index = static_cast<int>(j);
        steps.push_back(std::move(part));
      }
      place();
      continue;
    } else if (op == "QuantizeLinear" || op == "DequantizeLinear") {
      st.kind = op == "QuantizeLinear" ? SK::kQuantize : SK::kDequantize;
      st.in = {in(0)};
      std::vector<float> sc;
      EI_RETURN_IF_ERROR(ConstFloats(G, in(1), &sc, G.Label(id) + ": scale"));
      if (sc.size() != 1) return Status::Error(G.Label(id) + ": only per-tensor scales are supported for activations");
      if (in(2) != kNoValue) {
        const Tensor& z = *G.value(in(2)).constant;
        for (int64_t i = 0; i < z.numel(); ++i) if (z.GetAsInt64(i) != 0) return Status::Error(G.Label(id) + ": zero point must be 0");
        if (op == "QuantizeLinear" && z.dtype() != DType::kInt8) return Status::Error(G.Label(id) + ": only int8 quantization is supported");
      }
      st.qscale = sc[0];
      if (op == "DequantizeLinear" && G.value(in(0)).IsConstant()) return Status::Error(G.Label(id) + ": constant DequantizeLinear should be folded before the GPU");
    } else {
      return Status::Error(G.Label(id) + ": op '" + op + "' is not supported by the CUDA executor");
    }
    steps.push_back(std::move(st));
    place();
  }
  std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) { return a.pos < b.pos; });
  for (size_t i = 0; i < G.outputs().size(); ++i) {
    Step st;
    st.kind = SK::kOutput;
    st.in = {G.outputs()[i]};
    st.graph_io = static_cast<int>(i);
    st.label = "output '" + G.value(G.outputs()[i]).name + "'";
    steps.push_back(st);
  }
  // A graph input of few channels read only by a QuantizeLinear (an INT8 network's input): the
  // quantize step reads the NCHW staging copy itself, layout change and quantization in one pass,
  // and the input step has nothing to do.
  for (Step& q : steps) {
    if (q.kind != SK::kQuantize) continue;
    const ValueId v = q.in[0];
    const Value& gv = G.value(v);
    const bool is_input = std::find(G.inputs().begin(), G.inputs().end(), v) != G.inputs().end();
    if (!is_input || G.IsGraphOutput(v) || consumers[static_cast<size_t>(v)].size() != 1 || !nhwc[static_cast<size_t>(v)]) continue;
    if (gv.shape.rank() != 4 || gv.shape.dims[1] <= 0 || gv.shape.dims[1] > 4) continue;
    if (gv.dtype != DType::kFloat32 && gv.dtype != DType::kFloat16) continue;
    for (Step& in : steps)
      if (in.kind == SK::kInput && in.out == v) in.skip = true;
    q.from_staging = true;
  }
  // DequantizeLinear read only by a GlobalAveragePool (an INT8 network's head): the pool averages
  // the int8 tensor itself (integer sums, one scale) and the dequantize step has nothing to do.
  for (size_t gi = 0; gi < steps.size(); ++gi) {
    Step& gp = steps[gi];
    if (gp.kind != SK::kGlobalPool) continue;
    const ValueId v = gp.in[0];
    if (G.IsGraphOutput(v) || consumers[static_cast<size_t>(v)].size() != 1) continue;
    for (size_t di = 0; di < gi; ++di) {
      Step& dq = steps[di];
      if (dq.kind != SK::kDequantize || dq.out != v || dq.skip) continue;
      dq.skip = true;
      gp.in[0] = dq.in[0];
      gp.qscale = dq.qscale;
      break;
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Per batch: shapes, memory, library setup

namespace {

// What this executor's kernels need of the shapes at a batch (shapes themselves come from the op
// table: InferShapesAt in PlanBatch): 2-D windows on 4-D maps, rank <= 6 for the generic data
// movement and broadcasting kernels, Resize on the two spatial axes only.
Status CheckStepShapes(const BatchPlan& p, const Step& st) {
  const std::vector<int64_t> no_dims;
  const std::vector<int64_t>& x = st.in.empty() || st.in[0] == kNoValue ? no_dims : p.dims[static_cast<size_t>(st.in[0])];
  const std::vector<int64_t>& y = st.out == kNoValue ? no_dims : p.dims[static_cast<size_t>(st.out)];
  switch (st.kind) {
    case SK::kConv:
    case SK::kConvInt8:
      if (x.size() != 4) return Status::Error(st.label + ": input must be 4-D, got " + DimsStr(x));
      break;
    case SK::kPool:
    case SK::kGlobalPool:
      if (x.size() != 4) return Status::Error(st.label + ": input must be 4-D");
      break;
    case SK::kBinary:
    case SK::kTranspose:
    case SK::kSlice:
    case SK::kSplit:
      if (x.size() > static_cast<size_t>(cuda::kMaxRank) || y.size() > static_cast<size_t>(cuda::kMaxRank))
        return Status::Error(st.label + ": rank above 6, the GPU limit for this op");
      break;
    case SK::kResize:
      if (x.size() != 4) return Status::Error(st.label + ": only 4-D Resize is supported");
      if (!st.rz_scales.empty() && (st.rz_scales.size() != 4 || st.rz_scales[0] != 1.f || st.rz_scales[1] != 1.f))
        return Status::Error(st.label + ": only spatial scales are supported");
      if (st.rz_scales.empty() && st.rz_sizes.size() != 4) return Status::Error(st.label + ": sizes must have 4 values");
      if (y.size() != 4 || y[0] != x[0] || y[1] != x[1]) return Status::Error(st.label + ": only the spatial axes may be resized");
      break;
    default:
      break;
  }
  return Status::Ok();
}

}  // namespace

namespace {

constexpr size_t kLtIm2colLimit = size_t(256) << 20;   // largest FP16 im2col matrix the cuBLASLt path may use
bool LtNeedsIm2col(const Step& st) {
  return !(st.r == 1 && st.s == 1 && st.strides[0] == 1 && st.strides[1] == 1 && st.pads[0] == 0 && st.pads[1] == 0 &&
           st.pads[2] == 0 && st.pads[3] == 0 && st.c % 8 == 0 && st.auto_pad == "NOTSET");
}
// FP16 group-1 convolutions without a fused pool may run as (im2col +) cuBLASLt GEMM.
bool LtCandidate(const Step& st, const std::vector<int64_t>& x) {
  if (st.kind != SK::kConv || !st.w_gemm || st.pool.on || st.group != 1 || st.k % 8 != 0) return false;
  if (!LtNeedsIm2col(st)) return true;
  int pb = st.pads[0], pe = st.pads[2], qb = st.pads[1], qe = st.pads[3];
  int64_t oh = WindowOut(x[2], st.r, st.strides[0], st.dil[0], &pb, &pe, st.auto_pad, false);
  int64_t ow = WindowOut(x[3], st.s, st.strides[1], st.dil[1], &qb, &qe, st.auto_pad, false);
  return static_cast<size_t>(x[0] * oh * ow) * st.ldg * 2 <= kLtIm2colLimit;
}

// Plain 1x1 INT8 layers read the input directly as the GEMM's B; others need an im2col matrix.
bool Int8LtPlain(const Step& st) {
  return st.r == 1 && st.s == 1 && st.strides[0] == 1 && st.strides[1] == 1 && st.pads[0] == 0 && st.pads[1] == 0 &&
         st.pads[2] == 0 && st.pads[3] == 0 && st.c % 16 == 0 && st.auto_pad == "NOTSET";
}
// Scratch bytes of the cuBLASLt INT8 alternative (int32 accumulator + im2col), 0 when not offered:
// it writes 4 bytes per output and reads them back, so it can only win on small layers.
size_t Int8LtScratch(const Step& st, int64_t m) {
  if (st.kind != SK::kConvInt8 || st.group != 1 || st.w_dw) return 0;
  size_t need = AlignUp(static_cast<size_t>(m) * st.k * 4, 256) + (Int8LtPlain(st) ? 0 : AlignUp(static_cast<size_t>(m) * st.ldw, 256));
  return need <= (size_t(512) << 20) ? need : 0;
}

}  // namespace

namespace {
int StorageAxis(int logical, bool is_nhwc);
std::vector<int64_t> StorageDims(const std::vector<int64_t>& d, bool is_nhwc);
}  // namespace

Status CudaDevice::Impl::BuildArena(BatchPlan& p) {
  const Graph& G = *g;
  const size_t nv = G.num_values();
  p.off.assign(nv, SIZE_MAX);
  p.host_off.assign(nv, SIZE_MAX);
  // Decide reshape aliases for this graph: alias when neither side has a spatial NHWC extent.
  for (const Step& st : steps) {
    if (st.kind != SK::kReshape) continue;
    const auto& x = p.dims[static_cast<size_t>(st.in[0])];
    const auto& y = p.dims[static_cast<size_t>(st.out)];
    bool x_sp = nhwc[static_cast<size_t>(st.in[0])] && x.size() == 4 && x[2] * x[3] > 1;
    bool y_sp = nhwc[static_cast<size_t>(st.out)] && y.size() == 4 && y[2] * y[3] > 1;
    if (x_sp && y_sp && x != y) return Status::Error(st.label + ": reshaping between two spatial 4-D shapes is not supported on the GPU");
    ValueId src = st.in[0];
    if (!x_sp && !y_sp && !G.value(src).IsConstant()) {
      alias[static_cast<size_t>(st.out)] = alias[static_cast<size_t>(src)] != kNoValue ? alias[static_cast<size_t>(src)] : src;
    } else {
      alias[static_cast<size_t>(st.out)] = kNoValue;
    }
  }
  auto root = [&](ValueId v) { return alias[static_cast<size_t>(v)] != kNoValue ? alias[static_cast<size_t>(v)] : v; };
  std::vector<int> last(nv, -1);
  for (size_t i = 0; i < steps.size(); ++i)
    for (ValueId v : steps[i].in) if (v != kNoValue) last[static_cast<size_t>(root(v))] = std::max(last[static_cast<size_t>(root(v))], static_cast<int>(i));
  std::set<ValueId> pinned;   // never freed: graph inputs and outputs
  for (ValueId v : G.inputs()) pinned.insert(root(v));
  for (ValueId v : G.outputs()) pinned.insert(root(v));
  auto vbytes = [&](ValueId v) { return static_cast<size_t>(Prod(p.dims[static_cast<size_t>(v)])) * KSize(vtype[static_cast<size_t>(v)]); };
  // Concat in place: decided by the compiler (fusions/concat_in_place.cc, given this executor's
  // needs by devices::CudaCompileCapabilities), read here from the producers' `concat_into` marks.
  // A marked input is written straight into the output buffer when, at this batch and storage type,
  // its slice is a contiguous block (the storage dims before the concat axis multiply to 1: the batch
  // axis of NHWC tensors, or any axis of a tensor whose leading dims are 1 at this batch, e.g.
  // [1, anchors, 4] heads at batch 1) whose byte offset is a multiple of 256 (every kernel and
  // library call assumes arena alignment), and no Reshape aliases it (or is it); the batch and the
  // FP16 storage are only known here, so these are checked, not decided. The others are copied.
  std::vector<ValueId> part_of(nv, kNoValue);   // in-place input -> the Concat output that holds it
  std::vector<size_t> part_byte(nv, 0);
  p.in_place.assign(nv, 0);
  {
    std::vector<char> produced(nv, 0), aliased(nv, 0);
    for (size_t v = 0; v < nv; ++v) if (alias[v] != kNoValue) aliased[static_cast<size_t>(alias[v])] = 1;
    for (size_t ci = 0; ci < steps.size(); ++ci) {
      const Step& st = steps[ci];
      if (st.kind != SK::kConcat) {
        if (st.kind != SK::kInput && st.kind != SK::kOutput && st.out != kNoValue) produced[static_cast<size_t>(st.out)] = 1;
        continue;
      }
      const auto& od = p.dims[static_cast<size_t>(st.out)];
      const bool vn = nhwc[static_cast<size_t>(st.out)] && od.size() == 4;
      const int ax = st.axis < 0 ? st.axis + static_cast<int>(od.size()) : st.axis;
      if (Prod(StorageDims(od, vn), 0, static_cast<size_t>(StorageAxis(ax, vn))) != 1) continue;
      size_t byte = 0;
      for (size_t k = 0; k < st.in.size(); ++k) {
        const ValueId v = st.in[k];
        const size_t vi = static_cast<size_t>(v);
        const size_t bytes = vbytes(v);
        const bool marked = k < st.concat_marked.size() && st.concat_marked[k] != 0;
        if (marked && produced[vi] && !G.value(v).IsConstant() && !pinned.count(v) && alias[vi] == kNoValue && !aliased[vi] &&
            last[vi] == static_cast<int>(ci) && std::count(st.in.begin(), st.in.end(), v) == 1 && byte % 256 == 0) {
          part_of[vi] = st.out;
          part_byte[vi] = byte;
          p.in_place[vi] = 1;
        }
        byte += bytes;
      }
      produced[static_cast<size_t>(st.out)] = 1;
    }
  }
  // Scratch: one region the serialised steps share, as large as the largest need of one step.
  size_t scratch = 0;
  for (const Step& st : steps) {
    if (st.kind == SK::kInput || st.kind == SK::kOutput) continue;
    const auto& y = p.dims[static_cast<size_t>(st.out == kNoValue ? 0 : st.out)];
    if (st.kind == SK::kConvInt8 || st.kind == SK::kConv) {
      const auto& x = p.dims[static_cast<size_t>(st.in[0])];
      int pb = st.pads[0], pe = st.pads[2], qb = st.pads[1], qe = st.pads[3];
      int64_t oh = WindowOut(x[2], st.r, st.strides[0], st.dil[0], &pb, &pe, st.auto_pad, false);
      int64_t ow = WindowOut(x[3], st.s, st.strides[1], st.dil[1], &qb, &qe, st.auto_pad, false);
      size_t m = static_cast<size_t>(x[0] * oh * ow);
      size_t need = 0;
      if (st.kind == SK::kConvInt8) {
        // Fused kernels write int8 directly; only the im2col matrix (C % 16 != 0) and the pre-pool
        // tensor of ConvBiasActPool need scratch.
        if (st.group == 1 && st.c % 16 != 0) need += AlignUp(m * static_cast<size_t>(st.ldw), 256);
        need = std::max(need, Int8LtScratch(st, static_cast<int64_t>(m)));
        if (st.pool.on) need += AlignUp(m * static_cast<size_t>(st.k), 256);
      } else if (st.pool.on) {
        need = AlignUp(m * static_cast<size_t>(st.k) * KSize(fk), 256);
      } else if (LtCandidate(st, x) && LtNeedsIm2col(st)) {
        need = AlignUp(m * static_cast<size_t>(st.ldg) * 2, 256);
      }
      scratch = std::max(scratch, need);
    } else if (st.kind == SK::kGemmInt8 && st.c % 16 != 0) {
      scratch = std::max(scratch, AlignUp(static_cast<size_t>(Prod(y)) * 4, 256));   // cuBLASLt int32 result
    }
  }
  // Buffers. A value owns arena bytes unless it is a Reshape alias (its root's bytes) or an
  // in-place Concat input (a slice of the Concat output that holds it; nested Concats resolve to the
  // outermost). An owner lives from the first step that writes it or any of its slices to the last
  // step that reads it (through aliases); graph inputs and outputs live to the end. The NCHW staging
  // copies of graph inputs live from the start (the host copies them in before the steps run), those
  // of outputs from their output step to the end (copied out after the steps). Lifetimes are step
  // indices, inclusive, so a step's output never shares bytes with its inputs.
  const int end = static_cast<int>(steps.size());
  auto owner = [&](ValueId v) {
    while (part_of[static_cast<size_t>(v)] != kNoValue) v = part_of[static_cast<size_t>(v)];
    return v;
  };
  std::vector<int> first(nv, INT_MAX), wrote(nv, -1);
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& st = steps[i];
    if (st.kind == SK::kOutput || st.out == kNoValue || alias[static_cast<size_t>(st.out)] != kNoValue) continue;
    const size_t o = static_cast<size_t>(owner(st.out));
    first[o] = std::min(first[o], static_cast<int>(i));
    wrote[o] = std::max(wrote[o], static_cast<int>(i));
  }
  std::vector<BufferRequest> rq;
  enum class Kind { kValue, kHostStaging, kScratch };
  std::vector<std::pair<Kind, ValueId>> what;
  auto request = [&](Kind k, ValueId v, const std::string& name, size_t bytes, int first_use, int last_use) {
    BufferRequest r;
    r.name = name;
    r.size = static_cast<int64_t>(AlignUp(std::max<size_t>(bytes, 1), 256));
    r.first_use = first_use;
    r.last_use = std::max(first_use, last_use);
    r.spaces = {0};
    r.alignment = 256;
    rq.push_back(std::move(r));
    what.push_back({k, v});
  };
  for (size_t v = 0; v < nv; ++v) {
    if (first[v] == INT_MAX || G.value(static_cast<ValueId>(v)).IsConstant()) continue;
    const int last_use = pinned.count(static_cast<ValueId>(v)) ? end : std::max(last[v], wrote[v]);
    request(Kind::kValue, static_cast<ValueId>(v), G.value(static_cast<ValueId>(v)).name, vbytes(static_cast<ValueId>(v)), first[v], last_use);
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& st = steps[i];
    if (st.kind != SK::kInput && st.kind != SK::kOutput) continue;
    const ValueId v = st.kind == SK::kInput ? st.out : st.in[0];
    const size_t bytes = static_cast<size_t>(Prod(p.dims[static_cast<size_t>(v)])) * DTypeSize(G.value(v).dtype);
    request(Kind::kHostStaging, v, G.value(v).name + " (NCHW staging)", bytes, st.kind == SK::kInput ? 0 : static_cast<int>(i), end);
  }
  if (scratch) request(Kind::kScratch, kNoValue, "scratch", scratch, 0, end);
  auto planned = PlanMemory(rq, {{"gpu", -1}});
  if (!planned.ok()) return planned.status().WithContext("cuda: arena at batch " + std::to_string(p.n));
  p.arena_plan = std::move(planned).value();
  EI_RETURN_IF_ERROR(CheckMemoryPlan(p.arena_plan).WithContext("cuda: arena at batch " + std::to_string(p.n)));
  p.scratch_off = 0;
  for (size_t k = 0; k < what.size(); ++k) {
    const size_t off = static_cast<size_t>(p.arena_plan.placements[k].offset);
    const ValueId v = what[k].second;
    switch (what[k].first) {
      case Kind::kValue: p.off[static_cast<size_t>(v)] = off; break;
      case Kind::kHostStaging: p.host_off[static_cast<size_t>(v)] = off; break;   // an output's staging replaces an input's, as before
      case Kind::kScratch: p.scratch_off = off; break;
    }
  }
  // In-place Concat inputs: their slice of the owner's buffer (outer Concats first).
  for (size_t v = 0; v < nv; ++v) {
    if (part_of[v] == kNoValue) continue;
    std::vector<ValueId> chain;
    for (ValueId u = static_cast<ValueId>(v); part_of[static_cast<size_t>(u)] != kNoValue; u = part_of[static_cast<size_t>(u)]) chain.push_back(u);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it)
      p.off[static_cast<size_t>(*it)] = p.off[static_cast<size_t>(part_of[static_cast<size_t>(*it)])] + part_byte[static_cast<size_t>(*it)];
  }
  // The library workspace follows the planned arena: its size is settled only by tuning
  // (SetupLibraries), after every offset above is in use.
  const size_t top = p.arena_plan.peak.empty() ? 0 : static_cast<size_t>(p.arena_plan.peak[0]);
  p.scratch_bytes = scratch;
  if (!scratch) p.scratch_off = AlignUp(top, 256);
  p.ws_off = AlignUp(top, 256);
  return Status::Ok();
}


namespace {

cuda::ConvGeom Geom(const Step& st, const std::vector<int64_t>& x, int64_t oh, int64_t ow, int pb, int qb) {
  cuda::ConvGeom g{};
  g.n = static_cast<int>(x[0]);
  g.c = static_cast<int>(x[1]);
  g.h = static_cast<int>(x[2]);
  g.w = static_cast<int>(x[3]);
  g.k = st.k;
  g.r = st.r;
  g.s = st.s;
  g.oh = static_cast<int>(oh);
  g.ow = static_cast<int>(ow);
  g.sh = st.strides[0];
  g.sw = st.strides[1];
  g.ph = pb;
  g.pw = qb;
  g.dh = st.dil[0];
  g.dw = st.dil[1];
  g.group = st.group;
  return g;
}

struct ConvOut {
  int64_t oh, ow;
  int pb, pe, qb, qe;
};
ConvOut ConvOutDims(const Step& st, const std::vector<int64_t>& x) {
  ConvOut o{};
  o.pb = st.pads[0];
  o.pe = st.pads[2];
  o.qb = st.pads[1];
  o.qe = st.pads[3];
  o.oh = WindowOut(x[2], st.r, st.strides[0], st.dil[0], &o.pb, &o.pe, st.auto_pad, false);
  o.ow = WindowOut(x[3], st.s, st.strides[1], st.dil[1], &o.qb, &o.qe, st.auto_pad, false);
  return o;
}

cuda::PoolDesc MakePool(const PoolAttr& pa0, const std::vector<int64_t>& x) {
  PoolAttr pa = pa0;
  cuda::PoolDesc d{};
  d.n = static_cast<int>(x[0]);
  d.c = static_cast<int>(x[1]);
  d.h = static_cast<int>(x[2]);
  d.w = static_cast<int>(x[3]);
  d.oh = static_cast<int>(WindowOut(x[2], pa.k[0], pa.s[0], pa.d[0], &pa.p[0], &pa.p[2], pa.auto_pad, pa.ceil));
  d.ow = static_cast<int>(WindowOut(x[3], pa.k[1], pa.s[1], pa.d[1], &pa.p[1], &pa.p[3], pa.auto_pad, pa.ceil));
  d.kh = pa.k[0];
  d.kw = pa.k[1];
  d.sh = pa.s[0];
  d.sw = pa.s[1];
  d.ph = pa.p[0];
  d.pw = pa.p[1];
  d.pb = pa.p[2];
  d.pr = pa.p[3];
  d.dh = pa.d[0];
  d.dw = pa.d[1];
  d.count_include_pad = pa.count_include_pad;
  d.kind = pa.kind;
  return d;
}

// Storage order of a logical rank-4 tensor kept NHWC: storage axis i holds logical axis kPerm[i].
constexpr int kPerm[4] = {0, 2, 3, 1};
int StorageAxis(int logical, bool is_nhwc) {
  if (!is_nhwc) return logical;
  for (int i = 0; i < 4; ++i) if (kPerm[i] == logical) return i;
  return logical;
}
std::vector<int64_t> StorageDims(const std::vector<int64_t>& d, bool is_nhwc) {
  if (!is_nhwc || d.size() != 4) return d;
  return {d[0], d[2], d[3], d[1]};
}
// Stride (elements) of each LOGICAL axis of a tensor in its storage (NHWC or contiguous).
std::vector<int64_t> LogicalStrides(const std::vector<int64_t>& d, bool is_nhwc) {
  const bool vn = is_nhwc && d.size() == 4;
  std::vector<int64_t> sst = ContiguousStrides(StorageDims(d, vn));
  std::vector<int64_t> lst(d.size());
  for (size_t a = 0; a < d.size(); ++a) lst[a] = sst[static_cast<size_t>(StorageAxis(static_cast<int>(a), vn))];
  return lst;
}
// The gather that writes output y (logical dims yd, NHWC storage when y_nhwc) whose logical element
// (j_0..j_r) is x's logical element with x axis src_axis[a] at j_a (plus x_offset elements): a
// Transpose (src_axis = perm) or a Split part (identity, offset along the axis); layouts folded in.
cuda::CopyDesc GatherDesc(const std::vector<int64_t>& xd, bool x_nhwc, const std::vector<int64_t>& yd, bool y_nhwc,
                          const std::vector<int64_t>& src_axis, int64_t x_offset) {
  const std::vector<int64_t> lst = LogicalStrides(xd, x_nhwc);
  const bool yn = y_nhwc && yd.size() == 4;
  const std::vector<int64_t> sy = StorageDims(yd, yn);
  cuda::CopyDesc cd;
  cd.rank = static_cast<int>(yd.size());
  cd.in_offset = x_offset;
  for (int k = 0; k < cd.rank; ++k) {
    const int la = yn ? kPerm[k] : k;   // logical axis of y stored at storage axis k
    cd.out_dims[k] = sy[static_cast<size_t>(k)];
    cd.in_strides[k] = lst[static_cast<size_t>(src_axis[static_cast<size_t>(la)])];
  }
  return cd;
}

}  // namespace

float CudaDevice::Impl::TimeStep(BatchPlan& p, size_t i, cudaEvent_t e0, cudaEvent_t e1) {
  for (int w = 0; w < 2; ++w) if (!RunStep(p, i).ok()) return 1e30f;
  cudaEventRecord(e0, stream);
  for (int r = 0; r < 5; ++r) if (!RunStep(p, i).ok()) return 1e30f;
  cudaEventRecord(e1, stream);
  if (cudaEventSynchronize(e1) != cudaSuccess || cudaGetLastError() != cudaSuccess) return 1e30f;
  float ms = 0.f;
  cudaEventElapsedTime(&ms, e0, e1);
  return ms / 5;
}

int CudaDevice::Impl::LtHeuristics(cublasLtMatmulDesc_t op, cublasLtMatrixLayout_t a, cublasLtMatrixLayout_t b, cublasLtMatrixLayout_t c,
                                   const BatchPlan& p, size_t* ws_limit, cublasLtMatmulHeuristicResult_t* res, int max_results) {
  *ws_limit = std::min<size_t>(p.ws_bytes, 64u << 20);
  cublasLtMatmulPreference_t pref = nullptr;
  if (cublasLtMatmulPreferenceCreate(&pref) != CUBLAS_STATUS_SUCCESS) return 0;
  int got = 0;
  cublasStatus_t hs = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, ws_limit, sizeof(*ws_limit));
  if (hs == CUBLAS_STATUS_SUCCESS) hs = cublasLtMatmulAlgoGetHeuristic(lt, op, a, b, c, c, pref, max_results, res, &got);
  cublasLtMatmulPreferenceDestroy(pref);
  return hs == CUBLAS_STATUS_SUCCESS ? got : 0;
}

Status CudaDevice::Impl::SetupLt8(BatchPlan& p, size_t i, cudaEvent_t e0, cudaEvent_t e1, size_t* need_ws) {
  const Step& st = steps[i];
  LtRun& L = p.lt[i];
  if (opt.int8_exact_epilogue || st.kind != SK::kConvInt8 || !Int8LtPlain(st) || st.pool.on || !st.fmult_dev || !st.fbias_dev) return Status::Ok();
  const bool relu = st.iact.lo == 0;
  if (st.iact.lut || st.iact.hi < 127 || (!relu && st.iact.lo > -128) || st.k % 4 != 0) return Status::Ok();   // identity or ReLU only
  const auto& x = p.dims[static_cast<size_t>(st.in[0])];
  const ConvOut o = ConvOutDims(st, x);
  const int64_t n64 = x[0] * o.oh * o.ow;
  if (n64 <= 0 || n64 > INT32_MAX) return Status::Ok();
  const int m = st.k, n = static_cast<int>(n64);
  std::ostringstream key;
  key << "lt int8out m" << m << " n" << n << " k" << st.c << " ldw" << st.ldw << (st.residual ? " res" : "") << (relu ? " relu" : "");
  auto hit = cache.find(key.str());
  if (hit == cache.end() && !opt.autotune) return Status::Ok();
  if (hit != cache.end() && std::atoi(hit->second.c_str()) < 0) return Status::Ok();
  BLAS_CHECK(cublasLtMatmulDescCreate(&L.op8, CUBLAS_COMPUTE_32I, CUDA_R_32F));
  cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op8, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op8, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
  const cublasLtPointerMode_t pm = CUBLASLT_POINTER_MODE_ALPHA_DEVICE_VECTOR_BETA_HOST;
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op8, CUBLASLT_MATMUL_DESC_POINTER_MODE, &pm, sizeof(pm)));
  const cublasLtEpilogue_t epi = relu ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_BIAS;
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op8, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof(epi)));
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op8, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &st.fbias_dev, sizeof(st.fbias_dev)));
  const cudaDataType_t bias_type = CUDA_R_32F;
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op8, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bias_type, sizeof(bias_type)));
  BLAS_CHECK(cublasLtMatrixLayoutCreate(&L.a8, CUDA_R_8I, st.c, m, st.ldw));
  BLAS_CHECK(cublasLtMatrixLayoutCreate(&L.b8, CUDA_R_8I, st.c, n, st.c));
  BLAS_CHECK(cublasLtMatrixLayoutCreate(&L.c8, CUDA_R_8I, m, n, m));
  size_t lt_ws = 0;
  cublasLtMatmulHeuristicResult_t res[8];
  const int got = LtHeuristics(L.op8, L.a8, L.b8, L.c8, p, &lt_ws, res, 8);
  if (got == 0) {
    if (hit == cache.end()) {
      cache[key.str()] = "-1";
      cache_dirty = true;
    }
    return Status::Ok();
  }
  int best_j = -1;
  std::string timing;
  if (hit != cache.end()) {
    best_j = std::min(std::atoi(hit->second.c_str()), got - 1);
  } else {
    L.use_lt8 = false;
    const float t_cur = TimeStep(p, i, e0, e1);
    float best = t_cur;
    for (int j = 0; j < got; ++j) {
      if (res[j].workspaceSize > lt_ws) continue;
      L.algo8 = res[j].algo;
      L.ws8 = res[j].workspaceSize;
      L.use_lt8 = true;
      const float t = TimeStep(p, i, e0, e1);
      if (t < best) { best = t; best_j = j; }
    }
    L.use_lt8 = false;
    cudaGetLastError();
    timing = " " + std::to_string(best) + " ms vs " + std::to_string(t_cur) + " ms";
    cache[key.str()] = std::to_string(best_j);
    cache_dirty = true;
  }
  if (best_j < 0) return Status::Ok();
  L.algo8 = res[best_j].algo;
  L.ws8 = res[best_j].workspaceSize;
  L.use_lt8 = true;
  L.direct = true;
  L.how = "cuBLASLt int8 out (float scaling, bias and ReLU epilogue)" + timing;
  *need_ws = std::max(*need_ws, L.ws8);
  return Status::Ok();
}

Status CudaDevice::Impl::SetupLtConv(BatchPlan& p, size_t i, int choice, const std::string& key, cudaEvent_t e0, cudaEvent_t e1) {
  const Step& st = steps[i];
  ConvRun& cr = p.conv[i];
  const auto& x = p.dims[static_cast<size_t>(st.in[0])];
  ConvOut o = ConvOutDims(st, x);
  const int m = static_cast<int>(x[0] * o.oh * o.ow);
  cr.lt_im2col = LtNeedsIm2col(st);
  const int ldb = cr.lt_im2col ? st.ldg : st.c;
  BLAS_CHECK(cublasLtMatmulDescCreate(&cr.lop, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(cr.lop, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(cr.lop, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
  cublasLtEpilogue_t epi = st.act.kind == KAct::kRelu ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_BIAS;
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(cr.lop, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof(epi)));
  BLAS_CHECK(cublasLtMatmulDescSetAttribute(cr.lop, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &st.bias_cd, sizeof(st.bias_cd)));
  BLAS_CHECK(cublasLtMatrixLayoutCreate(&cr.la, CUDA_R_16F, st.ldg, st.k, st.ldg));
  BLAS_CHECK(cublasLtMatrixLayoutCreate(&cr.lb, CUDA_R_16F, st.ldg, m, ldb));
  BLAS_CHECK(cublasLtMatrixLayoutCreate(&cr.lc, CUDA_R_16F, st.k, m, st.k));
  size_t lt_ws = 0;
  cublasLtMatmulHeuristicResult_t res[6];
  const int got = LtHeuristics(cr.lop, cr.la, cr.lb, cr.lc, p, &lt_ws, res, 6);
  if (got == 0) return Status::Ok();   // cuDNN only
  if (choice == -1) return Status::Ok();
  if (choice >= 0) {
    choice = std::min(choice, got - 1);
    cr.use_lt = true;
    cr.lalgo = res[choice].algo;
    cr.lws = res[choice].workspaceSize;
    cr.how = "cached: cuBLASLt";
    return Status::Ok();
  }
  // Time cuDNN's choice (as it will run) against each cuBLASLt candidate, im2col included.
  const bool saved_ran = p.ran_once;
  p.ran_once = false;   // lets the fused cuDNN call fall back instead of failing
  cr.use_lt = false;
  float best = TimeStep(p, i, e0, e1);
  int best_j = -1;
  for (int j = 0; j < got; ++j) {
    if (res[j].workspaceSize > lt_ws) continue;
    cr.lalgo = res[j].algo;
    cr.lws = res[j].workspaceSize;
    cr.use_lt = true;
    float t = TimeStep(p, i, e0, e1);
    if (t < best) { best = t; best_j = j; }
  }
  p.ran_once = saved_ran;
  cudaGetLastError();
  cr.use_lt = best_j >= 0;
  if (cr.use_lt) {
    cr.lalgo = res[best_j].algo;
    cr.lws = res[best_j].workspaceSize;
    std::ostringstream how;
    how << "cuBLASLt" << (cr.lt_im2col ? " (im2col)" : "") << " tuned " << best << " ms, beat cuDNN";
    cr.how = how.str();
  } else {
    cr.how += ", beat cuBLASLt";
  }
  cache[key] += " " + std::to_string(best_j);
  cache_dirty = true;
  return Status::Ok();
}

Status CudaDevice::Impl::RunLtConv(BatchPlan& p, size_t i) {
  const Step& st = steps[i];
  ConvRun& cr = p.conv[i];
  const auto& x = p.dims[static_cast<size_t>(st.in[0])];
  ConvOut o = ConvOutDims(st, x);
  const void* b = Ptr(p, st.in[0]);
  if (cr.lt_im2col) {
    void* col = p.arena + p.scratch_off;
    cudaError_t e = cuda::Im2Col16(b, col, Geom(st, x, o.oh, o.ow, o.pb, o.qb), st.ldg, stream);
    if (e != cudaSuccess) return Status::Error(st.label + ": im2col: " + cudaGetErrorString(e));
    b = col;
  }
  void* y = Ptr(p, st.out);
  const void* c = st.residual ? Ptr(p, st.in[1]) : y;
  const float one = 1.f, beta = st.residual ? 1.f : 0.f;
  BLAS_CHECK(cublasLtMatmul(lt, cr.lop, &one, st.w_gemm, cr.la, b, cr.lb, &beta, c, cr.lc, y, cr.lc, &cr.lalgo, p.arena + p.ws_off, cr.lws, stream));
  if (st.act.kind != KAct::kNone && st.act.kind != KAct::kRelu) {
    const int64_t count = x[0] * st.k * o.oh * o.ow;
    cudaError_t e = cuda::Activation(y, y, fk, count, st.act, stream);
    if (e != cudaSuccess) return Status::Error(st.label + ": activation: " + cudaGetErrorString(e));
  }
  return Status::Ok();
}

Status CudaDevice::Impl::SetupLibraries(BatchPlan& p) {
  p.conv.assign(steps.size(), ConvRun{});
  p.lt.assign(steps.size(), LtRun{});
  // The arena first holds a generous tuning workspace; it is re-allocated at the chosen size after.
  size_t free_b = 0, total_b = 0;
  CU_CHECK(cudaMemGetInfo(&free_b, &total_b));
  size_t budget = free_b * 8 / 10;
  if (p.ws_off + (64u << 20) > budget) return Status::Error("cuda: batch " + std::to_string(p.n) + " needs " + std::to_string((p.ws_off >> 20) + 64) + " MiB of arena, " + std::to_string(budget >> 20) + " MiB free");
  size_t tune_ws = std::min(opt.max_workspace_bytes, budget - p.ws_off);
  CU_CHECK(cudaMalloc(reinterpret_cast<void**>(&p.arena), p.ws_off + tune_ws));
  CU_CHECK(cudaMemset(p.arena, 0, p.ws_off + tune_ws));
  p.ws_bytes = tune_ws;
  size_t need_ws = 32u << 20;   // floor: cuBLAS's own workspace during graph capture
  const cudnnMathType_t math = fk == KType::kF32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH;
  const float one = 1.f, zero = 0.f;
  cudaEvent_t e0 = nullptr, e1 = nullptr;
  CU_CHECK(cudaEventCreate(&e0));
  CU_CHECK(cudaEventCreate(&e1));
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& st = steps[i];
    if (st.kind == SK::kConv) {
      ConvRun& cr = p.conv[i];
      const auto& x = p.dims[static_cast<size_t>(st.in[0])];
      ConvOut o = ConvOutDims(st, x);
      if (o.pb != o.pe || o.qb != o.qe) return Status::Error(st.label + ": asymmetric padding is not supported by cuDNN's convolution");
      cudnnDataType_t dt = ToDnn(fk);
      DNN_CHECK(cudnnCreateTensorDescriptor(&cr.x));
      DNN_CHECK(cudnnCreateTensorDescriptor(&cr.y));
      DNN_CHECK(cudnnCreateTensorDescriptor(&cr.b));
      DNN_CHECK(cudnnCreateFilterDescriptor(&cr.w));
      DNN_CHECK(cudnnCreateConvolutionDescriptor(&cr.conv));
      DNN_CHECK(cudnnCreateActivationDescriptor(&cr.act));
      DNN_CHECK(cudnnSetTensor4dDescriptor(cr.x, CUDNN_TENSOR_NHWC, dt, static_cast<int>(x[0]), static_cast<int>(x[1]), static_cast<int>(x[2]), static_cast<int>(x[3])));
      DNN_CHECK(cudnnSetTensor4dDescriptor(cr.y, CUDNN_TENSOR_NHWC, dt, static_cast<int>(x[0]), st.k, static_cast<int>(o.oh), static_cast<int>(o.ow)));
      DNN_CHECK(cudnnSetTensor4dDescriptor(cr.b, CUDNN_TENSOR_NHWC, dt, 1, st.k, 1, 1));
      DNN_CHECK(cudnnSetFilter4dDescriptor(cr.w, dt, CUDNN_TENSOR_NHWC, st.k, st.c / st.group, st.r, st.s));
      DNN_CHECK(cudnnSetConvolution2dDescriptor(cr.conv, o.pb, o.qb, st.strides[0], st.strides[1], st.dil[0], st.dil[1], CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
      DNN_CHECK(cudnnSetConvolutionGroupCount(cr.conv, st.group));
      DNN_CHECK(cudnnSetConvolutionMathType(cr.conv, math));
      DNN_CHECK(cudnnSetActivationDescriptor(cr.act, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0.0));
      // cuDNN's fused call: bias + optional residual (z) + ReLU. Other activations and the pool
      // fusion run the plain convolution and then our epilogue kernel.
      cr.fused = st.act.kind == KAct::kRelu && !st.pool.on;
      std::ostringstream key;
      key << "cudnn" << cudnnGetVersion() << (fk == KType::kF32 ? " fp32 " : " fp16 ") << DimsStr(x) << " k" << st.k << " " << st.r << "x" << st.s
          << " p" << o.pb << "," << o.qb << " s" << st.strides[0] << "," << st.strides[1] << " d" << st.dil[0] << "," << st.dil[1] << " g" << st.group;
      auto hit = cache.find(key.str());
      int mt = static_cast<int>(math);
      if (hit != cache.end()) {
        int a = 0;
        std::istringstream(hit->second) >> a >> cr.ws >> mt;
        cr.algo = static_cast<cudnnConvolutionFwdAlgo_t>(a);
        cr.how = "cached";
      } else if (opt.autotune) {
        cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        int got = 0;
        void* y = st.pool.on ? static_cast<void*>(p.arena + p.scratch_off) : Ptr(p, st.out);
        DNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(dnn, cr.x, Ptr(p, st.in[0]), cr.w, st.w_dev, cr.conv, cr.y, y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                                         &got, perf, p.arena + p.ws_off, p.ws_bytes));
        bool found = false;
        for (int j = 0; j < got && !found; ++j) {
          if (perf[j].status != CUDNN_STATUS_SUCCESS || perf[j].memory > p.ws_bytes) continue;
          if (fk == KType::kF32 && perf[j].mathType != CUDNN_FMA_MATH && perf[j].mathType != CUDNN_DEFAULT_MATH) continue;   // no TF32
          cr.algo = perf[j].algo;
          cr.ws = perf[j].memory;
          mt = static_cast<int>(perf[j].mathType);
          found = true;
          std::ostringstream how;
          how << "tuned " << perf[j].time << " ms";
          cr.how = how.str();
        }
        if (!found) return Status::Error(st.label + ": cuDNN found no algorithm for " + key.str());
        cache[key.str()] = std::to_string(static_cast<int>(cr.algo)) + " " + std::to_string(cr.ws) + " " + std::to_string(mt);
        cache_dirty = true;
      } else {
        DNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(dnn, cr.x, cr.w, cr.conv, cr.y, cr.algo, &cr.ws));
        cr.how = "default";
      }
      if (fk == KType::kF32 && mt != CUDNN_FMA_MATH && mt != CUDNN_DEFAULT_MATH) mt = CUDNN_FMA_MATH;
      DNN_CHECK(cudnnSetConvolutionMathType(cr.conv, static_cast<cudnnMathType_t>(mt)));
      need_ws = std::max(need_ws, cr.ws);
      int lt_choice = -1;
      if (hit != cache.end()) {
        std::istringstream is(hit->second);
        int a0 = 0, m0 = 0;
        size_t w0 = 0;
        is >> a0 >> w0 >> m0;
        if (!(is >> lt_choice)) lt_choice = -1;
      }
      if (st.w_dw && !st.pool.on) {
        // Our depthwise kernel against cuDNN's grouped convolution: keep the faster (cached as -3).
        if (hit != cache.end()) {
          cr.use_dw = lt_choice == -3;
        } else if (opt.autotune) {
          const bool saved_ran = p.ran_once;
          p.ran_once = false;
          auto t_of = [&](bool dw) {
            cr.use_dw = dw;
            return TimeStep(p, i, e0, e1);
          };
          float t_dnn = t_of(false), t_dw = t_of(true);
          p.ran_once = saved_ran;
          cudaGetLastError();
          cr.use_dw = t_dw < t_dnn;
          std::ostringstream how;
          how << (cr.use_dw ? "our depthwise kernel " : "") << (cr.use_dw ? t_dw : t_dnn) << " ms vs " << (cr.use_dw ? "cuDNN " : "our depthwise ")
              << (cr.use_dw ? t_dnn : t_dw) << " ms";
          cr.how = how.str();
          cache[key.str()] += cr.use_dw ? " -3" : " -1";
          cache_dirty = true;
        }
      }
      if (LtCandidate(st, x) && (opt.autotune || lt_choice >= 0)) {
        EI_RETURN_IF_ERROR(SetupLtConv(p, i, hit != cache.end() ? lt_choice : -2, key.str(), e0, e1));
        if (cr.use_lt) need_ws = std::max(need_ws, cr.lws);
      }
      // The cuDNN graph API: conv + bias + residual + activation as one fused operation graph, built
      // when the chain fits and timed against the path chosen above (CudaOptions::cudnn_graph).
      if (fk == KType::kF16 && opt.cudnn_graph > 0 && st.group == 1 && !st.pool.on && !cr.use_dw) {
        cuda::ConvGraphDesc gd;
        gd.io_type = CUDNN_DATA_HALF;
        gd.n = x[0];
        gd.c = x[1];
        gd.h = x[2];
        gd.w = x[3];
        gd.k = st.k;
        gd.r = st.r;
        gd.s = st.s;
        gd.oh = o.oh;
        gd.ow = o.ow;
        gd.pre_pad[0] = o.pb;
        gd.pre_pad[1] = o.qb;
        gd.post_pad[0] = o.pe;
        gd.post_pad[1] = o.qe;
        gd.stride[0] = st.strides[0];
        gd.stride[1] = st.strides[1];
        gd.dilation[0] = st.dil[0];
        gd.dilation[1] = st.dil[1];
        gd.bias = st.bias_cd != nullptr;
        gd.residual = st.residual;
        gd.act = st.act;
        const std::string gkey = "cudnn graph " + key.str() + " act" + std::to_string(static_cast<int>(st.act.kind)) + (st.residual ? " res" : "") +
                                 (gd.bias ? " bias" : "");
        auto gh = cache.find(gkey);
        const bool forced = opt.cudnn_graph == 2;
        if (cuda::ConvGraphSupported(gd, nullptr) && (forced || (gh == cache.end() ? opt.autotune : gh->second == "1"))) {
          auto built = cuda::CudnnConvGraph::Build(dnn, gd, static_cast<int64_t>(p.ws_bytes));
          if (built.ok()) {
            cr.graph = *built;
            bool use = forced || gh != cache.end();
            std::string timing;
            if (!forced && gh == cache.end()) {
              auto t_of = [&](bool g) {
                cr.use_graph = g;
                return TimeStep(p, i, e0, e1);
              };
              const float t_cur = t_of(false), t_graph = t_of(true);
              cudaGetLastError();
              use = t_graph < t_cur;
              timing = " " + std::to_string(t_graph) + " ms vs " + std::to_string(t_cur) + " ms";
              cache[gkey] = use ? "1" : "0";
              cache_dirty = true;
            }
            cr.use_graph = use;
            if (use) {
              need_ws = std::max(need_ws, static_cast<size_t>(cr.graph->workspace_bytes()));
              cr.how = cr.graph->engine() + timing;
            } else {
              cr.graph.reset();
            }
          } else if (forced) {
            cr.how += " (" + built.status().message() + ")";
          } else if (gh == cache.end()) {
            cache[gkey] = "0";
            cache_dirty = true;
          }
        }
      }
    } else if (st.kind == SK::kConvInt8 || st.kind == SK::kGemmInt8) {
      LtRun& L = p.lt[i];
      const auto& x = p.dims[static_cast<size_t>(st.in[0])];
      int lda = st.ldw;
      if (st.kind == SK::kConvInt8 || st.c % 16 == 0) {
        // Our fused kernels (implicit GEMM on tensor cores, or direct for grouped layers).
        L.direct = true;
        L.im2col = st.kind == SK::kConvInt8 && st.group == 1 && st.c % 16 != 0;
        L.how = st.w_dw ? "depthwise int8 kernel, fused requant" : st.group != 1 ? "direct grouped int8 kernel, fused requant" : (L.im2col ? "im2col + implicit-GEMM int8 mma.sync, fused requant" : "implicit-GEMM int8 mma.sync, fused requant");
        // Few input channels: the implicit GEMM can gather the input byte by byte itself (no column
        // matrix) when the reduction is short; timed against im2col + implicit GEMM.
        if (L.im2col && st.r * st.s * st.c <= 1024 && st.r * st.dil[0] < 1024 && st.s * st.dil[1] < 1024) {
          ConvOut o = ConvOutDims(st, x);
          std::ostringstream gk;
          gk << "int8 gather n" << x[0] * o.oh * o.ow << " c" << st.c << " k" << st.k << " r" << st.r << "x" << st.s << " s" << st.strides[0]
             << (opt.int8_exact_epilogue ? "" : " float-epilogue");
          auto gh = cache.find(gk.str());
          if (gh != cache.end()) {
            L.im2col = gh->second == "im2col";
          } else if (opt.autotune) {
            L.im2col = true;
            const float t_col = TimeStep(p, i, e0, e1);
            L.im2col = false;
            const float t_gather = TimeStep(p, i, e0, e1);
            L.im2col = t_col <= t_gather;
            cache[gk.str()] = L.im2col ? "im2col" : "gather";
            cache_dirty = true;
            L.how = (L.im2col ? "im2col + implicit-GEMM int8 mma.sync, fused requant " : "implicit-GEMM int8 mma.sync gathering bytes, fused requant ") +
                    std::to_string(std::min(t_col, t_gather)) + " ms vs " + std::to_string(std::max(t_col, t_gather)) + " ms";
          }
          if (!L.im2col && gh != cache.end()) L.how = "implicit-GEMM int8 mma.sync gathering bytes, fused requant";
        }
        if (st.kind != SK::kConvInt8 || Int8LtScratch(st, static_cast<int64_t>(Prod(p.dims[static_cast<size_t>(st.out)])) / st.k) == 0 || st.pool.on) {
          // No cuBLASLt alternative: still time the implicit GEMM's N tile (128 against 64).
          if (st.kind == SK::kConvInt8 && st.group == 1 && !st.w_dw && st.k > 64) {
            ConvOut o = ConvOutDims(st, x);
            std::ostringstream tk;
            tk << "int8 tile n" << x[0] * o.oh * o.ow << " c" << st.c << " k" << st.k << " r" << st.r << "x" << st.s << " s" << st.strides[0]
               << (st.residual ? " res" : "") << (opt.int8_exact_epilogue ? "" : " float-epilogue");
            auto th = cache.find(tk.str());
            if (th != cache.end()) {
              L.tile_n = std::atoi(th->second.c_str());
            } else if (opt.autotune) {
              auto t_of = [&](int tile) {
                L.tile_n = tile;
                return TimeStep(p, i, e0, e1);
              };
              const float t128 = t_of(128), t64 = t_of(64);
              L.tile_n = t64 < t128 ? 64 : 128;
              L.how += " (N tile " + std::to_string(L.tile_n) + ": " + std::to_string(std::min(t64, t128)) + " ms vs " + std::to_string(std::max(t64, t128)) + " ms)";
              cache[tk.str()] = std::to_string(L.tile_n);
              cache_dirty = true;
            }
          }
          EI_RETURN_IF_ERROR(SetupLt8(p, i, e0, e1, &need_ws));
          continue;
        }
      }
      const std::string direct_how = L.how;   // our kernel's description; L.how becomes cuBLASLt's below
      if (st.kind == SK::kConvInt8) {
        ConvOut o = ConvOutDims(st, x);
        L.m = st.k;
        L.n = static_cast<int>(x[0] * o.oh * o.ow);
        bool plain = Int8LtPlain(st);
        L.lt_im2col = !plain;
        L.kd = plain ? st.c : st.ldw;
        L.ldb = L.kd;
      } else {
        L.m = st.k;
        L.n = static_cast<int>(Prod(x) / st.c);
        L.kd = st.c;
        L.ldb = st.c;
      }
      cublasLtMatmulDescCreate(&L.op, CUBLAS_COMPUTE_32I, CUDA_R_32I);
      cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
      BLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
      BLAS_CHECK(cublasLtMatmulDescSetAttribute(L.op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
      BLAS_CHECK(cublasLtMatrixLayoutCreate(&L.a, CUDA_R_8I, L.kd, L.m, lda));
      BLAS_CHECK(cublasLtMatrixLayoutCreate(&L.b, CUDA_R_8I, L.kd, L.n, L.ldb));
      BLAS_CHECK(cublasLtMatrixLayoutCreate(&L.c, CUDA_R_32I, L.m, L.n, L.m));
      size_t lt_ws = 0;
      cublasLtMatmulHeuristicResult_t res[8];
      const int got = LtHeuristics(L.op, L.a, L.b, L.c, p, &lt_ws, res, 8);
      if (got == 0) return Status::Error(st.label + ": cuBLASLt has no INT8 algorithm for m=" + std::to_string(L.m) + " n=" + std::to_string(L.n) + " k=" + std::to_string(L.kd));
      std::ostringstream key;
      key << "lt int8 m" << L.m << " n" << L.n << " k" << L.kd << " lda" << lda << " ldb" << L.ldb;
      int best = 0;
      auto hit = cache.find(key.str());
      if (hit != cache.end()) {
        best = std::min(std::atoi(hit->second.c_str()), got - 1);
        L.how = "cached";
      } else if (opt.autotune && got > 1) {
        const int32_t ione = 1, izero = 0;
        float best_ms = 1e30f;
        // The same buffers RunStep uses: acc at the scratch start, the im2col matrix after it.
        int32_t* cptr = reinterpret_cast<int32_t*>(p.arena + p.scratch_off);
        const int8_t* bptr = static_cast<const int8_t*>(Ptr(p, st.in[0]));
        if (L.lt_im2col) {   // the real im2col matrix, so the timing sees real data
          ConvOut o = ConvOutDims(st, x);
          (void)cuda::Im2ColInt8(static_cast<const int8_t*>(Ptr(p, st.in[0])), reinterpret_cast<int8_t*>(p.arena + p.scratch_off + AlignUp(static_cast<size_t>(L.n) * st.k * 4, 256)),
                                 Geom(st, x, o.oh, o.ow, o.pb, o.qb), st.ldw, stream);
          bptr = reinterpret_cast<const int8_t*>(p.arena + p.scratch_off + AlignUp(static_cast<size_t>(L.n) * st.k * 4, 256));
        }
        for (int j = 0; j < got; ++j) {
          if (res[j].workspaceSize > lt_ws) continue;
          cudaEventRecord(e0, stream);
          bool ok = true;
          for (int rep = 0; rep < 3 && ok; ++rep)
            ok = cublasLtMatmul(lt, L.op, &ione, st.w_dev, L.a, bptr, L.b, &izero, cptr, L.c, cptr, L.c, &res[j].algo, p.arena + p.ws_off, lt_ws, stream) == CUBLAS_STATUS_SUCCESS;
          cudaEventRecord(e1, stream);
          CU_CHECK(cudaEventSynchronize(e1));
          float ms = 0.f;
          cudaEventElapsedTime(&ms, e0, e1);
          if (ok && ms < best_ms) { best_ms = ms; best = j; }
        }
        cudaGetLastError();
        std::ostringstream how;
        how << "tuned " << best_ms / 3 << " ms (of " << got << ")";
        L.how = how.str();
        cache[key.str()] = std::to_string(best);
        cache_dirty = true;
      } else {
        L.how = "heuristic";
      }
      L.algo = res[best].algo;
      L.has_algo = true;
      L.ws = res[best].workspaceSize;
      need_ws = std::max(need_ws, L.ws);
      L.lt_ok = true;
      if (L.direct) {
        // Our fused kernel against im2col + cuBLASLt + our requantization, as each will run.
        const std::string pkey = "int8 path " + key.str() + " k" + std::to_string(st.r) + "x" + std::to_string(st.s) + " s" + std::to_string(st.strides[0]) +
                                 (opt.int8_exact_epilogue ? "" : " float-epilogue");
        auto ph = cache.find(pkey);
        if (ph != cache.end() || !opt.autotune) {
          L.use_lt = ph != cache.end() && ph->second == "cublaslt";
          L.tile_n = ph == cache.end() ? 0 : ph->second == "fused64" ? 64 : ph->second == "fused128" ? 128 : 0;
          if (!L.use_lt) L.how = direct_how + (ph != cache.end() ? " (cached)" : "");
        } else {
          auto t_of = [&](bool use, int tile) {
            L.use_lt = use;
            L.tile_n = tile;
            return TimeStep(p, i, e0, e1);
          };
          // N tile 128 (more reuse per block) against 64 (fewer accumulators per thread: more blocks
          // per SM to hide the epilogue), where K leaves a choice.
          float t_ours = t_of(false, 0);
          if (st.k > 64 && st.group == 1 && !st.w_dw) {
            const float t64 = t_of(false, 64);
            if (t64 < t_ours) {
              t_ours = t64;
              L.tile_n = 64;
            } else {
              L.tile_n = 128;
            }
          }
          const int tile = L.tile_n;
          float t_lt = t_of(true, 0);
          L.use_lt = t_lt < t_ours;
          L.tile_n = L.use_lt ? 0 : tile;
          std::ostringstream how;
          how << (L.use_lt ? "cuBLASLt int8 (" + L.how + ") + requant kernel " : direct_how + (tile ? " (N tile " + std::to_string(tile) + ") " : " "))
              << std::min(t_ours, t_lt) << " ms vs " << std::max(t_ours, t_lt) << " ms";
          L.how = how.str();
          cache[pkey] = L.use_lt ? "cublaslt" : tile == 64 ? "fused64" : tile == 128 ? "fused128" : "fused";
          cache_dirty = true;
        }
        EI_RETURN_IF_ERROR(SetupLt8(p, i, e0, e1, &need_ws));
        if (L.use_lt8) L.use_lt = false;
        if (!L.use_lt) continue;
        L.direct = false;
      }
    }
  }
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  (void)one;
  (void)zero;
  // Re-allocate the arena at its final size: activations + scratch + the largest chosen workspace.
  CU_CHECK(cudaStreamSynchronize(stream));
  CU_CHECK(cudaFree(p.arena));
  p.arena = nullptr;
  p.ws_bytes = AlignUp(need_ws, 256);
  p.arena_bytes = p.ws_off + p.ws_bytes;
  CU_CHECK(cudaMalloc(reinterpret_cast<void**>(&p.arena), p.arena_bytes));
  CU_CHECK(cudaMemset(p.arena, 0, p.arena_bytes));
  return Status::Ok();
}

Status CudaDevice::Impl::RunStep(BatchPlan& p, size_t i) {
  const Step& st = steps[i];
  cudaStream_t s = stream;
  auto& D = p.dims;
  auto KC = [&](cudaError_t e) -> Status {
    if (e == cudaSuccess) return Status::Ok();
    return Status::Error(st.label + ": CUDA kernel launch failed: " + cudaGetErrorString(e));
  };
  switch (st.kind) {
    case SK::kInput: {
      if (st.skip) return Status::Ok();
      ValueId v = st.out;
      const auto& d = D[static_cast<size_t>(v)];
      KType ht = ToK(g->value(v).dtype);
      void* src = p.arena + p.host_off[static_cast<size_t>(v)];
      void* dst = Ptr(p, v);
      if (nhwc[static_cast<size_t>(v)]) return KC(cuda::NchwToNhwc(src, ht, dst, vtype[static_cast<size_t>(v)], static_cast<int>(d[0]), static_cast<int>(d[1]), static_cast<int>(d[2]), static_cast<int>(d[3]), s));
      if (ht == vtype[static_cast<size_t>(v)]) return KC(cudaMemcpyAsync(dst, src, static_cast<size_t>(Prod(d)) * KSize(ht), cudaMemcpyDeviceToDevice, s));
      return KC(cuda::Convert(src, ht, dst, vtype[static_cast<size_t>(v)], Prod(d), s));
    }
    case SK::kOutput: {
      ValueId v = st.in[0];
      const auto& d = D[static_cast<size_t>(v)];
      KType ht = ToK(g->value(v).dtype);
      void* dst = p.arena + p.host_off[static_cast<size_t>(v)];
      const void* src = Ptr(p, v);
      if (nhwc[static_cast<size_t>(v)] && d.size() == 4) return KC(cuda::NhwcToNchw(src, vtype[static_cast<size_t>(v)], dst, ht, static_cast<int>(d[0]), static_cast<int>(d[1]), static_cast<int>(d[2]), static_cast<int>(d[3]), s));
      if (ht == vtype[static_cast<size_t>(v)]) return KC(cudaMemcpyAsync(dst, src, static_cast<size_t>(Prod(d)) * KSize(ht), cudaMemcpyDeviceToDevice, s));
      return KC(cuda::Convert(src, vtype[static_cast<size_t>(v)], dst, ht, Prod(d), s));
    }
    case SK::kConv: {
      ConvRun& cr = p.conv[i];
      if (cr.use_graph) {
        const cudnnStatus_t e = cr.graph->Run(dnn, Ptr(p, st.in[0]), st.w_dev, st.bias_cd, st.residual ? Ptr(p, st.in[1]) : nullptr, Ptr(p, st.out),
                                              p.arena + p.ws_off);
        if (e != CUDNN_STATUS_SUCCESS) return Status::Error(st.label + ": cuDNN graph execute: " + cudnnGetErrorString(e));
        return Status::Ok();
      }
      if (cr.use_lt) return RunLtConv(p, i);
      if (cr.use_dw) {
        const auto& x0 = D[static_cast<size_t>(st.in[0])];
        ConvOut o0 = ConvOutDims(st, x0);
        return KC(cuda::DepthwiseConv(Ptr(p, st.in[0]), st.w_dw, fk, Geom(st, x0, o0.oh, o0.ow, o0.pb, o0.qb), st.bias_f32,
                                      st.residual ? Ptr(p, st.in[1]) : nullptr, st.act, Ptr(p, st.out), s));
      }
      const auto& x = D[static_cast<size_t>(st.in[0])];
      ConvOut o = ConvOutDims(st, x);
      void* y = st.pool.on ? static_cast<void*>(p.arena + p.scratch_off) : Ptr(p, st.out);
      const void* res = st.residual ? Ptr(p, st.in[1]) : nullptr;
      const float one = 1.f, zero = 0.f, a2 = res ? 1.f : 0.f;
      if (cr.fused) {
        cudnnStatus_t e = cudnnConvolutionBiasActivationForward(dnn, &one, cr.x, Ptr(p, st.in[0]), cr.w, st.w_dev, cr.conv, cr.algo, p.arena + p.ws_off, cr.ws,
                                                                &a2, cr.y, res ? res : y, cr.b, st.bias_cd, cr.act, cr.y, y);
        if (e == CUDNN_STATUS_SUCCESS) return Status::Ok();
        if (p.ran_once) return Status::Error(st.label + ": cudnnConvolutionBiasActivationForward: " + cudnnGetErrorString(e));
        cr.fused = false;   // first (eager) run: fall back to convolution + our epilogue
        cr.how += " (fused call refused: " + std::string(cudnnGetErrorString(e)) + ")";
      }
      DNN_CHECK(cudnnConvolutionForward(dnn, &one, cr.x, Ptr(p, st.in[0]), cr.w, st.w_dev, cr.conv, cr.algo, p.arena + p.ws_off, cr.ws, &zero, cr.y, y));
      const int64_t count = x[0] * st.k * o.oh * o.ow;
      if (st.pool.on) {
        std::vector<int64_t> cd = {x[0], st.k, o.oh, o.ow};
        return KC(cuda::BiasActPool(y, Ptr(p, st.out), fk, st.bias_f32, st.act, MakePool(st.pool, cd), s));
      }
      return KC(cuda::BiasActResidual(y, fk, st.bias_f32, res, count, st.k, st.act, s));
    }
    case SK::kConvInt8: {
      LtRun& L = p.lt[i];
      const auto& x = D[static_cast<size_t>(st.in[0])];
      ConvOut o = ConvOutDims(st, x);
      cuda::ConvGeom geo = Geom(st, x, o.oh, o.ow, o.pb, o.qb);
      const int64_t m = x[0] * o.oh * o.ow;
      char* sc = p.arena + p.scratch_off;
      const int8_t* xin = static_cast<const int8_t*>(Ptr(p, st.in[0]));
      cuda::KEpilogue epi;
      epi.bias = st.bias_i32;
      epi.mult = st.mult_dev;
      epi.res = st.residual ? static_cast<const int8_t*>(Ptr(p, st.in[1])) : nullptr;
      epi.res_mult = st.res_mult;
      epi.act = st.iact;
      epi.fmult = st.fmult_dev;
      epi.res_fmult = st.res_fmult;
      int8_t* y = static_cast<int8_t*>(Ptr(p, st.out));
      if (L.use_lt8) {   // float epilogue: cuBLASLt writes int8 (alpha per channel, bias, residual as C, ReLU)
        const float beta = st.residual ? st.res_fmult : 0.f;
        const void* cin = st.residual ? Ptr(p, st.in[1]) : static_cast<const void*>(y);
        BLAS_CHECK(cublasLtMatmul(lt, L.op8, st.fmult_dev, st.w_dev, L.a8, xin, L.b8, &beta, cin, L.c8, y, L.c8, &L.algo8, p.arena + p.ws_off, L.ws8, s));
        return Status::Ok();
      }
      if (L.use_lt) {   // im2col + cuBLASLt int8 -> int32, then our requantization
        int32_t* acc = reinterpret_cast<int32_t*>(sc);
        const int8_t* bmat = xin;
        if (L.lt_im2col) {
          int8_t* col = reinterpret_cast<int8_t*>(sc + AlignUp(static_cast<size_t>(m) * st.k * 4, 256));
          EI_RETURN_IF_ERROR(KC(cuda::Im2ColInt8(xin, col, geo, st.ldw, s)));
          bmat = col;
        }
        const int32_t ione = 1, izero = 0;
        BLAS_CHECK(cublasLtMatmul(lt, L.op, &ione, st.w_dev, L.a, bmat, L.b, &izero, acc, L.c, acc, L.c, &L.algo, p.arena + p.ws_off, L.ws, s));
        return KC(cuda::Requantize(acc, m, st.k, st.bias_i32, st.mult_dev, epi.res, st.res_mult, st.iact, y, s));
      }
      if (st.pool.on) {
        y = reinterpret_cast<int8_t*>(sc + (L.im2col ? AlignUp(static_cast<size_t>(m) * st.ldw, 256) : 0));
      }
      if (st.w_dw) {
        EI_RETURN_IF_ERROR(KC(cuda::DepthwiseConvInt8(xin, static_cast<const int8_t*>(st.w_dw), geo, epi, y, s)));
      } else if (st.group != 1) {
        EI_RETURN_IF_ERROR(KC(cuda::GroupConvInt8Fused(xin, static_cast<const int8_t*>(st.w_dev), geo, epi, y, s)));
      } else if (L.im2col) {
        int8_t* col = reinterpret_cast<int8_t*>(sc);
        EI_RETURN_IF_ERROR(KC(cuda::Im2ColInt8(xin, col, geo, st.ldw, s)));
        cuda::ConvGeom g1 = geo;   // the column matrix as an NHWC image of ldw channels, 1x1 kernel
        g1.h = geo.oh;
        g1.w = geo.ow;
        g1.c = st.ldw;
        g1.r = g1.s = g1.sh = g1.sw = g1.dh = g1.dw = 1;
        g1.ph = g1.pw = 0;
        EI_RETURN_IF_ERROR(KC(cuda::ConvInt8Fused(col, static_cast<const int8_t*>(st.w_dev), st.ldw, g1, epi, y, s, L.tile_n)));
      } else {
        EI_RETURN_IF_ERROR(KC(cuda::ConvInt8Fused(xin, static_cast<const int8_t*>(st.w_dev), st.ldw, geo, epi, y, s, L.tile_n)));
      }
      if (st.pool.on) {
        std::vector<int64_t> cd = {x[0], st.k, o.oh, o.ow};
        return KC(cuda::Pool(y, Ptr(p, st.out), KType::kI8, MakePool(st.pool, cd), s));
      }
      return Status::Ok();
    }
    case SK::kGemm: {
      const auto& x = D[static_cast<size_t>(st.in[0])];
      const int m = static_cast<int>(Prod(x) / st.c);
      const float one = 1.f, zero = 0.f;
      cudaDataType_t t = fk == KType::kF16 ? CUDA_R_16F : CUDA_R_32F;
      cublasComputeType_t ct = fk == KType::kF16 ? CUBLAS_COMPUTE_32F : CUBLAS_COMPUTE_32F_PEDANTIC;
      BLAS_CHECK(cublasGemmEx(blas, CUBLAS_OP_T, CUBLAS_OP_N, st.k, m, st.c, &one, st.w_dev, t, st.c, Ptr(p, st.in[0]), t, st.c, &zero, Ptr(p, st.out), t, st.k,
                              ct, CUBLAS_GEMM_DEFAULT));
      return KC(cuda::BiasActResidual(Ptr(p, st.out), fk, st.bias_f32, nullptr, static_cast<int64_t>(m) * st.k, st.k, st.act, s));
    }
    case SK::kGemmInt8: {
      LtRun& L = p.lt[i];
      if (L.direct) {   // as a 1x1 convolution over M "pixels" of K channels
        const auto& x = D[static_cast<size_t>(st.in[0])];
        cuda::ConvGeom g1{};
        g1.n = static_cast<int>(Prod(x) / st.c);
        g1.h = g1.w = g1.oh = g1.ow = 1;
        g1.c = st.c;
        g1.k = st.k;
        g1.r = g1.s = g1.sh = g1.sw = g1.dh = g1.dw = g1.group = 1;
        cuda::KEpilogue epi;
        epi.bias = st.bias_i32;
        epi.mult = st.mult_dev;
        epi.act = st.iact;
        epi.fmult = st.fmult_dev;
        return KC(cuda::ConvInt8Fused(static_cast<const int8_t*>(Ptr(p, st.in[0])), static_cast<const int8_t*>(st.w_dev), st.ldw, g1, epi,
                                      static_cast<int8_t*>(Ptr(p, st.out)), s, L.tile_n));
      }
      int32_t* acc = reinterpret_cast<int32_t*>(p.arena + p.scratch_off);
      const int32_t ione = 1, izero = 0;
      BLAS_CHECK(cublasLtMatmul(lt, L.op, &ione, st.w_dev, L.a, Ptr(p, st.in[0]), L.b, &izero, acc, L.c, acc, L.c, &L.algo, p.arena + p.ws_off, L.ws, s));
      return KC(cuda::Requantize(acc, L.n, st.k, st.bias_i32, st.mult_dev, nullptr, st.res_mult, st.iact, static_cast<int8_t*>(Ptr(p, st.out)), s));
    }
    case SK::kPool:
      return KC(cuda::Pool(Ptr(p, st.in[0]), Ptr(p, st.out), vtype[static_cast<size_t>(st.in[0])], MakePool(st.pool, D[static_cast<size_t>(st.in[0])]), s));
    case SK::kGlobalPool: {
      const auto& x = D[static_cast<size_t>(st.in[0])];
      if (vtype[static_cast<size_t>(st.in[0])] == KType::kI8 && vtype[static_cast<size_t>(st.out)] == KType::kI8 && st.gap_requant) {
        auto m = int8::GlobalAveragePoolMultiplier(st.gap_x_scale, st.gap_y_scale, x[2] * x[3]);
        if (!m.ok()) return m.status().WithContext(st.label);
        return KC(cuda::GlobalAvgPoolInt8Requant(static_cast<const int8_t*>(Ptr(p, st.in[0])), static_cast<int8_t*>(Ptr(p, st.out)),
                                                 static_cast<int>(x[0]), static_cast<int>(x[2] * x[3]), static_cast<int>(x[1]),
                                                 m->multiplier, m->shift, s));
      }
      if (vtype[static_cast<size_t>(st.in[0])] == KType::kI8 && vtype[static_cast<size_t>(st.out)] == KType::kI8) {
        PoolAttr whole;
        whole.kind = 1;
        whole.k[0] = static_cast<int>(x[2]);
        whole.k[1] = static_cast<int>(x[3]);
        return KC(cuda::Pool(Ptr(p, st.in[0]), Ptr(p, st.out), KType::kI8, MakePool(whole, x), s));
      }
      if (vtype[static_cast<size_t>(st.in[0])] == KType::kI8)   // a dequantize folded in (BuildSteps)
        return KC(cuda::GlobalAvgPoolInt8(static_cast<const int8_t*>(Ptr(p, st.in[0])), Ptr(p, st.out), vtype[static_cast<size_t>(st.out)], static_cast<int>(x[0]),
                                          static_cast<int>(x[2] * x[3]), static_cast<int>(x[1]), st.qscale, s));
      return KC(cuda::GlobalAvgPool(Ptr(p, st.in[0]), Ptr(p, st.out), vtype[static_cast<size_t>(st.in[0])], static_cast<int>(x[0]), static_cast<int>(x[2] * x[3]), static_cast<int>(x[1]), s));
    }
    case SK::kAct:
      return KC(cuda::Activation(Ptr(p, st.in[0]), Ptr(p, st.out), vtype[static_cast<size_t>(st.in[0])], Prod(D[static_cast<size_t>(st.in[0])]), st.act, s));
    case SK::kBinary: {
      const auto& od = D[static_cast<size_t>(st.out)];
      const bool onhwc = nhwc[static_cast<size_t>(st.out)] && od.size() == 4;
      cuda::BroadcastDesc bd;
      bd.rank = static_cast<int>(od.size());
      std::vector<int64_t> sdims = StorageDims(od, onhwc);
      for (int k = 0; k < bd.rank; ++k) bd.out_dims[k] = sdims[static_cast<size_t>(k)];
      for (int which = 0; which < 2; ++which) {
        ValueId v = st.in[static_cast<size_t>(which)];
        std::vector<int64_t> d = D[static_cast<size_t>(v)];
        const bool vn = nhwc[static_cast<size_t>(v)] && d.size() == 4;
        // Logical strides of the operand in its own storage.
        std::vector<int64_t> lst(d.size());
        std::vector<int64_t> sd = StorageDims(d, vn);
        std::vector<int64_t> sst = ContiguousStrides(sd);
        for (size_t a = 0; a < d.size(); ++a) lst[a] = vn ? sst[static_cast<size_t>(StorageAxis(static_cast<int>(a), true))] : sst[a];
        // Right-align to the output rank; broadcast axes get stride 0.
        std::vector<int64_t> full(od.size(), 0);
        for (size_t a = 0; a < d.size(); ++a) {
          size_t oa = od.size() - d.size() + a;
          full[oa] = d[a] == 1 && od[oa] != 1 ? 0 : lst[a];
        }
        for (int k = 0; k < bd.rank; ++k) {
          int la = onhwc ? kPerm[k] : k;
          (which == 0 ? bd.a_strides : bd.b_strides)[k] = full[static_cast<size_t>(la)];
        }
      }
      return KC(cuda::Binary(st.bop, Ptr(p, st.in[0]), Ptr(p, st.in[1]), Ptr(p, st.out), vtype[static_cast<size_t>(st.out)], bd, s));
    }
    case SK::kSoftmax: {
      const auto& x = D[static_cast<size_t>(st.in[0])];
      const bool vn = nhwc[static_cast<size_t>(st.in[0])] && x.size() == 4;
      int ax = st.axis < 0 ? st.axis + static_cast<int>(x.size()) : st.axis;
      int sa = StorageAxis(ax, vn);
      std::vector<int64_t> sd = StorageDims(x, vn);
      return KC(cuda::Softmax(Ptr(p, st.in[0]), Ptr(p, st.out), vtype[static_cast<size_t>(st.in[0])], Prod(sd, 0, static_cast<size_t>(sa)), sd[static_cast<size_t>(sa)],
                              Prod(sd, static_cast<size_t>(sa) + 1), s));
    }
    case SK::kConcat: {
      const auto& od = D[static_cast<size_t>(st.out)];
      const bool vn = nhwc[static_cast<size_t>(st.out)] && od.size() == 4;
      int ax = st.axis < 0 ? st.axis + static_cast<int>(od.size()) : st.axis;
      int sa = StorageAxis(ax, vn);
      std::vector<int64_t> sod = StorageDims(od, vn);
      const int64_t outer = Prod(sod, 0, static_cast<size_t>(sa));
      const int64_t out_len = Prod(sod, static_cast<size_t>(sa));
      const int eb = static_cast<int>(KSize(vtype[static_cast<size_t>(st.out)]));
      int64_t offset = 0;
      for (ValueId v : st.in) {
        std::vector<int64_t> sd = StorageDims(D[static_cast<size_t>(v)], vn);
        int64_t len = Prod(sd, static_cast<size_t>(sa));
        if (!p.in_place[static_cast<size_t>(v)])   // else its producer wrote it there (BuildArena)
          EI_RETURN_IF_ERROR(KC(cuda::ConcatPart(Ptr(p, v), Ptr(p, st.out), eb, outer, len, out_len, offset, s)));
        offset += len;
      }
      return Status::Ok();
    }
    case SK::kResize: {
      const auto& x = D[static_cast<size_t>(st.in[0])];
      const auto& y = D[static_cast<size_t>(st.out)];
      cuda::ResizeDesc d = st.rz;
      d.n = static_cast<int>(x[0]);
      d.c = static_cast<int>(x[1]);
      d.h = static_cast<int>(x[2]);
      d.w = static_cast<int>(x[3]);
      d.oh = static_cast<int>(y[2]);
      d.ow = static_cast<int>(y[3]);
      d.scale_h = st.rz_scales.empty() ? static_cast<float>(y[2]) / static_cast<float>(x[2]) : st.rz_scales[2];
      d.scale_w = st.rz_scales.empty() ? static_cast<float>(y[3]) / static_cast<float>(x[3]) : st.rz_scales[3];
      return KC(cuda::Resize(Ptr(p, st.in[0]), Ptr(p, st.out), vtype[static_cast<size_t>(st.in[0])], d, s));
    }
    case SK::kReshape: {
      if (alias[static_cast<size_t>(st.out)] != kNoValue) return Status::Ok();
      const auto& x = D[static_cast<size_t>(st.in[0])];
      const auto& y = D[static_cast<size_t>(st.out)];
      KType t = vtype[static_cast<size_t>(st.in[0])];
      if (nhwc[static_cast<size_t>(st.in[0])] && x.size() == 4 && x[2] * x[3] > 1)
        return KC(cuda::NhwcToNchw(Ptr(p, st.in[0]), t, Ptr(p, st.out), t, static_cast<int>(x[0]), static_cast<int>(x[1]), static_cast<int>(x[2]), static_cast<int>(x[3]), s));
      if (nhwc[static_cast<size_t>(st.out)] && y.size() == 4 && y[2] * y[3] > 1)
        return KC(cuda::NchwToNhwc(Ptr(p, st.in[0]), t, Ptr(p, st.out), t, static_cast<int>(y[0]), static_cast<int>(y[1]), static_cast<int>(y[2]), static_cast<int>(y[3]), s));
      return KC(cudaMemcpyAsync(Ptr(p, st.out), Ptr(p, st.in[0]), static_cast<size_t>(Prod(x)) * KSize(t), cudaMemcpyDeviceToDevice, s));
    }
    case SK::kTranspose:
    case SK::kSplit:
    case SK::kSlice: {
      const ValueId xv = st.in[0];
      const auto& x = D[static_cast<size_t>(xv)];
      const auto& y = D[static_cast<size_t>(st.out)];
      const bool xn = nhwc[static_cast<size_t>(xv)] && !const_dev[static_cast<size_t>(xv)];
      std::vector<int64_t> src_axis = TransposePerm(st, x.size());
      if (st.kind != SK::kTranspose) {   // Split and Slice gather along the same axes
        src_axis.resize(x.size());
        std::iota(src_axis.begin(), src_axis.end(), int64_t{0});
      }
      int64_t offset = 0;
      if (st.kind == SK::kSplit) {
        const int ax = st.axis < 0 ? st.axis + static_cast<int>(x.size()) : st.axis;
        std::vector<int64_t> sizes;
        EI_RETURN_IF_ERROR(SplitSizesOf(st, x[static_cast<size_t>(ax)], &sizes));
        for (int j = 0; j < st.split_index; ++j) offset += sizes[static_cast<size_t>(j)];
        offset *= LogicalStrides(x, xn)[static_cast<size_t>(ax)];
      }
      cuda::CopyDesc cd = GatherDesc(x, xn, y, nhwc[static_cast<size_t>(st.out)], src_axis, offset);
      if (st.kind == SK::kSlice) {   // start offset and per-axis steps on the identity gather
        EI_ASSIGN_OR_RETURN(ops::SliceParams sp, ops::ResolveSlice(x, st.slice_starts, st.slice_ends, st.slice_axes, st.slice_steps));
        const std::vector<int64_t> lst = LogicalStrides(x, xn);
        cd.in_offset = 0;
        for (size_t a = 0; a < x.size(); ++a) cd.in_offset += sp.start[a] * lst[a];
        const bool yn = nhwc[static_cast<size_t>(st.out)] && y.size() == 4;
        for (int k = 0; k < cd.rank; ++k) cd.in_strides[k] *= sp.step[static_cast<size_t>(yn ? kPerm[k] : k)];
      }
      return KC(cuda::StridedCopy(Ptr(p, xv), Ptr(p, st.out), static_cast<int>(KSize(vtype[static_cast<size_t>(st.out)])), cd, s));
    }
    case SK::kQuantize:
      if (st.from_staging) {
        const ValueId v = st.in[0];
        const auto& d = D[static_cast<size_t>(v)];
        return KC(cuda::QuantizeNchwToNhwcInt8(p.arena + p.host_off[static_cast<size_t>(v)], ToK(g->value(v).dtype), static_cast<int8_t*>(Ptr(p, st.out)),
                                               static_cast<int>(d[0]), static_cast<int>(d[1]), static_cast<int>(d[2] * d[3]), st.qscale, s));
      }
      return KC(cuda::QuantizeInt8(Ptr(p, st.in[0]), vtype[static_cast<size_t>(st.in[0])], static_cast<int8_t*>(Ptr(p, st.out)), Prod(D[static_cast<size_t>(st.in[0])]), st.qscale, s));
    case SK::kDequantize:
      if (st.skip) return Status::Ok();
      return KC(cuda::DequantizeInt8(static_cast<const int8_t*>(Ptr(p, st.in[0])), Ptr(p, st.out), vtype[static_cast<size_t>(st.out)], Prod(D[static_cast<size_t>(st.in[0])]), st.qscale, s));
  }
  return Status::Ok();
}

Status CudaDevice::Impl::RunSteps(BatchPlan& p, bool first) {
  for (size_t i = 0; i < steps.size(); ++i) {
    Status s = RunStep(p, i);
    if (!s.ok()) return s;
    if (first) {   // eager first run: find the failing step by name, not at the end of the graph
      cudaError_t e = cudaStreamSynchronize(stream);
      if (e != cudaSuccess) return Status::Error(steps[i].label + ": " + cudaGetErrorString(e));
    }
  }
  return Status::Ok();
}

Status CudaDevice::Impl::PlanBatch(int n) {
  if (plans.count(n)) return Status::Ok();
  EI_RETURN_IF_ERROR(Init());
  BatchPlan p;
  p.n = n;
  const Graph& G = *g;
  p.dims.assign(G.num_values(), {});
  std::vector<std::vector<int64_t>> in_dims;
  for (ValueId v : G.inputs()) {
    std::vector<int64_t> d = G.value(v).shape.dims;
    for (size_t a = 0; a < d.size(); ++a) {
      if (d[a] == kDynamic) {
        if (a != 0) return Status::Error("input '" + G.value(v).name + "': only the batch axis may be dynamic on the GPU, shape " + G.value(v).shape.ToString());
        d[a] = n;
      }
    }
    in_dims.push_back(d);
  }
  auto shapes = InferShapesAt(G, in_dims);
  if (!shapes.ok()) return shapes.status().WithContext("cuda: shapes at batch " + std::to_string(n));
  for (size_t i = 0; i < G.num_values(); ++i) {
    if ((*shapes)[i].known) p.dims[i] = std::move((*shapes)[i].dims);
  }
  for (const Step& st : steps) EI_RETURN_IF_ERROR(CheckStepShapes(p, st));
  // Every rank-4 activation lives NHWC (decided from the computed dims, so graphs without stored
  // intermediate shapes work too).
  for (size_t i = 0; i < G.num_values(); ++i) nhwc[i] = !G.value(static_cast<ValueId>(i)).IsConstant() && p.dims[i].size() == 4;
  EI_RETURN_IF_ERROR(BuildArena(p));
  Status s = SetupLibraries(p);
  if (!s.ok()) { FreePlan(p); return s; }
  BLAS_CHECK(cublasSetWorkspace(blas, p.arena + p.ws_off, p.ws_bytes));
  SaveCache();
  plans[n] = std::move(p);
  return Status::Ok();
}

Status CudaDevice::Impl::Run(int n) {
  EI_RETURN_IF_ERROR(PlanBatch(n));
  BatchPlan& p = plans[n];
  BLAS_CHECK(cublasSetWorkspace(blas, p.arena + p.ws_off, p.ws_bytes));
  if (p.exec) {
    CU_CHECK(cudaGraphLaunch(p.exec, stream));
    return Status::Ok();
  }
  if (!p.ran_once) {
    EI_RETURN_IF_ERROR(RunSteps(p, true));
    p.ran_once = true;
    if (opt.cuda_graphs) {
      cudaGraph_t graph = nullptr;
      CU_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
      Status s = RunSteps(p, false);
      cudaError_t e = cudaStreamEndCapture(stream, &graph);
      if (s.ok() && e == cudaSuccess) e = cudaGraphInstantiate(&p.exec, graph, 0);
      if (graph) cudaGraphDestroy(graph);
      if (!s.ok() || e != cudaSuccess) {
        p.exec = nullptr;
        p.graph_note = "CUDA graph capture failed (" + (s.ok() ? std::string(cudaGetErrorString(e)) : s.message()) + "): running eagerly";
        cudaGetLastError();
      } else {
        p.graph_note = "CUDA graph captured";
      }
    }
    return Status::Ok();
  }
  return RunSteps(p, false);
}

// ---------------------------------------------------------------------------------------------

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
