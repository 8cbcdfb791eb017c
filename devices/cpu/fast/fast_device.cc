// CpuFastDevice: plan once, run many times. Steps of BuildPlan:
//   1. Shapes: every value's dims at the actual input shapes (InferShapesAt, graph/shape_inference.h).
//   2. Steps: one per node in topological order: a oneDNN primitive with its memories
//      bound, an INT8 conv (s32 oneDNN conv + edgeinfer requantization), or the op table's
//      reference kernel on plain buffers. Layouts: convolutions choose theirs (format_tag::any);
//      every value remembers the layout it was written in, and a reorder step is added only where a
//      consumer needs another one (plain for reference kernels and data movement). Fused nodes made by
//      the compiler (ConvBiasAct, ConvEltwiseAct, ConvBiasActPool, GemmBiasAct) become one primitive
//      with post-ops (residual as sum/binary, activation as eltwise); the device matches no chains
//      itself (docs/device-contract.md): an unfused graph runs node by node.
//   3. Arena: each intermediate buffer has a [first step, last step] lifetime; the shared planner
//      (graph/memory_planner.h, greedy by size) packs them into one allocation and its checker
//      verifies the result. Primitives share one user scratchpad.
// Known limits: one plan is cached (a new input shape re-plans and re-packs weights); the residual
// of a sum post-op is overwritten in place only when nothing reads it later.
#include "devices/cpu/fast/fast_device.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include "devices/cpu/fast/dnnl_util.h"
#include "devices/cpu/fast/int8_conv.h"
#include "graph/memory_planner.h"
#include "graph/op_table.h"
#include "graph/ops/activation.h"
#include "graph/ops/conv.h"
#include "graph/ops/fused.h"
#include "graph/ops/gemm.h"
#include "graph/ops/pool.h"
#include "graph/quant/int8_kernels.h"
#include "graph/shape_inference.h"

namespace edgeinfer::devices {

using namespace fast;  // NOLINT

namespace {

constexpr size_t kAlign = 64;
size_t AlignUp(size_t x) { return (x + kAlign - 1) / kAlign * kAlign; }

struct AlignedBuf {
  std::unique_ptr<char, void (*)(void*)> p{nullptr, std::free};
  size_t bytes = 0;
  void Alloc(size_t b) {
    bytes = b;
    p.reset(static_cast<char*>(std::aligned_alloc(kAlign, AlignUp(std::max<size_t>(b, 1)))));
  }
  char* get() const { return p.get(); }
};

std::vector<int64_t> ToVec(const dnnl::memory::dims& d) { return std::vector<int64_t>(d.begin(), d.end()); }

// y = sat8(nearbyint(x / scale)), NaN -> 0: QuantizeLinearRef's formula for one scale, zero point 0.
__attribute__((target_clones("arch=x86-64-v4", "default")))
void QuantizeRun(const float* x, float scale, int8_t* y, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    float q = __builtin_nearbyintf(x[i] / scale);
    q = q != q ? 0.f : q;
    q = q < -128.f ? -128.f : (q > 127.f ? 127.f : q);
    y[i] = static_cast<int8_t>(q);
  }
}

// y = scale * float(q): DequantizeLinearRef's formula for zero point 0.
__attribute__((target_clones("arch=x86-64-v4", "default")))
void DequantizeRun(const int8_t* x, float scale, float* y, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = scale * static_cast<float>(x[i]);
}

// oneDNN's end padding for pooling axis i: the declared one when floor arithmetic already gives the
// output extent, else (ceil_mode) the padding that makes the last window exist; -1 if none works.
int64_t PoolPadEnd(const ops::PoolParams& q, size_t i) {
  const int64_t eff = (q.kernel[i] - 1) * q.dilations[i] + 1;
  const int64_t in = q.in_dims[i], pl = q.pads_begin[i], s = q.strides[i];
  if ((in + pl + q.pads_end[i] - eff) >= 0 && (in + pl + q.pads_end[i] - eff) / s + 1 == q.out_dims[i]) return q.pads_end[i];
  const int64_t pr = (q.out_dims[i] - 1) * s + eff - in - pl;
  return pr >= 0 && (in + pl + pr - eff) / s + 1 == q.out_dims[i] ? pr : -1;
}

// oneDNN's pooling geometry for `q`: kernel, strides, dilations (oneDNN counts from 0), begin and
// end padding (PoolPadEnd), output dims. False when no end padding reproduces the output extent.
struct DnnlPoolDims {
  dnnl::memory::dims k, s, d, l, r, od;
  bool overhang = false;   // some end padding differs from the declared one (ceil mode)
};
bool MakeDnnlPoolDims(const ops::PoolParams& q, DnnlPoolDims* out) {
  DnnlPoolDims g;
  g.od = {q.batch, q.channels};
  for (size_t i = 0; i < q.spatial; ++i) {
    const int64_t pr = PoolPadEnd(q, i);
    if (pr < 0) return false;
    g.overhang = g.overhang || pr != q.pads_end[i];
    g.k.push_back(q.kernel[i]);
    g.s.push_back(q.strides[i]);
    g.d.push_back(q.dilations[i] - 1);
    g.l.push_back(q.pads_begin[i]);
    g.r.push_back(pr);
    g.od.push_back(q.out_dims[i]);
  }
  *out = std::move(g);
  return true;
}

bool IsActivationOp(const std::string& op) {
  return op == "Relu" || op == "LeakyRelu" || op == "Clip" || op == "Sigmoid" || op == "Tanh" ||
         op == "HardSigmoid" || op == "HardSwish";
}
bool IsConvLike(const std::string& op) {
  return op == "Conv" || op == "ConvBiasAct" || op == "ConvEltwiseAct" || op == "ConvBiasActPool";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
struct CpuFastDevice::Plan {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  std::vector<std::vector<int64_t>> key;

  // Where a value's bytes live: an arena buffer, external memory (a constant), or a graph input.
  struct Ref {
    dnnl::memory::desc md;   // zero desc for dtypes oneDNN lacks (always plain then)
    int buf = -1;
    const void* ext = nullptr;
    int input = -1;
    bool Plain() const { return md.data.ndims == 0 || IsPlain(md); }
  };
  struct Val {
    bool known = false;
    DType dtype = DType::kUndefined;
    std::vector<int64_t> dims;
    Ref home;
    std::vector<Ref> alts;   // copies in other layouts, made on demand
  };
  struct Buf {
    size_t bytes = 0;
    int first = INT_MAX, last = -1;
    size_t offset = 0;
  };

  std::vector<Val> vals;
  std::vector<Buf> bufs;
  std::vector<std::vector<ValueId>> buf_vals;
  std::vector<std::pair<dnnl::memory, int>> arena_fix, input_fix;
  std::vector<dnnl::memory> scratch_fix;
  std::vector<std::function<void()>> steps;
  std::vector<std::string> explain;
  std::vector<std::unique_ptr<AlignedBuf>> owned;
  std::vector<std::unique_ptr<Int8Conv>> int8_convs;
  size_t packed_bytes = 0, scratch_bytes = 0, arena_size = 0;
  MemoryPlan arena_plan;   // the arena's buffers as planned (graph/memory_planner.h)
  AlignedBuf arena, scratch;
  std::vector<const void*> input_ptrs;
  std::vector<dnnl::memory> out_mems;   // per graph output, plain, handle set per launch
  std::vector<void*> out_ptrs;
  Status run_error;
  std::vector<double> step_ms;   // CpuFastOptions::profile: summed host time per step
  int profiled_runs = 0;

  char* Ptr(const Ref& r) const {
    if (r.buf >= 0) return arena.get() + bufs[static_cast<size_t>(r.buf)].offset;
    if (r.input >= 0) return const_cast<char*>(static_cast<const char*>(input_ptrs[static_cast<size_t>(r.input)]));
    return const_cast<char*>(static_cast<const char*>(r.ext));
  }
};

namespace {

using Plan = CpuFastDevice::Plan;

// A planning failure deep inside the builder (a reorder oneDNN refuses); caught in BuildPlan.
struct PlanError {
  std::string message;
  explicit PlanError(std::string m) : message(std::move(m)) {}
};
using Ref = Plan::Ref;

class Builder {
 public:
  Builder(const Graph& g, Plan& p, const CpuFastOptions& o) : g_(g), P(p), options_(o) {}

  Status Build(const std::vector<std::vector<int64_t>>& input_dims);

 private:
  // ---- values and buffers ----
  int NewBuf(size_t bytes) {
    P.bufs.push_back({bytes});
    P.buf_vals.emplace_back();
    return static_cast<int>(P.bufs.size()) - 1;
  }
  int Cur() const { return static_cast<int>(P.steps.size()); }
  void Touch(const Ref& r) {
    if (r.buf < 0) return;
    Plan::Buf& b = P.bufs[static_cast<size_t>(r.buf)];
    b.first = std::min(b.first, Cur());
    b.last = std::max(b.last, Cur());
  }
  // A memory object for r, bound now (constants) or when the arena / inputs exist.
  dnnl::memory Mem(const Ref& r, const dnnl::memory::desc* md_override = nullptr) {
    const dnnl::memory::desc& md = md_override ? *md_override : r.md;
    Touch(r);
    if (r.buf >= 0) {
      dnnl::memory m(md, P.eng, DNNL_MEMORY_NONE);
      P.arena_fix.push_back({m, r.buf});
      return m;
    }
    if (r.input >= 0) {
      dnnl::memory m(md, P.eng, DNNL_MEMORY_NONE);
      P.input_fix.push_back({m, r.input});
      return m;
    }
    return dnnl::memory(md, P.eng, const_cast<void*>(r.ext));
  }
  dnnl::memory Scratch(const dnnl::memory::desc& sd) {
    P.scratch_bytes = std::max(P.scratch_bytes, sd.get_size());
    dnnl::memory m(sd, P.eng, DNNL_MEMORY_NONE);
    P.scratch_fix.push_back(m);
    return m;
  }
  size_t Bytes(ValueId v) const {
    const Plan::Val& s = P.vals[static_cast<size_t>(v)];
    int64_t n = 1;
    for (int64_t d : s.dims) n *= d;
    return static_cast<size_t>(n) * DTypeSize(s.dtype);
  }
  dnnl::memory::desc PlainOf(ValueId v) const {
    const Plan::Val& s = P.vals[static_cast<size_t>(v)];
    dnnl_dt t = ToDnnl(s.dtype);
    if (t == dnnl_dt::undef) return dnnl::memory::desc();
    return PlainMd(s.dims, t);
  }
  // Makes v live in a new arena buffer with layout md (plain when md is empty).
  Ref Define(ValueId v, const dnnl::memory::desc& md) {
    Plan::Val& s = P.vals[static_cast<size_t>(v)];
    Ref r;
    r.md = md;
    size_t bytes = md.data.ndims ? md.get_size() : Bytes(v);
    r.buf = NewBuf(bytes);
    P.buf_vals[static_cast<size_t>(r.buf)].push_back(v);
    s.home = r;
    s.alts.clear();
    return r;
  }
  Ref DefinePlain(ValueId v) { return Define(v, PlainOf(v)); }
  // v shares the bytes of `src` (a plain alias: Reshape and friends).
  void Alias(ValueId v, const Ref& src) {
    Plan::Val& s = P.vals[static_cast<size_t>(v)];
    s.home = src;
    s.home.md = PlainOf(v);
    s.alts.clear();
    if (src.buf >= 0) P.buf_vals[static_cast<size_t>(src.buf)].push_back(v);
  }
  const Ref& Home(ValueId v) const { return P.vals[static_cast<size_t>(v)].home; }
  // v in layout `want`; adds a reorder step (cached per layout) when it lives in another one.
  Ref As(ValueId v, const dnnl::memory::desc& want) {
    Plan::Val& s = P.vals[static_cast<size_t>(v)];
    if (want.data.ndims == 0 || s.home.md == want) return s.home;
    for (const Ref& a : s.alts) if (a.md == want) return a;
    Ref src = s.home;
    Ref dst;
    dst.md = want;
    dst.buf = NewBuf(want.get_size());
    dnnl::memory ms = Mem(src), md = Mem(dst);
    dnnl::reorder r;
    try {
      r = dnnl::reorder(ms, md);
    } catch (const dnnl::error& e) {
      throw PlanError("reorder of '" + g_.value(v).name + "' " + Shape(s.dims).ToString() + " (" +
                      (src.md.data.ndims ? std::to_string(src.md.data.format_kind) : "raw") + " -> " +
                      std::to_string(want.data.format_kind) + "): " + e.what());
    }
    P.steps.push_back([this_plan = &P, r, ms, md]() mutable { r.execute(this_plan->strm, ms, md); });
    P.explain.push_back("  reorder '" + g_.value(v).name + "' to the layout its consumer needs");
    s.alts.push_back(dst);
    return dst;
  }
  Ref AsPlain(ValueId v) { return As(v, PlainOf(v)); }

  void PushPrim(const std::string& what, const dnnl::primitive& prim, std::unordered_map<int, dnnl::memory> args) {
    Plan* p = &P;
    P.steps.push_back([p, prim, args]() { prim.execute(p->strm, args); });
    P.explain.push_back(what);
  }
  const Tensor* Const(ValueId v) const {
    if (v == kNoValue) return nullptr;
    return g_.value(v).IsConstant() ? g_.value(v).constant.get() : nullptr;
  }
  const std::vector<int64_t>& Dims(ValueId v) const { return P.vals[static_cast<size_t>(v)].dims; }
  DType Dt(ValueId v) const { return P.vals[static_cast<size_t>(v)].dtype; }
  std::string Label(NodeId id) const { return g_.Label(id); }
  char* Pack(const dnnl::memory::desc& md, dnnl::memory src) {
    auto b = std::make_unique<AlignedBuf>();
    b->Alloc(md.get_size());
    P.packed_bytes += md.get_size();
    dnnl::memory dst(md, P.eng, b->get());
    dnnl::reorder(src, dst).execute(P.strm, src, dst);
    P.strm.wait();
    char* ptr = b->get();
    P.owned.push_back(std::move(b));
    return ptr;
  }
  float* OwnFloats(const std::vector<float>& v) {
    auto b = std::make_unique<AlignedBuf>();
    b->Alloc(v.size() * sizeof(float));
    std::memcpy(b->get(), v.data(), v.size() * sizeof(float));
    P.packed_bytes += v.size() * sizeof(float);
    float* ptr = reinterpret_cast<float*>(b->get());
    P.owned.push_back(std::move(b));
    return ptr;
  }

  // ---- passes ----
  Status BindShapes(const std::vector<std::vector<int64_t>>& input_dims);
  NodeId SingleConsumer(ValueId v) const {
    if (g_.IsGraphOutput(v)) return kNoNode;
    const auto& c = consumers_[static_cast<size_t>(v)];
    return c.size() == 1 ? c[0] : kNoNode;
  }
  bool SumInPlaceSafe(ValueId residual, NodeId at_node, ValueId x) const;

  // ---- per-op builders: true = handled, false = not mappable (falls back to the reference) ----
  Result<bool> BuildConv(NodeId id);
  Result<bool> BuildInt8Conv(NodeId id);
  Result<bool> BuildQdq(NodeId id);
  Result<bool> BuildDeconv(NodeId id);
  Result<bool> BuildInnerProduct(NodeId id);
  Result<bool> BuildPool(NodeId id);
  Result<bool> BuildEltwise(NodeId id);
  Result<bool> BuildBinary(NodeId id);
  Result<bool> BuildBatchNorm(NodeId id);
  Result<bool> BuildSoftmax(NodeId id);
  Result<bool> BuildConcat(NodeId id);
  Result<bool> BuildAlias(NodeId id);
  Result<bool> BuildTranspose(NodeId id);
  Result<bool> BuildSplit(NodeId id);
  Status BuildReference(NodeId id);
  Status BuildOutputs();
  Status LayOutArena();

  const Graph& g_;
  Plan& P;
  const CpuFastOptions& options_;
  std::vector<NodeId> order_;
  std::vector<int> pos_;   // topological position of each node id
  std::vector<std::vector<NodeId>> consumers_;
  std::vector<bool> nonneg_;   // int8 values known to be >= 0 (read as uint8 by INT8 convs)
};

// Every value's dtype and dims at these input dims (graph/shape_inference.h), and where constants
// and graph inputs live.
Status Builder::BindShapes(const std::vector<std::vector<int64_t>>& input_dims) {
  EI_ASSIGN_OR_RETURN(std::vector<BoundShape> shapes, InferShapesAt(g_, input_dims));
  P.vals.assign(g_.num_values(), {});
  for (size_t i = 0; i < g_.num_values(); ++i) {
    Plan::Val& s = P.vals[i];
    s.known = shapes[i].known;
    s.dtype = shapes[i].dtype;
    s.dims = std::move(shapes[i].dims);
    const Value& v = g_.value(static_cast<ValueId>(i));
    if (v.IsConstant()) s.home.ext = v.constant->raw();
  }
  for (size_t i = 0; i < g_.inputs().size(); ++i) P.vals[static_cast<size_t>(g_.inputs()[i])].home.input = static_cast<int>(i);
  for (Plan::Val& s : P.vals) {
    if (!s.known || (s.home.ext == nullptr && s.home.input < 0)) continue;
    dnnl_dt t = ToDnnl(s.dtype);
    if (t != dnnl_dt::undef) s.home.md = PlainMd(s.dims, t);
  }
  return Status::Ok();
}

// The residual's buffer may take the conv's output in place when nothing reads it afterwards.
bool Builder::SumInPlaceSafe(ValueId residual, NodeId at_node, ValueId x) const {
  const Ref& r = Home(residual);
  if (r.buf < 0) return false;
  if (Home(x).buf == r.buf) return false;
  for (const Ref& a : P.vals[static_cast<size_t>(x)].alts) if (a.buf == r.buf) return false;
  const int at = pos_[static_cast<size_t>(at_node)];
  for (ValueId u : P.buf_vals[static_cast<size_t>(r.buf)]) {
    if (g_.IsGraphOutput(u)) return false;
    for (NodeId cons : consumers_[static_cast<size_t>(u)]) {
      if (pos_[static_cast<size_t>(cons)] > at) return false;
    }
  }
  return true;
}

// ---- Conv (FP32): plain Conv or a fused node from the compiler ----
Result<bool> Builder::BuildConv(NodeId id) {
  const Node& n = g_.node(id);
  const bool fused = n.op != "Conv";
  if (Dt(n.inputs[0]) != DType::kFloat32) return false;
  const ValueId x = n.inputs[0], wv = n.inputs[1];
  const ValueId bv = n.inputs.size() > 2 ? n.inputs[2] : kNoValue;
  const Tensor* w = Const(wv);
  const Tensor* b = Const(bv);
  if (!w || (bv != kNoValue && !b)) return false;   // weights computed at run time: reference
  Node part = fused ? ops::ConvPartOf(n) : n;
  EI_ASSIGN_OR_RETURN(ops::ConvParams cp, ops::ParseConv(part, Shape(Dims(x)), Shape(w->dims())));
  const int64_t M = cp.out_channels, C = cp.in_channels, G = cp.group;

  // Parts of a fused node: residual, activation, pool.
  std::optional<ops::ActParams> act;
  ValueId residual = kNoValue;
  std::optional<ops::PoolParams> pool;
  const ValueId out = n.outputs[0];
  const float* wptr = w->data<float>();
  const float* bptr = b ? b->data<float>() : nullptr;
  if (fused) {
    EI_ASSIGN_OR_RETURN(act, ops::ParseFusedActivation(n.attrs));
    if (n.op == "ConvEltwiseAct") residual = n.inputs[3];
    if (n.op == "ConvBiasActPool") {
      Node pp = ops::PoolPartOf(n);
      std::vector<int64_t> conv_out = {cp.batch, M};
      conv_out.insert(conv_out.end(), cp.out_dims.begin(), cp.out_dims.end());
      EI_ASSIGN_OR_RETURN(ops::PoolParams pl, ops::ParsePool(pp, Shape(conv_out)));
      if (pl.kind == ops::PoolKind::kAverage && pl.count_include_pad) return false;
      pool = pl;
    }
  }

  // Descriptors.
  const size_t sp = cp.spatial;
  dnnl::memory::dims src_d = {cp.batch, C}, dst_d = {cp.batch, M}, w_d, strides, dil, pl, pr;
  for (size_t i = 0; i < sp; ++i) {
    src_d.push_back(cp.in_dims[i]);
    dst_d.push_back(cp.out_dims[i]);
    strides.push_back(cp.strides[i]);
    dil.push_back(cp.dilations[i] - 1);
    pl.push_back(cp.pads_begin[i]);
    pr.push_back(cp.pads_end[i]);
  }
  std::vector<int64_t> wdims;
  if (G == 1) wdims = {M, C};
  else wdims = {G, M / G, C / G};
  for (size_t i = 0; i < sp; ++i) wdims.push_back(cp.kernel[i]);
  w_d = ToDims(wdims);
  const dnnl::memory::desc w_plain = PlainMd(wdims, dnnl_dt::f32);
  const dnnl::memory::desc w_any(w_d, dnnl_dt::f32, dnnl_tag::any);
  const dnnl::memory::desc b_md = PlainMd({M}, dnnl_dt::f32);
  const dnnl::memory::desc dst_any(dst_d, dnnl_dt::f32, dnnl_tag::any);
  const Ref& xh = Home(x);
  const dnnl::memory::desc src_any(src_d, dnnl_dt::f32, dnnl_tag::any);

  // Residual mode: in-place sum (cheapest), binary post-op, or none (then the Add and the
  // activation run as one binary primitive after the conv).
  enum class Res { kNone, kSum, kBinary } res = Res::kNone;
  if (residual != kNoValue) {
    res = SumInPlaceSafe(residual, id, x) ? Res::kSum : Res::kBinary;
  }
  std::optional<ops::ActParams> conv_act = act;
  auto make_pd = [&](const dnnl::memory::desc& src, const dnnl::memory::desc& dst, Res mode, const dnnl::memory::desc& r_md,
                     dnnl::algorithm alg) -> std::optional<dnnl::convolution_forward::primitive_desc> {
    dnnl::post_ops po;
    if (mode == Res::kSum) po.append_sum(1.f);
    if (mode == Res::kBinary) po.append_binary(dnnl::algorithm::binary_add, r_md);
    if (conv_act && !AppendActivation(*conv_act, &po)) return std::nullopt;
    dnnl::primitive_attr attr;
    attr.set_post_ops(po);
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    try {
      dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, alg, src, w_any, bptr ? b_md : dnnl::memory::desc(),
                                        dst, strides, dil, pl, pr);
      auto pd = dnnl::convolution_forward::primitive_desc(d, attr, P.eng);
      if (!IsSlowImpl(ImplName(pd))) return pd;
    } catch (const dnnl::error&) {
    }
    return std::nullopt;
  };
  // Winograd (F(4x4,3x3) or F(2x2,3x3), oneDNN's choice) for 3x3 stride-1 convolutions: 1.5-2.4x
  // faster than direct on these CPUs for ResNet's layers; it wants nChw16c, so a neighbour in
  // another layout costs one reorder. Error stays within the FP32 tolerance (tests, bench).
  const bool wino = options_.winograd && sp == 2 && cp.kernel[0] == 3 && cp.kernel[1] == 3 && cp.strides[0] == 1 &&
                    cp.strides[1] == 1 && cp.dilations[0] == 1 && cp.dilations[1] == 1 && G == 1;
  const dnnl::memory::desc src_pref = xh.Plain() ? src_any : xh.md;
  dnnl::algorithm chosen = dnnl::algorithm::convolution_direct;
  // Tries Winograd then direct, each with the producer's layout first, then any layout.
  auto search = [&](const dnnl::memory::desc& dst, Res mode,
                    const dnnl::memory::desc& r_md) -> std::optional<dnnl::convolution_forward::primitive_desc> {
    std::vector<dnnl::algorithm> algs;
    if (wino) algs.push_back(dnnl::algorithm::convolution_winograd);
    algs.push_back(dnnl::algorithm::convolution_direct);
    for (dnnl::algorithm alg : algs) {
      for (const dnnl::memory::desc* src : {&src_pref, &src_any}) {
        if (src == &src_any && src_pref == src_any) continue;
        auto r = make_pd(*src, dst, mode, r_md, alg);
        if (r) {
          chosen = alg;
          return r;
        }
      }
    }
    return std::nullopt;
  };

  std::optional<dnnl::convolution_forward::primitive_desc> pd;
  dnnl::memory::desc r_md;
  if (res == Res::kSum) {
    r_md = Home(residual).md;
    pd = search(r_md, Res::kSum, r_md);
    if (!pd) res = Res::kBinary;
  }
  if (res == Res::kBinary) {
    // Ask for the layout the conv wants, then feed the residual in that layout. A fused residual
    // beats Winograd (which takes no binary post-op): try each algorithm until one takes both.
    std::vector<dnnl::algorithm> algs;
    if (wino) algs.push_back(dnnl::algorithm::convolution_winograd);
    algs.push_back(dnnl::algorithm::convolution_direct);
    for (dnnl::algorithm alg : algs) {
      auto probe = make_pd(src_pref, dst_any, Res::kNone, {}, alg);
      if (!probe && src_pref != src_any) probe = make_pd(src_any, dst_any, Res::kNone, {}, alg);
      if (!probe) continue;
      r_md = probe->dst_desc();
      pd = make_pd(probe->src_desc(), r_md, Res::kBinary, r_md, alg);
      if (pd) {
        chosen = alg;
        break;
      }
    }
    if (!pd) res = Res::kNone;
  }
  if (!pd) {
    if (residual != kNoValue) conv_act.reset();   // act applies after the separate residual add
    pd = search(dst_any, Res::kNone, {});
    if (!pd) return false;
  }

  // Pack weights once.
  dnnl::memory w_src(w_plain, P.eng, const_cast<float*>(wptr));
  char* wpacked = Pack(pd->weights_desc(), w_src);
  Ref wref;
  wref.md = pd->weights_desc();
  wref.ext = wpacked;

  // Bind.
  Ref src = As(x, pd->src_desc());
  Ref rres;
  if (res == Res::kBinary) rres = As(residual, r_md);
  Ref dst;
  const bool separate_residual = residual != kNoValue && res == Res::kNone;
  ValueId conv_out_value = (pool || separate_residual) ? kNoValue : out;
  if (res == Res::kSum) {
    dst = Home(residual);
  } else if (conv_out_value != kNoValue) {
    dst = Define(conv_out_value, pd->dst_desc());
  } else {
    dst.md = pd->dst_desc();
    dst.buf = NewBuf(pd->dst_desc().get_size());
  }
  std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, Mem(src)}, {DNNL_ARG_WEIGHTS, Mem(wref)},
                                                {DNNL_ARG_DST, Mem(dst)}, {DNNL_ARG_SCRATCHPAD, Scratch(pd->scratchpad_desc())}};
  if (bptr) {
    Ref bref;
    bref.md = b_md;
    bref.ext = bptr;
    args[DNNL_ARG_BIAS] = Mem(bref);
  }
  if (res == Res::kBinary) args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] = Mem(rres);
  std::string mode = res == Res::kSum ? " (residual: in-place sum)" : (res == Res::kBinary ? " (residual: binary post-op)" : "");
  PushPrim(Label(id) + ": " + ImplName(*pd) + mode, dnnl::convolution_forward(*pd), args);
  if (res == Res::kSum) {
    // The output is the residual's buffer, now holding conv + residual (+ act).
    Plan::Val& s = P.vals[static_cast<size_t>(out)];
    s.home = dst;
    s.alts.clear();
    P.buf_vals[static_cast<size_t>(dst.buf)].push_back(out);
    // The residual value itself is dead from here (checked by SumInPlaceSafe); drop its copies.
    P.vals[static_cast<size_t>(residual)].alts.clear();
  }

  if (separate_residual) {
    // out = act(conv + residual) with a binary primitive (src0 = conv output).
    try {
      Ref r = As(residual, dst.md);
      dnnl::post_ops po;
      if (act) AppendActivation(*act, &po);
      dnnl::primitive_attr attr;
      attr.set_post_ops(po);
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      dnnl::binary::desc d(dnnl::algorithm::binary_add, dst.md, dst.md, dst.md);
      dnnl::binary::primitive_desc bpd(d, attr, P.eng);
      Ref o = Define(out, dst.md);
      PushPrim(Label(id) + " residual Add: " + ImplName(bpd), dnnl::binary(bpd),
               {{DNNL_ARG_SRC_0, Mem(dst)}, {DNNL_ARG_SRC_1, Mem(r)}, {DNNL_ARG_DST, Mem(o)},
                {DNNL_ARG_SCRATCHPAD, Scratch(bpd.scratchpad_desc())}});
    } catch (const dnnl::error& e) {
      return Status::Error(Label(id) + ": oneDNN refused the residual add: " + e.what());
    }
  }
  if (pool) {
    const ops::PoolParams& q = *pool;
    DnnlPoolDims pg;
    if (!MakeDnnlPoolDims(q, &pg)) return Status::Error(Label(id) + ": pooling window arithmetic out of range");
    try {
      dnnl::pooling_v2_forward::desc pdsc(dnnl::prop_kind::forward_inference,
                                          q.kind == ops::PoolKind::kMax ? dnnl::algorithm::pooling_max
                                                                        : dnnl::algorithm::pooling_avg_exclude_padding,
                                          dst.md, dnnl::memory::desc(pg.od, dnnl_dt::f32, dnnl_tag::any), pg.s, pg.k, pg.d,
                                          pg.l, pg.r);
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      dnnl::pooling_v2_forward::primitive_desc ppd(pdsc, attr, P.eng);
      Ref o = Define(out, ppd.dst_desc());
      PushPrim(Label(id) + " pool: " + ImplName(ppd), dnnl::pooling_v2_forward(ppd),
               {{DNNL_ARG_SRC, Mem(dst)}, {DNNL_ARG_DST, Mem(o)}, {DNNL_ARG_SCRATCHPAD, Scratch(ppd.scratchpad_desc())}});
    } catch (const dnnl::error& e) {
      return Status::Error(Label(id) + ": oneDNN refused the fused pooling: " + e.what());
    }
  }
  return true;
}

// ---- INT8 conv: fused nodes (and Conv) whose X is int8, scales as node attributes ----
Result<bool> Builder::BuildInt8Conv(NodeId id) {
  const Node& n = g_.node(id);
  const ValueId x = n.inputs[0];
  const Tensor* w = Const(n.inputs[1]);
  const ValueId bv = n.inputs.size() > 2 ? n.inputs[2] : kNoValue;
  const Tensor* b = Const(bv);
  if (!w || w->dtype() != DType::kInt8 || (bv != kNoValue && (!b || b->dtype() != DType::kInt32))) return false;
  if (Dims(x).size() != 4) return false;
  std::optional<ops::PoolParams> pool;
  EI_ASSIGN_OR_RETURN(int8::Conv2DGeometry geo, int8::ResolveConv2D(n.attrs, Dims(x), w->dims()));
  if (n.op == "ConvBiasActPool") {
    // Pooling at y_scale in the int8 domain: max is exact in oneDNN; average rounds differently
    // from the reference (half away from zero), so it stays on the reference kernel.
    EI_ASSIGN_OR_RETURN(ops::PoolParams pl, ops::ParsePool(ops::PoolPartOf(n), Shape({geo.n, geo.k, geo.oh, geo.ow})));
    if (pl.kind != ops::PoolKind::kMax) return false;
    pool = pl;
  }
  std::optional<ops::ActParams> act;
  if (n.op != "Conv") { EI_ASSIGN_OR_RETURN(act, ops::ParseFusedActivation(n.attrs)); }
  const bool has_res = n.op == "ConvEltwiseAct";
  EI_ASSIGN_OR_RETURN(int8::Epilogue e,
                      int8::MakeEpilogue(act.value_or(ops::ActParams{ops::ActKind::kIdentity}), act.has_value(),
                                         n.attrs.GetFloat("x_scale", 0.f), n.attrs.GetFloats("w_scale"),
                                         n.attrs.GetFloat("y_scale", 0.f), n.attrs.GetFloat("act_in_scale", 0.f), has_res,
                                         n.attrs.GetFloat("r_scale", 0.f)));
  bool out_nonneg = e.mode == int8::Epilogue::Mode::kRelu || (e.mode == int8::Epilogue::Mode::kClamp && e.lo >= 0);
  if (e.mode == int8::Epilogue::Mode::kLut) {
    out_nonneg = true;
    for (int8_t v : e.lut) out_nonneg = out_nonneg && v >= 0;
  }
  const bool in_nonneg = nonneg_[static_cast<size_t>(x)];
  EI_ASSIGN_OR_RETURN(std::unique_ptr<Int8Conv> cv, Int8Conv::Create(geo, w->data<int8_t>(), b ? b->data<int32_t>() : nullptr,
                                                                      std::move(e), P.eng, in_nonneg));
  Int8Conv* c = cv.get();
  P.packed_bytes += c->weight_bytes();
  P.int8_convs.push_back(std::move(cv));
  // A nonnegative int8 tensor is read as uint8 in place: same bytes, no reorder.
  dnnl::memory::desc s8_src = ChannelsLastMd(Dims(x), dnnl_dt::s8);
  Ref xr = As(x, s8_src);
  xr.md = c->src_md();
  Ref rr;
  if (has_res) rr = As(n.inputs[3], c->dst_md());
  Ref acc;
  acc.buf = NewBuf(c->acc_bytes());
  Ref y;
  if (pool) {
    y.md = c->dst_md();
    y.buf = NewBuf(c->dst_md().get_size());
  } else {
    y = Define(n.outputs[0], c->dst_md());
  }
  Touch(xr);
  Touch(rr);
  Touch(acc);
  Touch(y);
  P.scratch_bytes = std::max(P.scratch_bytes, c->scratch_bytes());
  Plan* p = &P;
  P.steps.push_back([p, c, xr, rr, acc, y, has_res]() {
    c->Run(p->strm, reinterpret_cast<const int8_t*>(p->Ptr(xr)), has_res ? reinterpret_cast<const int8_t*>(p->Ptr(rr)) : nullptr,
           reinterpret_cast<int8_t*>(p->Ptr(y)), reinterpret_cast<int32_t*>(p->Ptr(acc)), p->scratch.get());
  });
  P.explain.push_back(Label(id) + " INT8: " + c->impl() +
                      (in_nonneg ? " u8" : (c->shifted_source() ? " (x+128 as u8, zero point 128)" : " s8")) +
                      "*s8->s32 + edgeinfer requantization");
  if (pool) {
    const ops::PoolParams& q = *pool;
    DnnlPoolDims pg;
    if (!MakeDnnlPoolDims(q, &pg)) return Status::Error(Label(id) + ": pooling window arithmetic out of range");
    try {
      dnnl::pooling_v2_forward::desc pdsc(dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, y.md,
                                          ChannelsLastMd(ToVec(pg.od), dnnl_dt::s8), pg.s, pg.k, pg.d, pg.l, pg.r);
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      dnnl::pooling_v2_forward::primitive_desc ppd(pdsc, attr, P.eng);
      Ref o = Define(n.outputs[0], ppd.dst_desc());
      PushPrim(Label(id) + " INT8 max pool: " + ImplName(ppd), dnnl::pooling_v2_forward(ppd),
               {{DNNL_ARG_SRC, Mem(y)}, {DNNL_ARG_DST, Mem(o)}, {DNNL_ARG_SCRATCHPAD, Scratch(ppd.scratchpad_desc())}});
    } catch (const dnnl::error& err) {
      return Status::Error(Label(id) + ": oneDNN refused the INT8 max pooling: " + err.what());
    }
  }
  nonneg_[static_cast<size_t>(n.outputs[0])] = out_nonneg;
  return true;
}

// QuantizeLinear / DequantizeLinear with one scale and a zero point of 0 (what the compiler's
// quantizer emits), on whatever dense layout the input has: elementwise, so no reorder.
Result<bool> Builder::BuildQdq(NodeId id) {
  const Node& n = g_.node(id);
  const bool quant = n.op == "QuantizeLinear";
  const ValueId x = n.inputs[0], out = n.outputs[0];
  const Tensor* sc = Const(n.inputs[1]);
  if (!sc || sc->numel() != 1 || sc->dtype() != DType::kFloat32) return false;
  if (n.inputs.size() > 2 && n.inputs[2] != kNoValue) {
    const Tensor* zp = Const(n.inputs[2]);
    if (!zp || zp->numel() != 1 || zp->GetAsInt64(0) != 0) return false;
  }
  if (quant ? (Dt(x) != DType::kFloat32 || Dt(out) != DType::kInt8) : (Dt(x) != DType::kInt8 || Dt(out) != DType::kFloat32)) {
    return false;
  }
  const Ref xh = Home(x);
  if (xh.md.data.ndims == 0) return false;
  // Dense strided layouts only (plain, channels-last): same element order for both dtypes.
  Ref src = xh.md.data.format_kind == dnnl_blocked && xh.md.data.format_desc.blocking.inner_nblks == 0 ? xh : AsPlain(x);
  dnnl::memory::dims strides(src.md.data.format_desc.blocking.strides, src.md.data.format_desc.blocking.strides + src.md.data.ndims);
  dnnl::memory::desc omd(src.md.dims(), quant ? dnnl_dt::s8 : dnnl_dt::f32, strides);
  Ref dst = Define(out, omd);
  Touch(src);
  Touch(dst);
  const float scale = sc->data<float>()[0];
  const int64_t count = static_cast<int64_t>(omd.get_size() / (quant ? 1 : 4));
  Plan* p = &P;
  if (quant) {
    P.steps.push_back([p, src, dst, scale, count]() {
      QuantizeRun(reinterpret_cast<const float*>(p->Ptr(src)), scale, reinterpret_cast<int8_t*>(p->Ptr(dst)), count);
    });
  } else {
    P.steps.push_back([p, src, dst, scale, count]() {
      DequantizeRun(reinterpret_cast<const int8_t*>(p->Ptr(src)), scale, reinterpret_cast<float*>(p->Ptr(dst)), count);
    });
  }
  P.explain.push_back(Label(id) + ": vectorised " + (quant ? "quantize" : "dequantize") + " (per tensor, zero point 0)");
  return true;
}

Result<bool> Builder::BuildDeconv(NodeId id) {
  const Node& n = g_.node(id);
  const ValueId x = n.inputs[0];
  const Tensor* w = Const(n.inputs[1]);
  const ValueId bv = n.inputs.size() > 2 ? n.inputs[2] : kNoValue;
  const Tensor* b = Const(bv);
  if (Dt(x) != DType::kFloat32 || !w || (bv != kNoValue && !b)) return false;
  EI_ASSIGN_OR_RETURN(ops::ConvParams cp, ops::ParseConvTranspose(n, Shape(Dims(x)), Shape(w->dims())));
  const int64_t M = cp.out_channels, C = cp.in_channels, G = cp.group;
  const size_t sp = cp.spatial;
  dnnl::memory::dims src_d = {cp.batch, C}, dst_d = {cp.batch, M}, strides, dil, pl, pr;
  int64_t ksz = 1;
  for (size_t i = 0; i < sp; ++i) {
    src_d.push_back(cp.in_dims[i]);
    dst_d.push_back(cp.out_dims[i]);
    strides.push_back(cp.strides[i]);
    dil.push_back(cp.dilations[i] - 1);
    pl.push_back(cp.pads_begin[i]);
    const int64_t eff = (cp.kernel[i] - 1) * cp.dilations[i] + 1;
    const int64_t r = (cp.in_dims[i] - 1) * cp.strides[i] + eff - cp.pads_begin[i] - cp.out_dims[i];
    if (r < 0) return false;
    pr.push_back(r);
    ksz *= cp.kernel[i];
  }
  // ONNX W is [C, M/G, k...] = (g, i, o, k...); oneDNN wants dims (g, o, i, k...): describe by strides.
  dnnl::memory::dims wd, ws;
  const int64_t mg = M / G, cg = C / G;
  if (G == 1) {
    wd = {M, C};
    ws = {ksz, M * ksz};
  } else {
    wd = {G, mg, cg};
    ws = {cg * mg * ksz, ksz, mg * ksz};
  }
  int64_t st = ksz;
  for (size_t i = 0; i < sp; ++i) {
    wd.push_back(cp.kernel[i]);
    st /= cp.kernel[i];
    ws.push_back(st);
  }
  try {
    dnnl::memory::desc w_src_md(wd, dnnl_dt::f32, ws);
    dnnl::memory::desc b_md = PlainMd({M}, dnnl_dt::f32);
    const Ref& xh = Home(x);
    dnnl::memory::desc src_md = xh.Plain() ? dnnl::memory::desc(src_d, dnnl_dt::f32, dnnl_tag::any) : xh.md;
    dnnl::deconvolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct, src_md,
                                        dnnl::memory::desc(wd, dnnl_dt::f32, dnnl_tag::any), b ? b_md : dnnl::memory::desc(),
                                        dnnl::memory::desc(dst_d, dnnl_dt::f32, dnnl_tag::any), strides, dil, pl, pr);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::deconvolution_forward::primitive_desc pd(d, attr, P.eng);
    dnnl::memory wsrc(w_src_md, P.eng, const_cast<void*>(w->raw()));
    Ref wref;
    wref.md = pd.weights_desc();
    wref.ext = Pack(pd.weights_desc(), wsrc);
    Ref src = As(x, pd.src_desc());
    Ref dst = Define(n.outputs[0], pd.dst_desc());
    std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, Mem(src)}, {DNNL_ARG_WEIGHTS, Mem(wref)},
                                                  {DNNL_ARG_DST, Mem(dst)}, {DNNL_ARG_SCRATCHPAD, Scratch(pd.scratchpad_desc())}};
    if (b) {
      Ref bref;
      bref.md = b_md;
      bref.ext = b->raw();
      args[DNNL_ARG_BIAS] = Mem(bref);
    }
    PushPrim(Label(id) + ": " + ImplName(pd), dnnl::deconvolution_forward(pd), args);
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

// ---- Gemm / MatMul with a constant B / GemmBiasAct: inner product ----
Result<bool> Builder::BuildInnerProduct(NodeId id) {
  const Node& n = g_.node(id);
  const bool matmul = n.op == "MatMul";
  const ValueId a = n.inputs[0];
  const Tensor* bw = Const(n.inputs[1]);
  if (Dt(a) != DType::kFloat32 || !bw || bw->dtype() != DType::kFloat32 || bw->rank() != 2) return false;
  const ValueId cv = !matmul && n.inputs.size() > 2 ? n.inputs[2] : kNoValue;
  const Tensor* c = Const(cv);
  if (cv != kNoValue && !c) return false;
  int64_t M = 0, N = 0, K = 0;
  float alpha = 1.f, beta = 1.f;
  bool trans_b = false;
  if (matmul) {
    const auto& ad = Dims(a);
    if (ad.size() < 2) return false;
    K = ad.back();
    M = 1;
    for (size_t i = 0; i + 1 < ad.size(); ++i) M *= ad[i];
    if (bw->dim(0) != K) return false;
    N = bw->dim(1);
  } else {
    Node part = n.op == "GemmBiasAct" ? ops::GemmPartOf(n) : n;
    const Shape cs = c ? c->shape() : Shape();
    EI_ASSIGN_OR_RETURN(ops::GemmParams gp, ops::ParseGemm(part, Shape(Dims(a)), bw->shape(), c ? &cs : nullptr));
    if (gp.trans_a) return false;
    M = gp.m;
    N = gp.n;
    K = gp.k;
    alpha = gp.alpha;
    beta = gp.beta;
    trans_b = gp.trans_b;
    if (c && !(gp.c_rows <= 1 && (gp.c_cols == N || gp.c_cols == 1))) return false;   // bias must be per column
  }
  std::optional<ops::ActParams> act;
  const ValueId out = n.outputs[0];
  if (n.op == "GemmBiasAct") { EI_ASSIGN_OR_RETURN(act, ops::ParseFusedActivation(n.attrs)); }
  // Weights as oneDNN's (N, K): B is [N,K] when trans_b, else [K,N] (strides (1, N)).
  std::vector<float> scaled;
  const float* wp = bw->data<float>();
  if (alpha != 1.f) {
    scaled.assign(wp, wp + bw->numel());
    for (float& v : scaled) v *= alpha;
    wp = scaled.data();
  }
  dnnl::memory::desc w_src = trans_b ? dnnl::memory::desc({N, K}, dnnl_dt::f32, dnnl::memory::dims{K, 1})
                                     : dnnl::memory::desc({N, K}, dnnl_dt::f32, dnnl::memory::dims{1, N});
  const float* bias = nullptr;
  if (c) {
    std::vector<float> bvec(static_cast<size_t>(N));
    for (int64_t j = 0; j < N; ++j) bvec[static_cast<size_t>(j)] = beta * static_cast<float>(c->GetAsDouble(c->numel() == 1 ? 0 : j));
    bias = OwnFloats(bvec);
  }
  try {
    dnnl::memory::desc src_md({M, K}, dnnl_dt::f32, dnnl_tag::ab);
    dnnl::memory::desc b_md = PlainMd({N}, dnnl_dt::f32);
    dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference, src_md,
                                        dnnl::memory::desc({N, K}, dnnl_dt::f32, dnnl_tag::any),
                                        bias ? b_md : dnnl::memory::desc(),
                                        dnnl::memory::desc({M, N}, dnnl_dt::f32, dnnl_tag::ab));
    dnnl::post_ops po;
    if (act && !AppendActivation(*act, &po)) return false;
    dnnl::primitive_attr attr;
    attr.set_post_ops(po);
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::inner_product_forward::primitive_desc pd(d, attr, P.eng);
    dnnl::memory wsrc(w_src, P.eng, const_cast<float*>(wp));
    Ref wref;
    wref.md = pd.weights_desc();
    wref.ext = Pack(pd.weights_desc(), wsrc);
    Ref src = AsPlain(a);
    Ref dst = DefinePlain(out);
    const dnnl::memory::desc dst_md = pd.dst_desc();
    std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, Mem(src, &src_md)}, {DNNL_ARG_WEIGHTS, Mem(wref)},
                                                  {DNNL_ARG_DST, Mem(dst, &dst_md)},
                                                  {DNNL_ARG_SCRATCHPAD, Scratch(pd.scratchpad_desc())}};
    if (bias) {
      Ref bref;
      bref.md = b_md;
      bref.ext = bias;
      args[DNNL_ARG_BIAS] = Mem(bref);
    }
    PushPrim(Label(id) + ": " + ImplName(pd), dnnl::inner_product_forward(pd), args);
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

Result<bool> Builder::BuildPool(NodeId id) {
  const Node& n = g_.node(id);
  const ValueId x = n.inputs[0];
  const DType dt = Dt(x);
  const bool global = n.op == "GlobalAveragePool" || n.op == "GlobalMaxPool";
  if (n.outputs.size() > 1) return false;   // MaxPool Indices: reference
  Result<ops::PoolParams> pr = global ? ops::ParseGlobalPool(n, Shape(Dims(x))) : ops::ParsePool(n, Shape(Dims(x)));
  if (!pr.ok()) return pr.status();
  const ops::PoolParams& q = *pr;
  const bool is_max = q.kind == ops::PoolKind::kMax;
  if (dt != DType::kFloat32 && !(is_max && (dt == DType::kInt8 || dt == DType::kUInt8))) return false;
  DnnlPoolDims pg;
  if (!MakeDnnlPoolDims(q, &pg)) return false;
  dnnl::algorithm alg = dnnl::algorithm::pooling_max;
  if (!is_max) {
    if (q.count_include_pad && pg.overhang) return false;   // ceil-mode overhang does not count in ONNX
    alg = q.count_include_pad ? dnnl::algorithm::pooling_avg_include_padding : dnnl::algorithm::pooling_avg_exclude_padding;
  }
  try {
    const Ref& xh = Home(x);
    dnnl::pooling_v2_forward::desc pdsc(dnnl::prop_kind::forward_inference, alg, xh.md,
                                        dnnl::memory::desc(pg.od, ToDnnl(dt), dnnl_tag::any), pg.s, pg.k, pg.d,
                                        pg.l, pg.r);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::pooling_v2_forward::primitive_desc pd(pdsc, attr, P.eng);
    Ref src = xh;
    Ref dst = Define(n.outputs[0], pd.dst_desc());
    if (is_max) nonneg_[static_cast<size_t>(n.outputs[0])] = nonneg_[static_cast<size_t>(x)];
    PushPrim(Label(id) + ": " + ImplName(pd), dnnl::pooling_v2_forward(pd),
             {{DNNL_ARG_SRC, Mem(src)}, {DNNL_ARG_DST, Mem(dst)}, {DNNL_ARG_SCRATCHPAD, Scratch(pd.scratchpad_desc())}});
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

Result<bool> Builder::BuildEltwise(NodeId id) {
  const Node& n = g_.node(id);
  const ValueId x = n.inputs[0];
  if (Dt(x) != DType::kFloat32) return false;
  for (size_t i = 1; i < n.inputs.size(); ++i) if (n.inputs[i] != kNoValue && !Const(n.inputs[i])) return false;
  EI_ASSIGN_OR_RETURN(ops::ActParams ap, ops::ActParamsFromNode(n, n.inputs.size() > 1 ? Const(n.inputs[1]) : nullptr,
                                                                n.inputs.size() > 2 ? Const(n.inputs[2]) : nullptr));
  dnnl::post_ops po;
  if (!AppendActivation(ap, &po) || po.len() != 1) return false;
  dnnl::algorithm alg;
  float alpha = 0.f, beta = 0.f, scale = 0.f;
  po.get_params_eltwise(0, scale, alg, alpha, beta);
  try {
    const Ref xh = Home(x);
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, alg, xh.md, alpha, beta);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::eltwise_forward::primitive_desc pd(d, attr, P.eng);
    Ref dst = Define(n.outputs[0], xh.md);
    PushPrim(Label(id) + ": " + ImplName(pd), dnnl::eltwise_forward(pd),
             {{DNNL_ARG_SRC, Mem(xh)}, {DNNL_ARG_DST, Mem(dst)}, {DNNL_ARG_SCRATCHPAD, Scratch(pd.scratchpad_desc())}});
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

Result<bool> Builder::BuildBinary(NodeId id) {
  const Node& n = g_.node(id);
  if (n.inputs.size() != 2) return false;
  ValueId a = n.inputs[0], b = n.inputs[1];
  const ValueId out = n.outputs[0];
  if (Dt(a) != DType::kFloat32 || Dt(b) != DType::kFloat32) return false;
  dnnl::algorithm alg;
  bool commutative = true;
  if (n.op == "Add") alg = dnnl::algorithm::binary_add;
  else if (n.op == "Mul") alg = dnnl::algorithm::binary_mul;
  else if (n.op == "Sub") { alg = dnnl::algorithm::binary_sub; commutative = false; }
  else if (n.op == "Div") { alg = dnnl::algorithm::binary_div; commutative = false; }
  else if (n.op == "Max") alg = dnnl::algorithm::binary_max;
  else if (n.op == "Min") alg = dnnl::algorithm::binary_min;
  else return false;
  const auto& od = Dims(out);
  if (Dims(a) != od) {
    if (commutative && Dims(b) == od) std::swap(a, b);
    else return false;
  }
  // src1 dims padded to the output's rank (1 on broadcast axes).
  std::vector<int64_t> bd = Dims(b);
  while (bd.size() < od.size()) bd.insert(bd.begin(), 1);
  auto attempt = [&](const Ref& ra, bool plain_a) -> bool {
    try {
      dnnl::memory::desc b_md = bd == od ? ra.md : PlainMd(bd, dnnl_dt::f32);
      dnnl::binary::desc d(alg, ra.md, b_md, ra.md);
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      dnnl::binary::primitive_desc pd(d, attr, P.eng);
      Ref rb = bd == od ? As(b, ra.md) : AsPlain(b);
      Ref rbv = rb;
      rbv.md = b_md;
      Ref dst = Define(out, ra.md);
      PushPrim(Label(id) + ": " + ImplName(pd) + (plain_a ? " (plain)" : ""), dnnl::binary(pd),
               {{DNNL_ARG_SRC_0, Mem(ra)}, {DNNL_ARG_SRC_1, Mem(rbv)}, {DNNL_ARG_DST, Mem(dst)},
                {DNNL_ARG_SCRATCHPAD, Scratch(pd.scratchpad_desc())}});
      return true;
    } catch (const dnnl::error&) {
      return false;
    }
  };
  if (attempt(Home(a), false)) return true;
  if (!Home(a).Plain() && attempt(AsPlain(a), true)) return true;
  return false;
}

Result<bool> Builder::BuildBatchNorm(NodeId id) {
  const Node& n = g_.node(id);
  if (n.inputs.size() != 5 || n.outputs.size() != 1 || Dt(n.inputs[0]) != DType::kFloat32) return false;
  for (size_t i = 1; i < 5; ++i) if (!Const(n.inputs[i]) || Dt(n.inputs[i]) != DType::kFloat32) return false;
  try {
    const Ref xh = Home(n.inputs[0]);
    dnnl::batch_normalization_forward::desc d(
        dnnl::prop_kind::forward_inference, xh.md, n.attrs.GetFloat("epsilon", 1e-5f),
        dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::batch_normalization_forward::primitive_desc pd(d, attr, P.eng);
    Ref dst = Define(n.outputs[0], xh.md);
    PushPrim(Label(id) + ": " + ImplName(pd), dnnl::batch_normalization_forward(pd),
             {{DNNL_ARG_SRC, Mem(xh)}, {DNNL_ARG_DST, Mem(dst)}, {DNNL_ARG_SCALE, Mem(Home(n.inputs[1]))},
              {DNNL_ARG_SHIFT, Mem(Home(n.inputs[2]))}, {DNNL_ARG_MEAN, Mem(Home(n.inputs[3]))},
              {DNNL_ARG_VARIANCE, Mem(Home(n.inputs[4]))}, {DNNL_ARG_SCRATCHPAD, Scratch(pd.scratchpad_desc())}});
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

Result<bool> Builder::BuildSoftmax(NodeId id) {
  const Node& n = g_.node(id);
  const ValueId x = n.inputs[0];
  if (Dt(x) != DType::kFloat32) return false;
  const int64_t rank = static_cast<int64_t>(Dims(x).size());
  int64_t axis = n.attrs.GetInt("axis", g_.opset >= 13 ? -1 : 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return false;
  // Before opset 13 Softmax flattens at `axis`; that equals a per-axis softmax only on the last axis.
  if (g_.opset < 13 && axis != rank - 1) return false;
  try {
    Ref src = AsPlain(x);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    Ref dst = DefinePlain(n.outputs[0]);
    if (n.op == "Softmax") {
      dnnl::softmax_forward::desc d(dnnl::prop_kind::forward_inference, src.md, static_cast<int>(axis));
      dnnl::softmax_forward::primitive_desc pd(d, attr, P.eng);
      PushPrim(Label(id) + ": " + ImplName(pd), dnnl::softmax_forward(pd),
               {{DNNL_ARG_SRC, Mem(src)}, {DNNL_ARG_DST, Mem(dst)}, {DNNL_ARG_SCRATCHPAD, Scratch(pd.scratchpad_desc())}});
    } else {
      dnnl::logsoftmax_forward::desc d(dnnl::prop_kind::forward_inference, src.md, static_cast<int>(axis));
      dnnl::logsoftmax_forward::primitive_desc pd(d, attr, P.eng);
      PushPrim(Label(id) + ": " + ImplName(pd), dnnl::logsoftmax_forward(pd),
               {{DNNL_ARG_SRC, Mem(src)}, {DNNL_ARG_DST, Mem(dst)}, {DNNL_ARG_SCRATCHPAD, Scratch(pd.scratchpad_desc())}});
    }
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

Result<bool> Builder::BuildConcat(NodeId id) {
  const Node& n = g_.node(id);
  const ValueId out = n.outputs[0];
  const DType dt = Dt(out);
  if (ToDnnl(dt) == dnnl_dt::undef || dt == DType::kFloat16) return false;
  const int64_t rank = static_cast<int64_t>(Dims(out).size());
  int64_t axis = n.attrs.GetInt("axis", 0);
  if (axis < 0) axis += rank;
  std::vector<ValueId> ins;
  for (ValueId v : n.inputs) {
    if (v == kNoValue) continue;
    if (Dt(v) != dt) return false;
    int64_t cnt = 1;
    for (int64_t d : Dims(v)) cnt *= d;
    if (cnt > 0) ins.push_back(v);
  }
  if (ins.empty()) return false;
  auto attempt = [&](bool plain) -> bool {
    try {
      std::vector<Ref> refs;
      std::vector<dnnl::memory::desc> mds;
      for (ValueId v : ins) {
        Ref r = plain ? AsPlain(v) : Home(v);
        refs.push_back(r);
        mds.push_back(r.md);
      }
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      dnnl::memory::desc dst_md = plain ? PlainOf(out) : dnnl::memory::desc(ToDims(Dims(out)), ToDnnl(dt), dnnl_tag::any);
      dnnl::concat::primitive_desc pd(dst_md, static_cast<int>(axis), mds, P.eng, attr);
      if (!plain && IsSlowImpl(ImplName(pd))) return false;
      Ref dst = Define(out, pd.dst_desc());
      std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_DST, Mem(dst)}, {DNNL_ARG_SCRATCHPAD, Scratch(pd.scratchpad_desc())}};
      for (size_t i = 0; i < refs.size(); ++i) args[DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i)] = Mem(refs[i]);
      PushPrim(Label(id) + ": " + ImplName(pd), dnnl::concat(pd), args);
      return true;
    } catch (const dnnl::error&) {
      return false;
    }
  };
  bool all_blocked = true;
  for (ValueId v : ins) all_blocked = all_blocked && !Home(v).Plain();
  if (all_blocked && attempt(false)) return true;
  return attempt(true);
}

Result<bool> Builder::BuildAlias(NodeId id) {
  const Node& n = g_.node(id);
  if (n.outputs.size() != 1 && !(n.op == "Dropout" && consumers_[static_cast<size_t>(n.outputs[1])].empty() &&
                                 !g_.IsGraphOutput(n.outputs[1]))) {
    return false;
  }
  const ValueId x = n.inputs[0];
  if (Dt(x) != Dt(n.outputs[0])) return false;
  Ref src = AsPlain(x);
  Alias(n.outputs[0], src);
  nonneg_[static_cast<size_t>(n.outputs[0])] = nonneg_[static_cast<size_t>(x)];
  return true;
}

// Strides (elements) of a dense strided descriptor (plain, channels-last); empty when blocked.
dnnl::memory::dims DenseStrides(const dnnl::memory::desc& md) {
  if (md.data.ndims == 0 || md.data.format_kind != dnnl_blocked || md.data.format_desc.blocking.inner_nblks != 0) return {};
  return dnnl::memory::dims(md.data.format_desc.blocking.strides, md.data.format_desc.blocking.strides + md.data.ndims);
}

// Transpose: a permuted view of the input. When the input's layout already is the output's plain
// layout (NHWC data read as [N,H,W,C], the SSD heads' case) the output aliases it; otherwise one
// reorder from the permuted view.
Result<bool> Builder::BuildTranspose(NodeId id) {
  const Node& n = g_.node(id);
  const ValueId x = n.inputs[0];
  const dnnl_dt t = ToDnnl(Dt(x));
  if (t == dnnl_dt::undef) return false;
  const auto& xd = Dims(x);
  std::vector<int64_t> perm = n.attrs.GetInts("perm");
  if (perm.empty()) for (size_t i = xd.size(); i-- > 0;) perm.push_back(static_cast<int64_t>(i));
  if (perm.size() != xd.size()) return false;
  Ref src = Home(x);
  dnnl::memory::dims xs = DenseStrides(src.md);
  if (xs.empty()) {
    src = AsPlain(x);
    xs = DenseStrides(src.md);
  }
  dnnl::memory::dims od, st;
  for (int64_t p : perm) {
    od.push_back(xd[static_cast<size_t>(p)]);
    st.push_back(xs[static_cast<size_t>(p)]);
  }
  try {
    dnnl::memory::desc view(od, t, st);
    if (view == PlainMd(ToVec(od), t) && src.buf >= 0) {
      Alias(n.outputs[0], src);
      P.explain.push_back(Label(id) + ": no copy (the input's layout is the output's)");
      P.steps.push_back([]() {});
      return true;
    }
    Ref dst = DefinePlain(n.outputs[0]);
    dnnl::memory ms = Mem(src, &view), md = Mem(dst);
    dnnl::reorder r(ms, md);
    P.steps.push_back([p = &P, r, ms, md]() mutable { r.execute(p->strm, ms, md); });
    P.explain.push_back(Label(id) + ": reorder (permuted strides)");
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

// Split: one reorder per output from a sub-view of the input, keeping a dense strided layout
// (channels-last in, channels-last out) so no whole-tensor reorder is needed first.
Result<bool> Builder::BuildSplit(NodeId id) {
  const Node& n = g_.node(id);
  const ValueId x = n.inputs[0];
  const dnnl_dt t = ToDnnl(Dt(x));
  if (t == dnnl_dt::undef) return false;
  const auto& xd = Dims(x);
  int64_t axis = n.attrs.GetInt("axis", 0);
  if (axis < 0) axis += static_cast<int64_t>(xd.size());
  if (axis < 0 || axis >= static_cast<int64_t>(xd.size())) return false;
  Ref src = Home(x);
  if (DenseStrides(src.md).empty()) src = AsPlain(x);
  const bool channels_last = xd.size() >= 3 && src.md == ChannelsLastMd(xd, t);
  try {
    int64_t offset = 0;
    for (ValueId o : n.outputs) {
      const auto& od = Dims(o);
      dnnl::memory::dims offs(xd.size(), 0);
      offs[static_cast<size_t>(axis)] = offset;
      offset += od[static_cast<size_t>(axis)];
      dnnl::memory::desc view = src.md.submemory_desc(ToDims(od), offs);
      Ref dst = Define(o, channels_last ? ChannelsLastMd(od, t) : PlainMd(od, t));
      dnnl::memory ms = Mem(src, &view), md = Mem(dst);
      dnnl::reorder r(ms, md);
      P.steps.push_back([p = &P, r, ms, md]() mutable { r.execute(p->strm, ms, md); });
      P.explain.push_back(Label(id) + ": reorder of part '" + g_.value(o).name + "'");
    }
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

Status Builder::BuildReference(NodeId id) {
  const Node& n = g_.node(id);
  const OpDef* def = FindOp(n.op);
  if (!def || !def->reference) return Status::Error(Label(id) + ": no oneDNN mapping and no reference kernel");
  std::vector<Ref> ins;
  std::vector<bool> present;
  for (ValueId v : n.inputs) {
    present.push_back(v != kNoValue);
    ins.push_back(v == kNoValue ? Ref() : AsPlain(v));
  }
  std::vector<Ref> outs;
  for (ValueId v : n.outputs) outs.push_back(DefinePlain(v));
  for (const Ref& r : ins) Touch(r);
  for (const Ref& r : outs) Touch(r);
  std::vector<DType> in_dt, out_dt;
  std::vector<std::vector<int64_t>> in_d, out_d;
  for (ValueId v : n.inputs) {
    in_dt.push_back(v == kNoValue ? DType::kUndefined : Dt(v));
    in_d.push_back(v == kNoValue ? std::vector<int64_t>{} : Dims(v));
  }
  for (ValueId v : n.outputs) {
    out_dt.push_back(Dt(v));
    out_d.push_back(Dims(v));
  }
  Plan* p = &P;
  const Node* node = &n;
  const std::string label = Label(id);
  P.steps.push_back([p, node, def, ins, outs, present, in_dt, out_dt, in_d, out_d, label]() {
    if (!p->run_error.ok()) return;
    p->strm.wait();
    std::vector<Tensor> it, ot;
    it.reserve(ins.size());
    ot.reserve(outs.size());
    std::vector<const Tensor*> ip;
    std::vector<Tensor*> op;
    for (size_t i = 0; i < ins.size(); ++i) {
      if (present[i]) it.push_back(Tensor::Borrow(in_dt[i], in_d[i], p->Ptr(ins[i])));
    }
    size_t k = 0;   // `it` is fully built, so pointers into it stay valid
    for (size_t i = 0; i < ins.size(); ++i) ip.push_back(present[i] ? &it[k++] : nullptr);
    for (size_t i = 0; i < outs.size(); ++i) {
      ot.push_back(Tensor::Borrow(out_dt[i], out_d[i], p->Ptr(outs[i])));
      std::memset(ot.back().raw(), 0, ot.back().bytes());
    }
    for (Tensor& t : ot) op.push_back(&t);
    Status s = def->reference(*node, ip, op);
    if (!s.ok()) p->run_error = s.WithContext(label);
  });
  P.explain.push_back(Label(id) + ": reference kernel (no oneDNN mapping)");
  return Status::Ok();
}

Status Builder::BuildOutputs() {
  P.out_mems.clear();
  for (size_t i = 0; i < g_.outputs().size(); ++i) {
    const ValueId v = g_.outputs()[i];
    const Ref src = Home(v);
    const size_t bytes = Bytes(v);
    if (src.md.data.ndims == 0) {
      // dtype oneDNN lacks: plain bytes, memcpy.
      Touch(src);
      Plan* p = &P;
      P.out_mems.emplace_back();
      P.steps.push_back([p, src, i, bytes]() {
        p->strm.wait();
        std::memcpy(p->out_ptrs[i], p->Ptr(src), bytes);
      });
    } else {
      dnnl::memory ms = Mem(src);
      dnnl::memory md(PlainOf(v), P.eng, DNNL_MEMORY_NONE);
      P.out_mems.push_back(md);
      dnnl::reorder r(ms, md);
      P.steps.push_back([p = &P, r, ms, md]() mutable { r.execute(p->strm, ms, md); });
    }
    P.explain.push_back("  output '" + g_.value(v).name + "' to the caller (plain)");
  }
  return Status::Ok();
}

// The arena: one BufferRequest per buffer (its [first step, last step] lifetime) planned by the
// shared planner (graph/memory_planner.h: greedy by size, 64-byte aligned) and checked; the
// scratchpad is one region of its own (primitives run one at a time).
Status Builder::LayOutArena() {
  std::vector<BufferRequest> rq;
  std::vector<size_t> idx;   // request -> buffer
  for (size_t i = 0; i < P.bufs.size(); ++i) {
    const Plan::Buf& b = P.bufs[i];
    if (b.last < 0 || !b.bytes) continue;
    const std::vector<ValueId>& vals = P.buf_vals[i];
    BufferRequest r;
    r.name = vals.empty() ? "buffer " + std::to_string(i) : g_.value(vals[0]).name;
    r.size = static_cast<int64_t>(b.bytes);
    r.first_use = b.first;
    r.last_use = b.last;
    r.spaces = {0};
    r.alignment = static_cast<int64_t>(kAlign);
    rq.push_back(std::move(r));
    idx.push_back(i);
  }
  EI_ASSIGN_OR_RETURN(P.arena_plan, PlanMemory(rq, {{"host", -1}}));
  EI_RETURN_IF_ERROR(CheckMemoryPlan(P.arena_plan).WithContext("cpu-fast arena"));
  for (size_t k = 0; k < idx.size(); ++k) P.bufs[idx[k]].offset = static_cast<size_t>(P.arena_plan.placements[k].offset);
  P.arena_size = P.arena_plan.peak.empty() ? 0 : static_cast<size_t>(P.arena_plan.peak[0]);
  P.arena.Alloc(P.arena_size);
  for (auto& [m, buf] : P.arena_fix) m.set_data_handle(P.arena.get() + P.bufs[static_cast<size_t>(buf)].offset);
  P.scratch.Alloc(P.scratch_bytes);
  for (auto& m : P.scratch_fix) m.set_data_handle(P.scratch.get());
  return Status::Ok();
}

Status Builder::Build(const std::vector<std::vector<int64_t>>& input_dims) {
  EI_ASSIGN_OR_RETURN(order_, g_.TopoOrder());
  pos_.assign(g_.num_node_slots(), -1);
  for (size_t i = 0; i < order_.size(); ++i) pos_[static_cast<size_t>(order_[i])] = static_cast<int>(i);
  consumers_ = g_.ConsumerMap();
  EI_RETURN_IF_ERROR(BindShapes(input_dims));
  nonneg_.assign(g_.num_values(), false);
  for (NodeId id : order_) {
    const Node& n = g_.node(id);
    Result<bool> handled = false;
    const std::string& op = n.op;
    if (IsConvLike(op)) {
      handled = Dt(n.inputs[0]) == DType::kInt8 ? BuildInt8Conv(id) : BuildConv(id);
    } else if (op == "Gemm" || op == "MatMul" || op == "GemmBiasAct") {
      handled = BuildInnerProduct(id);
    } else if (op == "ConvTranspose") {
      handled = BuildDeconv(id);
    } else if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" || op == "GlobalMaxPool") {
      handled = BuildPool(id);
    } else if (IsActivationOp(op)) {
      handled = BuildEltwise(id);
    } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Max" || op == "Min") {
      handled = BuildBinary(id);
    } else if (op == "BatchNormalization") {
      handled = BuildBatchNorm(id);
    } else if (op == "Softmax" || op == "LogSoftmax") {
      handled = BuildSoftmax(id);
    } else if (op == "Concat") {
      handled = BuildConcat(id);
    } else if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" || op == "Identity" ||
               op == "Dropout") {
      handled = BuildAlias(id);
    } else if (op == "Transpose") {
      handled = BuildTranspose(id);
    } else if (op == "Split") {
      handled = BuildSplit(id);
    } else if (op == "QuantizeLinear" || op == "DequantizeLinear") {
      handled = BuildQdq(id);
    }
    if (!handled.ok()) return handled.status();
    if (!*handled) EI_RETURN_IF_ERROR(BuildReference(id));
  }
  EI_RETURN_IF_ERROR(BuildOutputs());
  EI_RETURN_IF_ERROR(LayOutArena());
  return Status::Ok();
}

}  // namespace

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
