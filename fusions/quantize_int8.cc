// INT8 quantization of the fused graph (post-training, from a calibration table).
//
//   X ─► ConvBiasAct(W, b) ─► Y      =>   X ─► Q ─► ConvBiasAct(Wq, bq; x_scale, w_scale, y_scale) ─► Yq ─► DQ ─► Y
//   (a following quantized node reads Yq directly; Q/DQ pairs vanish between INT8 nodes)
//
// Steps, in topological order:
//   1. a compute node (Conv, Gemm, ConvBiasAct, ConvBiasActPool, ConvEltwiseAct, GemmBiasAct) is
//      quantized when its guards hold: X float32 with a known scale (from an INT8 producer, else the
//      calibration table), constant float32 weights, 2-D Conv / 2-D Gemm with transA=0, reduction
//      length <= 2^17 (int32 accumulation cannot overflow), Y's scale known (ConvBiasActPool: the
//      pre-pool tensor's; a merged horizontal conv: the largest of its split outputs'), a LUT
//      activation's input scale known, R's scale known, and not excluded by mixed precision
//      (option "int8_exclude": comma-separated node names). Weights become int8 per output channel
//      (scale max|w|/127), the bias int32 (x_scale*w_scale), Gemm's alpha/beta fold into them and
//      its B is stored [N, K] (transB=1), so every INT8 weight is per-channel along axis 0.
//      A bare Conv/Gemm becomes ConvBiasAct/GemmBiasAct without activation (one INT8 op family).
//   2. a scale-preserving node (MaxPool, AveragePool / GlobalAveragePool (2-D, undilated: the int8
//      average rounds half away from zero, docs/int8-arithmetic.md step 5; a GlobalAveragePool whose
//      output was calibrated is requantized to that range instead), Relu, Split, Flatten, Reshape, Squeeze, Unsqueeze,
//      Transpose) whose input 0 is already int8 runs on int8 at the same scale. A node whose output
//      only feeds a Concat takes the Concat's range (the outermost of nested Concats), so a Concat
//      of int8 inputs at one scale concatenates int8 (TensorRT's concat scale propagation); when a
//      branch of the Concat is a pool of an int8 tensor whose scale covers the Concat's range, the
//      Concat takes that branch's scale instead (PreservedBranchScale).
//   3. every int8 output gets a DequantizeLinear to its original float name, so float consumers
//      and graph outputs are unchanged; the ones nobody reads are removed at the end.
// Scales follow docs/int8-arithmetic.md; refusals say which guard failed and the node stays float.
// An explicitly quantized (Q/DQ) model's scales (convert_qdq: PassContext::qdq_scales/qdq_exact)
// come first and are taken exactly, activation and per-channel weight scales alike; a calibration
// table fills the tensors the model did not quantize.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "fusions/calibration.h"
#include "fusions/fusion_util.h"
#include "fusions/passes.h"
#include "graph/ops/fused.h"
#include "graph/quant/int8_math.h"

namespace edgeinfer::fusions {

namespace {

struct QVal {
  ValueId v = kNoValue;
  float scale = 0.f;
};

class Quantizer {
 public:
  // A Q/DQ model's own scales come first; a calibration table given as well fills the tensors the
  // model did not quantize.
  Quantizer(Graph& g, PassContext& ctx)
      : g_(g), ctx_(ctx), table_(ctx.qdq_scales ? ctx.qdq_scales.get() : ctx.calibration),
        fallback_(ctx.qdq_scales ? ctx.calibration : nullptr), exact_(ctx.qdq_exact.get()) {
    auto it = ctx.options.find("int8_exclude");
    if (it != ctx.options.end()) {
      std::stringstream ss(it->second);
      std::string name;
      while (std::getline(ss, name, ',')) if (!name.empty()) exclude_.insert(name);
    }
  }

  Status Run() {
    EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, g_.TopoOrder());
    for (NodeId id : order) {
      const std::string op = g_.node(id).op;
      if (op == "Conv" || op == "Gemm" || ops::IsFusedOp(op)) {
        EI_RETURN_IF_ERROR(QuantizeCompute(id));
      } else if (IsScalePreserving(op)) {
        EI_RETURN_IF_ERROR(PassThrough(id));
      } else if (op == "Concat") {
        ConcatInt8(id);
      }
    }
    // Drop the DequantizeLinear nodes nobody reads.
    int removed = 0;
    for (NodeId d : dq_nodes_) {
      ValueId out = g_.node(d).outputs[0];
      if (!g_.IsGraphOutput(out) && ConsumersOf(g_, out).empty()) { g_.RemoveNode(d); ++removed; }
    }
    if (ctx_.report) {
      ctx_.report->notes.push_back("int8: " + std::to_string(quantized_) + " nodes quantized, " + std::to_string(q_nodes_) +
                                   " QuantizeLinear and " + std::to_string(dq_nodes_.size() - static_cast<size_t>(removed)) +
                                   " DequantizeLinear at float boundaries");
    }
    return Status::Ok();
  }

 private:
  static bool IsScalePreserving(const std::string& op) {
    return op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" || op == "Relu" || op == "Split" || op == "Flatten" || op == "Reshape" || op == "Squeeze" ||
           op == "Unsqueeze" || op == "Transpose";
  }

  float Amax(const std::string& name) const {
    for (const CalibrationTable* t : {table_, fallback_}) {
      if (!t) continue;
      auto it = t->amax.find(name);
      if (it != t->amax.end()) return it->second;
    }
    return -1.f;
  }
  static float ScaleOfAmax(float amax) { return amax > 0.f ? amax / 127.f : 1.f / 127.f; }
  // The scale of a named tensor whose amax is `amax`: a Q/DQ model's own scale exactly when it
  // quantized that tensor, else amax / 127.
  float ScaleOfNamed(const std::string& name, float amax) const {
    if (exact_) {
      auto it = exact_->activation.find(name);
      if (it != exact_->activation.end()) return it->second;
    }
    return ScaleOfAmax(amax);
  }

  // The scale an int8 version of float value v has or would have; 0 when unknown.
  float ScaleFor(ValueId v) const {
    auto it = qmap_.find(v);
    if (it != qmap_.end()) return it->second.scale;
    float a = Amax(g_.value(v).name);
    return a < 0.f ? 0.f : ScaleOfNamed(g_.value(v).name, a);
  }

  ValueId ScalarConst(const std::string& name, float s) {
    return g_.AddConstant(name, Tensor::FromVector(DType::kFloat32, {}, std::vector<float>{s}));
  }
  ValueId ZeroPoint(const std::string& name) {
    return g_.AddConstant(name, Tensor::FromVector(DType::kInt8, {}, std::vector<int8_t>{0}));
  }

  // The int8 version of float value v (a QuantizeLinear is added the first time).
  QVal Quantized(ValueId v, float scale) {
    auto it = qmap_.find(v);
    if (it != qmap_.end()) return it->second;
    const Value& fv = g_.value(v);
    const std::string base = fv.name;
    Shape shape = fv.shape;
    ValueId q = g_.AddValue(base + "_i8", DType::kInt8, shape);
    g_.value(q).quant = QuantParams{{scale}, {0}, -1};
    ValueId sc = ScalarConst(base + "_scale", scale), zp = ZeroPoint(base + "_zp");
    g_.AddNode("QuantizeLinear", base + "_quantize", {v, sc, zp}, {q});
    ++q_nodes_;
    qmap_[v] = {q, scale};
    return qmap_[v];
  }

  // Makes output `slot` of node id int8 at `scale`: a new int8 value is written and a
  // DequantizeLinear restores the float value under its original name.
  void QuantizeOutput(NodeId id, size_t slot, float scale) {
    const ValueId fv = g_.node(id).outputs[slot];
    const std::string base = g_.value(fv).name;
    Shape shape = g_.value(fv).shape;
    ValueId q = g_.AddValue(base + "_i8", DType::kInt8, shape);
    g_.value(q).quant = QuantParams{{scale}, {0}, -1};
    g_.node(id).outputs[slot] = q;
    g_.value(q).producer = id;
    g_.value(fv).producer = kNoNode;
    ValueId sc = ScalarConst(base + "_scale", scale), zp = ZeroPoint(base + "_zp");
    dq_nodes_.push_back(g_.AddNode("DequantizeLinear", base + "_dequantize", {q, sc, zp}, {fv}));
    qmap_[fv] = {q, scale};
  }

  // The amax of the Concat that `v` flows into alone (through nested Concats, the outermost's), or
  // -1 when `v` has another use or no Concat reads it.
  float ConcatAmax(ValueId v, std::string* name = nullptr) const {
    if (g_.IsGraphOutput(v) || UseCount(g_, v) != 1) return -1.f;
    std::vector<NodeId> cons = ConsumersOf(g_, v);
    if (cons.size() != 1 || g_.node(cons[0]).op != "Concat") return -1.f;
    const ValueId out = g_.node(cons[0]).outputs[0];
    const float outer = ConcatAmax(out, name);
    if (outer >= 0.f) return outer;
    if (name) *name = g_.value(out).name;
    return Amax(g_.value(out).name);
  }

  // A Concat can only take one scale for all its inputs. When one input comes from a
  // scale-preserving node (a pool beside convolution branches, as in Inception's reduction blocks)
  // whose input is already int8, that branch's scale is fixed; if it covers the Concat's calibrated
  // range, the Concat takes it exactly and the convolution branches requantize into it in their
  // epilogues (free), so the Concat stays int8. Returns that scale, or 0. Only for a Concat that
  // `v` feeds alone and that feeds no outer Concat (nested Concats keep the outermost's range).
  float PreservedBranchScale(ValueId v) const {
    if (g_.IsGraphOutput(v) || UseCount(g_, v) != 1) return 0.f;
    std::vector<NodeId> cons = ConsumersOf(g_, v);
    if (cons.size() != 1 || g_.node(cons[0]).op != "Concat") return 0.f;
    const Node& cat = g_.node(cons[0]);
    if (ConcatAmax(cat.outputs[0]) >= 0.f) return 0.f;
    float best = 0.f;
    for (ValueId u : cat.inputs) {
      if (u == v) continue;
      // A branch already made int8 at a scale fixed by its input (the pool ran before this
      // convolution in topological order), or one that will be (a pool of an int8 tensor).
      const NodeId p = g_.value(u).producer;
      if (p == kNoNode) continue;
      const Node& pn = g_.node(p);
      const bool fixed = pn.op == "DequantizeLinear" && !pn.inputs.empty() && g_.value(pn.inputs[0]).producer != kNoNode &&
                         IsScalePreserving(g_.node(g_.value(pn.inputs[0]).producer).op) &&
                         g_.node(g_.value(pn.inputs[0]).producer).op != "GlobalAveragePool";
      if (fixed) {
        best = std::max(best, qmap_.count(u) ? qmap_.at(u).scale : 0.f);
        continue;
      }
      if (!IsScalePreserving(pn.op) || pn.op == "GlobalAveragePool" || pn.inputs.empty()) continue;
      auto it = qmap_.find(pn.inputs[0]);
      if (it != qmap_.end()) best = std::max(best, it->second.scale);
    }
    return best > 0.f && best * 127.f >= Amax(g_.value(cat.outputs[0]).name) ? best : 0.f;
  }

  // A Concat whose inputs are all int8 at one scale concatenates int8; otherwise it stays float.
  void ConcatInt8(NodeId id) {
    const Node& n = g_.node(id);
    float scale = -1.f;
    for (ValueId v : n.inputs) {
      auto it = qmap_.find(v);
      if (it == qmap_.end()) return;
      if (scale < 0.f) scale = it->second.scale;
      if (it->second.scale != scale) return;
    }
    for (ValueId& v : g_.node(id).inputs) v = qmap_[v].v;
    QuantizeOutput(id, 0, scale);
  }

  Status PassThrough(NodeId id) {
    const Node& n = g_.node(id);
    if (n.inputs.empty() || !qmap_.count(n.inputs[0])) return Status::Ok();
    if (n.op == "MaxPool" && n.outputs.size() > 1) return Status::Ok();
    if (n.op == "AveragePool" || n.op == "GlobalAveragePool") {
      // The int8 average (sum / count, rounded half away from zero, same scale) is defined for
      // undilated 2-D windows; the error against the float average is at most half a step.
      bool dilated = false;
      for (int64_t d : n.attrs.GetInts("dilations")) dilated = dilated || d != 1;
      if (g_.value(n.inputs[0]).shape.rank() != 4 || dilated) {
        ctx_.Refuse(n.name, "stays float: int8 average pooling is 2-D and undilated only");
        return Status::Ok();
      }
    }
    const QVal in = qmap_[n.inputs[0]];
    g_.node(id).inputs[0] = in.v;
    if (n.op == "GlobalAveragePool") {
      // The average of a map is narrower than the map: requantize it to its own calibrated range
      // (x_scale / y_scale attributes; docs/int8-arithmetic.md step 5) when it has one.
      const float out_amax = Amax(g_.value(n.outputs[0]).name);
      if (out_amax > 0.f) {
        const float y_scale = ScaleOfNamed(g_.value(n.outputs[0]).name, out_amax);
        g_.node(id).attrs.Set("x_scale", in.scale);
        g_.node(id).attrs.Set("y_scale", y_scale);
        QuantizeOutput(id, 0, y_scale);
        return Status::Ok();
      }
    }
    for (size_t i = 0; i < g_.node(id).outputs.size(); ++i) QuantizeOutput(id, i, in.scale);
    return Status::Ok();
  }

  Status QuantizeCompute(NodeId id) {
    const Node n = g_.node(id);
    auto refuse = [&](const std::string& why) {
      ctx_.Refuse(n.name, "stays float: " + why);
      return Status::Ok();
    };
    if (exclude_.count(n.name)) return refuse("excluded by mixed precision (INT8 error above the threshold)");
    const bool is_gemm = n.op == "Gemm" || n.op == "GemmBiasAct";
    const ValueId x = n.inputs[0];
    if (g_.value(x).dtype != DType::kFloat32) return refuse("input is not float32");
    const Tensor* w = ConstantOf(g_, n.inputs[1]);
    const bool has_b = n.inputs.size() > 2 && n.inputs[2] != kNoValue;
    const Tensor* b = has_b ? ConstantOf(g_, n.inputs[2]) : nullptr;
    if (!w || w->dtype() != DType::kFloat32 || (has_b && !b)) return refuse("weights or bias are not float32 constants");
    const bool tb = n.attrs.GetInt("transB", 0) != 0;
    int64_t channels = 0, reduction = 0;
    if (is_gemm) {
      if (w->rank() != 2 || g_.value(x).shape.rank() != 2 || n.attrs.GetInt("transA", 0) != 0) {
        return refuse("INT8 Gemm needs 2-D A and B and transA=0");
      }
      channels = tb ? w->dim(0) : w->dim(1);
      reduction = tb ? w->dim(1) : w->dim(0);
      if (b && b->numel() != channels && b->numel() != 1) return refuse("C is not a per-column bias");
    } else {
      if (w->rank() != 4) return refuse("INT8 convolution is 2-D only");
      channels = w->dim(0);
      reduction = w->numel() / channels;
    }
    if (reduction > (1 << 17)) return refuse("reduction of " + std::to_string(reduction) + " terms could overflow int32");
    const float x_scale = ScaleFor(x);
    if (!(x_scale > 0.f)) return refuse("input '" + g_.value(x).name + "' has no calibrated range");
    // Output scale.
    const ValueId y = n.outputs[0];
    std::string y_name = n.op == "ConvBiasActPool" ? n.attrs.GetString("pool_input", "") : g_.value(y).name;
    float y_amax = Amax(y_name);
    if (y_amax < 0.f) {
      std::vector<NodeId> cons = ConsumersOf(g_, y);
      if (cons.size() == 1 && g_.node(cons[0]).op == "Split") {
        y_name.clear();   // the largest of several ranges: amax / 127
        for (ValueId o : g_.node(cons[0]).outputs) {
          const float c = ConcatAmax(o);
          y_amax = std::max(y_amax, c >= 0.f ? c : Amax(g_.value(o).name));
        }
      }
    }
    // An output that only feeds a Concat takes the Concat's range, so all of the Concat's inputs
    // share one scale and it concatenates int8 values (no Dequantize/Quantize around it).
    std::string cat_name;
    if (const float c = ConcatAmax(y, &cat_name); c >= 0.f && n.op != "ConvBiasActPool") y_amax = c, y_name = cat_name;
    if (y_amax < 0.f) return refuse("output '" + g_.value(y).name + "' has no calibrated range");
    const float branch_scale = n.op != "ConvBiasActPool" ? PreservedBranchScale(y) : 0.f;
    const float y_scale = branch_scale > 0.f ? branch_scale : ScaleOfNamed(y_name, y_amax);
    // LUT activation input scale.
    Result<std::optional<ops::ActParams>> act = ops::ParseFusedActivation(n.attrs);
    if (!act.ok()) return act.status();
    float act_in_scale = 0.f;
    if (act.value() && act.value()->kind != ops::ActKind::kRelu && act.value()->kind != ops::ActKind::kClip) {
      float a = -1.f;
      std::string a_name;
      for (const std::string& name : ActInputs(n))
        if (Amax(name) > a) a = Amax(name), a_name = name;
      if (a < 0.f) return refuse("the pre-activation tensor of its " + n.attrs.GetString("activation", "") + " has no calibrated range");
      act_in_scale = ScaleOfNamed(a_name, a);
    }
    float r_scale = 0.f;
    const bool residual = n.op == "ConvEltwiseAct";
    if (residual) {
      r_scale = ScaleFor(n.inputs[3]);
      if (!(r_scale > 0.f)) return refuse("residual '" + g_.value(n.inputs[3]).name + "' has no calibrated range");
    }

    // Weights per output channel, alpha folded (Gemm).
    const float alpha = is_gemm ? n.attrs.GetFloat("alpha", 1.f) : 1.f;
    const float beta = is_gemm ? n.attrs.GetFloat("beta", 1.f) : 1.f;
    std::vector<float> wf = ToFloats(*w);
    for (float& v : wf) v *= alpha;
    auto widx = [&](int64_t ch, int64_t r) -> size_t {
      if (!is_gemm || tb) return static_cast<size_t>(ch * reduction + r);
      return static_cast<size_t>(r * channels + ch);   // Gemm B [K, N]
    };
    // INT8 weights are stored output-channel-major (Conv [K, C/g, R, S]; Gemm [N, K] with transB=1),
    // so per-channel quantization is along axis 0 for every INT8 node.
    auto qidx = [&](int64_t ch, int64_t r) -> size_t { return static_cast<size_t>(ch * reduction + r); };
    std::vector<float> w_scale(static_cast<size_t>(channels));
    std::vector<int8_t> wq(wf.size());
    // A Q/DQ model's own weight scales (per output channel, or one), taken as they are.
    const std::vector<float>* own = nullptr;
    if (exact_ && alpha == 1.f) {
      const std::string& wn = g_.value(n.inputs[1]).name;
      auto it = exact_->weight.find(wn);
      const int64_t ch_axis = is_gemm && !tb ? 1 : 0;
      if (it != exact_->weight.end() &&
          ((it->second.size() == static_cast<size_t>(channels) && exact_->weight_axis.at(wn) == ch_axis) || it->second.size() == 1))
        own = &it->second;
    }
    for (int64_t ch = 0; ch < channels; ++ch) {
      float m = 0.f;
      for (int64_t r = 0; r < reduction; ++r) m = std::max(m, std::fabs(wf[widx(ch, r)]));
      float s = m > 0.f ? m / 127.f : 1.f;
      if (own) s = (*own)[own->size() == 1 ? 0 : static_cast<size_t>(ch)];
      w_scale[static_cast<size_t>(ch)] = s;
      for (int64_t r = 0; r < reduction; ++r) wq[qidx(ch, r)] = int8::QuantizeToInt8(wf[widx(ch, r)], s);
    }
    std::vector<int64_t> wdims = is_gemm ? std::vector<int64_t>{channels, reduction} : w->dims();
    ValueId wv = g_.AddConstant(g_.value(n.inputs[1]).name + "_i8", Tensor::FromVector(DType::kInt8, wdims, wq));
    g_.value(wv).quant = QuantParams{w_scale, {}, 0};
    ValueId bv = kNoValue;
    if (b) {
      std::vector<int32_t> bq(static_cast<size_t>(channels));
      for (int64_t ch = 0; ch < channels; ++ch) {
        float bf = static_cast<float>(b->GetAsDouble(b->numel() == 1 ? 0 : ch)) * beta;
        bq[static_cast<size_t>(ch)] = int8::QuantizeBias(bf, x_scale, w_scale[static_cast<size_t>(ch)]);
      }
      bv = g_.AddConstant(n.name + "_bias_i32", Tensor::FromVector(DType::kInt32, {channels}, bq));
    }
    // Rewrite.
    QVal xq = Quantized(x, x_scale);
    QVal rq;
    if (residual) rq = Quantized(n.inputs[3], r_scale);
    Node& m = g_.node(id);
    if (m.op == "Conv") m.op = "ConvBiasAct";
    if (m.op == "Gemm") m.op = "GemmBiasAct";
    m.inputs = {xq.v, wv, bv};
    if (residual) m.inputs.push_back(rq.v);
    while (!m.inputs.empty() && m.inputs.back() == kNoValue) m.inputs.pop_back();
    if (is_gemm) {
      m.attrs.Set("alpha", 1.f);
      m.attrs.Set("beta", 1.f);
      m.attrs.Set("transB", int64_t{1});
    }
    m.attrs.Set("x_scale", xq.scale);
    m.attrs.Set("w_scale", w_scale);
    m.attrs.Set("y_scale", y_scale);
    if (residual) m.attrs.Set("r_scale", rq.scale);
    if (act_in_scale > 0.f) m.attrs.Set("act_in_scale", act_in_scale);
    QuantizeOutput(id, 0, y_scale);
    ++quantized_;
    ctx_.Fused("QuantizeInt8", {n.name}, n.name);
    return Status::Ok();
  }

  static std::vector<std::string> ActInputs(const Node& n) {
    auto it = n.attrs.all().find("act_input");
    if (it == n.attrs.all().end()) return {};
    if (auto* v = std::get_if<std::vector<std::string>>(&it->second)) return *v;
    if (auto* s = std::get_if<std::string>(&it->second)) return {*s};
    return {};
  }

  Graph& g_;
  PassContext& ctx_;
  const CalibrationTable* table_;
  const CalibrationTable* fallback_;
  const PassContext::QdqExact* exact_;
  std::set<std::string> exclude_;
  std::map<ValueId, QVal> qmap_;
  std::vector<NodeId> dq_nodes_;
  int quantized_ = 0;
  int q_nodes_ = 0;
};

}  // namespace

Status QuantizeInt8(Graph& g, PassContext& ctx) {
  if (!ctx.calibration && !ctx.qdq_scales) {
    return Status::Error("INT8 needs calibration data (--calib DATA or a calibration cache) or an explicitly quantized (Q/DQ) model");
  }
  Quantizer q(g, ctx);
  return q.Run();
}

}  // namespace edgeinfer::fusions
