// CpuFastDevice's builder: plan once, run many times. Steps of Builder::Build (BuildPlan):
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
#include "devices/cpu/fast/builder.h"

#include "graph/op_table.h"
#include "graph/shape_inference.h"

namespace edgeinfer::devices::fast {

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

}  // namespace edgeinfer::devices::fast
