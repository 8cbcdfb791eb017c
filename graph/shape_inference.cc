#include "graph/shape_inference.h"

#include <algorithm>

namespace edgeinfer {

InferContext MakeInferContext(const Graph& g, const Node& n) {
  InferContext ctx{n, {}, {}, {}, {}, {}};
  for (ValueId v : n.inputs) {
    if (v == kNoValue) {
      ctx.in_dtype.push_back(DType::kUndefined);
      ctx.in_shape.emplace_back();
      ctx.in_value.push_back(nullptr);
    } else {
      const Value& val = g.value(v);
      ctx.in_dtype.push_back(val.dtype);
      ctx.in_shape.push_back(val.shape);
      ctx.in_value.push_back(val.constant.get());
    }
  }
  ctx.out_dtype.assign(n.outputs.size(), DType::kUndefined);
  ctx.out_shape.assign(n.outputs.size(), Shape());
  return ctx;
}

Status InferNode(const OpDef& def, InferContext& ctx) {
  const Node& n = ctx.node;
  int nin = static_cast<int>(n.inputs.size());
  while (nin > 0 && n.inputs[static_cast<size_t>(nin - 1)] == kNoValue) --nin;
  if (nin < def.min_inputs || (def.max_inputs >= 0 && nin > def.max_inputs)) {
    return ctx.Fail("has " + std::to_string(nin) + " inputs; the op takes " + std::to_string(def.min_inputs) +
                    (def.max_inputs < 0 ? " or more" : " to " + std::to_string(def.max_inputs)));
  }
  for (int i = 0; i < def.min_inputs; ++i) {
    if (!ctx.HasInput(static_cast<size_t>(i))) return ctx.Fail("required input " + std::to_string(i) + " is missing");
  }
  int nout = static_cast<int>(n.outputs.size());
  if (nout < def.min_outputs || (def.max_outputs >= 0 && nout > def.max_outputs)) {
    return ctx.Fail("has " + std::to_string(nout) + " outputs; the op gives " + std::to_string(def.min_outputs) +
                    (def.max_outputs < 0 ? " or more" : " to " + std::to_string(def.max_outputs)));
  }
  return def.infer(ctx);
}

Status InferAndStoreNode(Graph& g, NodeId id) {
  const Node& n = g.node(id);
  const OpDef* def = FindOp(n.op);
  if (!def) return Status::Error(g.Label(id) + ": unsupported op '" + n.op + "'");
  InferContext ctx = MakeInferContext(g, n);
  EI_RETURN_IF_ERROR(InferNode(*def, ctx));
  for (size_t i = 0; i < n.outputs.size(); ++i) {
    Value& out = g.value(n.outputs[i]);
    out.dtype = ctx.out_dtype[i];
    Shape s = std::move(ctx.out_shape[i]);
    if (s.symbols.empty()) {
      if (out.shape.symbols.size() == s.rank() && out.shape.rank() == s.rank()) {
        s.symbols = out.shape.symbols;
      } else if (s.rank() > 0 && s.dims[0] == kDynamic && !ctx.in_shape.empty() && !ctx.in_shape[0].symbols.empty()) {
        s.symbols.assign(s.rank(), "");
        s.symbols[0] = ctx.in_shape[0].symbols[0];
      }
    }
    out.shape = std::move(s);
  }
  return Status::Ok();
}

Status InferShapes(Graph& g) {
  EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopoOrder());
  for (NodeId id : order) EI_RETURN_IF_ERROR(InferAndStoreNode(g, id));
  return Status::Ok();
}

Result<std::vector<BoundShape>> InferShapesAt(const Graph& g, const std::vector<std::vector<int64_t>>& input_dims) {
  if (input_dims.size() != g.inputs().size()) {
    return Status::Error("binding shapes: " + std::to_string(input_dims.size()) + " input shapes for " +
                         std::to_string(g.inputs().size()) + " graph inputs");
  }
  std::vector<BoundShape> out(g.num_values());
  for (size_t i = 0; i < g.num_values(); ++i) {
    const Value& v = g.value(static_cast<ValueId>(i));
    if (!v.IsConstant()) continue;
    out[i] = {true, v.constant->dtype(), v.constant->dims()};
  }
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    const ValueId id = g.inputs()[i];
    out[static_cast<size_t>(id)] = {true, g.value(id).dtype, input_dims[i]};
  }
  EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopoOrder());
  for (NodeId id : order) {
    const Node& n = g.node(id);
    const OpDef* def = FindOp(n.op);
    if (!def) return Status::Error(g.Label(id) + ": op '" + n.op + "' is not in the op table");
    InferContext ctx{n, {}, {}, {}, {}, {}};
    for (ValueId v : n.inputs) {
      if (v == kNoValue) {
        ctx.in_dtype.push_back(DType::kUndefined);
        ctx.in_shape.emplace_back();
        ctx.in_value.push_back(nullptr);
        continue;
      }
      const BoundShape& b = out[static_cast<size_t>(v)];
      if (!b.known) return Status::Error(g.Label(id) + ": input '" + g.value(v).name + "' is not computed before it");
      ctx.in_dtype.push_back(b.dtype);
      ctx.in_shape.push_back(Shape(b.dims));
      ctx.in_value.push_back(g.value(v).IsConstant() ? g.value(v).constant.get() : nullptr);
    }
    ctx.out_dtype.assign(n.outputs.size(), DType::kUndefined);
    ctx.out_shape.assign(n.outputs.size(), Shape());
    EI_RETURN_IF_ERROR(InferNode(*def, ctx));
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      if (n.outputs[i] == kNoValue) continue;
      if (!ctx.out_shape[i].IsStatic()) {
        return Status::Error(g.Label(id) + ": output shape " + ctx.out_shape[i].ToString() + " is not known at this binding");
      }
      out[static_cast<size_t>(n.outputs[i])] = {true, ctx.out_dtype[i], ctx.out_shape[i].dims};
    }
  }
  return out;
}

Status VerifyGraph(const Graph& g) {
  EI_RETURN_IF_ERROR(g.VerifyStructure());
  EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopoOrder());
  for (NodeId id : order) {
    const Node& n = g.node(id);
    const OpDef* def = FindOp(n.op);
    if (!def) return Status::Error(g.Label(id) + ": unsupported op '" + n.op + "'");
    InferContext ctx = MakeInferContext(g, n);
    EI_RETURN_IF_ERROR(InferNode(*def, ctx));
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      const Value& out = g.value(n.outputs[i]);
      if (out.dtype != ctx.out_dtype[i]) {
        return Status::Error(g.Label(id) + ": output '" + out.name + "' is " + DTypeName(out.dtype) +
                             " but the op produces " + DTypeName(ctx.out_dtype[i]) + " (rule: dtypes agree)");
      }
      if (out.shape != ctx.out_shape[i]) {
        return Status::Error(g.Label(id) + ": output '" + out.name + "' has shape " + out.shape.ToString() +
                             " but the op produces " + ctx.out_shape[i].ToString() + " (rule: shapes agree)");
      }
    }
  }
  return Status::Ok();
}

std::optional<Tensor> StaticShapeValue(const Graph& g, const Node& n) {
  if ((n.op != "Shape" && n.op != "Size") || n.inputs.empty() || n.inputs[0] == kNoValue || n.outputs.size() != 1) return std::nullopt;
  const Shape& s = g.value(n.inputs[0]).shape;
  if (!s.IsStatic()) return std::nullopt;
  if (n.op == "Size") return Tensor::FromVector(DType::kInt64, {}, std::vector<int64_t>{s.NumElements()});
  const int64_t r = static_cast<int64_t>(s.rank());
  int64_t start = n.attrs.GetInt("start", 0), end = n.attrs.GetInt("end", r);
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::clamp<int64_t>(start, 0, r);
  end = std::clamp<int64_t>(end, 0, r);
  const std::vector<int64_t> dims(s.dims.begin() + start, s.dims.begin() + std::max(start, end));
  return Tensor::FromVector(DType::kInt64, {static_cast<int64_t>(dims.size())}, dims);
}

}  // namespace edgeinfer
