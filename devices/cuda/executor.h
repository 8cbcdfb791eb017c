// Internal to devices/cuda (included by its .cc files only): the CUDA executor's plan types and
// CudaDevice::Impl, shared by the phase files (the algorithm is described in cuda_device.h):
//   lower.cc        Prepare: nodes -> steps (weights converted and uploaded once)
//   batch_plan.cc   per batch: shapes (InferShapesAt), kernel shape checks, the arena (PlanMemory)
//   tuning.cc       per batch: cuDNN / cuBLASLt descriptors and algorithm choice, the timing cache
//   run.cc          RunStep (one step's kernels and library calls), RunSteps, CUDA graph capture
//   cuda_device.cc  the CudaDevice facade (Supports, Prepare, Launch, Explain)
#pragma once
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "devices/cuda/cuda_device.h"
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
namespace cuda_exec {

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

inline size_t KSize(KType t) {
  switch (t) {
    case KType::kF32: return 4;
    case KType::kF16: return 2;
    case KType::kI8: return 1;
    case KType::kI32: return 4;
  }
  return 4;
}
inline KType ToK(DType d) {
  switch (d) {
    case DType::kFloat16: return KType::kF16;
    case DType::kInt8: return KType::kI8;
    case DType::kInt32: return KType::kI32;
    default: return KType::kF32;
  }
}
inline cudnnDataType_t ToDnn(KType t) {
  switch (t) {
    case KType::kF16: return CUDNN_DATA_HALF;
    case KType::kI8: return CUDNN_DATA_INT8;
    case KType::kI32: return CUDNN_DATA_INT32;
    default: return CUDNN_DATA_FLOAT;
  }
}
inline int64_t Prod(const std::vector<int64_t>& d, size_t from = 0, size_t to = SIZE_MAX) {
  int64_t p = 1;
  for (size_t i = from; i < std::min(to, d.size()); ++i) p *= d[i];
  return p;
}
inline std::string DimsStr(const std::vector<int64_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? "," : "") + std::to_string(d[i]);
  return s + "]";
}
inline size_t AlignUp(size_t x, size_t a) { return (x + a - 1) / a * a; }

// Parses an activation given by op name ("Relu") or the fused `activation` attribute.
inline bool ParseAct(const std::string& name, float alpha, float beta, float mn, float mx, KActParams* p) {
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
inline const char* SKName(SK k) {
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
inline Status SplitSizesOf(const Step& st, int64_t dim, std::vector<int64_t>* sizes) {
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
inline std::vector<int64_t> TransposePerm(const Step& st, size_t rank) {
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


// Output extent of a window op; pads are resolved for auto_pad (pads_begin/pads_end updated).
inline int64_t WindowOut(int64_t in, int k, int s, int d, int* pb, int* pe, const std::string& auto_pad, bool ceil) {
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


constexpr size_t kLtIm2colLimit = size_t(256) << 20;   // largest FP16 im2col matrix the cuBLASLt path may use
inline bool LtNeedsIm2col(const Step& st) {
  return !(st.r == 1 && st.s == 1 && st.strides[0] == 1 && st.strides[1] == 1 && st.pads[0] == 0 && st.pads[1] == 0 &&
           st.pads[2] == 0 && st.pads[3] == 0 && st.c % 8 == 0 && st.auto_pad == "NOTSET");
}
// FP16 group-1 convolutions without a fused pool may run as (im2col +) cuBLASLt GEMM.
inline bool LtCandidate(const Step& st, const std::vector<int64_t>& x) {
  if (st.kind != SK::kConv || !st.w_gemm || st.pool.on || st.group != 1 || st.k % 8 != 0) return false;
  if (!LtNeedsIm2col(st)) return true;
  int pb = st.pads[0], pe = st.pads[2], qb = st.pads[1], qe = st.pads[3];
  int64_t oh = WindowOut(x[2], st.r, st.strides[0], st.dil[0], &pb, &pe, st.auto_pad, false);
  int64_t ow = WindowOut(x[3], st.s, st.strides[1], st.dil[1], &qb, &qe, st.auto_pad, false);
  return static_cast<size_t>(x[0] * oh * ow) * st.ldg * 2 <= kLtIm2colLimit;
}

// Plain 1x1 INT8 layers read the input directly as the GEMM's B; others need an im2col matrix.
inline bool Int8LtPlain(const Step& st) {
  return st.r == 1 && st.s == 1 && st.strides[0] == 1 && st.strides[1] == 1 && st.pads[0] == 0 && st.pads[1] == 0 &&
         st.pads[2] == 0 && st.pads[3] == 0 && st.c % 16 == 0 && st.auto_pad == "NOTSET";
}
// Scratch bytes of the cuBLASLt INT8 alternative (int32 accumulator + im2col), 0 when not offered:
// it writes 4 bytes per output and reads them back, so it can only win on small layers.
inline size_t Int8LtScratch(const Step& st, int64_t m) {
  if (st.kind != SK::kConvInt8 || st.group != 1 || st.w_dw) return 0;
  size_t need = AlignUp(static_cast<size_t>(m) * st.k * 4, 256) + (Int8LtPlain(st) ? 0 : AlignUp(static_cast<size_t>(m) * st.ldw, 256));
  return need <= (size_t(512) << 20) ? need : 0;
}



inline cuda::ConvGeom Geom(const Step& st, const std::vector<int64_t>& x, int64_t oh, int64_t ow, int pb, int qb) {
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
inline ConvOut ConvOutDims(const Step& st, const std::vector<int64_t>& x) {
  ConvOut o{};
  o.pb = st.pads[0];
  o.pe = st.pads[2];
  o.qb = st.pads[1];
  o.qe = st.pads[3];
  o.oh = WindowOut(x[2], st.r, st.strides[0], st.dil[0], &o.pb, &o.pe, st.auto_pad, false);
  o.ow = WindowOut(x[3], st.s, st.strides[1], st.dil[1], &o.qb, &o.qe, st.auto_pad, false);
  return o;
}

inline cuda::PoolDesc MakePool(const PoolAttr& pa0, const std::vector<int64_t>& x) {
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
inline int StorageAxis(int logical, bool is_nhwc) {
  if (!is_nhwc) return logical;
  for (int i = 0; i < 4; ++i) if (kPerm[i] == logical) return i;
  return logical;
}
inline std::vector<int64_t> StorageDims(const std::vector<int64_t>& d, bool is_nhwc) {
  if (!is_nhwc || d.size() != 4) return d;
  return {d[0], d[2], d[3], d[1]};
}
// Stride (elements) of each LOGICAL axis of a tensor in its storage (NHWC or contiguous).
inline std::vector<int64_t> LogicalStrides(const std::vector<int64_t>& d, bool is_nhwc) {
  const bool vn = is_nhwc && d.size() == 4;
  std::vector<int64_t> sst = ContiguousStrides(StorageDims(d, vn));
  std::vector<int64_t> lst(d.size());
  for (size_t a = 0; a < d.size(); ++a) lst[a] = sst[static_cast<size_t>(StorageAxis(static_cast<int>(a), vn))];
  return lst;
}
// The gather that writes output y (logical dims yd, NHWC storage when y_nhwc) whose logical element
// (j_0..j_r) is x's logical element with x axis src_axis[a] at j_a (plus x_offset elements): a
// Transpose (src_axis = perm) or a Split part (identity, offset along the axis); layouts folded in.
inline cuda::CopyDesc GatherDesc(const std::vector<int64_t>& xd, bool x_nhwc, const std::vector<int64_t>& yd, bool y_nhwc,
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

}  // namespace cuda_exec

using namespace cuda_exec;  // NOLINT: internal header of the executor's own files

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

}  // namespace edgeinfer::devices
