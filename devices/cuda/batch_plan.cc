// CUDA executor, per batch size: shapes from the op table at that batch (InferShapesAt), the checks
// the kernels need of them, and the arena (the compiler's in-place Concat marks checked at this
// batch, Reshape aliases, BufferRequests planned by the shared planner and checked).
#include "devices/cuda/executor.h"

namespace edgeinfer::devices {

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

}  // namespace edgeinfer::devices
