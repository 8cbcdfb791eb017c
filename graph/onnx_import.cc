// ONNX import. The steps are listed in onnx_import.h; this file follows them in order.
//
// Why one walk in topological order that normalises, infers and folds each node: normalising an
// older form needs the dtype of the node's inputs (Clip's min/max constants take the input's
// dtype), and folding needs inferred shapes (Shape of a static shape). Doing all three per node
// in order gives every node fully known inputs. The final InferShapes + VerifyGraph re-check the
// whole result with the same op table, so the walk cannot leave an inconsistent graph behind.
//
// Known limits: sparse tensors, string tensors, subgraph attributes (If/Loop/Scan) and segmented
// tensors are rejected with an error; Resize-10/Upsample nearest uses floor rounding (ONNX Runtime
// rounds up when downsampling); external data must be a relative path inside the model's folder.
#include "graph/onnx_import.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "graph/op_table.h"
#include "graph/shape_inference.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"

namespace edgeinfer {
namespace {

constexpr int64_t kMinOpset = 7;
constexpr int64_t kMaxOpset = 17;
constexpr size_t kMaxFoldBytes = size_t{16} << 20;   // folded outputs above this stay as nodes

std::string Q(const std::string& s) { return "'" + s + "'"; }

bool IsDefaultDomain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

std::string OnnxTypeName(int32_t t) {
  DType d = DTypeFromOnnx(t);
  if (d != DType::kUndefined) return DTypeName(d);
  return "type " + std::to_string(t);
}

Result<int64_t> ParseInt(const std::string& s, const std::string& what) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) {
    return Status::Error(what + ": '" + s + "' is not a non-negative integer");
  }
  return v;
}

// Reads the bytes of an external-data tensor (location/offset/length relative to base_dir).
Status ReadExternal(const onnx::TensorProto& tp, const std::string& what, const std::string& base_dir,
                    size_t nbytes, void* dst) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : tp.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset") {
      EI_ASSIGN_OR_RETURN(offset, ParseInt(kv.value(), what + ": external data offset"));
    } else if (kv.key() == "length") {
      EI_ASSIGN_OR_RETURN(length, ParseInt(kv.value(), what + ": external data length"));
    }
  }
  if (location.empty()) return Status::Error(what + ": external data has no 'location'");
  std::filesystem::path rel(location);
  if (rel.is_absolute()) {
    return Status::Error(what + ": external data location '" + location +
                         "' is absolute (rule: it is relative to the model's folder)");
  }
  for (const auto& part : rel) {
    if (part == "..") {
      return Status::Error(what + ": external data location '" + location +
                           "' leaves the model's folder (rule: no '..')");
    }
  }
  std::filesystem::path full = base_dir.empty() ? rel : std::filesystem::path(base_dir) / rel;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(full, ec)) {
    return Status::Error(what + ": external data file '" + full.string() + "' is missing");
  }
  uintmax_t fsize = std::filesystem::file_size(full, ec);
  if (ec) return Status::Error(what + ": cannot read the size of external data file '" + full.string() + "'");
  uint64_t off = static_cast<uint64_t>(offset);
  uint64_t len = length < 0 ? (fsize > off ? fsize - off : 0) : static_cast<uint64_t>(length);
  if (off + len > fsize) {
    return Status::Error(what + ": external data file '" + full.string() + "' has " + std::to_string(fsize) +
                         " bytes, but offset " + std::to_string(off) + " + length " + std::to_string(len) +
                         " goes past its end (file short or truncated)");
  }
  if (len != nbytes) {
    return Status::Error(what + ": external data holds " + std::to_string(len) + " bytes but the tensor needs " +
                         std::to_string(nbytes) + " (rule: length = elements x element size)");
  }
  if (off + nbytes > fsize) {
    return Status::Error(what + ": external data file '" + full.string() + "' is shorter (" +
                         std::to_string(fsize) + " bytes) than the tensor needs");
  }
  if (dst == nullptr) return Status::Ok();   // sizes checked only
  std::ifstream f(full, std::ios::binary);
  if (!f) return Status::Error(what + ": cannot open external data file '" + full.string() + "'");
  f.seekg(static_cast<std::streamoff>(off));
  f.read(static_cast<char*>(dst), static_cast<std::streamsize>(nbytes));
  if (!f || static_cast<size_t>(f.gcount()) != nbytes) {
    return Status::Error(what + ": reading " + std::to_string(nbytes) + " bytes from '" + full.string() + "' failed");
  }
  return Status::Ok();
}

template <class Src, class Dst>
void CopyField(const Src& field, Dst* dst) {
  for (int i = 0; i < field.size(); ++i) dst[i] = static_cast<Dst>(field.Get(i));
}

// TensorProto -> Tensor, for initializers, Constant values and tensor attributes.
Result<Tensor> TensorFromProto(const onnx::TensorProto& tp, const std::string& what, const std::string& base_dir) {
  DType dt = DTypeFromOnnx(tp.data_type());
  if (dt == DType::kUndefined || dt == DType::kString) {
    return Status::Error(what + ": element " + OnnxTypeName(tp.data_type()) + " is not supported");
  }
  if (tp.has_segment()) return Status::Error(what + ": segmented tensors are not supported");
  std::vector<int64_t> dims(tp.dims().begin(), tp.dims().end());
  int64_t numel = 1;
  for (int64_t d : dims) {
    if (d < 0) return Status::Error(what + ": negative dim " + std::to_string(d) + " in " + Shape(dims).ToString());
    if (d != 0 && numel > (int64_t{1} << 40) / d) return Status::Error(what + ": " + Shape(dims).ToString() + " is too large");
    numel *= d;
  }
  const size_t esize = DTypeSize(dt);
  const size_t nbytes = static_cast<size_t>(numel) * esize;
  // Every size is checked against the bytes actually present before allocating, so a corrupt dim
  // cannot ask for terabytes.
  if (tp.has_data_location() && tp.data_location() == onnx::TensorProto_DataLocation_EXTERNAL) {
    EI_RETURN_IF_ERROR(ReadExternal(tp, what, base_dir, nbytes, nullptr));
    Tensor t(dt, dims);
    EI_RETURN_IF_ERROR(ReadExternal(tp, what, base_dir, nbytes, t.raw()));
    return t;
  }
  if (tp.has_raw_data()) {
    if (tp.raw_data().size() != nbytes) {
      return Status::Error(what + ": raw_data has " + std::to_string(tp.raw_data().size()) + " bytes but " +
                           DTypeName(dt) + Shape(dims).ToString() + " needs " + std::to_string(nbytes));
    }
    Tensor t(dt, dims);
    if (nbytes) std::memcpy(t.raw(), tp.raw_data().data(), nbytes);
    return t;
  }
  int count = 0;
  const char* field = "";
  switch (dt) {
    case DType::kFloat32: count = tp.float_data_size(); field = "float_data"; break;
    case DType::kFloat64: count = tp.double_data_size(); field = "double_data"; break;
    case DType::kInt64: count = tp.int64_data_size(); field = "int64_data"; break;
    case DType::kUInt32: case DType::kUInt64: count = tp.uint64_data_size(); field = "uint64_data"; break;
    default: count = tp.int32_data_size(); field = "int32_data"; break;
  }
  if (count != numel) {
    if (count == 0) return Status::Error(what + ": " + DTypeName(dt) + Shape(dims).ToString() + " has no data");
    return Status::Error(what + ": " + field + " has " + std::to_string(count) + " values but " +
                         Shape(dims).ToString() + " needs " + std::to_string(numel));
  }
  Tensor t(dt, dims);
  switch (dt) {
    case DType::kFloat32: CopyField(tp.float_data(), t.data<float>()); break;
    case DType::kFloat64: CopyField(tp.double_data(), t.data<double>()); break;
    case DType::kInt64: CopyField(tp.int64_data(), t.data<int64_t>()); break;
    case DType::kUInt32: CopyField(tp.uint64_data(), t.data<uint32_t>()); break;
    case DType::kUInt64: CopyField(tp.uint64_data(), t.data<uint64_t>()); break;
    case DType::kInt32: CopyField(tp.int32_data(), t.data<int32_t>()); break;
    case DType::kInt16: CopyField(tp.int32_data(), t.data<int16_t>()); break;
    case DType::kInt8: CopyField(tp.int32_data(), t.data<int8_t>()); break;
    case DType::kUInt16: case DType::kFloat16: case DType::kBFloat16:   // 16-bit patterns in int32_data
      CopyField(tp.int32_data(), t.data<uint16_t>()); break;
    case DType::kUInt8: case DType::kBool: CopyField(tp.int32_data(), t.data<uint8_t>()); break;
    default: return Status::Error(what + ": element " + DTypeName(dt) + " is not supported");
  }
  return t;
}

// The attribute's kind: its declared type, or for very old models that leave the type out, the
// field that is set.
int AttrKind(const onnx::AttributeProto& a) {
  using A = onnx::AttributeProto;
  if (a.type() != A::UNDEFINED) return a.type();
  if (a.has_f()) return A::FLOAT;
  if (a.has_i()) return A::INT;
  if (a.has_s()) return A::STRING;
  if (a.has_t()) return A::TENSOR;
  if (a.floats_size()) return A::FLOATS;
  if (a.ints_size()) return A::INTS;
  if (a.strings_size()) return A::STRINGS;
  return A::UNDEFINED;
}

std::string AttrKindName(int kind) {
  const std::string& n = onnx::AttributeProto::AttributeType_Name(static_cast<onnx::AttributeProto::AttributeType>(kind));
  return n.empty() ? "kind " + std::to_string(kind) : n;
}

// Checks a default-domain node's attributes against ONNX's own schema for the model's opset (libonnx's
// schema registry): an attribute of the wrong type (pads given as floats) is refused by name, never
// read as a default. Attributes the schema does not list are left to the op's own parsing (exporters
// add a few); ops the registry does not know are checked by the op table later.
Status CheckAttributeTypes(const onnx::NodeProto& n, int64_t opset, const std::string& what) {
  const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(n.op_type(), static_cast<int>(opset), "");
  if (schema == nullptr) return Status::Ok();
  for (const onnx::AttributeProto& a : n.attribute()) {
    auto it = schema->attributes().find(a.name());
    if (it == schema->attributes().end()) continue;
    const int want = it->second.type;
    const int found = AttrKind(a);
    if (found == want) continue;
    return Status::Error(what + ": attribute '" + a.name() + "' is " + AttrKindName(found) + ", but " + n.op_type() +
                         "-" + std::to_string(schema->since_version()) + " defines it as " + AttrKindName(want) +
                         " (rule: attribute types follow the ONNX schema of the model's opset)");
  }
  return Status::Ok();
}

Result<AttrValue> AttrFromProto(const onnx::AttributeProto& a, const std::string& what, const std::string& base_dir) {
  using A = onnx::AttributeProto;
  const int type = AttrKind(a);
  switch (type) {
    case A::FLOAT: return AttrValue(a.f());
    case A::INT: return AttrValue(static_cast<int64_t>(a.i()));
    case A::STRING: return AttrValue(a.s());
    case A::FLOATS: return AttrValue(std::vector<float>(a.floats().begin(), a.floats().end()));
    case A::INTS: return AttrValue(std::vector<int64_t>(a.ints().begin(), a.ints().end()));
    case A::STRINGS: return AttrValue(std::vector<std::string>(a.strings().begin(), a.strings().end()));
    case A::TENSOR: {
      EI_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(a.t(), what + " attribute '" + a.name() + "'", base_dir));
      return AttrValue(std::move(t));
    }
    default:
      return Status::Error(what + ": attribute '" + a.name() + "' has kind " + std::to_string(type) +
                           " (graphs, sparse tensors, type protos and tensor lists are not supported)");
  }
}

Tensor Int64Tensor(const std::vector<int64_t>& v) {
  return Tensor::FromVector(DType::kInt64, {static_cast<int64_t>(v.size())}, v);
}

// A scalar of dtype `dt` holding `x` (float32 when dt is not numeric).
Tensor ScalarOf(DType dt, double x) {
  Tensor f = Tensor::FromVector(DType::kFloat64, {}, std::vector<double>{x});
  if (dt == DType::kUndefined || dt == DType::kString || DTypeSize(dt) == 0) dt = DType::kFloat32;
  return f.CastTo(dt);
}

// Ops whose definition changed between opsets 1-6 and opset 7 in ways NormaliseLegacy rewrites
// into the opset-7 form (ONNX's operator changelog):
//   - `consumed_inputs` removed (an in-place hint, no meaning) from the element-wise ops, Clip,
//     BatchNormalization, InstanceNormalization, Dropout, PRelu, the variadic Max/Min/Mean/Sum;
//   - legacy broadcasting (`broadcast`, `axis`) of the binary ops and Gemm replaced by NumPy rules;
//   - BatchNormalization/Dropout `is_test` removed (inference reads them as is_test=1);
//   - PRelu's per-channel slope of size C (opset 6) now broadcasts NumPy-style;
//   - AveragePool gained `count_include_pad` (default 0, the old behaviour);
//   - Concat's axis became required (was 1 by default), Reshape's shape became an input (opset 5),
//     Cast's `to` became an enum (was a type name), Pad's `paddings` was renamed `pads` (opset 2).
bool LegacyFormHandled(const std::string& op) {
  static const std::set<std::string> kOps = {
      "Abs", "Add", "And", "AveragePool", "BatchNormalization", "Cast", "Ceil", "Clip", "Concat", "Div", "Dropout",
      "Elu", "Equal", "Exp", "Floor", "Gemm", "Greater", "HardSigmoid", "InstanceNormalization", "LeakyRelu", "Less",
      "Log", "Max", "Mean", "Min", "Mul", "Neg", "Or", "PRelu", "Pad", "Pow", "Reciprocal", "Relu", "Reshape", "Selu",
      "Sigmoid", "Sqrt", "Sub", "Sum", "Tanh", "Xor"};
  return kOps.count(op) > 0;
}

bool IsLegacyBroadcastOp(const std::string& op) {
  static const std::set<std::string> kOps = {"Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Greater", "Less"};
  return kOps.count(op) > 0;
}

// An FP16 tensor widened to FP32 (exact); other dtypes unchanged.
Tensor WidenHalf(Tensor t) {
  if (t.dtype() != DType::kFloat16) return t;
  Tensor f(DType::kFloat32, t.dims());
  const uint16_t* h = t.data<uint16_t>();
  for (int64_t i = 0; i < t.numel(); ++i) f.data<float>()[i] = HalfToFloat(h[i]);
  return f;
}

class Importer {
 public:
  Importer(const onnx::ModelProto& m, std::string base_dir, const ImportOptions& o)
      : model_(m), gp_(m.graph()), base_dir_(std::move(base_dir)), opts_(o) {}

  // Returns the graph, or an error without the "model '...'" prefix (the caller adds it), except
  // the unsupported-ops list, which starts with `model_label` itself.
  Result<Graph> Run(const std::string& model_label);

 private:
  Status CheckOpset();
  void NameNodes();
  Status CheckOps(const std::string& model_label);
  Status LoadInitializers();
  Status AddInputs();
  Status DefineNodeOutputs();
  Status BuildNodes();
  Status AddOutputs();
  Status ProcessNode(NodeId id);
  Status Normalise(NodeId id, bool* replaced);
  Status NormaliseLegacy(NodeId id);
  Status InferAndStore(NodeId id);
  Status MaybeFold(NodeId id);
  Status CheckOutputDTypes();

  ValueId NewConst(const std::string& node_name, const std::string& role, Tensor t) {
    return g_.AddConstant(node_name + "_" + role, std::move(t));
  }
  static void SetInput(Node& n, size_t i, ValueId v) {
    if (n.inputs.size() <= i) n.inputs.resize(i + 1, kNoValue);
    n.inputs[i] = v;
  }
  bool IsEmptyConstant(ValueId v) const {
    return v != kNoValue && g_.value(v).IsConstant() && g_.value(v).constant->numel() == 0;
  }
  bool IsUsed(ValueId v) const {
    return (static_cast<size_t>(v) < use_count_.size() && use_count_[static_cast<size_t>(v)] > 0) || g_.IsGraphOutput(v);
  }

  const onnx::ModelProto& model_;
  const onnx::GraphProto& gp_;
  std::string base_dir_;
  const ImportOptions& opts_;
  Graph g_;
  int64_t opset_ = 0;
  int64_t legacy_opset_ = 0;                                 // the declared opset when below 7 (read as 7)
  bool fp16_model_ = false;                                  // FP16 weights: computed in FP32, FP16 at the I/O
  std::vector<std::string> node_names_;                     // per ONNX node, unique
  std::unordered_map<std::string, ValueId> defined_;         // ONNX value name -> value
  std::unordered_map<std::string, std::string> definer_;     // ONNX value name -> what defines it
  std::vector<std::vector<ValueId>> node_outputs_;           // per ONNX node (empty for Constant)
  std::vector<char> default_domain_;                         // per graph NodeId, at build time
  std::vector<int> use_count_;                               // per value: reads by nodes, at build time
};

Status Importer::CheckOpset() {
  bool found = false;
  for (const auto& os : model_.opset_import()) {
    if (IsDefaultDomain(os.domain())) {
      opset_ = os.version();
      found = true;
    }
  }
  if (!found) return Status::Error("declares no opset for the default ONNX domain (rule: opset_import lists it)");
  const std::string unsupported = "opset " + std::to_string(opset_) + " is not supported (edgeinfer imports opsets " +
                                  std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset) +
                                  "; convert the model with onnx.version_converter)";
  if (opset_ > kMaxOpset || opset_ < 1) return Status::Error(unsupported);
  if (opset_ < kMinOpset) {
    // An older opset is read as opset 7 when every op the model uses either has the same
    // definition in both (ONNX's schema registry says when each op last changed: the node tests of
    // ops unchanged since opset 1 or 6 declare those opsets) or changed in a way NormaliseLegacy
    // rewrites (LegacyFormHandled: PyTorch's opset-6 exports, the old model zoo).
    for (int i = 0; i < gp_.node_size(); ++i) {
      const onnx::NodeProto& n = gp_.node(i);
      if (!IsDefaultDomain(n.domain())) continue;
      if (n.op_type() == "Constant") continue;
      const auto* old_def = onnx::OpSchemaRegistry::Schema(n.op_type(), static_cast<int>(opset_), "");
      const auto* new_def = onnx::OpSchemaRegistry::Schema(n.op_type(), static_cast<int>(kMinOpset), "");
      if (old_def && new_def && old_def->since_version() != new_def->since_version() && LegacyFormHandled(n.op_type())) continue;
      if (!old_def || !new_def || old_def->since_version() != new_def->since_version()) {
        return Status::Error(unsupported + ": " + n.op_type() + " " + Q(node_names_[static_cast<size_t>(i)]) +
                             " changed between opset " +
                             std::to_string(opset_) + " and " + std::to_string(kMinOpset));
      }
    }
    legacy_opset_ = opset_;
    opset_ = kMinOpset;
  }
  return Status::Ok();
}

// Keeps each ONNX node name; unnamed and repeated names become "<op>_<index>" (index = position
// in the ONNX node list), never clashing with a name the model uses.
void Importer::NameNodes() {
  std::unordered_set<std::string> taken;
  std::vector<char> keep(static_cast<size_t>(gp_.node_size()), 0);
  for (int i = 0; i < gp_.node_size(); ++i) {
    const std::string& n = gp_.node(i).name();
    if (!n.empty() && taken.insert(n).second) keep[static_cast<size_t>(i)] = 1;
  }
  node_names_.resize(static_cast<size_t>(gp_.node_size()));
  for (int i = 0; i < gp_.node_size(); ++i) {
    if (keep[static_cast<size_t>(i)]) {
      node_names_[static_cast<size_t>(i)] = gp_.node(i).name();
      continue;
    }
    std::string base = gp_.node(i).op_type() + "_" + std::to_string(i);
    std::string name = base;
    for (int k = 1; taken.count(name); ++k) name = base + "_" + std::to_string(k);
    taken.insert(name);
    node_names_[static_cast<size_t>(i)] = name;
  }
}

Status Importer::CheckOps(const std::string& model_label) {
  // Unsupported op types in order of first appearance, each with the nodes that use it.
  std::vector<std::pair<std::string, std::vector<std::string>>> bad;
  int count = 0;
  for (int i = 0; i < gp_.node_size(); ++i) {
    const onnx::NodeProto& n = gp_.node(i);
    std::string key;
    if (IsDefaultDomain(n.domain())) {
      if (n.op_type() == "Constant") continue;                    // becomes a constant value
      const std::string op = n.op_type() == "Upsample" ? "Resize" : n.op_type();
      if (FindOp(op)) continue;
      if (op == "ImageScaler" && FindOp("Mul") && FindOp("Add")) continue;   // rewritten (Normalise)
      key = n.op_type();
    } else if (n.domain() == "edgeinfer") {                        // our own fused ops, round-trip
      if (FindOp(n.op_type())) continue;
      key = "edgeinfer." + n.op_type();
    } else {
      key = n.domain() + "." + n.op_type();                        // ai.onnx.ml and custom domains
    }
    ++count;
    auto it = std::find_if(bad.begin(), bad.end(), [&](const auto& p) { return p.first == key; });
    if (it == bad.end()) {
      bad.push_back({key, {}});
      it = bad.end() - 1;
    }
    it->second.push_back(node_names_[static_cast<size_t>(i)]);
  }
  if (bad.empty()) return Status::Ok();
  std::ostringstream os;
  os << model_label << " has " << count << " unsupported op" << (count == 1 ? "" : "s") << ": ";
  for (size_t k = 0; k < bad.size(); ++k) {
    if (k) os << ", ";
    os << bad[k].first << " (node" << (bad[k].second.size() == 1 ? "" : "s") << " ";
    for (size_t j = 0; j < bad[k].second.size(); ++j) os << (j ? ", " : "") << Q(bad[k].second[j]);
    os << ")";
  }
  return Status::Error(os.str());
}

Status Importer::LoadInitializers() {
  if (gp_.sparse_initializer_size() > 0) {
    return Status::Error("sparse initializer '" + gp_.sparse_initializer(0).values().name() + "' is not supported");
  }
  for (const onnx::TensorProto& tp : gp_.initializer()) {
    if (tp.name().empty()) return Status::Error("an initializer has no name (rule: initializers are named)");
    if (defined_.count(tp.name())) {
      return Status::Error("initializer " + Q(tp.name()) + " is defined twice (rule: one definition per value)");
    }
    EI_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(tp, "initializer " + Q(tp.name()), base_dir_));
    // A model with FP16 weights (converted for FP16 deployment, e.g. onnxconverter-common) is read
    // as its FP32 graph: weights widened exactly, FP16 kept at the graph's inputs and outputs by
    // Casts. The compile then picks the engine precision (fp16 / int8) as for any model.
    if (t.dtype() == DType::kFloat16) {
      fp16_model_ = true;
      t = WidenHalf(std::move(t));
    }
    defined_[tp.name()] = g_.AddConstant(tp.name(), std::move(t));
    definer_[tp.name()] = "an initializer";
  }
  return Status::Ok();
}

Status Importer::AddInputs() {
  std::set<std::string> used_overrides;
  std::vector<std::string> input_names;
  for (const onnx::ValueInfoProto& vi : gp_.input()) {
    // Initializers listed as inputs (older exporters do this) are constants, not inputs.
    if (definer_.count(vi.name()) && definer_[vi.name()] == "an initializer") continue;
    if (vi.name().empty()) return Status::Error("a graph input has no name");
    if (defined_.count(vi.name())) return Status::Error("graph input " + Q(vi.name()) + " is listed twice");
    input_names.push_back(vi.name());
    const std::string what = "input " + Q(vi.name());
    if (!vi.type().has_tensor_type()) return Status::Error(what + " is not a tensor (sequences and maps are not supported)");
    const auto& tt = vi.type().tensor_type();
    DType dt = DTypeFromOnnx(tt.elem_type());
    if (dt == DType::kUndefined || dt == DType::kString) {
      return Status::Error(what + ": element " + OnnxTypeName(tt.elem_type()) + " is not supported");
    }
    Shape shape;
    bool have_shape = tt.has_shape();
    if (have_shape) {
      bool any_symbol = false;
      for (const auto& d : tt.shape().dim()) {
        if (d.has_dim_value() && d.dim_value() < 0) {
          return Status::Error(what + ": dimension " + std::to_string(shape.dims.size()) + " is declared as " +
                               std::to_string(d.dim_value()) +
                               " (rule: a declared dimension is a size >= 0 or a symbolic name)");
        }
        if (d.has_dim_value()) {
          shape.dims.push_back(d.dim_value());
          shape.symbols.emplace_back();
        } else {
          shape.dims.push_back(kDynamic);
          shape.symbols.push_back(d.has_dim_param() ? d.dim_param() : "");
          any_symbol |= d.has_dim_param() && !d.dim_param().empty();
        }
      }
      if (!any_symbol) shape.symbols.clear();
    }
    auto ov = opts_.input_shapes.find(vi.name());
    if (ov != opts_.input_shapes.end()) {
      used_overrides.insert(vi.name());
      if (have_shape && ov->second.size() != shape.rank()) {
        return Status::Error(what + ": the given shape " + Shape(ov->second).ToString() + " has rank " +
                             std::to_string(ov->second.size()) + " but the model declares " + shape.ToString() +
                             " (rule: same rank)");
      }
      for (int64_t d : ov->second) {
        if (d < 0 && d != kDynamic) return Status::Error(what + ": the given shape " + Shape(ov->second).ToString() + " has a negative dim");
      }
      shape = Shape(ov->second);
      have_shape = true;
    }
    if (!have_shape) {
      return Status::Error(what + " has no shape (rank unknown); give one with ImportOptions::input_shapes");
    }
    if (opts_.batch > 0 && shape.rank() > 0 && shape.dims[0] == kDynamic) {
      shape.dims[0] = opts_.batch;
      if (!shape.symbols.empty()) {
        shape.symbols[0].clear();
        bool any = false;
        for (const auto& s : shape.symbols) any |= !s.empty();
        if (!any) shape.symbols.clear();
      }
    }
    ValueId id = g_.AddValue(vi.name(), dt, shape);
    g_.inputs().push_back(id);
    defined_[vi.name()] = id;
    definer_[vi.name()] = "the graph input";
    if (fp16_model_ && dt == DType::kFloat16) {
      // Readers see the input widened to FP32 (the FP16 model's compute graph, above).
      ValueId wide = g_.AddValue(vi.name() + "_fp32", DType::kUndefined, Shape());
      Attributes to;
      to.Set("to", int64_t{onnx::TensorProto::FLOAT});
      g_.AddNode("Cast", vi.name() + "_to_fp32", {id}, {wide}, std::move(to));
      defined_[vi.name()] = wide;
    }
  }
  for (const auto& [name, dims] : opts_.input_shapes) {
    if (!used_overrides.count(name)) {
      std::string list;
      for (const auto& n : input_names) list += (list.empty() ? "" : ", ") + Q(n);
      return Status::Error("ImportOptions::input_shapes names " + Q(name) + ", which is not an input of the model (inputs: " +
                           list + ")");
    }
  }
  return Status::Ok();
}

// Pass 1 over the nodes: every name a node writes gets its value (Constant nodes their constant),
// so pass 2 can resolve inputs whatever order the nodes are listed in.
Status Importer::DefineNodeOutputs() {
  node_outputs_.resize(static_cast<size_t>(gp_.node_size()));
  std::vector<std::pair<int, int>> placeholders;   // (node, output) of empty names before the last output
  for (int i = 0; i < gp_.node_size(); ++i) {
    const onnx::NodeProto& n = gp_.node(i);
    const std::string label = n.op_type() + " " + Q(node_names_[static_cast<size_t>(i)]);
    auto define = [&](const std::string& name) -> Status {
      auto it = definer_.find(name);
      if (it != definer_.end()) {
        return Status::Error(label + ": writes " + Q(name) + ", which is already defined by " + it->second +
                             " (rule: one producer per value)");
      }
      definer_[name] = "node " + Q(node_names_[static_cast<size_t>(i)]);
      return Status::Ok();
    };
    if (IsDefaultDomain(n.domain()) && n.op_type() == "Constant") {
      if (n.output_size() != 1 || n.output(0).empty()) return Status::Error(label + ": a Constant has exactly one named output");
      EI_RETURN_IF_ERROR(define(n.output(0)));
      if (n.attribute_size() != 1) {
        return Status::Error(label + ": a Constant has exactly one value attribute, it has " + std::to_string(n.attribute_size()));
      }
      const onnx::AttributeProto& a = n.attribute(0);
      Tensor t;
      if (a.name() == "value") {
        EI_ASSIGN_OR_RETURN(t, TensorFromProto(a.t(), label, base_dir_));
      } else if (a.name() == "value_float") {
        t = Tensor::FromVector(DType::kFloat32, {}, std::vector<float>{a.f()});
      } else if (a.name() == "value_floats") {
        std::vector<float> v(a.floats().begin(), a.floats().end());
        t = Tensor::FromVector(DType::kFloat32, {static_cast<int64_t>(v.size())}, v);
      } else if (a.name() == "value_int") {
        t = Tensor::FromVector(DType::kInt64, {}, std::vector<int64_t>{a.i()});
      } else if (a.name() == "value_ints") {
        t = Int64Tensor(std::vector<int64_t>(a.ints().begin(), a.ints().end()));
      } else {
        return Status::Error(label + ": Constant attribute '" + a.name() +
                             "' is not supported (sparse and string constants are not)");
      }
      if (fp16_model_) t = WidenHalf(std::move(t));
      defined_[n.output(0)] = g_.AddConstant(n.output(0), std::move(t));
      continue;
    }
    int last = n.output_size() - 1;
    while (last >= 0 && n.output(last).empty()) --last;   // absent trailing optional outputs
    auto& outs = node_outputs_[static_cast<size_t>(i)];
    for (int k = 0; k <= last; ++k) {
      if (n.output(k).empty()) {
        outs.push_back(kNoValue);
        placeholders.emplace_back(i, k);
        continue;
      }
      EI_RETURN_IF_ERROR(define(n.output(k)));
      ValueId v = g_.AddValue(n.output(k), DType::kUndefined, Shape());
      defined_[n.output(k)] = v;
      outs.push_back(v);
    }
  }
  // An absent output before a present one still needs a value in our IR; named after the node,
  // created last so it cannot take a name the model uses.
  for (auto [i, k] : placeholders) {
    node_outputs_[static_cast<size_t>(i)][static_cast<size_t>(k)] =
        g_.AddValue(node_names_[static_cast<size_t>(i)] + "_unused_output" + std::to_string(k), DType::kUndefined, Shape());
  }
  return Status::Ok();
}

Status Importer::BuildNodes() {
  for (int i = 0; i < gp_.node_size(); ++i) {
    const onnx::NodeProto& n = gp_.node(i);
    if (IsDefaultDomain(n.domain()) && n.op_type() == "Constant") continue;
    const std::string& name = node_names_[static_cast<size_t>(i)];
    const std::string label = n.op_type() + " " + Q(name);
    std::vector<ValueId> ins;
    for (const std::string& in : n.input()) {
      if (in.empty()) {
        ins.push_back(kNoValue);
        continue;
      }
      auto it = defined_.find(in);
      if (it == defined_.end()) {
        return Status::Error(label + ": input " + Q(in) +
                             " is not defined by any graph input, initializer or node output (missing initializer?)");
      }
      ins.push_back(it->second);
    }
    while (!ins.empty() && ins.back() == kNoValue) ins.pop_back();
    Attributes attrs;
    if (IsDefaultDomain(n.domain())) {
      EI_RETURN_IF_ERROR(CheckAttributeTypes(n, legacy_opset_ > 0 ? legacy_opset_ : opset_, label));
    }
    for (const onnx::AttributeProto& a : n.attribute()) {
      if (a.name().empty()) return Status::Error(label + ": an attribute has no name");
      EI_ASSIGN_OR_RETURN(AttrValue v, AttrFromProto(a, label, base_dir_));
      attrs.Set(a.name(), std::move(v));
    }
    // In an FP16 model's FP32 compute graph, casts to FP16 (the converter's, around ops it keeps in
    // FP32) cast to FP32 instead; the outputs get their FP16 back in AddOutputs.
    if (fp16_model_ && IsDefaultDomain(n.domain()) && n.op_type() == "Cast" && attrs.GetInt("to", 0) == onnx::TensorProto::FLOAT16)
      attrs.Set("to", int64_t{onnx::TensorProto::FLOAT});
    NodeId id = g_.AddNode(n.op_type(), name, std::move(ins), node_outputs_[static_cast<size_t>(i)], std::move(attrs));
    if (default_domain_.size() <= static_cast<size_t>(id)) default_domain_.resize(static_cast<size_t>(id) + 1, 0);
    default_domain_[static_cast<size_t>(id)] = IsDefaultDomain(n.domain());
  }
  return Status::Ok();
}

Status Importer::AddOutputs() {
  for (const onnx::ValueInfoProto& vi : gp_.output()) {
    auto it = defined_.find(vi.name());
    if (it == defined_.end()) {
      return Status::Error("graph output " + Q(vi.name()) + " is not defined by any node, input or initializer");
    }
    ValueId out = it->second;
    if (fp16_model_ && vi.type().has_tensor_type() && vi.type().tensor_type().elem_type() == onnx::TensorProto::FLOAT16 &&
        g_.value(out).dtype != DType::kFloat16) {
      // The FP32 result narrowed back to the FP16 the model declares, under the output's own name.
      EI_RETURN_IF_ERROR(g_.RenameValue(out, vi.name() + "_fp32"));
      ValueId narrow = g_.AddValue(vi.name(), DType::kUndefined, Shape());
      Attributes to;
      to.Set("to", int64_t{onnx::TensorProto::FLOAT16});
      g_.AddNode("Cast", vi.name() + "_to_fp16", {out}, {narrow}, std::move(to));
      out = narrow;
    }
    g_.outputs().push_back(out);
  }
  if (g_.outputs().empty()) return Status::Error("the graph has no outputs");
  return Status::Ok();
}

// Brings a node of an opset-1..6 model to its opset-7 form (LegacyFormHandled lists the changes).
// Runs before Normalise's own rules, which then see an opset-7 node.
Status Importer::NormaliseLegacy(NodeId id) {
  Node* n = &g_.node(id);
  const std::string name = n->name;
  const std::string op = n->op;
  const std::string label = op + " " + Q(name) + " (opset " + std::to_string(legacy_opset_) + ")";
  n->attrs.Erase("consumed_inputs");
  if (IsLegacyBroadcastOp(op) || op == "Gemm") {
    const bool broadcast = n->attrs.GetInt("broadcast", 0) != 0;
    const bool has_axis = n->attrs.Has("axis");
    int64_t axis = n->attrs.GetInt("axis", 0);
    n->attrs.Erase("broadcast");
    n->attrs.Erase("axis");
    // Legacy broadcasting aligns B's dims with A's starting at `axis`; NumPy aligns trailing dims.
    // Appending 1s to B makes the two agree. Without `axis` the legacy rule is suffix matching,
    // which NumPy's rule already is; without `broadcast` the shapes are equal.
    if (op != "Gemm" && broadcast && has_axis && n->inputs.size() == 2 && n->inputs[1] != kNoValue) {
      const int64_t ra = static_cast<int64_t>(g_.value(n->inputs[0]).shape.rank());
      const Shape b = g_.value(n->inputs[1]).shape;
      const int64_t rb = static_cast<int64_t>(b.rank());
      if (axis < 0) axis += ra;
      if (axis < 0 || axis + rb > ra) {
        return Status::Error(label + ": legacy broadcast of a rank-" + std::to_string(rb) + " B at axis " +
                             std::to_string(n->attrs.GetInt("axis", axis)) + " does not fit a rank-" + std::to_string(ra) +
                             " A (rule: axis + rank(B) <= rank(A))");
      }
      const int64_t trailing = ra - axis - rb;
      if (trailing > 0) {
        std::vector<int64_t> dims = b.dims;
        dims.insert(dims.end(), static_cast<size_t>(trailing), 1);
        const ValueId bv = n->inputs[1];
        ValueId nb;
        if (g_.value(bv).IsConstant()) {
          EI_ASSIGN_OR_RETURN(Tensor t, g_.value(bv).constant->Reshaped(dims));
          nb = NewConst(name, "B_aligned", std::move(t));
        } else {
          std::vector<int64_t> axes;
          for (int64_t k = 0; k < trailing; ++k) axes.push_back(rb + k);
          ValueId axes_v = NewConst(name, "B_axes", Int64Tensor(axes));
          nb = g_.AddValue(name + "_B_aligned", DType::kUndefined, Shape());
          NodeId uid = g_.AddNode("Unsqueeze", name + "_B_aligned", {bv, axes_v}, {nb});
          EI_RETURN_IF_ERROR(ProcessNode(uid));
        }
        n = &g_.node(id);
        n->inputs[1] = nb;
      }
    }
  } else if (op == "PRelu") {
    // Opset 6: a slope of C values is per channel (axis 1); NumPy rules would align it with the
    // last axis instead. Shape it [C, 1, ...] for inputs of rank 3 and more.
    if (n->inputs.size() == 2 && n->inputs[1] != kNoValue) {
      const Shape x = g_.value(n->inputs[0]).shape;
      const Shape sl = g_.value(n->inputs[1]).shape;
      if (x.rank() >= 3 && sl.rank() == 1 && sl.dims[0] > 1) {
        if (sl.dims[0] != x.dims[1]) {
          return Status::Error(label + ": slope of " + std::to_string(sl.dims[0]) + " values for " + std::to_string(x.dims[1]) +
                               " channels (rule: one slope, or one per channel)");
        }
        if (!g_.value(n->inputs[1]).IsConstant()) {
          return Status::Error(label + ": a per-channel slope must be an initializer (rule: opset-6 PRelu slopes are weights)");
        }
        std::vector<int64_t> dims(x.rank() - 1, 1);
        dims[0] = sl.dims[0];
        EI_ASSIGN_OR_RETURN(Tensor t, g_.value(n->inputs[1]).constant->Reshaped(dims));
        ValueId c = NewConst(name, "slope", std::move(t));
        n = &g_.node(id);
        n->inputs[1] = c;
      }
    }
  } else if (op == "BatchNormalization") {
    if (n->attrs.Has("is_test") && n->attrs.GetInt("is_test", 1) == 0) {
      return Status::Error(label + ": is_test=0 (training, batch statistics) is not supported (rule: inference only)");
    }
  } else if (op == "Dropout") {
    if (n->attrs.Has("is_test") && n->attrs.GetInt("is_test", 1) == 0) {
      return Status::Error(label + ": is_test=0 draws a random mask (rule: inference only)");
    }
  } else if (op == "Concat") {
    if (!n->attrs.Has("axis")) n->attrs.Set("axis", int64_t{1});
  } else if (op == "Reshape") {
    if (n->attrs.Has("shape")) {
      std::vector<int64_t> shape = n->attrs.GetInts("shape");
      n->attrs.Erase("shape");
      ValueId c = NewConst(name, "shape", Int64Tensor(shape));
      n = &g_.node(id);
      n->inputs.resize(1);
      SetInput(*n, 1, c);
    }
  } else if (op == "Cast") {
    if (n->attrs.Has("to") && std::holds_alternative<std::string>(n->attrs.all().at("to"))) {
      const std::string type_name = n->attrs.GetString("to", "");
      int v = 0;
      if (!onnx::TensorProto_DataType_Parse(type_name, reinterpret_cast<onnx::TensorProto_DataType*>(&v)) || v == 0) {
        return Status::Error(label + ": 'to' names no ONNX tensor type: " + Q(type_name));
      }
      n->attrs.Set("to", static_cast<int64_t>(v));
    }
  } else if (op == "Pad") {
    if (n->attrs.Has("paddings") && !n->attrs.Has("pads")) {
      n->attrs.Set("pads", n->attrs.GetInts("paddings"));
      n->attrs.Erase("paddings");
    }
  }
  return Status::Ok();
}

// Rewrites an older-opset form into the canonical form of RULES.md. New constant inputs are named
// "<node>_<role>". Sets *replaced when the node was rewritten into several nodes and processed.
Status Importer::Normalise(NodeId id, bool* replaced) {
  *replaced = false;
  if (static_cast<size_t>(id) >= default_domain_.size() || !default_domain_[static_cast<size_t>(id)]) return Status::Ok();
  if (legacy_opset_ > 0) EI_RETURN_IF_ERROR(NormaliseLegacy(id));
  Node* n = &g_.node(id);
  const std::string name = n->name;
  const std::string op = n->op;
  auto in_dtype = [&](size_t i) {
    return i < n->inputs.size() && n->inputs[i] != kNoValue ? g_.value(n->inputs[i]).dtype : DType::kUndefined;
  };
  // Moves an ints attribute into an int64 constant input at `index`.
  auto ints_to_input = [&](const char* attr, size_t index, const char* role) {
    if (!n->attrs.Has(attr)) return;
    std::vector<int64_t> v = n->attrs.GetInts(attr);
    n->attrs.Erase(attr);
    ValueId c = NewConst(name, role, Int64Tensor(v));
    n = &g_.node(id);
    SetInput(*n, index, c);
  };

  if (op == "Clip" && opset_ < 11) {
    DType dt = in_dtype(0);
    const bool has_min = n->attrs.Has("min"), has_max = n->attrs.Has("max");
    const float mn = n->attrs.GetFloat("min", 0.f), mx = n->attrs.GetFloat("max", 0.f);
    n->attrs.Erase("min");
    n->attrs.Erase("max");
    ValueId vmin = has_min ? NewConst(name, "min", ScalarOf(dt, mn)) : kNoValue;
    ValueId vmax = has_max ? NewConst(name, "max", ScalarOf(dt, mx)) : kNoValue;
    n = &g_.node(id);
    n->inputs.resize(1);
    if (has_max) { SetInput(*n, 1, vmin); SetInput(*n, 2, vmax); }
    else if (has_min) SetInput(*n, 1, vmin);
  } else if (op == "Slice" && opset_ < 10) {
    n->inputs.resize(1);
    ints_to_input("starts", 1, "starts");
    ints_to_input("ends", 2, "ends");
    ints_to_input("axes", 3, "axes");
  } else if ((op == "Squeeze" || op == "Unsqueeze" || op == "ReduceSum") && opset_ < 13) {
    n->inputs.resize(1);
    ints_to_input("axes", 1, "axes");
  } else if (op == "TopK" && opset_ < 10) {
    // TopK-1 takes K as the int attribute `k`; from opset 10 it is input 1 (int64 [1]).
    if (!n->attrs.Has("k")) return Status::Error("TopK " + Q(name) + ": opset " + std::to_string(opset_) + " needs attribute k");
    const int64_t k = n->attrs.GetInt("k", 0);
    n->attrs.Erase("k");
    ValueId c = NewConst(name, "k", Int64Tensor({k}));
    n = &g_.node(id);
    n->inputs.resize(1);
    SetInput(*n, 1, c);
  } else if (op == "RoiAlign" && opset_ < 16) {
    // RoiAlign-10 samples without the half-pixel offset; opset 16 names that mode and makes
    // half_pixel the default.
    if (!n->attrs.Has("coordinate_transformation_mode")) n->attrs.Set("coordinate_transformation_mode", std::string("output_half_pixel"));
  } else if (op == "Split" && opset_ < 13) {
    n->inputs.resize(1);
    ints_to_input("split", 1, "split");
  } else if (op == "Pad" && opset_ < 11) {
    DType dt = in_dtype(0);
    const bool has_value = n->attrs.Has("value");
    const float value = n->attrs.GetFloat("value", 0.f);
    n->attrs.Erase("value");
    n->inputs.resize(1);
    ints_to_input("pads", 1, "pads");
    if (has_value) {
      ValueId c = NewConst(name, "value", ScalarOf(dt, value));
      n = &g_.node(id);
      SetInput(*n, 2, c);
    }
  } else if (op == "ImageScaler") {
    // The experimental ImageScaler (opsets 1-9; CoreML/Caffe2 conversions such as the model zoo's
    // Tiny YOLOv2) is y = scale * x + bias[c] on NCHW: Mul by a scalar, then Add of a [1, C, 1, 1]
    // constant (a missing bias adds nothing).
    const Shape xs = g_.value(n->inputs.empty() ? kNoValue : n->inputs[0]).shape;
    if (n->inputs.size() != 1 || xs.rank() != 4) {
      return Status::Error("ImageScaler " + Q(name) + ": needs one NCHW input (rule: rank 4)");
    }
    const DType dt = in_dtype(0);
    const float scale = n->attrs.GetFloat("scale", 1.f);
    std::vector<float> bias = n->attrs.GetFloats("bias");
    if (!bias.empty() && xs.dims[1] >= 0 && static_cast<int64_t>(bias.size()) != xs.dims[1]) {
      return Status::Error("ImageScaler " + Q(name) + ": " + std::to_string(bias.size()) + " bias values for " +
                           std::to_string(xs.dims[1]) + " channels (rule: one per channel)");
    }
    const ValueId x = n->inputs[0];
    const ValueId y = n->outputs[0];
    ValueId scale_v = NewConst(name, "scale", ScalarOf(dt, scale));
    n = &g_.node(id);
    n->op = "Mul";
    n->attrs = Attributes();
    n->inputs = {x, scale_v};
    if (bias.empty()) return Status::Ok();
    ValueId scaled = g_.AddValue(name + "_scaled", DType::kUndefined, Shape());
    n->outputs = {scaled};
    g_.value(scaled).producer = id;
    g_.value(y).producer = kNoNode;
    EI_RETURN_IF_ERROR(ProcessNode(id));
    Tensor b(dt, {1, static_cast<int64_t>(bias.size()), 1, 1});
    for (size_t c = 0; c < bias.size(); ++c) {
      if (dt == DType::kFloat32) b.data<float>()[c] = bias[c];
      else return Status::Error("ImageScaler " + Q(name) + ": input dtype " + DTypeName(dt) + " (rule: float32)");
    }
    ValueId bias_v = NewConst(name, "bias", std::move(b));
    NodeId aid = g_.AddNode("Add", name + "_bias", {scaled, bias_v}, {y});
    EI_RETURN_IF_ERROR(ProcessNode(aid));
    *replaced = true;
  } else if (op == "Upsample" || (op == "Resize" && opset_ < 11)) {
    // Upsample-7..9 and Resize-10 compute output = floor(input * scale) in asymmetric coordinates;
    // nearest takes the floor of the source coordinate.
    std::string mode = n->attrs.GetString("mode", "nearest");
    if (mode == "bilinear") mode = "linear";
    ValueId scales = n->inputs.size() > 1 ? n->inputs[1] : kNoValue;
    if (op == "Upsample" && n->attrs.Has("scales")) {
      std::vector<float> s = n->attrs.GetFloats("scales");
      n->attrs.Erase("scales");
      scales = NewConst(name, "scales", Tensor::FromVector(DType::kFloat32, {static_cast<int64_t>(s.size())}, s));
      n = &g_.node(id);
    }
    if (scales == kNoValue) return Status::Error(n->op + " " + Q(name) + ": has no scales (attribute or input 1)");
    n->op = "Resize";
    n->inputs = {n->inputs[0], kNoValue, scales};
    n->attrs.Set("mode", mode);
    n->attrs.Set("coordinate_transformation_mode", std::string("asymmetric"));
    if (mode == "nearest") n->attrs.Set("nearest_mode", std::string("floor"));
  } else if (op == "Resize") {
    // Exporters of opsets 11-12 pass empty tensors for the unused roi/scales: make them absent.
    if (n->inputs.size() > 1 && IsEmptyConstant(n->inputs[1])) n->inputs[1] = kNoValue;
    if (n->inputs.size() > 2 && IsEmptyConstant(n->inputs[2])) n->inputs[2] = kNoValue;
    if (n->inputs.size() > 3 && IsEmptyConstant(n->inputs[3])) n->inputs[3] = kNoValue;
    while (!n->inputs.empty() && n->inputs.back() == kNoValue) n->inputs.pop_back();
  } else if (op == "BatchNormalization") {
    if (n->attrs.GetInt("training_mode", 0) != 0) {
      return Status::Error("BatchNormalization " + Q(name) + ": training_mode=1 is not supported (rule: inference only)");
    }
    for (const char* a : {"spatial", "is_test", "consumed_inputs", "training_mode"}) n->attrs.Erase(a);
  } else if (op == "Dropout") {
    n->attrs.Erase("is_test");
    if (n->inputs.size() > 2 && n->inputs[2] != kNoValue && g_.value(n->inputs[2]).IsConstant() &&
        g_.value(n->inputs[2]).constant->numel() == 1 && g_.value(n->inputs[2]).constant->GetAsInt64(0) != 0) {
      return Status::Error("Dropout " + Q(name) + ": training_mode=true is not supported (rule: inference only)");
    }
  } else if ((op == "Softmax" || op == "LogSoftmax" || op == "Hardmax") && opset_ < 13) {
    // Before opset 13 these flatten the input to 2-D at `axis` and normalise each row; opset 13
    // normalises along `axis` only. Same thing when axis is the last dim; otherwise rewrite as
    // Flatten -> op(axis=1) -> Reshape back to the input's shape.
    const Shape in_shape = g_.value(n->inputs[0]).shape;
    const int64_t rank = static_cast<int64_t>(in_shape.rank());
    int64_t axis = n->attrs.GetInt("axis", 1);
    if (axis < -rank || axis >= std::max<int64_t>(rank, 1)) {
      return Status::Error(op + " " + Q(name) + ": axis " + std::to_string(axis) + " is out of range for rank " +
                           std::to_string(rank));
    }
    if (axis < 0) axis += rank;
    if (rank == 0 || axis == rank - 1) {
      n->attrs.Set("axis", int64_t{-1});
      return Status::Ok();
    }
    if (!FindOp("Flatten") || !FindOp("Reshape")) {
      return Status::Error(op + " " + Q(name) + ": opset " + std::to_string(opset_) + " axis=" + std::to_string(axis) +
                           " needs Flatten and Reshape, which the op table lacks");
    }
    const ValueId x = n->inputs[0];
    const ValueId y = n->outputs[0];
    const std::string& op_name = op;
    Attributes fa;
    fa.Set("axis", axis);
    ValueId flat = g_.AddValue(name + "_2d_in", DType::kUndefined, Shape());
    NodeId fid = g_.AddNode("Flatten", name + "_flatten", {x}, {flat}, fa);
    EI_RETURN_IF_ERROR(ProcessNode(fid));
    ValueId shape_v;
    if (in_shape.IsStatic()) {
      shape_v = NewConst(name, "shape", Int64Tensor(in_shape.dims));
    } else {
      if (!FindOp("Shape")) return Status::Error(op_name + " " + Q(name) + ": needs Shape, which the op table lacks");
      shape_v = g_.AddValue(name + "_shape", DType::kUndefined, Shape());
      NodeId sid = g_.AddNode("Shape", name + "_shape", {x}, {shape_v});
      EI_RETURN_IF_ERROR(ProcessNode(sid));
    }
    ValueId soft = g_.AddValue(name + "_2d_out", DType::kUndefined, Shape());
    n = &g_.node(id);
    n->inputs[0] = flat;
    n->outputs = {soft};
    n->attrs.Set("axis", int64_t{1});
    g_.value(soft).producer = id;
    g_.value(y).producer = kNoNode;
    EI_RETURN_IF_ERROR(ProcessNode(id));   // now rank 2, axis 1: canonical, no second rewrite
    NodeId rid = g_.AddNode("Reshape", name + "_reshape", {soft, shape_v}, {y});
    EI_RETURN_IF_ERROR(ProcessNode(rid));
    *replaced = true;
  }
  return Status::Ok();
}

Status Importer::InferAndStore(NodeId id) { return InferAndStoreNode(g_, id); }

// Replaces node `id` by constants when its result is known now (see onnx_import.h, step 5).
Status Importer::MaybeFold(NodeId id) {
  if (!opts_.fold_constants) return Status::Ok();
  const Node& n = g_.node(id);
  if (n.op == "QuantizeLinear" || n.op == "DequantizeLinear") return Status::Ok();   // Q/DQ stay as written
  if (n.op == "Shape" || n.op == "Size") {
    std::optional<Tensor> folded = StaticShapeValue(g_, n);
    if (!folded) return Status::Ok();
    Tensor t = std::move(*folded);
    if (t.dtype() != g_.value(n.outputs[0]).dtype || t.shape() != g_.value(n.outputs[0]).shape) {
      return Status::Error(g_.Label(id) + ": op table inference disagrees with the folded value " + t.shape().ToString());
    }
    ValueId out = n.outputs[0];
    g_.RemoveNode(id);
    g_.value(out).constant = std::make_shared<const Tensor>(std::move(t));
    return Status::Ok();
  }
  const OpDef* def = FindOp(n.op);
  if (!def || !def->reference) return Status::Ok();
  std::vector<const Tensor*> ins;
  for (ValueId v : n.inputs) {
    if (v == kNoValue) {
      ins.push_back(nullptr);
      continue;
    }
    if (!g_.value(v).IsConstant()) return Status::Ok();
    ins.push_back(g_.value(v).constant.get());
  }
  std::vector<Tensor> outs;
  for (ValueId o : n.outputs) {
    const Value& v = g_.value(o);
    if (!v.shape.IsStatic() || DTypeSize(v.dtype) == 0) return Status::Ok();
    if (static_cast<size_t>(v.shape.NumElements()) * DTypeSize(v.dtype) > kMaxFoldBytes) return Status::Ok();
  }
  for (ValueId o : n.outputs) outs.emplace_back(g_.value(o).dtype, g_.value(o).shape.dims);
  std::vector<Tensor*> out_ptrs;
  for (Tensor& t : outs) out_ptrs.push_back(&t);
  EI_RETURN_IF_ERROR(def->reference(n, ins, out_ptrs).WithContext("while folding constants"));
  std::vector<ValueId> out_ids = n.outputs;
  g_.RemoveNode(id);
  for (size_t i = 0; i < out_ids.size(); ++i) {
    g_.value(out_ids[i]).constant = std::make_shared<const Tensor>(std::move(outs[i]));
  }
  return Status::Ok();
}

Status Importer::ProcessNode(NodeId id) {
  bool replaced = false;
  EI_RETURN_IF_ERROR(Normalise(id, &replaced));
  if (replaced) return Status::Ok();
  // Optional trailing outputs nothing reads (Dropout's mask, old BatchNormalization's running
  // statistics, MaxPool's Indices) are dropped. Not for ops with a variadic output list (Split),
  // whose output count is part of their meaning.
  if (const OpDef* def = FindOp(g_.node(id).op); def && def->max_outputs >= 0) {
    Node& n = g_.node(id);
    while (n.outputs.size() > static_cast<size_t>(std::max(def->min_outputs, 1)) && !IsUsed(n.outputs.back())) {
      g_.value(n.outputs.back()).producer = kNoNode;
      n.outputs.pop_back();
    }
  }
  EI_RETURN_IF_ERROR(InferAndStore(id));
  return MaybeFold(id);
}

Status Importer::CheckOutputDTypes() {
  for (int i = 0; i < gp_.output_size(); ++i) {
    const onnx::ValueInfoProto& vi = gp_.output(i);
    if (!vi.type().has_tensor_type() || vi.type().tensor_type().elem_type() == 0) continue;
    DType declared = DTypeFromOnnx(vi.type().tensor_type().elem_type());
    const Value& v = g_.value(g_.outputs()[static_cast<size_t>(i)]);
    if (declared != v.dtype) {
      return Status::Error("graph output " + Q(vi.name()) + " is declared " + OnnxTypeName(vi.type().tensor_type().elem_type()) +
                           " but the model computes " + DTypeName(v.dtype) + " (rule: dtypes agree)");
    }
  }
  return Status::Ok();
}

Result<Graph> Importer::Run(const std::string& model_label) {
  g_.name = gp_.name();
  NameNodes();
  EI_RETURN_IF_ERROR(CheckOps(model_label));
  EI_RETURN_IF_ERROR(CheckOpset());
  g_.opset = opset_;
  EI_RETURN_IF_ERROR(LoadInitializers());
  EI_RETURN_IF_ERROR(AddInputs());
  EI_RETURN_IF_ERROR(DefineNodeOutputs());
  EI_RETURN_IF_ERROR(BuildNodes());
  EI_RETURN_IF_ERROR(AddOutputs());
  EI_ASSIGN_OR_RETURN(std::vector<NodeId> order, g_.TopoOrder());
  use_count_.assign(g_.num_values(), 0);
  for (NodeId id : g_.NodeIds()) {
    for (ValueId v : g_.node(id).inputs) if (v != kNoValue) ++use_count_[static_cast<size_t>(v)];
  }
  for (NodeId id : order) EI_RETURN_IF_ERROR(ProcessNode(id));
  EI_RETURN_IF_ERROR(g_.Compact());
  EI_RETURN_IF_ERROR(InferShapes(g_));
  EI_RETURN_IF_ERROR(CheckOutputDTypes());
  EI_RETURN_IF_ERROR(VerifyGraph(g_));
  return std::move(g_);
}

Result<Graph> ImportParsed(const std::string& bytes, const std::string& base_dir, const ImportOptions& opts,
                           std::string label_name) {
  onnx::ModelProto model;
  std::string label = "model " + Q(label_name);
  if (bytes.empty()) return Status::Error(label + ": the file is empty (not an ONNX model)");
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Status::Error(label + ": " + std::to_string(bytes.size()) + " bytes is over protobuf's 2 GiB limit (use external data)");
  }
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Error(label + ": not an ONNX model, or truncated (protobuf parsing of " + std::to_string(bytes.size()) +
                         " bytes failed)");
  }
  if (!model.has_graph()) {
    return Status::Error(label + ": not an ONNX model, or truncated (no graph in " + std::to_string(bytes.size()) + " bytes)");
  }
  if (model.ir_version() <= 0) return Status::Error(label + ": not an ONNX model (ir_version is missing)");
  if (label_name.empty() || label_name == "<bytes>") {
    if (!model.graph().name().empty()) label = "model " + Q(model.graph().name());
  }
  Importer imp(model, base_dir, opts);
  Result<Graph> r = imp.Run(label);
  if (!r.ok()) {
    const std::string m = r.status().message();
    if (m.rfind(label, 0) == 0) return r.status();
    return Status::Error(label + ": " + m);
  }
  return r;
}

}  // namespace

Result<Graph> ImportOnnx(const std::string& path, const ImportOptions& opts) {
  std::filesystem::path p(path);
  const std::string label = "model " + Q(p.filename().string());
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) return Status::Error(label + ": file '" + path + "' does not exist");
  if (!std::filesystem::is_regular_file(p, ec)) return Status::Error(label + ": '" + path + "' is not a regular file");
  std::ifstream f(p, std::ios::binary);
  if (!f) return Status::Error(label + ": cannot open '" + path + "'");
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) return Status::Error(label + ": reading '" + path + "' failed");
  return ImportParsed(bytes, p.parent_path().string(), opts, p.filename().string());
}

Result<Graph> ImportOnnxFromBytes(const std::string& bytes, const std::string& base_dir, const ImportOptions& opts) {
  return ImportParsed(bytes, base_dir, opts, "<bytes>");
}

}  // namespace edgeinfer
