// ONNX export (contract in onnx_export.h). Steps: opsets, inputs, initializers for every constant a
// live node or an output reads (in value order), nodes in topological order with their
// attributes, value_info for intermediates, outputs. Deterministic: the same graph gives the same
// bytes.
#include "graph/onnx_export.h"

#include <fstream>
#include <limits>
#include <type_traits>

#include "graph/op_table.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"

namespace edgeinfer {
namespace {

constexpr int64_t kIrVersion = 8;
const char* const kCustomDomain = "edgeinfer";

void FillTensor(const Tensor& t, const std::string& name, onnx::TensorProto* tp) {
  if (!name.empty()) tp->set_name(name);
  tp->set_data_type(static_cast<int32_t>(t.dtype()));
  for (int64_t d : t.dims()) tp->add_dims(d);
  tp->set_raw_data(static_cast<const char*>(t.raw()), t.bytes());
}

Status FillValueInfo(const Value& v, onnx::ValueInfoProto* vi) {
  vi->set_name(v.name);
  if (v.dtype == DType::kUndefined) return Status::Error("value '" + v.name + "' has no dtype (run InferShapes before export)");
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(static_cast<int32_t>(v.dtype));
  auto* shape = tt->mutable_shape();
  for (size_t i = 0; i < v.shape.rank(); ++i) {
    auto* d = shape->add_dim();
    if (v.shape.dims[i] >= 0) {
      d->set_dim_value(v.shape.dims[i]);
    } else if (i < v.shape.symbols.size() && !v.shape.symbols[i].empty()) {
      d->set_dim_param(v.shape.symbols[i]);
    }
  }
  return Status::Ok();
}

void FillAttribute(const std::string& name, const AttrValue& value, onnx::AttributeProto* a) {
  using A = onnx::AttributeProto;
  a->set_name(name);
  std::visit(
      [a](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          a->set_type(A::INT);
          a->set_i(x);
        } else if constexpr (std::is_same_v<T, float>) {
          a->set_type(A::FLOAT);
          a->set_f(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          a->set_type(A::STRING);
          a->set_s(x);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          a->set_type(A::INTS);
          for (int64_t v : x) a->add_ints(v);
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          a->set_type(A::FLOATS);
          for (float v : x) a->add_floats(v);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          a->set_type(A::STRINGS);
          for (const auto& v : x) a->add_strings(v);
        } else {
          a->set_type(A::TENSOR);
          FillTensor(x, "", a->mutable_t());
        }
      },
      value);
}

// True when `op` is a standard ONNX op at `opset` (and not one of our fused ops).
bool IsOnnxOp(const std::string& op, int64_t opset) {
  const OpDef* def = FindOp(op);
  if (def && def->op_class == OpClass::kFused) return false;
  return onnx::OpSchemaRegistry::Schema(op, static_cast<int>(opset), "") != nullptr;
}

}  // namespace

Result<std::string> ExportOnnxToBytes(const Graph& g) {
  EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopoOrder());
  onnx::ModelProto m;
  m.set_ir_version(kIrVersion);
  m.set_producer_name("edgeinfer");
  m.set_producer_version("0.1.0");
  auto* os = m.add_opset_import();
  os->set_domain("");
  os->set_version(g.opset);
  onnx::GraphProto* gp = m.mutable_graph();
  gp->set_name(g.name.empty() ? "edgeinfer" : g.name);

  for (ValueId v : g.inputs()) EI_RETURN_IF_ERROR(FillValueInfo(g.value(v), gp->add_input()));

  std::vector<char> used(g.num_values(), 0);
  for (NodeId id : order) {
    for (ValueId v : g.node(id).inputs) if (v != kNoValue) used[static_cast<size_t>(v)] = 1;
  }
  for (ValueId v : g.outputs()) used[static_cast<size_t>(v)] = 1;
  for (size_t i = 0; i < g.num_values(); ++i) {
    const Value& v = g.value(static_cast<ValueId>(i));
    if (used[i] && v.IsConstant()) FillTensor(*v.constant, v.name, gp->add_initializer());
  }

  bool custom = false;
  for (NodeId id : order) {
    const Node& n = g.node(id);
    onnx::NodeProto* np = gp->add_node();
    np->set_name(n.name);
    np->set_op_type(n.op);
    if (!IsOnnxOp(n.op, g.opset)) {
      np->set_domain(kCustomDomain);
      custom = true;
    }
    size_t nin = n.inputs.size();
    while (nin > 0 && n.inputs[nin - 1] == kNoValue) --nin;
    for (size_t i = 0; i < nin; ++i) np->add_input(n.inputs[i] == kNoValue ? "" : g.value(n.inputs[i]).name);
    for (ValueId o : n.outputs) np->add_output(g.value(o).name);
    for (const auto& [name, value] : n.attrs.all()) FillAttribute(name, value, np->add_attribute());
    for (ValueId o : n.outputs) {
      if (!g.IsGraphOutput(o)) EI_RETURN_IF_ERROR(FillValueInfo(g.value(o), gp->add_value_info()));
    }
  }
  if (custom) {
    auto* cos = m.add_opset_import();
    cos->set_domain(kCustomDomain);
    cos->set_version(1);
  }
  for (ValueId v : g.outputs()) EI_RETURN_IF_ERROR(FillValueInfo(g.value(v), gp->add_output()));

  if (m.ByteSizeLong() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Status::Error("graph '" + g.name + "' is over protobuf's 2 GiB limit for one ONNX file");
  }
  std::string bytes;
  if (!m.SerializeToString(&bytes)) return Status::Error("graph '" + g.name + "': protobuf serialization failed");
  return bytes;
}

Status ExportOnnx(const Graph& g, const std::string& path) {
  EI_ASSIGN_OR_RETURN(std::string bytes, ExportOnnxToBytes(g));
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Status::Error("cannot write ONNX file '" + path + "'");
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  f.close();
  if (!f) return Status::Error("writing ONNX file '" + path + "' failed (disk full?)");
  return Status::Ok();
}

}  // namespace edgeinfer
