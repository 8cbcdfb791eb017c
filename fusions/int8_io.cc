// INT8 network I/O (pass option "io_format" = "int8"; TensorRT's --inputIOFormats=int8 /
// --outputIOFormats=int8, and how NVIDIA's published DLA harness feeds its engines).
//
// After quantize_int8, a float graph input read only by QuantizeLinear nodes becomes an int8 input
// at their scale (the caller quantizes: q = sat8(nearbyint(x / scale)), docs/int8-arithmetic.md),
// and a float graph output made by a DequantizeLinear becomes the int8 value it dequantized (the
// caller dequantizes: x = scale * q). The boundary Q/DQ nodes leave the graph, so an engine that
// cannot run them (the DLA) needs no fallback for them. Names stay: the input is still "input",
// the output still "output"; the scale is on Value::quant (printed by inspect/compile, stored in
// engine files).
//
// Refusals are errors, not silent float I/O: an input that some node reads in float, or Q nodes
// at different scales, cannot be given as one int8 tensor. An output that is not a
// DequantizeLinear (computed in float) stays float and the report says so.
#include <set>

#include "fusions/fusion_util.h"
#include "fusions/passes.h"

namespace edgeinfer::fusions {

namespace {

// Scale of a QuantizeLinear/DequantizeLinear with a constant scalar scale and zero point 0; 0 if not.
float BoundaryScale(const Graph& g, const Node& n) {
  if (n.inputs.size() < 2) return 0.f;
  const Tensor* s = ConstantOf(g, n.inputs[1]);
  if (!s || s->numel() != 1 || s->dtype() != DType::kFloat32) return 0.f;
  if (n.inputs.size() > 2 && n.inputs[2] != kNoValue) {
    const Tensor* z = ConstantOf(g, n.inputs[2]);
    if (!z || z->numel() != 1 || z->dtype() != DType::kInt8 || z->data<int8_t>()[0] != 0) return 0.f;
  }
  const float v = s->data<float>()[0];
  return v > 0.f ? v : 0.f;
}

Status Int8Inputs(Graph& g, PassContext& ctx, int* done) {
  for (ValueId x : g.inputs()) {
    Value& xv = g.value(x);
    if (xv.dtype != DType::kFloat32) continue;
    const std::vector<NodeId> readers = ConsumersOf(g, x);
    if (readers.empty()) continue;
    const std::string label = "--io-format int8: input '" + xv.name + "'";
    float scale = 0.f;
    for (NodeId r : readers) {
      const Node& n = g.node(r);
      if (n.op != "QuantizeLinear" || n.inputs[0] != x) {
        return Status::Error(label + " is read in float by " + n.op + " '" + n.name +
                             "'; an INT8 input needs every reader quantized (compile with --precision int8, or keep float I/O)");
      }
      const float s = BoundaryScale(g, n);
      if (s == 0.f) return Status::Error(label + ": QuantizeLinear '" + n.name + "' has no constant scale with zero point 0");
      if (scale != 0.f && s != scale) {
        return Status::Error(label + " is quantized at two scales (" + std::to_string(scale) + " and " + std::to_string(s) +
                             "); one int8 tensor has one scale");
      }
      scale = s;
    }
    if (g.IsGraphOutput(x)) return Status::Error(label + " is also a graph output; it cannot be int8 and float at once");
    for (NodeId r : readers) {
      const ValueId q = g.node(r).outputs[0];
      g.RemoveNode(r);
      g.ReplaceAllUses(q, x);
    }
    xv.dtype = DType::kInt8;
    xv.quant = QuantParams{{scale}, {0}, -1};
    if (ctx.report) ctx.report->notes.push_back("int8 I/O: input '" + xv.name + "' is int8, scale " + std::to_string(scale));
    ++*done;
  }
  return Status::Ok();
}

Status Int8Outputs(Graph& g, PassContext& ctx, int* done) {
  std::set<ValueId> seen;
  for (ValueId y : std::vector<ValueId>(g.outputs())) {
    if (!seen.insert(y).second) continue;
    Value& yv = g.value(y);
    const NodeId d = yv.producer;
    if (yv.dtype != DType::kFloat32 || d == kNoNode) continue;
    const Node dn = g.node(d);
    const std::string label = "--io-format int8: output '" + yv.name + "'";
    if (dn.op != "DequantizeLinear") {
      if (ctx.report) ctx.report->notes.push_back(label + " stays float: it is computed by " + dn.op + " '" + dn.name + "' in float");
      continue;
    }
    const float scale = BoundaryScale(g, dn);
    const ValueId yi = dn.inputs[0];
    const Value& yiv = g.value(yi);
    if (scale == 0.f || yiv.dtype != DType::kInt8) {
      if (ctx.report) ctx.report->notes.push_back(label + " stays float: DequantizeLinear '" + dn.name + "' is not a per-tensor int8 boundary");
      continue;
    }
    const NodeId p = yiv.producer;
    if (p == kNoNode || g.IsGraphOutput(yi)) {
      if (ctx.report) ctx.report->notes.push_back(label + " stays float: its int8 value is a graph input or output itself");
      continue;
    }
    // The producer writes the output value directly (the name stays); other readers follow.
    g.RemoveNode(d);
    for (ValueId& o : g.node(p).outputs)
      if (o == yi) o = y;
    g.ReplaceAllUses(yi, y);
    yv.producer = p;
    yv.dtype = DType::kInt8;
    yv.quant = QuantParams{{scale}, {0}, -1};
    if (ctx.report) ctx.report->notes.push_back("int8 I/O: output '" + yv.name + "' is int8, scale " + std::to_string(scale));
    ++*done;
  }
  return Status::Ok();
}

}  // namespace

Status Int8Io(Graph& g, PassContext& ctx) {
  auto it = ctx.options.find("io_format");
  if (it == ctx.options.end()) return Status::Ok();
  EI_ASSIGN_OR_RETURN(IoFormat format, ParseIoFormat(it->second));
  if (format == IoFormat::kFloat) return Status::Ok();
  int done = 0;
  EI_RETURN_IF_ERROR(Int8Inputs(g, ctx, &done));
  EI_RETURN_IF_ERROR(Int8Outputs(g, ctx, &done));
  if (done == 0) return Status::Error("--io-format int8: no graph input or output is an INT8 boundary (compile with --precision int8)");
  g.metadata["io_format"] = IoFormatName(IoFormat::kInt8);
  return Status::Ok();
}

}  // namespace edgeinfer::fusions
