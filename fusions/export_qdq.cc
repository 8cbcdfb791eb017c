// INT8 graph -> Q/DQ ONNX graph (contract and pattern sketch in export_qdq.h).
// Steps: walk the compiled graph in topological order keeping, for every value, the float value of
// the output graph that holds its real value (`real_`): a float value maps to its copy, an int8
// value to the DequantizeLinear output written right after its QuantizeLinear. The compiled
// graph's own boundary Q nodes become Q ─► DQ pairs; its DQ nodes only map names (the DQ already
// exists); int8 compute nodes are expanded to their ONNX parts between DQ'd inputs and a Q/DQ'd
// output; float nodes are copied (fused ones expanded). Graph outputs keep their names: the DQ (or
// the last part) writes the output value itself.
#include "fusions/export_qdq.h"

#include <cmath>
#include <map>
#include <set>

#include "fusions/fusion_util.h"
#include "graph/ops/fused.h"
#include "graph/shape_inference.h"

namespace edgeinfer::fusions {

namespace {

// Attributes our passes add that are not ONNX attributes of the op.
bool InternalAttr(const std::string& a) {
  static const std::set<std::string> k = {"x_scale", "y_scale", "w_scale", "r_scale", "act_in_scale", "act_input",
                                          "pool_input", "concat_into", "concat_offset", "in_place"};
  return k.count(a) != 0;
}

class QdqWriter {
 public:
  explicit QdqWriter(const Graph& g) : g_(g) {}

  Result<Graph> Run() {
    out_.name = g_.name;
    out_.opset = 17;
    out_.metadata = g_.metadata;
    for (ValueId v : g_.inputs()) {
      const Value& iv = g_.value(v);
      if (iv.dtype != DType::kFloat32)
        return Status::Error("QDQ export: graph input '" + iv.name + "' is " + DTypeName(iv.dtype) + " (float inputs only; compile without --io-format int8)");
      ValueId o = out_.AddValue(iv.name, iv.dtype, iv.shape);
      out_.inputs().push_back(o);
      real_[v] = o;
    }
    // Float graph outputs that a compiled DequantizeLinear writes: the Q/DQ pair of its int8
    // input writes the output name directly.
    for (ValueId v : g_.outputs()) {
      const NodeId p = g_.value(v).producer;
      if (p != kNoNode && g_.node(p).op == "DequantizeLinear") output_of_[g_.node(p).inputs[0]] = v;
    }
    EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, g_.TopoOrder());
    for (NodeId id : order) EI_RETURN_IF_ERROR(Write(g_.node(id)));
    for (ValueId v : g_.outputs()) {
      auto it = real_.find(v);
      if (it == real_.end()) return Status::Error("QDQ export: graph output '" + g_.value(v).name + "' was not written");
      out_.outputs().push_back(it->second);
    }
    return std::move(out_);
  }

 private:
  // The output graph's float value holding the real value of compiled value v.
  Result<ValueId> Real(ValueId v) {
    if (v == kNoValue) return kNoValue;
    auto it = real_.find(v);
    if (it != real_.end()) return it->second;
    const Value& cv = g_.value(v);
    if (cv.IsConstant()) {
      ValueId c = out_.AddConstant(cv.name, cv.constant);
      real_[v] = c;
      return c;
    }
    return Status::Error("QDQ export: value '" + cv.name + "' is read before it is written");
  }

  ValueId Scalar(const std::string& name, float s) {
    return out_.AddConstant(name, Tensor::FromVector(DType::kFloat32, {}, std::vector<float>{s}));
  }
  ValueId ZeroPoint(const std::string& name) {
    return out_.AddConstant(name, Tensor::FromVector(DType::kInt8, {}, std::vector<int8_t>{0}));
  }
  ValueId NewFloat(const std::string& name) { return out_.AddValue(name, DType::kFloat32, Shape()); }

  // x (float) ─► Q(scale) ─► DQ ─► returned float value (named `dq_name`, or written into `into`).
  ValueId QdqPair(ValueId x, const std::string& base, float scale, ValueId into = kNoValue) {
    ValueId s = Scalar(base + "_scale", scale), z = ZeroPoint(base + "_zero_point");
    ValueId q = out_.AddValue(base + "_QuantizeLinear_Output", DType::kInt8, Shape());
    out_.AddNode("QuantizeLinear", base + "_QuantizeLinear", {x, s, z}, {q});
    ValueId y = into != kNoValue ? into : NewFloat(base + "_DequantizeLinear_Output");
    out_.AddNode("DequantizeLinear", base + "_DequantizeLinear", {q, s, z}, {y});
    return y;
  }

  // The float value an int8 compiled output `v` at `scale` is written as: pre (float) ─► Q ─► DQ.
  void WriteInt8Output(ValueId v, ValueId pre, float scale) {
    auto o = output_of_.find(v);
    ValueId into = kNoValue;
    if (o != output_of_.end()) {
      into = out_.AddValue(g_.value(o->second).name, DType::kFloat32, g_.value(o->second).shape);
      real_[o->second] = into;
    }
    real_[v] = QdqPair(pre, g_.value(v).name, scale, into);
  }

  // A float result `pre` of compiled float output v: maps v (its own name when it is a graph
  // output: the last node must write it, so `pre` is made under v's name by the caller).
  ValueId FloatOut(ValueId v) {
    ValueId o = out_.AddValue(g_.value(v).name, DType::kFloat32, g_.value(v).shape);
    real_[v] = o;
    return o;
  }

  static float ScaleOf(const Graph& g, ValueId v) {
    const auto& q = g.value(v).quant;
    return q && !q->scale.empty() ? q->scale[0] : 0.f;
  }

  Status Write(const Node& n) {
    if (n.op == "DequantizeLinear" && g_.value(n.inputs[0]).dtype == DType::kInt8 && real_.count(n.inputs[0])) {
      if (!real_.count(n.outputs[0])) real_[n.outputs[0]] = real_[n.inputs[0]];
      return Status::Ok();
    }
    if (n.op == "QuantizeLinear" && g_.value(n.outputs[0]).dtype == DType::kInt8) {
      const Tensor* s = ConstantOf(g_, n.inputs[1]);
      if (!s || s->numel() != 1) return Status::Error("QDQ export: QuantizeLinear '" + n.name + "' has no scalar constant scale");
      EI_ASSIGN_OR_RETURN(ValueId x, Real(n.inputs[0]));
      WriteInt8Output(n.outputs[0], x, static_cast<float>(s->GetAsDouble(0)));
      return Status::Ok();
    }
    const bool int8 = !n.inputs.empty() && g_.value(n.inputs[0]).dtype == DType::kInt8;
    for (ValueId v : n.inputs)
      if (v != kNoValue && g_.value(v).dtype == DType::kFloat16)
        return Status::Error("QDQ export: node '" + n.name + "' runs in FP16 (QDQ export is for INT8 and FP32 graphs)");
    if (ops::IsFusedOp(n.op)) return WriteFused(n, int8);
    // A plain ONNX op: on the real values; int8 outputs get their Q/DQ at their own scale.
    Node copy = n;
    for (ValueId& v : copy.inputs) {
      EI_ASSIGN_OR_RETURN(v, Real(v));
    }
    Attributes attrs;
    for (const auto& [k, val] : n.attrs.all()) if (!InternalAttr(k)) attrs.Set(k, val);
    std::vector<ValueId> outs;
    for (ValueId o : n.outputs) {
      if (g_.value(o).dtype == DType::kInt8) {
        outs.push_back(NewFloat(g_.value(o).name + "_float"));
      } else {
        outs.push_back(FloatOut(o));
      }
    }
    out_.AddNode(n.op, n.name, copy.inputs, outs, attrs);
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      if (g_.value(n.outputs[i]).dtype != DType::kInt8) continue;
      float s = ScaleOf(g_, n.outputs[i]);
      if (!(s > 0.f)) return Status::Error("QDQ export: int8 output '" + g_.value(n.outputs[i]).name + "' of '" + n.name + "' has no scale");
      WriteInt8Output(n.outputs[i], outs[i], s);
    }
    (void)int8;
    return Status::Ok();
  }

  // A weight: int8 constant with per-channel scales ─► DQ (axis 0), or a float constant as is.
  Result<ValueId> Weight(const Node& n, ValueId w, const std::vector<float>& w_scale) {
    const Value& wv = g_.value(w);
    if (wv.dtype != DType::kInt8) return Real(w);
    const int64_t ch = wv.constant->dim(0);
    std::vector<float> sc(static_cast<size_t>(ch));
    for (int64_t k = 0; k < ch; ++k) sc[static_cast<size_t>(k)] = w_scale.size() == 1 ? w_scale[0] : w_scale[static_cast<size_t>(k)];
    ValueId q = out_.AddConstant(wv.name + "_quantized", wv.constant);
    ValueId s = out_.AddConstant(wv.name + "_scale", Tensor::FromVector(DType::kFloat32, {ch}, sc));
    ValueId z = out_.AddConstant(wv.name + "_zero_point", Tensor::FromVector(DType::kInt8, {ch}, std::vector<int8_t>(static_cast<size_t>(ch), 0)));
    Attributes a;
    a.Set("axis", int64_t{0});
    ValueId y = NewFloat(wv.name + "_DequantizeLinear_Output");
    out_.AddNode("DequantizeLinear", wv.name + "_DequantizeLinear", {q, s, z}, {y}, a);
    (void)n;
    return y;
  }

  Result<ValueId> Bias(ValueId b, float x_scale, const std::vector<float>& w_scale) {
    const Value& bv = g_.value(b);
    if (bv.dtype != DType::kInt32) return Real(b);
    const int64_t ch = bv.constant->numel();
    std::vector<float> sc(static_cast<size_t>(ch));
    for (int64_t k = 0; k < ch; ++k) sc[static_cast<size_t>(k)] = x_scale * (w_scale.size() == 1 ? w_scale[0] : w_scale[static_cast<size_t>(k)]);
    ValueId q = out_.AddConstant(bv.name + "_quantized", bv.constant);
    ValueId s = out_.AddConstant(bv.name + "_scale", Tensor::FromVector(DType::kFloat32, {ch}, sc));
    ValueId z = out_.AddConstant(bv.name + "_zero_point", Tensor::FromVector(DType::kInt32, {ch}, std::vector<int32_t>(static_cast<size_t>(ch), 0)));
    Attributes a;
    a.Set("axis", int64_t{0});
    ValueId y = NewFloat(bv.name + "_DequantizeLinear_Output");
    out_.AddNode("DequantizeLinear", bv.name + "_DequantizeLinear", {q, s, z}, {y}, a);
    return y;
  }

  // The ONNX node computing activation `p` on x.
  ValueId Activation(const ops::ActParams& p, ValueId x, const std::string& name) {
    ValueId y = NewFloat(name + "_out");
    Attributes a;
    std::vector<ValueId> in = {x};
    std::string op;
    switch (p.kind) {
      case ops::ActKind::kRelu: op = "Relu"; break;
      case ops::ActKind::kLeakyRelu: op = "LeakyRelu", a.Set("alpha", p.alpha); break;
      case ops::ActKind::kClip:
        op = "Clip";
        in.push_back(Scalar(name + "_min", p.min));
        in.push_back(Scalar(name + "_max", p.max));
        break;
      case ops::ActKind::kSigmoid: op = "Sigmoid"; break;
      case ops::ActKind::kTanh: op = "Tanh"; break;
      case ops::ActKind::kHardSigmoid: op = "HardSigmoid", a.Set("alpha", p.alpha), a.Set("beta", p.beta); break;
      case ops::ActKind::kHardSwish: op = "HardSwish"; break;
      case ops::ActKind::kIdentity: return x;
    }
    out_.AddNode(op, name, in, {y}, a);
    return y;
  }

  Status WriteFused(const Node& n, bool int8) {
    const bool is_gemm = n.op == "GemmBiasAct";
    const float x_scale = n.attrs.GetFloat("x_scale", 0.f);
    const std::vector<float> w_scale = n.attrs.GetFloats("w_scale");
    if (int8 && (!(x_scale > 0.f) || w_scale.empty())) return Status::Error("QDQ export: int8 node '" + n.name + "' lacks x_scale/w_scale");
    EI_ASSIGN_OR_RETURN(ValueId x, Real(n.inputs[0]));
    EI_ASSIGN_OR_RETURN(ValueId w, Weight(n, n.inputs[1], w_scale));
    ValueId b = kNoValue;
    if (n.inputs.size() > 2 && n.inputs[2] != kNoValue) {
      EI_ASSIGN_OR_RETURN(b, Bias(n.inputs[2], x_scale, w_scale));
    }
    Node part = is_gemm ? ops::GemmPartOf(n) : ops::ConvPartOf(n);
    ValueId acc = NewFloat(n.name + (is_gemm ? "_gemm" : "_conv"));
    std::vector<ValueId> in = {x, w};
    if (b != kNoValue) in.push_back(b);
    out_.AddNode(part.op, n.name, in, {acc}, part.attrs);
    if (n.op == "ConvEltwiseAct") {
      EI_ASSIGN_OR_RETURN(ValueId r, Real(n.inputs[3]));
      ValueId sum = NewFloat(n.name + "_add");
      out_.AddNode("Add", n.name + "_add", {acc, r}, {sum});
      acc = sum;
    }
    EI_ASSIGN_OR_RETURN(std::optional<ops::ActParams> act, ops::ParseFusedActivation(n.attrs));
    const ValueId y = n.outputs[0];
    const bool pool = n.op == "ConvBiasActPool";
    if (act) {
      const float act_in = n.attrs.GetFloat("act_in_scale", 0.f);
      if (int8 && act_in > 0.f) acc = QdqPair(acc, n.name + "_act_input", act_in);   // the LUT's input scale
      acc = Activation(*act, acc, n.name + "_" + n.attrs.GetString("activation", "act"));
    }
    if (!int8) {
      if (pool) {
        Node pp = ops::PoolPartOf(n);
        out_.AddNode(pp.op, n.name + "_pool", {acc}, {FloatOut(y)}, pp.attrs);
      } else {
        out_.AddNode("Identity", n.name + "_out", {acc}, {FloatOut(y)});
      }
      return Status::Ok();
    }
    const float y_scale = n.attrs.GetFloat("y_scale", 0.f);
    if (!(y_scale > 0.f)) return Status::Error("QDQ export: int8 node '" + n.name + "' lacks y_scale");
    if (pool) {
      // Our kernel pools the int8 result at y_scale: Q/DQ, pool, Q/DQ at the same scale.
      ValueId pre = QdqPair(acc, n.name + "_prepool", y_scale);
      Node pp = ops::PoolPartOf(n);
      ValueId pooled = NewFloat(n.name + "_pool_out");
      out_.AddNode(pp.op, n.name + "_pool", {pre}, {pooled}, pp.attrs);
      acc = pooled;
    }
    WriteInt8Output(y, acc, y_scale);
    return Status::Ok();
  }

  const Graph& g_;
  Graph out_;
  std::map<ValueId, ValueId> real_;
  std::map<ValueId, ValueId> output_of_;   // int8 value -> the float graph output its DQ writes
};

}  // namespace

bool HasInt8(const Graph& g) {
  for (NodeId id : g.NodeIds())
    for (ValueId v : g.node(id).outputs)
      if (g.value(v).dtype == DType::kInt8) return true;
  return false;
}

Result<Graph> Int8GraphToQdq(const Graph& g) {
  QdqWriter w(g);
  EI_ASSIGN_OR_RETURN(Graph out, w.Run());
  EI_RETURN_IF_ERROR(InferShapes(out).WithContext("QDQ export"));
  return out;
}

}  // namespace edgeinfer::fusions
