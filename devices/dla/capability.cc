#include "devices/dla/capability.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "graph/ops/fused.h"

namespace edgeinfer::devices {

namespace {

// Ops whose INT8 arithmetic docs/int8-arithmetic.md defines (or that only move bytes).
const std::set<std::string> kInt8Defined = {"ConvBiasAct", "ConvBiasActPool", "ConvEltwiseAct", "GemmBiasAct",
                                            "MaxPool",     "GlobalMaxPool",   "AveragePool",    "GlobalAveragePool",
                                            "Relu",        "Reshape",
                                            "Flatten",     "Squeeze",         "Unsqueeze",      "Transpose",
                                            "Concat",      "Resize",          "Split"};
const std::set<std::string> kConvOps = {"Conv", "ConvTranspose", "ConvBiasAct", "ConvBiasActPool", "ConvEltwiseAct"};
const std::set<std::string> kActivationOps = {"Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "HardSigmoid", "HardSwish"};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "(orin-agx dla.limits.stride_max)"
std::string Key(const SocProfile& soc, const std::string& key) { return " (" + soc.name + " dla." + key + ")"; }

std::string Join(const std::vector<Precision>& v) {
  std::string s;
  for (Precision p : v) s += (s.empty() ? "" : ", ") + std::string(PrecisionName(p));
  return s;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::string Dims(const std::vector<int64_t>& v) {
  std::string s;
  for (int64_t x : v) s += (s.empty() ? "" : "x") + std::to_string(x);
  return s;
}

bool Contains(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// A value's range check: "<what> <v> exceeds the DLA's maximum <hi>" / "is below the DLA's minimum".
std::string RangeProblem(const std::string& what, int64_t v, int64_t lo, int64_t hi, const SocProfile& soc,
                         const std::string& key_lo, const std::string& key_hi) {
  if (v > hi) return what + " " + std::to_string(v) + " exceeds the DLA's maximum " + std::to_string(hi) + Key(soc, "limits." + key_hi);
  if (v < lo) return what + " " + std::to_string(v) + " is below the DLA's minimum " + std::to_string(lo) + Key(soc, "limits." + key_lo);
  return "";
}

// Rules for a convolution's own attributes (Conv, ConvTranspose and the fused convolutions).
std::string ConvProblem(const SocProfile& soc, const Graph& g, const Node& n, DType dt) {
  const DlaLimits& L = soc.dla.limits;
  if (n.inputs.size() < 2 || n.inputs[1] == kNoValue) return "has no weight input";
  const Shape& ws = g.value(n.inputs[1]).shape;
  if (ws.rank() != 4) return "the DLA runs 2-D convolutions only; the weight has rank " + std::to_string(ws.rank());
  std::vector<int64_t> kernel = {ws.dims[2], ws.dims[3]};
  for (int64_t k : kernel) {
    std::string p = RangeProblem("kernel " + Dims(kernel) + ": size", k, L.kernel_min, L.kernel_max, soc, "kernel_min", "kernel_max");
    if (!p.empty()) return p;
  }
  for (int64_t s : n.attrs.GetInts("strides", {1, 1})) {
    std::string p = RangeProblem("stride", s, L.stride_min, L.stride_max, soc, "stride_min", "stride_max");
    if (!p.empty()) return p;
  }
  for (int64_t d : n.attrs.GetInts("dilations", {1, 1})) {
    std::string p = RangeProblem("dilation", d, L.dilation_min, L.dilation_max, soc, "dilation_min", "dilation_max");
    if (!p.empty()) return p;
  }
  const std::string auto_pad = n.attrs.GetString("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && !auto_pad.empty()) {
    return "auto_pad=" + auto_pad + " is resolved only at run time; the DLA needs explicit pads";
  }
  std::vector<int64_t> pads = n.attrs.GetInts("pads", {0, 0, 0, 0});
  for (size_t i = 0; i < pads.size(); ++i) {
    if (pads[i] > L.pad_max) {
      return "padding " + std::to_string(pads[i]) + " exceeds the DLA's maximum " + std::to_string(L.pad_max) + Key(soc, "limits.pad_max");
    }
    if (pads[i] < 0) return "negative padding " + std::to_string(pads[i]) + " is not a DLA padding";
    const int64_t k = kernel[i % 2];
    if (pads[i] >= k) {
      return "padding " + std::to_string(pads[i]) + " is not smaller than the kernel size " + std::to_string(k) +
             Key(soc, "limits.pad_max");
    }
  }
  const int64_t group = n.attrs.GetInt("group", 1);
  if (group > 1 && dt == DType::kInt8 && n.op != "ConvTranspose") {
    // TensorRT: "the size of the groups ... must be a multiple of 4 for both input and output".
    const int64_t cpg = ws.dims[1];   // weight (K, C/group, R, S)
    const int64_t kpg = ws.dims[0] / group;
    const int64_t m = L.int8_group_channel_multiple;
    if (m > 1 && (cpg % m != 0 || kpg % m != 0)) {
      const bool in = cpg % m != 0;
      return "INT8 grouped convolution (group=" + std::to_string(group) + ") has " + std::to_string(in ? cpg : kpg) +
             (in ? " input" : " output") + " channels per group; the DLA needs a multiple of " + std::to_string(m) +
             Key(soc, "limits.int8_group_channel_multiple");
    }
  }
  return "";
}

std::string PoolWindowProblem(const SocProfile& soc, const std::vector<int64_t>& window, const std::string& what) {
  const DlaLimits& L = soc.dla.limits;
  for (int64_t k : window) {
    std::string p = RangeProblem(what + " " + Dims(window) + ": size", k, L.pool_window_min, L.pool_window_max, soc,
                                 "pool_window_min", "pool_window_max");
    if (!p.empty()) return p;
  }
  return "";
}

std::string ActivationProblem(const SocProfile& soc, const std::string& act, const std::string& what) {
  if (!Contains(soc.dla.limits.activations, act)) {
    return what + " " + act + " is not a DLA activation (it runs " + Join(soc.dla.limits.activations) + ")" +
           Key(soc, "limits.activations");
  }
  return "";
}

std::string Int8Problem(const Graph& g, const Node& n) {
  if (!kInt8Defined.count(n.op)) {
    if (n.op == "Conv" || n.op == "Gemm" || n.op == "MatMul" || n.op == "ConvTranspose") {
      return "INT8 " + n.op + " outside the fused ops has no requantization step defined (docs/int8-arithmetic.md); "
             "the quantizer emits ConvBiasAct/GemmBiasAct";
    }
    return "INT8 arithmetic is not defined for " + n.op + " (docs/int8-arithmetic.md defines the fused Conv/Gemm ops, "
           "max and average pooling, ReLU and data movement); it must run in FP16 on the DLA or fall back";
  }
  if (n.op == "Resize" && n.attrs.GetString("mode", "nearest") != "nearest") {
    return "INT8 Resize mode '" + n.attrs.GetString("mode", "nearest") + "' needs arithmetic; only nearest (a copy) is defined";
  }
  if (n.op == "Concat") {
    // One scale on every input and the output, so concatenating bytes is exact.
    const Value& y = g.value(n.outputs[0]);
    for (ValueId v : n.inputs) {
      if (v == kNoValue) continue;
      const Value& x = g.value(v);
      if (!x.quant || !y.quant || x.quant->scale != y.quant->scale) {
        return "INT8 Concat of '" + x.name + "' needs the same scale on every input and the output (no requantization on concat)";
      }
    }
  }
  return "";
}

}  // namespace

DType NodeDataType(const Graph& g, NodeId id) {
  const Node& n = g.node(id);
  for (ValueId v : n.inputs) {
    if (v != kNoValue && !g.value(v).IsConstant()) return g.value(v).dtype;
  }
  if (!n.outputs.empty()) return g.value(n.outputs[0]).dtype;
  return DType::kUndefined;
}

std::string DlaNativeFormat(const SocProfile& soc, DType dtype) {
  if (dtype != DType::kInt8 && dtype != DType::kFloat16) return "";
  auto it = soc.dla.native_formats.find(PrecisionName(PrecisionOfDType(dtype)));
  return it == soc.dla.native_formats.end() ? "" : it->second;
}

int FormatChannelBlock(const std::string& format) {
  if (format.size() > 3 && format.compare(0, 3, "CHW") == 0) {
    int b = 0;
    for (size_t i = 3; i < format.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(format[i]))) return 1;
      b = b * 10 + (format[i] - '0');
    }
    return b > 0 ? b : 1;
  }
  return 1;
}

Support DlaSupport(const SocProfile& soc, const Graph& g, NodeId id) {
  const Node& n = g.node(id);
  const std::string label = g.Label(id) + ": ";
  auto no = [&](const std::string& why) { return Support::No(label + why); };
  const DlaLimits& L = soc.dla.limits;

  // 1. engine and op.
  if (soc.dla.cores <= 0) return no("SoC profile '" + soc.name + "' has no DLA" + Key(soc, "cores"));
  if (!Contains(L.ops, n.op)) return no(n.op + " is not a DLA op" + Key(soc, "limits.ops"));

  // 2. precision: one DLA precision on every non-constant input and output.
  const DType dt = NodeDataType(g, id);
  if (dt == DType::kFloat32) {
    return no("FP32 is not a DLA precision (the DLA runs " + Join(soc.dla.precisions) + Key(soc, "precisions") +
              "); compile the model with --precision int8 or fp16");
  }
  if (dt != DType::kInt8 && dt != DType::kFloat16) {
    return no(std::string("data type ") + DTypeName(dt) + " is not a DLA precision (the DLA runs " +
              Join(soc.dla.precisions) + ")" + Key(soc, "precisions"));
  }
  const Precision prec = PrecisionOfDType(dt);
  if (std::find(soc.dla.precisions.begin(), soc.dla.precisions.end(), prec) == soc.dla.precisions.end()) {
    return no(std::string(PrecisionName(prec)) + " is not a precision of this DLA (it runs " + Join(soc.dla.precisions) + ")" + Key(soc, "precisions"));
  }
  auto check_dtype = [&](ValueId v, const char* role) -> std::string {
    const Value& val = g.value(v);
    if (val.IsConstant() || val.dtype == dt) return "";
    return std::string(role) + " '" + val.name + "' is " + DTypeName(val.dtype) + " but the node computes in " +
           DTypeName(dt) + "; the DLA does not convert precisions inside a layer";
  };
  for (ValueId v : n.inputs) {
    if (v == kNoValue) continue;
    std::string p = check_dtype(v, "input");
    if (!p.empty()) return no(p);
  }
  for (ValueId v : n.outputs) {
    std::string p = check_dtype(v, "output");
    if (!p.empty()) return no(p);
  }

  // 3. INT8 arithmetic defined.
  if (dt == DType::kInt8) {
    std::string p = Int8Problem(g, n);
    if (!p.empty()) return no(p);
  }

  // 4. static shapes within the DLA's dims.
  auto check_shape = [&](ValueId v) -> std::string {
    const Value& val = g.value(v);
    if (val.IsConstant()) return "";
    if (!val.shape.IsStatic()) return "tensor '" + val.name + "' has a dynamic shape " + val.shape.ToString() + "; the DLA needs static shapes";
    for (size_t i = 0; i < val.shape.rank(); ++i) {
      const int64_t d = val.shape.dims[i];
      if (i == 0 && val.shape.rank() >= 2) {
        if (d > L.max_batch) {
          return "batch " + std::to_string(d) + " of '" + val.name + "' exceeds the DLA's maximum " + std::to_string(L.max_batch) +
                 Key(soc, "limits.max_batch");
        }
      } else if (d > L.max_dim) {
        return "dimension " + std::to_string(i) + " of '" + val.name + "' is " + std::to_string(d) + ", above the DLA's maximum " +
               std::to_string(L.max_dim) + Key(soc, "limits.max_dim");
      }
    }
    return "";
  };
  for (ValueId v : n.inputs) {
    if (v == kNoValue) continue;
    std::string p = check_shape(v);
    if (!p.empty()) return no(p);
  }
  for (ValueId v : n.outputs) {
    std::string p = check_shape(v);
    if (!p.empty()) return no(p);
  }

  // 5. per-op rules.
  if (kConvOps.count(n.op)) {
    std::string p = ConvProblem(soc, g, n, dt);
    if (!p.empty()) return no(p);
  }
  if (ops::IsFusedOp(n.op) && n.attrs.Has("activation")) {
    std::string p = ActivationProblem(soc, n.attrs.GetString("activation", ""), "fused activation");
    if (!p.empty()) return no(p);
  }
  if (kActivationOps.count(n.op)) {
    std::string p = ActivationProblem(soc, n.op, "activation");
    if (!p.empty()) return no(p);
  }
  if (n.op == "ConvBiasActPool") {
    std::string p = PoolWindowProblem(soc, n.attrs.GetInts("pool_kernel_shape"), "fused pool window");
    if (!p.empty()) return no(p);
    for (int64_t s : n.attrs.GetInts("pool_strides", {1, 1})) {
      p = RangeProblem("fused pool stride", s, L.stride_min, L.stride_max, soc, "stride_min", "stride_max");
      if (!p.empty()) return no(p);
    }
  }
  if (n.op == "MaxPool" || n.op == "AveragePool") {
    const Shape& xs = g.value(n.inputs[0]).shape;
    if (xs.rank() != 4) return no("the DLA pools 2-D maps only; the input has rank " + std::to_string(xs.rank()));
    std::string p = PoolWindowProblem(soc, n.attrs.GetInts("kernel_shape"), "pool window");
    if (!p.empty()) return no(p);
    for (int64_t s : n.attrs.GetInts("strides", {1, 1})) {
      p = RangeProblem("pool stride", s, L.stride_min, L.stride_max, soc, "stride_min", "stride_max");
      if (!p.empty()) return no(p);
    }
  }
  if (n.op == "GlobalAveragePool" || n.op == "GlobalMaxPool") {
    const Shape& xs = g.value(n.inputs[0]).shape;
    if (xs.rank() != 4) return no("the DLA pools 2-D maps only; the input has rank " + std::to_string(xs.rank()));
    std::string p = PoolWindowProblem(soc, {xs.dims[2], xs.dims[3]}, "global pool window");
    if (!p.empty()) return no(p);
  }
  if (n.op == "Gemm" || n.op == "GemmBiasAct") {
    if (n.attrs.GetInt("transA", 0) != 0) return no("transA=1: the DLA runs Gemm as a 1x1 convolution over rows of A");
  }
  if (n.op == "MatMul") {
    if (n.inputs.size() < 2 || !g.value(n.inputs[1]).IsConstant()) return no("MatMul needs constant weights (input B) on the DLA");
  }
  if (n.op == "Concat") {
    const int64_t rank = static_cast<int64_t>(g.value(n.outputs[0]).shape.rank());
    int64_t axis = n.attrs.GetInt("axis", 1);
    if (axis < 0) axis += rank;
    if (axis != 1) return no("Concat on axis " + std::to_string(axis) + ": the DLA concatenates along channels (axis 1) only");
  }
  return Support::Yes();
}

}  // namespace edgeinfer::devices
