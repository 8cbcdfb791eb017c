// CpuFastDevice builder: convolutions (FP32 Conv and the compiler's fused nodes as one oneDNN
// primitive with post-ops; INT8 through Int8Conv plus our requantization), deconvolution, and
// Gemm/MatMul/GemmBiasAct as an inner product.
#include "devices/cpu/fast/builder.h"

#include <cmath>

#include "graph/ops/activation.h"
#include "graph/ops/conv.h"
#include "graph/ops/fused.h"
#include "graph/ops/gemm.h"
#include "graph/quant/int8_kernels.h"

namespace edgeinfer::devices::fast {

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

}  // namespace edgeinfer::devices::fast
