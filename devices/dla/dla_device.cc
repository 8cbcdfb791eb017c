#include "devices/dla/dla_device.h"

#include <algorithm>
#include <optional>
#include <cstring>
#include <thread>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "devices/dla/capability.h"
#include "graph/op_table.h"
#include "graph/ops/fused.h"
#include "graph/quant/int8_kernels.h"
#include "graph/shape_inference.h"

#ifdef EDGEINFER_HAVE_DNNL
#include "devices/cpu/fast/int8_conv.h"
#endif

namespace edgeinfer::devices {

namespace {

// Runs fn(begin, end) over [0, n) split into at most `threads` contiguous chunks. With OpenMP
// (built alongside oneDNN) the chunks run on OpenMP's pool, the one oneDNN already keeps spinning,
// so two pools never fight over the cores; otherwise on std::threads.
template <class Fn>
void ParallelFor(int threads, int64_t n, Fn fn) {
  if (n <= 0) return;
  const int64_t t = std::max<int64_t>(1, std::min<int64_t>(threads, n));
  if (t == 1) { fn(int64_t{0}, n); return; }
  const int64_t chunk = (n + t - 1) / t;
#ifdef _OPENMP
#pragma omp parallel for num_threads(static_cast<int>(t)) schedule(static, 1)
  for (int64_t i = 0; i < t; ++i) {
    const int64_t b = i * chunk, e = std::min(n, b + chunk);
    if (b < e) fn(b, e);
  }
#else
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(t - 1));
  for (int64_t i = 1; i < t; ++i) {
    const int64_t b = i * chunk, e = std::min(n, b + chunk);
    if (b < e) pool.emplace_back([=] { fn(b, e); });
  }
  fn(0, std::min(n, chunk));
  for (auto& th : pool) th.join();
#endif
}

// acc for output channels [k0, k1) of every batch item: the reference's ConvAccumulate loop
// restricted to a channel range (same terms, exact int32).
void ConvAccumulateChannels(const int8::Conv2DGeometry& g, const int8_t* x, const int8_t* w, const int32_t* bias,
                            int32_t* acc, int64_t k0, int64_t k1) {
  const int64_t cg = g.c / g.group, kg = g.k / g.group;
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t grp = k / kg;
      const int8_t* wk = w + k * cg * g.r * g.s;
      int32_t* out = acc + ((n * g.k + k) * g.oh) * g.ow;
      const int32_t b = bias ? bias[k] : 0;
      for (int64_t i = 0; i < g.oh * g.ow; ++i) out[i] = b;
      for (int64_t c = 0; c < cg; ++c) {
        const int8_t* xc = x + ((n * g.c) + grp * cg + c) * g.h * g.w;
        for (int64_t r = 0; r < g.r; ++r) {
          for (int64_t s = 0; s < g.s; ++s) {
            const int32_t wv = wk[(c * g.r + r) * g.s + s];
            if (wv == 0) continue;
            for (int64_t oy = 0; oy < g.oh; ++oy) {
              const int64_t iy = oy * g.stride_h - g.pad_t + r * g.dil_h;
              if (iy < 0 || iy >= g.h) continue;
              const int8_t* xrow = xc + iy * g.w;
              int32_t* orow = out + oy * g.ow;
              for (int64_t ox = 0; ox < g.ow; ++ox) {
                const int64_t ix = ox * g.stride_w - g.pad_l + s * g.dil_w;
                if (ix < 0 || ix >= g.w) continue;
                orow[ox] += static_cast<int32_t>(xrow[ix]) * wv;
              }
            }
          }
        }
      }
    }
  }
}

// Per image, transposes a rows x cols plane: dst[n][j][r] = src[n][r][j]. NCHW -> NHWC is
// (rows, cols) = (C, HW); NHWC -> NCHW is (HW, C).
void TransposePlanes(const int8_t* src, int8_t* dst, int64_t n, int64_t rows, int64_t cols, int threads) {
  ParallelFor(threads, n * cols, [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      const int8_t* s = src + (p / cols) * rows * cols + p % cols;
      int8_t* d = dst + p * rows;
      for (int64_t r = 0; r < rows; ++r) d[r] = s[r * cols];
    }
  });
}

void NchwToNhwc(const int8_t* src, int8_t* dst, int64_t n, int64_t c, int64_t hw, int threads) {
  TransposePlanes(src, dst, n, c, hw, threads);
}

void NhwcToNchw(const int8_t* src, int8_t* dst, int64_t n, int64_t c, int64_t hw, int threads) {
  TransposePlanes(src, dst, n, hw, c, threads);
}

Result<int8::Pool2DParams> PoolParamsOf(const Attributes& a, bool is_max, const char* prefix) {
  const std::string p = prefix;
  int8::Pool2DParams pp;
  pp.is_max = is_max;
  auto ks = a.GetInts(p + "kernel_shape");
  auto st = a.GetInts(p + "strides", {1, 1});
  auto pd = a.GetInts(p + "pads", {0, 0, 0, 0});
  auto dl = a.GetInts(p + "dilations", {1, 1});
  if (ks.size() != 2 || st.size() != 2 || pd.size() != 4) return Status::Error("needs 2-D pooling attributes");
  if (dl.size() != 2 || dl[0] != 1 || dl[1] != 1) return Status::Error("dilated pooling is not a DLA pooling");
  if (a.GetString(p + "auto_pad", "NOTSET") != "NOTSET") return Status::Error("pooling needs explicit pads");
  pp.kh = ks[0]; pp.kw = ks[1];
  pp.stride_h = st[0]; pp.stride_w = st[1];
  pp.pad_t = pd[0]; pp.pad_l = pd[1]; pp.pad_b = pd[2]; pp.pad_r = pd[3];
  pp.count_include_pad = a.GetInt(p + "count_include_pad", 0) != 0;
  return pp;
}

void PoolChannels(const int8::Pool2DParams& p, int64_t nc, int64_t h, int64_t w, const int8_t* x, int64_t oh, int64_t ow,
                  int8_t* y, int threads) {
  ParallelFor(threads, nc, [&](int64_t b, int64_t e) { int8::Pool2D(p, 1, e - b, h, w, x + b * h * w, oh, ow, y + b * oh * ow); });
}

}  // namespace

enum class StepKind { kConvInt8, kGemmInt8, kPoolInt8, kReluInt8, kReference };

struct DlaDevice::Step {
  NodeId id = kNoNode;
  StepKind kind = StepKind::kReference;
  std::string how;
  // INT8 convolution / gemm.
  int8::Conv2DGeometry geo;
  int8::Epilogue epilogue;
  const int8_t* w = nullptr;        // shared constant (the graph keeps it alive)
  const int32_t* bias = nullptr;
  bool has_pool = false;
  bool direct = false;              // our own accumulation loops (no oneDNN)
  int8::Pool2DParams pool;
  std::optional<int8::Multiplier> gap_requant;   // a GlobalAveragePool requantized to its output scale
  int64_t gemm_m = 0, gemm_n = 0, gemm_k = 0;
  bool gemm_tb = false;
  // Buffers (allocated at Prepare).
  std::vector<int32_t> acc;
  std::vector<int8_t> x_nhwc, r_nhwc, y_nhwc, conv_out;
  std::vector<char> scratch;
#ifdef EDGEINFER_HAVE_DNNL
  std::unique_ptr<fast::Int8Conv> dnnl_conv;
#endif
};

#ifdef EDGEINFER_HAVE_DNNL
struct DlaDevice::OneDnn {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{eng};
};
#else
struct DlaDevice::OneDnn {};
#endif

DlaDevice::DlaDevice(SocProfile soc, DlaDeviceOptions options) : soc_(std::move(soc)), options_(options) {
#ifdef _OPENMP
  // OpenMP's count honours OMP_NUM_THREADS (and is what oneDNN uses too).
  const int all = omp_get_max_threads();
#else
  const int all = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
#endif
  threads_ = options_.num_threads > 0 ? options_.num_threads : std::max(1, all);
}

DlaDevice::~DlaDevice() = default;

Support DlaDevice::Supports(const Graph& g, NodeId id) const { return DlaSupport(soc_, g, id); }

Status DlaDevice::Prepare(std::shared_ptr<const Graph> graph) {
  EI_RETURN_IF_ERROR(graph->VerifyStructure());
  EI_ASSIGN_OR_RETURN(order_, graph->TopoOrder());
  steps_.clear();
#ifdef EDGEINFER_HAVE_DNNL
  if (options_.use_onednn && !dnnl_) dnnl_ = std::make_unique<OneDnn>();
#endif
  for (NodeId id : order_) {
    const Node& n = graph->node(id);
    Support s = Supports(*graph, id);
    if (!s.ok) return Status::Error(name() + " cannot run this segment: " + s.reason);
    for (ValueId v : n.outputs) {
      if (!graph->value(v).shape.IsStatic()) return Status::Error(graph->Label(id) + ": output shape is not static");
    }
    const OpDef* def = FindOp(n.op);
    if (!def || !def->reference) return Status::Error(graph->Label(id) + ": op has no kernel definition in the op table");
    auto step = std::make_unique<Step>();
    step->id = id;
    const DType dt = NodeDataType(*graph, id);
    const bool is_conv = n.op == "ConvBiasAct" || n.op == "ConvBiasActPool" || n.op == "ConvEltwiseAct";
    if (dt == DType::kInt8 && (is_conv || n.op == "GemmBiasAct")) {
      EI_ASSIGN_OR_RETURN(std::optional<ops::ActParams> act, ops::ParseFusedActivation(n.attrs));
      const bool residual = n.op == "ConvEltwiseAct";
      auto e = int8::MakeEpilogue(act.value_or(ops::ActParams{ops::ActKind::kIdentity}), act.has_value(),
                                  n.attrs.GetFloat("x_scale", 0.f), n.attrs.GetFloats("w_scale"),
                                  n.attrs.GetFloat("y_scale", 0.f), n.attrs.GetFloat("act_in_scale", 0.f), residual,
                                  n.attrs.GetFloat("r_scale", 0.f));
      if (!e.ok()) return e.status().WithContext(graph->Label(id));
      step->epilogue = std::move(e).value();
      const Value& xv = graph->value(n.inputs[0]);
      const Value& wv = graph->value(n.inputs[1]);
      if (!wv.IsConstant() || wv.constant->dtype() != DType::kInt8) return Status::Error(graph->Label(id) + ": DLA weights must be int8 constants");
      step->w = wv.constant->data<int8_t>();
      if (n.inputs.size() > 2 && n.inputs[2] != kNoValue) {
        const Value& bv = graph->value(n.inputs[2]);
        if (!bv.IsConstant() || bv.constant->dtype() != DType::kInt32) return Status::Error(graph->Label(id) + ": DLA bias must be an int32 constant");
        step->bias = bv.constant->data<int32_t>();
      }
      if (n.op == "GemmBiasAct") {
        if (xv.shape.rank() != 2 || wv.shape.rank() != 2) return Status::Error(graph->Label(id) + ": INT8 Gemm takes 2-D A and B");
        step->kind = StepKind::kGemmInt8;
        step->gemm_tb = n.attrs.GetInt("transB", 0) != 0;
        step->gemm_m = xv.shape.dims[0];
        step->gemm_k = xv.shape.dims[1];
        step->gemm_n = step->gemm_tb ? wv.shape.dims[0] : wv.shape.dims[1];
        step->acc.resize(static_cast<size_t>(step->gemm_m * step->gemm_n));
        step->how = "int8 gemm (exact s32 dot products, " + std::to_string(threads_) + " threads)";
      } else {
        auto geo = int8::ResolveConv2D(n.attrs, xv.shape.dims, wv.shape.dims);
        if (!geo.ok()) return geo.status().WithContext(graph->Label(id));
        step->geo = *geo;
        step->kind = StepKind::kConvInt8;
        const auto& g = step->geo;
        const size_t conv_elems = static_cast<size_t>(g.n * g.k * g.oh * g.ow);
        if (n.op == "ConvBiasActPool") {
          auto pp = PoolParamsOf(n.attrs, n.attrs.GetString("pool", "") == "MaxPool", "pool_");
          if (!pp.ok()) return pp.status().WithContext(graph->Label(id));
          step->pool = *pp;
          step->has_pool = true;
          step->conv_out.resize(conv_elems);
        }
#ifdef EDGEINFER_HAVE_DNNL
        if (options_.use_onednn) {
          auto cv = fast::Int8Conv::Create(g, step->w, step->bias, step->epilogue, dnnl_->eng);
          if (cv.ok()) {
            step->dnnl_conv = std::move(cv).value();
            step->x_nhwc.resize(static_cast<size_t>(g.n * g.c * g.h * g.w));
            if (residual) step->r_nhwc.resize(conv_elems);
            step->y_nhwc.resize(conv_elems);
            step->acc.resize(step->dnnl_conv->acc_bytes() / sizeof(int32_t) + 1);
            step->scratch.resize(step->dnnl_conv->scratch_bytes() + 64);
            step->how = "int8 conv, s32 accumulation on oneDNN " + step->dnnl_conv->impl() + " + shared epilogue";
          }
        }
#endif
        if (step->how.empty()) {
          step->direct = true;
          step->acc.resize(conv_elems);
          step->how = "int8 conv, direct s32 accumulation (" + std::to_string(threads_) + " threads) + shared epilogue";
        }
        if (step->has_pool) step->how += " + int8 " + n.attrs.GetString("pool", "") + " (pool unit)";
      }
    } else if (dt == DType::kInt8 && (n.op == "MaxPool" || n.op == "AveragePool" || n.op == "GlobalAveragePool")) {
      const Shape& xs = graph->value(n.inputs[0]).shape;
      Result<int8::Pool2DParams> pp = Status::Error("the input is not a 2-D map of known size");
      if (n.op == "GlobalAveragePool") {
        if (xs.rank() == 4 && xs.dims[2] > 0 && xs.dims[3] > 0) {
          int8::Pool2DParams g;
          g.is_max = false;
          g.kh = xs.dims[2];
          g.kw = xs.dims[3];
          pp = g;
          if (n.attrs.Has("y_scale")) {   // the pool unit's averaging, then the output converter's rescale
            auto m = int8::GlobalAveragePoolMultiplier(n.attrs.GetFloat("x_scale", 0.f), n.attrs.GetFloat("y_scale", 0.f),
                                                       xs.dims[2] * xs.dims[3]);
            if (!m.ok()) return m.status().WithContext(graph->Label(id));
            step->gap_requant = *m;
          }
        }
      } else if (xs.rank() == 4) {
        pp = PoolParamsOf(n.attrs, n.op == "MaxPool", "");
      }
      if (pp.ok()) {
        step->kind = StepKind::kPoolInt8;
        step->pool = *pp;
        step->how = "int8 " + n.op + " (pool unit, " + std::to_string(threads_) + " threads)";
        if (step->gap_requant) step->how += " + requantized to y_scale (output converter)";
      } else {
        step->how = "reference kernel (int8 " + n.op + ")";
      }
    } else if (dt == DType::kInt8 && n.op == "Relu") {
      step->kind = StepKind::kReluInt8;
      step->how = "int8 ReLU (clamp at 0, same scale)";
    } else {
      step->how = std::string("reference kernel (") + (dt == DType::kInt8 ? "int8 data movement" : DTypeName(dt)) + ")";
    }
    steps_.push_back(std::move(step));
  }
  graph_ = std::move(graph);
  return Status::Ok();
}

std::string DlaDevice::Explain() const {
  std::string s;
  for (const auto& st : steps_) s += graph_->Label(st->id) + ": " + st->how + "\n";
  return s;
}

Status DlaDevice::Launch(const TensorMap& inputs, TensorMap* outputs) {
  if (!graph_) return Status::Error(name() + ": Launch before Prepare");
  const Graph& g = *graph_;
  EI_RETURN_IF_ERROR(ValidateInputs(g, inputs, false));
  std::vector<Tensor> vals(g.num_values());
  std::vector<int> uses(g.num_values(), 0);
  for (NodeId id : order_) for (ValueId v : g.node(id).inputs) if (v != kNoValue) ++uses[static_cast<size_t>(v)];
  for (ValueId v : g.outputs()) ++uses[static_cast<size_t>(v)];
  for (ValueId id : g.inputs()) vals[static_cast<size_t>(id)] = inputs.at(g.value(id).name);
  auto value_of = [&](ValueId v) -> const Tensor* {
    if (v == kNoValue) return nullptr;
    const Value& val = g.value(v);
    if (val.IsConstant()) return val.constant.get();
    return &vals[static_cast<size_t>(v)];
  };
  for (const auto& stp : steps_) {
    Step& st = *stp;
    const Node& n = g.node(st.id);
    std::vector<Tensor> outs;
    for (ValueId v : n.outputs) outs.emplace_back(g.value(v).dtype, g.value(v).shape.dims);
    const Tensor* x = value_of(n.inputs[0]);
    switch (st.kind) {
      case StepKind::kConvInt8: {
        const auto& geo = st.geo;
        const Tensor* r = n.op == "ConvEltwiseAct" ? value_of(n.inputs[3]) : nullptr;
        int8_t* conv_y = st.has_pool ? st.conv_out.data() : outs[0].data<int8_t>();
        const int64_t hw_in = geo.h * geo.w, hw_out = geo.oh * geo.ow;
#ifdef EDGEINFER_HAVE_DNNL
        if (st.dnnl_conv) {
          NchwToNhwc(x->data<int8_t>(), st.x_nhwc.data(), geo.n, geo.c, hw_in, threads_);
          if (r) NchwToNhwc(r->data<int8_t>(), st.r_nhwc.data(), geo.n, geo.k, hw_out, threads_);
          st.dnnl_conv->Run(dnnl_->stream, st.x_nhwc.data(), r ? st.r_nhwc.data() : nullptr, st.y_nhwc.data(), st.acc.data(),
                            st.scratch.data());
          NhwcToNchw(st.y_nhwc.data(), conv_y, geo.n, geo.k, hw_out, threads_);
        }
#endif
        if (st.direct) {
          (void)hw_in;
          ParallelFor(threads_, geo.k, [&](int64_t k0, int64_t k1) {
            ConvAccumulateChannels(geo, x->data<int8_t>(), st.w, st.bias, st.acc.data(), k0, k1);
          });
          const int8_t* rp = r ? r->data<int8_t>() : nullptr;
          ParallelFor(threads_, geo.n * geo.k, [&](int64_t b, int64_t e) {
            for (int64_t q = b; q < e; ++q) {
              const size_t k = static_cast<size_t>(q % geo.k);
              for (int64_t i = q * hw_out; i < (q + 1) * hw_out; ++i) {
                conv_y[i] = int8::ApplyEpilogue(st.epilogue, st.acc[static_cast<size_t>(i)], k, rp ? rp[i] : 0);
              }
            }
          });
        }
        if (st.has_pool) {
          const Tensor& y = outs[0];
          if (y.rank() != 4) return Status::Error(g.Label(st.id) + ": pooled output must be NCHW");
          PoolChannels(st.pool, geo.n * geo.k, geo.oh, geo.ow, st.conv_out.data(), y.dim(2), y.dim(3), outs[0].data<int8_t>(), threads_);
        }
        break;
      }
      case StepKind::kGemmInt8: {
        const int8_t* a = x->data<int8_t>();
        const int64_t M = st.gemm_m, N = st.gemm_n, K = st.gemm_k;
        int8_t* y = outs[0].data<int8_t>();
        ParallelFor(threads_, N, [&](int64_t j0, int64_t j1) {
          for (int64_t i = 0; i < M; ++i) {
            for (int64_t j = j0; j < j1; ++j) {
              int32_t sum = st.bias ? st.bias[j] : 0;
              const int8_t* ar = a + i * K;
              if (st.gemm_tb) {
                const int8_t* br = st.w + j * K;
                for (int64_t p = 0; p < K; ++p) sum += static_cast<int32_t>(ar[p]) * static_cast<int32_t>(br[p]);
              } else {
                for (int64_t p = 0; p < K; ++p) sum += static_cast<int32_t>(ar[p]) * static_cast<int32_t>(st.w[p * N + j]);
              }
              y[i * N + j] = int8::ApplyEpilogue(st.epilogue, sum, static_cast<size_t>(j), 0);
            }
          }
        });
        break;
      }
      case StepKind::kPoolInt8: {
        const Tensor& y = outs[0];
        if (st.gap_requant) {
          const int64_t hw = x->dim(2) * x->dim(3);
          const int8_t* xp = x->data<int8_t>();
          int8_t* yp = outs[0].data<int8_t>();
          ParallelFor(threads_, x->dim(0) * x->dim(1), [&](int64_t b, int64_t e) {
            int8::GlobalAveragePoolRequant(e - b, hw, xp + b * hw, *st.gap_requant, yp + b);
          });
          break;
        }
        PoolChannels(st.pool, x->dim(0) * x->dim(1), x->dim(2), x->dim(3), x->data<int8_t>(), y.dim(2), y.dim(3),
                     outs[0].data<int8_t>(), threads_);
        break;
      }
      case StepKind::kReluInt8: {
        const int8_t* xp = x->data<int8_t>();
        int8_t* yp = outs[0].data<int8_t>();
        ParallelFor(threads_, x->numel(), [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) yp[i] = xp[i] > 0 ? xp[i] : 0;
        });
        break;
      }
      case StepKind::kReference: {
        const OpDef* def = FindOp(n.op);
        std::vector<const Tensor*> in;
        for (ValueId v : n.inputs) in.push_back(value_of(v));
        std::vector<Tensor*> out_ptrs;
        for (Tensor& t : outs) out_ptrs.push_back(&t);
        EI_RETURN_IF_ERROR(def->reference(n, in, out_ptrs).WithContext(name()));
        break;
      }
    }
    for (size_t i = 0; i < n.outputs.size(); ++i) vals[static_cast<size_t>(n.outputs[i])] = std::move(outs[i]);
    for (ValueId v : n.inputs) {
      if (v != kNoValue && !g.value(v).IsConstant() && --uses[static_cast<size_t>(v)] == 0) vals[static_cast<size_t>(v)] = Tensor();
    }
  }
  outputs->clear();
  for (ValueId v : g.outputs()) {
    const Value& val = g.value(v);
    (*outputs)[val.name] = val.IsConstant() ? *val.constant : vals[static_cast<size_t>(v)];
  }
  return Status::Ok();
}

}  // namespace edgeinfer::devices
