// Model statistics. Steps: walk live nodes in topological order; count each op; for compute nodes
// add their constant inputs' elements once (dedup by value id); compute MACs from the node's shapes
// (output shape for plain convolutions, recomputed conv output for ConvBiasActPool, whose output is
// pooled); add output bytes. Dynamic dims are substituted by opts.dynamic_extent.
#include "graph/model_stats.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "graph/op_table.h"

namespace edgeinfer {
namespace {

int64_t Extent(int64_t d, int64_t dyn) { return d == kDynamic || d < 0 ? dyn : d; }

int64_t Numel(const Shape& s, int64_t dyn) {
  int64_t n = 1;
  for (int64_t d : s.dims) n *= Extent(d, dyn);
  return n;
}

const Shape& ShapeOf(const Graph& g, ValueId v, Shape& scratch) {
  const Value& val = g.value(v);
  if (val.IsConstant()) {
    scratch = val.constant->shape();
    return scratch;
  }
  return val.shape;
}

bool StartsWith(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// Spatial output extents of a convolution from its input and weight shapes and attributes.
std::vector<int64_t> ConvSpatialOut(const Attributes& a, const Shape& x, const Shape& w, int64_t dyn) {
  size_t sp = x.rank() >= 2 ? x.rank() - 2 : 0;
  std::vector<int64_t> strides = a.GetInts("strides", std::vector<int64_t>(sp, 1));
  std::vector<int64_t> dil = a.GetInts("dilations", std::vector<int64_t>(sp, 1));
  std::vector<int64_t> pads = a.GetInts("pads", std::vector<int64_t>(2 * sp, 0));
  std::string auto_pad = a.GetString("auto_pad", "NOTSET");
  std::vector<int64_t> out(sp, 1);
  for (size_t i = 0; i < sp; ++i) {
    int64_t in = Extent(x.dims[2 + i], dyn);
    int64_t k = i + 2 < w.rank() ? w.dims[2 + i] : 1;
    int64_t s = i < strides.size() ? strides[i] : 1;
    int64_t d = i < dil.size() ? dil[i] : 1;
    int64_t ek = d * (k - 1) + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      out[i] = (in + s - 1) / s;
    } else if (auto_pad == "VALID") {
      out[i] = (in - ek) / s + 1;
    } else {
      int64_t pb = i < pads.size() ? pads[i] : 0;
      int64_t pe = sp + i < pads.size() ? pads[sp + i] : 0;
      out[i] = (in + pb + pe - ek) / s + 1;
    }
  }
  return out;
}

int64_t Product(const std::vector<int64_t>& v, size_t from) {
  int64_t p = 1;
  for (size_t i = from; i < v.size(); ++i) p *= v[i];
  return p;
}

Result<int64_t> NodeMacs(const Graph& g, const Node& n, int64_t dyn) {
  auto need = [&](size_t i) -> bool { return i < n.inputs.size() && n.inputs[i] != kNoValue; };
  Shape s0, s1;
  if (n.op == "ConvTranspose") {
    if (!need(1)) return Status::Error(n.op + " '" + n.name + "': weight input is absent");
    const Shape& x = ShapeOf(g, n.inputs[0], s0);
    const Shape& w = ShapeOf(g, n.inputs[1], s1);
    if (w.rank() < 2 || x.rank() < 2)
      return Status::Error(n.op + " '" + n.name + "': shapes not inferred (run InferShapes first)");
    return Numel(x, dyn) * Product(w.dims, 1);
  }
  const OpDef* def = FindOp(n.op);
  bool conv_like = StartsWith(n.op, "Conv") || (def && def->op_class == OpClass::kConv);
  if (conv_like) {
    if (!need(1)) return Status::Error(n.op + " '" + n.name + "': weight input is absent");
    const Shape& x = ShapeOf(g, n.inputs[0], s0);
    const Shape& w = ShapeOf(g, n.inputs[1], s1);
    if (w.rank() < 3 || x.rank() < 3)
      return Status::Error(n.op + " '" + n.name + "': shapes not inferred (run InferShapes first)");
    // out elements of the convolution itself = N * K * prod(spatial out)
    int64_t out_elems;
    if (n.attrs.Has("pool") || n.outputs.empty() || g.value(n.outputs[0]).shape.rank() != x.rank()) {
      out_elems = Extent(x.dims[0], dyn) * w.dims[0] * Product(ConvSpatialOut(n.attrs, x, w, dyn), 0);
    } else {
      out_elems = Numel(g.value(n.outputs[0]).shape, dyn);
    }
    return out_elems * Product(w.dims, 1);
  }
  if (n.op == "Gemm" || StartsWith(n.op, "GemmBias")) {
    const Shape& a = ShapeOf(g, n.inputs[0], s0);
    const Shape& y = g.value(n.outputs[0]).shape;
    if (a.rank() != 2 || y.rank() != 2)
      return Status::Error(n.op + " '" + n.name + "': shapes not inferred (run InferShapes first)");
    int64_t k = n.attrs.GetInt("transA", 0) ? Extent(a.dims[0], dyn) : Extent(a.dims[1], dyn);
    return Numel(y, dyn) * k;
  }
  if (n.op == "MatMul") {
    const Shape& a = ShapeOf(g, n.inputs[0], s0);
    const Shape& y = g.value(n.outputs[0]).shape;
    if (a.rank() == 0)
      return Status::Error(n.op + " '" + n.name + "': shapes not inferred (run InferShapes first)");
    return Numel(y, dyn) * Extent(a.dims.back(), dyn);
  }
  return int64_t{0};
}

bool CountsElementwise(const Node& n) {
  const OpDef* def = FindOp(n.op);
  if (!def) return false;
  switch (def->op_class) {
    case OpClass::kActivation:
    case OpClass::kEltwise:
    case OpClass::kNormalization:
    case OpClass::kPool:
      return true;
    default:
      return false;
  }
}

bool IsComputeNode(const Node& n) {
  const OpDef* def = FindOp(n.op);
  if (!def) return true;   // unknown ops: conservatively count their weights
  return def->op_class != OpClass::kDataMovement && def->op_class != OpClass::kSource;
}

std::string Human(double v, const char* unit) {
  char buf[64];
  if (v >= 1e9) std::snprintf(buf, sizeof buf, "%.3f G%s", v / 1e9, unit);
  else if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.3f M%s", v / 1e6, unit);
  else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.3f K%s", v / 1e3, unit);
  else std::snprintf(buf, sizeof buf, "%.0f %s", v, unit);
  return buf;
}

}  // namespace

Result<ModelStats> ComputeModelStats(const Graph& g, const ModelStatsOptions& opts) {
  ModelStats st;
  st.dynamic_extent = opts.dynamic_extent;
  const int64_t dyn = opts.dynamic_extent;
  EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopoOrder());
  std::set<ValueId> counted;
  for (NodeId id : order) {
    const Node& n = g.node(id);
    NodeStats ns;
    ns.id = id;
    ns.name = n.name;
    ns.op = n.op;
    st.op_histogram[n.op] += 1;
    st.num_nodes += 1;
    if (IsComputeNode(n)) {
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        ValueId v = n.inputs[i];
        if (v == kNoValue || !g.value(v).IsConstant() || counted.count(v)) continue;
        const Tensor& t = *g.value(v).constant;
        if (t.rank() == 0 || t.dtype() == DType::kInt64 || t.dtype() == DType::kBool ||
            !(IsFloating(t.dtype()) || IsInteger(t.dtype())))
          continue;
        counted.insert(v);
        if (n.op == "BatchNormalization" && (i == 3 || i == 4)) {
          st.stat_elements += t.numel();
          continue;
        }
        ns.params += t.numel();
        st.param_bytes += static_cast<int64_t>(t.bytes());
      }
    }
    EI_ASSIGN_OR_RETURN(ns.macs, NodeMacs(g, n, dyn));
    for (ValueId o : n.outputs) {
      if (o == kNoValue) continue;
      const Value& v = g.value(o);
      if (v.IsConstant()) continue;
      int64_t bytes = Numel(v.shape, dyn) * static_cast<int64_t>(DTypeSize(v.dtype));
      ns.output_bytes += bytes;
      st.largest_activation_bytes = std::max(st.largest_activation_bytes, bytes);
    }
    if (CountsElementwise(n) && !n.outputs.empty() && n.outputs[0] != kNoValue)
      ns.elementwise_ops = Numel(g.value(n.outputs[0]).shape, dyn);
    st.params += ns.params;
    st.macs += ns.macs;
    st.elementwise_ops += ns.elementwise_ops;
    st.activation_bytes += ns.output_bytes;
    st.nodes.push_back(std::move(ns));
  }
  return st;
}

std::string FormatModelStats(const ModelStats& s) {
  std::ostringstream os;
  os << "nodes:            " << s.num_nodes << "\n";
  os << "parameters:       " << s.params << " (" << Human(static_cast<double>(s.params), "") << ", "
     << Human(static_cast<double>(s.param_bytes), "B") << ")\n";
  if (s.stat_elements) os << "bn statistics:    " << s.stat_elements << " elements\n";
  os << "MACs:             " << s.macs << " (" << Human(static_cast<double>(s.macs), "MAC") << ") at batch "
     << s.dynamic_extent << "\n";
  os << "elementwise ops:  " << s.elementwise_ops << "\n";
  os << "activation bytes: " << s.activation_bytes << " (largest tensor "
     << Human(static_cast<double>(s.largest_activation_bytes), "B") << ")\n";
  os << "op histogram:\n";
  for (const auto& [op, count] : s.op_histogram) {
    char line[96];
    std::snprintf(line, sizeof line, "  %-24s %lld\n", op.c_str(), static_cast<long long>(count));
    os << line;
  }
  return os.str();
}

}  // namespace edgeinfer
