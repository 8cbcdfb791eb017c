// CpuFastDevice builder: pooling, eltwise activations, binary ops, BatchNorm, softmax, Concat, the
// view ops (aliases), Transpose, Split and per-tensor QuantizeLinear/DequantizeLinear.
#include "devices/cpu/fast/builder.h"

#include "graph/ops/activation.h"

namespace edgeinfer::devices::fast {

namespace {

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

}  // namespace

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

}  // namespace edgeinfer::devices::fast
