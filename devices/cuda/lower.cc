// CUDA executor, Prepare: the compiled graph's nodes -> Steps (devices/cuda/executor.h). Weights are
// converted to the GPU layout (KRSC, FP16 or INT8 padded) and uploaded once; INT8 epilogues are
// built by the reference's own host function. Nothing is matched or folded here: the graph comes
// fused from the compiler (docs/device-contract.md).
#include "devices/cuda/executor.h"

namespace edgeinfer::devices {

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

}  // namespace edgeinfer::devices
