// Internal to devices/cpu/fast (included by its .cc files only): the plan of CpuFastDevice and the
// Builder that makes it, shared by the files of the build phase:
//   builder.cc      shapes at the input dims (InferShapesAt), the build loop (one step per node),
//                   reference-kernel steps, output copies, the arena (PlanMemory + CheckMemoryPlan)
//   build_conv.cc   FP32 and INT8 convolutions (fused nodes with post-ops), deconvolution, inner product
//   build_ops.cc    pooling, eltwise, binary, BatchNorm, softmax, Concat, views, Transpose, Split, Q/DQ
//   fast_device.cc  the CpuFastDevice facade (Supports, Prepare, Launch, Explain)
#pragma once
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "devices/cpu/fast/dnnl_util.h"
#include "devices/cpu/fast/fast_device.h"
#include "devices/cpu/fast/int8_conv.h"
#include "graph/memory_planner.h"
#include "graph/ops/pool.h"

namespace edgeinfer::devices {
namespace fast {

constexpr size_t kAlign = 64;
inline size_t AlignUp(size_t x) { return (x + kAlign - 1) / kAlign * kAlign; }

struct AlignedBuf {
  std::unique_ptr<char, void (*)(void*)> p{nullptr, std::free};
  size_t bytes = 0;
  void Alloc(size_t b) {
    bytes = b;
    p.reset(static_cast<char*>(std::aligned_alloc(kAlign, AlignUp(std::max<size_t>(b, 1)))));
  }
  char* get() const { return p.get(); }
};

inline std::vector<int64_t> ToVec(const dnnl::memory::dims& d) { return std::vector<int64_t>(d.begin(), d.end()); }

// oneDNN's end padding for pooling axis i: the declared one when floor arithmetic already gives the
// output extent, else (ceil_mode) the padding that makes the last window exist; -1 if none works.
inline int64_t PoolPadEnd(const ops::PoolParams& q, size_t i) {
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
inline bool MakeDnnlPoolDims(const ops::PoolParams& q, DnnlPoolDims* out) {
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

inline bool IsActivationOp(const std::string& op) {
  return op == "Relu" || op == "LeakyRelu" || op == "Clip" || op == "Sigmoid" || op == "Tanh" ||
         op == "HardSigmoid" || op == "HardSwish";
}
inline bool IsConvLike(const std::string& op) {
  return op == "Conv" || op == "ConvBiasAct" || op == "ConvEltwiseAct" || op == "ConvBiasActPool";
}

}  // namespace fast

using namespace fast;  // NOLINT: internal header of the fast path's own files

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

namespace fast {

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

}  // namespace fast
}  // namespace edgeinfer::devices
