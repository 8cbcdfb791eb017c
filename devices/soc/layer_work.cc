// DescribeNode: graph node -> LayerWork. Reads shapes (already inferred) and the ONNX / fused
// attributes named in graph/ops/fused.h; computes a fused ConvBiasActPool's pre-pool map from the
// Conv attributes, since the graph only stores the pooled output.
#include "devices/soc/layer_work.h"

#include <algorithm>
#include <set>

namespace edgeinfer::devices {
namespace {

int64_t Dim(const Shape& s, size_t i, int64_t dynamic_extent) {
  if (i >= s.rank()) return 1;
  return s.dims[i] == kDynamic ? dynamic_extent : s.dims[i];
}

int64_t Elements(const Shape& s, int64_t dynamic_extent) {
  int64_t n = 1;
  for (size_t i = 0; i < s.rank(); ++i) n *= Dim(s, i, dynamic_extent);
  return n;
}

// Output extent of a sliding window (floor mode unless ceil_mode).
int64_t WindowOut(int64_t in, int64_t k, int64_t stride, int64_t pad_total, int64_t dilation, bool ceil_mode = false) {
  const int64_t eff = dilation * (k - 1) + 1;
  const int64_t num = in + pad_total - eff;
  if (num < 0) return 0;
  return (ceil_mode ? (num + stride - 1) / stride : num / stride) + 1;
}

const std::set<std::string> kEltwiseOps = {"Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean", "BatchNormalization",
                                           "PRelu", "InstanceNormalization"};
const std::set<std::string> kActivationOps = {"Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "HardSigmoid",
                                              "HardSwish", "Elu", "Selu", "Softplus", "Softsign", "Exp", "Log",
                                              "Sqrt", "Abs", "Neg", "Erf", "Gelu", "Mish", "Identity"};

}  // namespace

const char* LayerKindName(LayerKind k) {
  switch (k) {
    case LayerKind::kConv: return "conv";
    case LayerKind::kDeconv: return "deconv";
    case LayerKind::kGemm: return "gemm";
    case LayerKind::kPool: return "pool";
    case LayerKind::kEltwise: return "eltwise";
    case LayerKind::kActivation: return "activation";
    case LayerKind::kOther: return "other";
  }
  return "other";
}

const char* BoundName(Bound b) { return b == Bound::kCompute ? "compute" : "memory"; }

int64_t LayerWork::Macs() const {
  const int64_t g = std::max<int64_t>(groups, 1);
  switch (kind) {
    case LayerKind::kConv: return N * K * OH * OW * (C / g) * R * S;
    case LayerKind::kDeconv: return N * C * H * W * (K / g) * R * S;
    case LayerKind::kGemm: return N * C * K * OH * OW;
    default: return 0;
  }
}

void LayerWork::FillBytes() {
  const int64_t p = precision_bytes;
  const int64_t g = std::max<int64_t>(groups, 1);
  input_bytes = N * C * H * W * p;
  const int64_t oh = pool_window > 0 ? pool_OH : OH;
  const int64_t ow = pool_window > 0 ? pool_OW : OW;
  output_bytes = N * K * oh * ow * p;
  switch (kind) {
    case LayerKind::kConv:
    case LayerKind::kDeconv: weight_bytes = K * (C / g) * R * S * p; break;
    case LayerKind::kGemm: weight_bytes = C * K * p; break;
    default: weight_bytes = 0;
  }
  residual_bytes = has_residual ? N * K * OH * OW * p : 0;
}

LayerWork ConvWork(std::string name, int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t S,
                   int64_t stride, int64_t pad, int precision_bytes, int64_t groups, int64_t dilation) {
  LayerWork w;
  w.name = std::move(name);
  w.kind = LayerKind::kConv;
  w.N = N; w.C = C; w.H = H; w.W = W; w.K = K; w.R = R; w.S = S;
  w.stride_h = w.stride_w = stride;
  w.dilation_h = w.dilation_w = dilation;
  w.groups = groups;
  w.precision_bytes = precision_bytes;
  w.OH = WindowOut(H, R, stride, 2 * pad, dilation);
  w.OW = WindowOut(W, S, stride, 2 * pad, dilation);
  w.FillBytes();
  return w;
}

LayerWork GemmWork(std::string name, int64_t N, int64_t in_features, int64_t out_features, int precision_bytes) {
  LayerWork w;
  w.name = std::move(name);
  w.kind = LayerKind::kGemm;
  w.N = N; w.C = in_features; w.K = out_features;
  w.precision_bytes = precision_bytes;
  w.FillBytes();
  return w;
}

void FusePool(LayerWork* w, int64_t window, int64_t stride, int64_t pad) {
  w->pool_window = window;
  w->pool_stride = stride;
  w->pool_OH = WindowOut(w->OH, window, stride, 2 * pad, 1);
  w->pool_OW = WindowOut(w->OW, window, stride, 2 * pad, 1);
  w->FillBytes();
}

Result<LayerWork> DescribeNode(const Graph& g, NodeId id, int64_t dynamic_extent) {
  if (id < 0 || static_cast<size_t>(id) >= g.num_node_slots()) return Status::Error("DescribeNode: no node " + std::to_string(id));
  const Node& n = g.node(id);
  const std::string label = g.Label(id);
  if (n.inputs.empty() || n.outputs.empty() || n.inputs[0] == kNoValue)
    return Status::Error(label + ": needs at least one input and one output to describe its work");
  const Value& x = g.value(n.inputs[0]);
  const Value& y = g.value(n.outputs[0]);
  if (x.shape.rank() == 0 && n.op != "Identity") return Status::Error(label + ": input '" + x.name + "' has no inferred shape");
  if (y.shape.rank() == 0) return Status::Error(label + ": output '" + y.name + "' has no inferred shape");
  const int64_t de = dynamic_extent;

  LayerWork w;
  w.name = n.name;
  w.precision_bytes = static_cast<int>(std::max<size_t>(DTypeSize(x.dtype), 1));
  const std::string& op = n.op;
  const bool conv_like = op == "Conv" || op == "ConvBiasAct" || op == "ConvBiasActPool" || op == "ConvEltwiseAct";

  if (conv_like || op == "ConvTranspose") {
    if (n.inputs.size() < 2 || n.inputs[1] == kNoValue) return Status::Error(label + ": missing weight input");
    const Value& wv = g.value(n.inputs[1]);
    if (x.shape.rank() != 4 || wv.shape.rank() != 4)
      return Status::Error(label + ": only 2-D convolutions (rank-4 input and weight) are described; input is " +
                           x.shape.ToString());
    const Attributes& a = n.attrs;
    const auto ks = a.GetInts("kernel_shape", {wv.shape[2], wv.shape[3]});
    const auto st = a.GetInts("strides", {1, 1});
    const auto dl = a.GetInts("dilations", {1, 1});
    const auto pads = a.GetInts("pads", {0, 0, 0, 0});
    const std::string auto_pad = a.GetString("auto_pad", "NOTSET");
    w.groups = a.GetInt("group", 1);
    w.N = Dim(x.shape, 0, de); w.C = Dim(x.shape, 1, de); w.H = Dim(x.shape, 2, de); w.W = Dim(x.shape, 3, de);
    w.R = ks.size() > 0 ? ks[0] : 1; w.S = ks.size() > 1 ? ks[1] : 1;
    w.stride_h = st.size() > 0 ? st[0] : 1; w.stride_w = st.size() > 1 ? st[1] : 1;
    w.dilation_h = dl.size() > 0 ? dl[0] : 1; w.dilation_w = dl.size() > 1 ? dl[1] : 1;
    if (w.groups <= 0 || w.C % w.groups != 0)
      return Status::Error(label + ": group=" + std::to_string(w.groups) + " does not divide " + std::to_string(w.C) + " input channels");
    if (op == "ConvTranspose") {
      w.kind = LayerKind::kDeconv;
      w.K = wv.shape[1] * w.groups;   // ConvTranspose weight is (C, K/g, R, S)
      w.OH = Dim(y.shape, 2, de); w.OW = Dim(y.shape, 3, de);
    } else {
      w.kind = LayerKind::kConv;
      w.K = wv.shape[0];
      if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        w.OH = (w.H + w.stride_h - 1) / w.stride_h;
        w.OW = (w.W + w.stride_w - 1) / w.stride_w;
      } else {
        const int64_t ph = pads.size() >= 4 ? pads[0] + pads[2] : 0;
        const int64_t pw = pads.size() >= 4 ? pads[1] + pads[3] : 0;
        w.OH = WindowOut(w.H, w.R, w.stride_h, ph, w.dilation_h);
        w.OW = WindowOut(w.W, w.S, w.stride_w, pw, w.dilation_w);
      }
    }
    if (op != "Conv" && op != "ConvTranspose") w.activation = a.GetString("activation", "");
    if (op == "ConvBiasActPool") {
      const auto pk = a.GetInts("pool_kernel_shape", {});
      const auto ps = a.GetInts("pool_strides", {});
      if (pk.empty()) return Status::Error(label + ": ConvBiasActPool without pool_kernel_shape");
      w.pool_window = pk[0];
      w.pool_stride = ps.empty() ? 1 : ps[0];
      w.pool_OH = Dim(y.shape, 2, de);
      w.pool_OW = Dim(y.shape, 3, de);
    } else if (op != "ConvTranspose") {
      // The graph's inferred output is the truth; it agrees with the formula for valid graphs.
      w.OH = Dim(y.shape, 2, de);
      w.OW = Dim(y.shape, 3, de);
    }
    if (op == "ConvEltwiseAct") w.has_residual = true;
    w.FillBytes();
    return w;
  }

  if (op == "Gemm" || op == "GemmBiasAct" || op == "MatMul") {
    if (n.inputs.size() < 2 || n.inputs[1] == kNoValue) return Status::Error(label + ": missing second input");
    const Value& b = g.value(n.inputs[1]);
    w.kind = LayerKind::kGemm;
    if (op == "MatMul") {
      if (x.shape.rank() < 1 || b.shape.rank() < 1) return Status::Error(label + ": inputs need shapes");
      const int64_t kred = Dim(x.shape, x.shape.rank() - 1, de);
      const int64_t nout = b.shape.rank() >= 2 ? Dim(b.shape, b.shape.rank() - 1, de) : 1;
      w.C = kred;
      w.K = nout;
      w.N = Elements(x.shape, de) / std::max<int64_t>(kred, 1);   // all rows of A
      // A batched MatMul of two activations reads its second operand once per batch matrix.
      const int64_t b_mats = b.shape.rank() > 2 ? Elements(b.shape, de) / (kred * nout) : 1;
      w.FillBytes();
      w.weight_bytes *= b_mats;
    } else {
      const bool trans_a = n.attrs.GetInt("transA", 0) != 0;
      const bool trans_b = n.attrs.GetInt("transB", 0) != 0;
      if (x.shape.rank() != 2 || b.shape.rank() != 2) return Status::Error(label + ": Gemm inputs must be rank 2");
      w.N = trans_a ? Dim(x.shape, 1, de) : Dim(x.shape, 0, de);
      w.C = trans_a ? Dim(x.shape, 0, de) : Dim(x.shape, 1, de);
      w.K = trans_b ? Dim(b.shape, 0, de) : Dim(b.shape, 1, de);
      if (op == "GemmBiasAct") w.activation = n.attrs.GetString("activation", "");
      w.FillBytes();
    }
    return w;
  }

  // NCHW view of the output for the remaining ops.
  auto as_nchw = [&](const Shape& s, int64_t* N, int64_t* C, int64_t* H, int64_t* W) {
    *N = s.rank() >= 2 ? Dim(s, 0, de) : 1;
    *C = s.rank() >= 2 ? Dim(s, 1, de) : Dim(s, 0, de);
    int64_t rest = 1;
    for (size_t i = 3; i < s.rank(); ++i) rest *= Dim(s, i, de);
    *H = s.rank() >= 3 ? Dim(s, 2, de) : 1;
    *W = rest;
  };

  if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" || op == "GlobalMaxPool") {
    w.kind = LayerKind::kPool;
    as_nchw(x.shape, &w.N, &w.C, &w.H, &w.W);
    w.K = w.C;
    w.OH = Dim(y.shape, 2, de);
    w.OW = y.shape.rank() >= 4 ? Dim(y.shape, 3, de) : 1;
    if (op.rfind("Global", 0) == 0) {
      w.R = w.H; w.S = w.W; w.stride_h = w.stride_w = 1;
    } else {
      const auto ks = n.attrs.GetInts("kernel_shape", {1, 1});
      const auto st = n.attrs.GetInts("strides", {1, 1});
      w.R = ks.size() > 0 ? ks[0] : 1; w.S = ks.size() > 1 ? ks[1] : 1;
      w.stride_h = st.size() > 0 ? st[0] : 1; w.stride_w = st.size() > 1 ? st[1] : 1;
    }
    w.FillBytes();
    return w;
  }

  w.kind = kEltwiseOps.count(op) ? LayerKind::kEltwise : kActivationOps.count(op) ? LayerKind::kActivation : LayerKind::kOther;
  as_nchw(y.shape, &w.N, &w.C, &w.H, &w.W);
  w.K = w.C; w.OH = w.H; w.OW = w.W;
  w.FillBytes();
  // Bytes of what it really reads and writes: every non-constant input, every output.
  int64_t in_bytes = 0, const_bytes = 0, out_bytes = 0;
  for (ValueId v : n.inputs) {
    if (v == kNoValue) continue;
    const Value& val = g.value(v);
    const int64_t b = Elements(val.shape, de) * static_cast<int64_t>(DTypeSize(val.dtype));
    (val.IsConstant() ? const_bytes : in_bytes) += b;
  }
  for (ValueId v : n.outputs) {
    if (v == kNoValue) continue;
    const Value& val = g.value(v);
    out_bytes += Elements(val.shape, de) * static_cast<int64_t>(DTypeSize(val.dtype));
  }
  w.input_bytes = in_bytes;
  w.output_bytes = out_bytes;
  w.weight_bytes = const_bytes;
  if (w.kind == LayerKind::kEltwise) {
    // A binary op's second activation input is its "residual" (read alongside the first).
    int non_const = 0;
    for (ValueId v : n.inputs)
      if (v != kNoValue && !g.value(v).IsConstant()) ++non_const;
    if (non_const >= 2) {
      w.has_residual = true;
      const int64_t first = Elements(x.shape, de) * static_cast<int64_t>(DTypeSize(x.dtype));
      w.residual_bytes = in_bytes - first;
      w.input_bytes = first;
    }
  }
  return w;
}

}  // namespace edgeinfer::devices
