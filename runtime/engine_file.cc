#include "runtime/engine_file.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>

#include "graph/shape_inference.h"

namespace edgeinfer::runtime {

static_assert(std::endian::native == std::endian::little, "engine files are little-endian; add byte swapping for this host");

namespace {

constexpr char kMagic[8] = {'E', 'I', 'P', 'L', 'A', 'N', '\x1a', '\n'};
constexpr size_t kHeaderBytes = 64;
constexpr size_t kEntryBytes = 32;
constexpr size_t kAlign = 64;
constexpr uint32_t kMaxSections = 64;
constexpr size_t kMaxRank = 16;
const std::array<const char*, 6> kRequired = {"OPTS", "GRPH", "WGTS", "PART", "MEMP", "COST"};

// ---------------------------------------------------------------- CRC-32 (IEEE, reflected)
struct CrcTable {
  uint32_t t[8][256];
  CrcTable() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
  }
};

const CrcTable& Table() {
  static const CrcTable table;
  return table;
}

}  // namespace

uint32_t Crc32(const void* data, size_t n, uint32_t crc) {
  const CrcTable& T = Table();
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = ~crc;
  // Slicing by 8: eight table lookups per 8 bytes.
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = T.t[7][lo & 0xFF] ^ T.t[6][(lo >> 8) & 0xFF] ^ T.t[5][(lo >> 16) & 0xFF] ^ T.t[4][lo >> 24] ^ T.t[3][hi & 0xFF] ^
        T.t[2][(hi >> 8) & 0xFF] ^ T.t[1][(hi >> 16) & 0xFF] ^ T.t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) c = T.t[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
  return ~c;
}

namespace {

// ---------------------------------------------------------------- byte writer / bounds-checked reader
class Writer {
 public:
  std::string buf;
  template <class T> void Pod(T v) { buf.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void U8(uint8_t v) { Pod(v); }
  void U32(uint32_t v) { Pod(v); }
  void I32(int32_t v) { Pod(v); }
  void U64(uint64_t v) { Pod(v); }
  void I64(int64_t v) { Pod(v); }
  void F32(float v) { Pod(v); }
  void F64(double v) { Pod(v); }
  void Str(const std::string& s) {
    U32(static_cast<uint32_t>(s.size()));
    buf.append(s);
  }
  void Raw(const void* p, size_t n) { buf.append(static_cast<const char*>(p), n); }
  void Count(size_t n) { U32(static_cast<uint32_t>(n)); }
};

// Every read checks the bytes left; the first failure is kept and later reads return zeros, so a
// parser can read a whole record and check once.
class Reader {
 public:
  Reader(const std::string& s, std::string section) : data_(s), section_(std::move(section)) {}
  bool ok() const { return err_.empty(); }
  const std::string& error() const { return err_; }
  size_t left() const { return data_.size() - pos_; }
  size_t pos() const { return pos_; }
  void Fail(const std::string& what) {
    if (err_.empty()) err_ = "section " + section_ + " is malformed at byte " + std::to_string(pos_) + ": " + what;
  }
  template <class T> T Pod(const char* what) {
    T v{};
    if (!ok()) return v;
    if (left() < sizeof(T)) {
      Fail(std::string("truncated while reading ") + what);
      return v;
    }
    std::memcpy(&v, data_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  uint8_t U8(const char* w) { return Pod<uint8_t>(w); }
  uint32_t U32(const char* w) { return Pod<uint32_t>(w); }
  int32_t I32(const char* w) { return Pod<int32_t>(w); }
  uint64_t U64(const char* w) { return Pod<uint64_t>(w); }
  int64_t I64(const char* w) { return Pod<int64_t>(w); }
  float F32(const char* w) { return Pod<float>(w); }
  double F64(const char* w) { return Pod<double>(w); }
  bool Bool(const char* w) {
    uint8_t b = U8(w);
    if (b > 1) Fail(std::string(w) + " is " + std::to_string(b) + ", not 0 or 1");
    return b == 1;
  }
  std::string Str(const char* what) {
    uint32_t n = U32(what);
    if (!ok()) return {};
    if (n > left()) {
      Fail(std::string(what) + ": length " + std::to_string(n) + " exceeds the " + std::to_string(left()) + " bytes left");
      return {};
    }
    std::string s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  // An element count whose elements take at least `min_each` bytes: bounded by the bytes left, so
  // garbage cannot ask for a huge allocation.
  size_t Count(size_t min_each, const char* what) {
    uint32_t n = U32(what);
    if (!ok()) return 0;
    if (static_cast<uint64_t>(n) * std::max<size_t>(min_each, 1) > left()) {
      Fail(std::string(what) + ": count " + std::to_string(n) + " does not fit the " + std::to_string(left()) + " bytes left");
      return 0;
    }
    return n;
  }
  void Raw(void* dst, size_t n, const char* what) {
    if (!ok()) return;
    if (n > left()) {
      Fail(std::string("truncated while reading ") + what);
      return;
    }
    std::memcpy(dst, data_.data() + pos_, n);
    pos_ += n;
  }

 private:
  const std::string& data_;
  std::string section_;
  size_t pos_ = 0;
  std::string err_;
};

bool KnownDType(int32_t d) {
  switch (static_cast<DType>(d)) {
    case DType::kUndefined: case DType::kFloat32: case DType::kUInt8: case DType::kInt8: case DType::kUInt16:
    case DType::kInt16: case DType::kInt32: case DType::kInt64: case DType::kString: case DType::kBool:
    case DType::kFloat16: case DType::kFloat64: case DType::kUInt32: case DType::kUInt64: case DType::kBFloat16:
      return true;
  }
  return false;
}

// ---------------------------------------------------------------- tensors, shapes, attributes
Status WriteTensorInline(Writer& w, const Tensor& t, const std::string& what) {
  if (DTypeSize(t.dtype()) == 0) return Status::Error(what + ": a " + DTypeName(t.dtype()) + " tensor cannot be stored in an engine file");
  if (t.raw() == nullptr && t.bytes() != 0) return Status::Error(what + ": tensor has no data");
  w.I32(static_cast<int32_t>(t.dtype()));
  w.Count(t.rank());
  for (int64_t d : t.dims()) w.I64(d);
  w.U64(t.bytes());
  w.Raw(t.raw(), t.bytes());
  return Status::Ok();
}

// Dims of a stored tensor: rank bounded, dims non-negative, bytes = numel x dtype size without
// overflow and no more than `max_bytes`.
bool ReadTensorHead(Reader& r, DType* dt, std::vector<int64_t>* dims, uint64_t* bytes, uint64_t max_bytes) {
  const int32_t d = r.I32("tensor dtype");
  if (r.ok() && (!KnownDType(d) || DTypeSize(static_cast<DType>(d)) == 0)) r.Fail("tensor dtype " + std::to_string(d) + " is not a numeric dtype");
  const size_t rank = r.Count(8, "tensor rank");
  if (r.ok() && rank > kMaxRank) r.Fail("tensor rank " + std::to_string(rank) + " exceeds " + std::to_string(kMaxRank));
  dims->clear();
  uint64_t n = 1;
  for (size_t i = 0; i < rank && r.ok(); ++i) {
    int64_t e = r.I64("tensor dim");
    if (!r.ok()) break;
    if (e < 0) r.Fail("tensor dim " + std::to_string(e) + " is negative");
    else if (e != 0 && n > max_bytes / static_cast<uint64_t>(e)) { n = max_bytes + 1; dims->push_back(e); continue; }
    else n *= static_cast<uint64_t>(e);
    dims->push_back(e);
  }
  *bytes = r.U64("tensor byte count");
  if (!r.ok()) return false;
  *dt = static_cast<DType>(d);
  const uint64_t es = DTypeSize(*dt);
  if (n > max_bytes || n * es != *bytes) {
    r.Fail("tensor of dims with " + std::to_string(n) + " elements does not match its " + std::to_string(*bytes) + " bytes (rule: bytes = elements x dtype size)");
    return false;
  }
  if (*bytes > max_bytes) {
    r.Fail("tensor of " + std::to_string(*bytes) + " bytes exceeds the " + std::to_string(max_bytes) + " bytes available");
    return false;
  }
  return true;
}

bool ReadTensorInline(Reader& r, Tensor* out) {
  DType dt;
  std::vector<int64_t> dims;
  uint64_t bytes = 0;
  if (!ReadTensorHead(r, &dt, &dims, &bytes, r.left())) return false;
  Tensor t(dt, dims);
  if (bytes) r.Raw(t.raw(), bytes, "tensor data");
  if (!r.ok()) return false;
  *out = std::move(t);
  return true;
}

void WriteShape(Writer& w, const Shape& s) {
  w.Count(s.dims.size());
  for (int64_t d : s.dims) w.I64(d);
  w.Count(s.symbols.size());
  for (const std::string& sym : s.symbols) w.Str(sym);
}

Shape ReadShape(Reader& r) {
  Shape s;
  const size_t rank = r.Count(8, "shape rank");
  if (r.ok() && rank > kMaxRank) r.Fail("shape rank " + std::to_string(rank) + " exceeds " + std::to_string(kMaxRank));
  for (size_t i = 0; i < rank && r.ok(); ++i) {
    int64_t d = r.I64("shape dim");
    if (r.ok() && d < kDynamic) r.Fail("shape dim " + std::to_string(d) + " is negative (only -1 = symbolic is allowed)");
    s.dims.push_back(d);
  }
  const size_t nsym = r.Count(4, "shape symbols");
  if (r.ok() && nsym != 0 && nsym != rank) r.Fail("shape has " + std::to_string(nsym) + " symbols for rank " + std::to_string(rank));
  for (size_t i = 0; i < nsym && r.ok(); ++i) s.symbols.push_back(r.Str("shape symbol"));
  return s;
}

Status WriteAttrs(Writer& w, const Attributes& a, const std::string& node) {
  w.Count(a.all().size());
  for (const auto& [key, v] : a.all()) {
    w.Str(key);
    w.U8(static_cast<uint8_t>(v.index()));
    if (auto* i = std::get_if<int64_t>(&v)) w.I64(*i);
    else if (auto* f = std::get_if<float>(&v)) w.F32(*f);
    else if (auto* s = std::get_if<std::string>(&v)) w.Str(*s);
    else if (auto* is = std::get_if<std::vector<int64_t>>(&v)) { w.Count(is->size()); for (int64_t x : *is) w.I64(x); }
    else if (auto* fs = std::get_if<std::vector<float>>(&v)) { w.Count(fs->size()); for (float x : *fs) w.F32(x); }
    else if (auto* ss = std::get_if<std::vector<std::string>>(&v)) { w.Count(ss->size()); for (const auto& x : *ss) w.Str(x); }
    else if (auto* t = std::get_if<Tensor>(&v)) EI_RETURN_IF_ERROR(WriteTensorInline(w, *t, "node '" + node + "' attribute '" + key + "'"));
  }
  return Status::Ok();
}

Attributes ReadAttrs(Reader& r) {
  Attributes a;
  const size_t n = r.Count(5, "attribute count");
  for (size_t i = 0; i < n && r.ok(); ++i) {
    std::string key = r.Str("attribute name");
    const uint8_t kind = r.U8("attribute kind");
    if (!r.ok()) break;
    switch (kind) {
      case 0: a.Set(key, r.I64("int attribute")); break;
      case 1: a.Set(key, r.F32("float attribute")); break;
      case 2: a.Set(key, r.Str("string attribute")); break;
      case 3: { std::vector<int64_t> v(r.Count(8, "ints attribute")); for (auto& x : v) x = r.I64("ints attribute"); a.Set(key, std::move(v)); break; }
      case 4: { std::vector<float> v(r.Count(4, "floats attribute")); for (auto& x : v) x = r.F32("floats attribute"); a.Set(key, std::move(v)); break; }
      case 5: { std::vector<std::string> v(r.Count(4, "strings attribute")); for (auto& x : v) x = r.Str("strings attribute"); a.Set(key, std::move(v)); break; }
      case 6: { Tensor t; if (ReadTensorInline(r, &t)) a.Set(key, std::move(t)); break; }
      default: r.Fail("attribute '" + key + "' has kind " + std::to_string(kind) + " (rule: 0..6, the AttrValue alternatives)");
    }
  }
  return a;
}

// ---------------------------------------------------------------- sections
std::string SerializeOptions(const EngineFile& e) {
  Writer w;
  const EngineCompileOptions& o = e.options;
  w.Str(o.model); w.Str(PrecisionName(o.precision)); w.Str(o.soc); w.Str(o.power_mode); w.I64(o.batch); w.I64(o.sram_bytes); w.Str(o.tool);
  w.Count(o.extra.size());
  for (const auto& [k, v] : o.extra) { w.Str(k); w.Str(v); }
  w.F64(e.predicted_total_s);
  return w.buf;
}

void ParseOptions(Reader& r, EngineFile* e) {
  EngineCompileOptions& o = e->options;
  o.model = r.Str("model"); {
    const std::string word = r.Str("precision");
    auto p = ParsePrecision(word);
    o.precision = p.ok() ? *p : Precision::kFp32;
    if (r.ok() && !p.ok()) r.Fail("precision '" + word + "' is not one of fp32, fp16, int8");
  } o.soc = r.Str("soc"); o.power_mode = r.Str("power mode");
  o.batch = r.I64("batch"); o.sram_bytes = r.I64("sram bytes"); o.tool = r.Str("tool");
  const size_t n = r.Count(8, "option count");
  for (size_t i = 0; i < n && r.ok(); ++i) { std::string k = r.Str("option name"); o.extra[k] = r.Str("option value"); }
  e->predicted_total_s = r.F64("predicted total");
  if (r.ok() && o.batch < 1) r.Fail("batch " + std::to_string(o.batch) + " is below 1");
}

struct ConstantRef {
  ValueId value;
  uint64_t offset;   // in WGTS
  uint64_t bytes;
};

Status SerializeGraph(const Graph& g, std::string* graph_out, std::string* weights_out) {
  Writer w, wg;
  w.Str(g.name);
  w.I64(g.opset);
  w.Count(g.metadata.size());
  for (const auto& [k, v] : g.metadata) {
    w.Str(k);
    w.Str(v);
  }
  w.Count(g.num_values());
  for (size_t i = 0; i < g.num_values(); ++i) {
    const Value& v = g.value(static_cast<ValueId>(i));
    w.Str(v.name);
    w.I32(static_cast<int32_t>(v.dtype));
    WriteShape(w, v.shape);
    w.U8(v.quant.has_value());
    if (v.quant) {
      w.Count(v.quant->scale.size());
      for (float s : v.quant->scale) w.F32(s);
      w.Count(v.quant->zero_point.size());
      for (int32_t z : v.quant->zero_point) w.I32(z);
      w.I32(v.quant->axis);
    }
    w.U8(v.IsConstant());
    if (v.IsConstant()) {
      const Tensor& t = *v.constant;
      if (DTypeSize(t.dtype()) == 0) return Status::Error("constant '" + v.name + "': a " + std::string(DTypeName(t.dtype())) + " tensor cannot be stored in an engine file");
      if (t.raw() == nullptr && t.bytes() != 0) return Status::Error("constant '" + v.name + "' has no data");
      wg.buf.resize((wg.buf.size() + kAlign - 1) / kAlign * kAlign, '\0');
      w.I32(static_cast<int32_t>(t.dtype()));
      w.Count(t.rank());
      for (int64_t d : t.dims()) w.I64(d);
      w.U64(wg.buf.size());
      w.U64(t.bytes());
      wg.Raw(t.raw(), t.bytes());
    }
  }
  w.Count(g.inputs().size());
  for (ValueId v : g.inputs()) w.I32(v);
  w.Count(g.outputs().size());
  for (ValueId v : g.outputs()) w.I32(v);
  w.Count(g.num_node_slots());
  for (size_t i = 0; i < g.num_node_slots(); ++i) {
    const Node& n = g.node(static_cast<NodeId>(i));
    w.Str(n.name);
    w.Str(n.op);
    w.Str(n.engine);
    w.U8(n.alive);
    w.Count(n.inputs.size());
    for (ValueId v : n.inputs) w.I32(v);
    w.Count(n.outputs.size());
    for (ValueId v : n.outputs) w.I32(v);
    EI_RETURN_IF_ERROR(WriteAttrs(w, n.attrs, n.name));
  }
  *graph_out = std::move(w.buf);
  *weights_out = std::move(wg.buf);
  return Status::Ok();
}

// Parsed graph records before the weights are read.
struct ValueRec {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
  std::optional<QuantParams> quant;
  bool constant = false;
  DType cdtype = DType::kUndefined;
  std::vector<int64_t> cdims;
  uint64_t offset = 0, bytes = 0;
};
struct NodeRec {
  std::string name, op, engine;
  bool alive = true;
  std::vector<ValueId> inputs, outputs;
  Attributes attrs;
};
struct GraphRec {
  std::string name;
  int64_t opset = 0;
  std::map<std::string, std::string> metadata;
  std::vector<ValueRec> values;
  std::vector<ValueId> inputs, outputs;
  std::vector<NodeRec> nodes;
};

void ParseGraph(Reader& r, uint64_t weights_size, GraphRec* g) {
  g->name = r.Str("graph name");
  g->opset = r.I64("opset");
  const size_t meta = r.Count(8, "metadata count");
  for (size_t i = 0; i < meta && r.ok(); ++i) {
    std::string k = r.Str("metadata key");
    g->metadata[k] = r.Str("metadata value");
  }
  g->values.resize(r.Count(11, "value count"));
  for (size_t i = 0; i < g->values.size() && r.ok(); ++i) {
    ValueRec& v = g->values[i];
    v.name = r.Str("value name");
    const int32_t dt = r.I32("value dtype");
    if (r.ok() && !KnownDType(dt)) r.Fail("value '" + v.name + "' has dtype " + std::to_string(dt) + " (rule: an ONNX TensorProto.DataType this build knows)");
    v.dtype = static_cast<DType>(dt);
    v.shape = ReadShape(r);
    if (r.Bool("quant flag")) {
      QuantParams q;
      q.scale.resize(r.Count(4, "quant scales"));
      for (float& s : q.scale) s = r.F32("quant scale");
      q.zero_point.resize(r.Count(4, "quant zero points"));
      for (int32_t& z : q.zero_point) z = r.I32("quant zero point");
      q.axis = r.I32("quant axis");
      if (r.ok() && !q.zero_point.empty() && q.zero_point.size() != q.scale.size()) {
        r.Fail("value '" + v.name + "': " + std::to_string(q.zero_point.size()) + " zero points for " + std::to_string(q.scale.size()) + " scales");
      }
      v.quant = std::move(q);
    }
    v.constant = r.Bool("constant flag");
    if (v.constant && r.ok()) {
      const int32_t cd = r.I32("constant dtype");
      if (r.ok() && (!KnownDType(cd) || DTypeSize(static_cast<DType>(cd)) == 0)) r.Fail("constant '" + v.name + "' has dtype " + std::to_string(cd) + " (rule: a numeric dtype)");
      v.cdtype = static_cast<DType>(cd);
      const size_t rank = r.Count(8, "constant rank");
      if (r.ok() && rank > kMaxRank) r.Fail("constant rank " + std::to_string(rank) + " exceeds " + std::to_string(kMaxRank));
      uint64_t n = 1;
      bool over = false;
      for (size_t k = 0; k < rank && r.ok(); ++k) {
        int64_t d = r.I64("constant dim");
        if (r.ok() && d < 0) r.Fail("constant '" + v.name + "' has dim " + std::to_string(d));
        if (d > 0 && n > weights_size / static_cast<uint64_t>(d)) over = true; else if (d >= 0) n *= static_cast<uint64_t>(d);
        v.cdims.push_back(d);
      }
      v.offset = r.U64("constant offset");
      v.bytes = r.U64("constant bytes");
      if (r.ok()) {
        if (over || n * DTypeSize(v.cdtype) != v.bytes) {
          r.Fail("constant '" + v.name + "': its dims do not match its " + std::to_string(v.bytes) + " bytes (rule: bytes = elements x dtype size)");
        } else if (v.offset > weights_size || v.bytes > weights_size - v.offset) {
          r.Fail("constant '" + v.name + "' at [" + std::to_string(v.offset) + ", +" + std::to_string(v.bytes) + ") lies outside WGTS (" + std::to_string(weights_size) + " bytes)");
        }
      }
    }
  }
  const int64_t nv = static_cast<int64_t>(g->values.size());
  auto id_ok = [&](int32_t v, bool allow_absent) { return (allow_absent && v == kNoValue) || (v >= 0 && v < nv); };
  g->inputs.resize(r.Count(4, "graph input count"));
  for (ValueId& v : g->inputs) { v = r.I32("graph input"); if (r.ok() && !id_ok(v, false)) r.Fail("graph input id " + std::to_string(v) + " is out of range"); }
  g->outputs.resize(r.Count(4, "graph output count"));
  for (ValueId& v : g->outputs) { v = r.I32("graph output"); if (r.ok() && !id_ok(v, false)) r.Fail("graph output id " + std::to_string(v) + " is out of range"); }
  g->nodes.resize(r.Count(25, "node count"));
  for (size_t i = 0; i < g->nodes.size() && r.ok(); ++i) {
    NodeRec& n = g->nodes[i];
    n.name = r.Str("node name");
    n.op = r.Str("node op");
    n.engine = r.Str("node engine");
    n.alive = r.Bool("node alive flag");
    n.inputs.resize(r.Count(4, "node inputs"));
    for (ValueId& v : n.inputs) { v = r.I32("node input"); if (r.ok() && !id_ok(v, true)) r.Fail("node '" + n.name + "' input id " + std::to_string(v) + " is out of range"); }
    n.outputs.resize(r.Count(4, "node outputs"));
    for (ValueId& v : n.outputs) { v = r.I32("node output"); if (r.ok() && !id_ok(v, false)) r.Fail("node '" + n.name + "' output id " + std::to_string(v) + " is out of range"); }
    n.attrs = ReadAttrs(r);
  }
  if (r.ok() && r.left() != 0) r.Fail(std::to_string(r.left()) + " bytes follow the graph (rule: a section holds exactly its contents)");
}

void SerializeRuns(Writer& w, const std::vector<EngineRun>& segs) {
  w.Count(segs.size());
  for (const EngineRun& s : segs) { w.Str(s.engine); w.I32(s.first_step); w.I32(s.num_steps); }
}

std::vector<EngineRun> ParseRuns(Reader& r) {
  std::vector<EngineRun> segs(r.Count(12, "segment count"));
  for (EngineRun& s : segs) { s.engine = r.Str("segment engine"); s.first_step = r.I32("segment first step"); s.num_steps = r.I32("segment steps"); }
  return segs;
}

std::string SerializePartition(const EnginePartition& p) {
  Writer w;
  w.Count(p.order.size());
  for (NodeId id : p.order) w.I32(id);
  SerializeRuns(w, p.segments);
  w.Count(p.fallback.size());
  for (const auto& [k, v] : p.fallback) { w.Str(k); w.Str(v); }
  return w.buf;
}

void ParsePartition(Reader& r, EnginePartition* p) {
  p->order.resize(r.Count(4, "order steps"));
  for (NodeId& id : p->order) id = r.I32("order step");
  p->segments = ParseRuns(r);
  const size_t n = r.Count(8, "fallback count");
  for (size_t i = 0; i < n && r.ok(); ++i) { std::string k = r.Str("fallback node"); p->fallback[k] = r.Str("fallback reason"); }
}

std::string SerializePlans(const std::vector<GraphMemoryPlan>& plans) {
  Writer w;
  w.Count(plans.size());
  for (const GraphMemoryPlan& p : plans) {
    const MemoryPlanOptions& o = p.options;
    w.Str(o.instance); w.I64(o.batch); w.U8(o.sram_chaining); w.I64(o.sram_bytes); w.I64(o.alignment); w.U8(o.concat_in_place);
    w.I64(p.in_place_concats);
    w.Str(p.sram_order);
    w.Count(p.order.size());
    for (NodeId id : p.order) w.I32(id);
    const MemoryPlan& m = p.plan;
    w.Count(m.spaces.size());
    for (size_t s = 0; s < m.spaces.size(); ++s) { w.Str(m.spaces[s].name); w.I64(m.spaces[s].capacity); w.I64(m.peak[s]); w.I64(m.lower_bound[s]); }
    w.Count(m.requests.size());
    for (size_t i = 0; i < m.requests.size(); ++i) {
      const BufferRequest& b = m.requests[i];
      w.Str(b.name); w.I64(b.size); w.I32(b.first_use); w.I32(b.last_use); w.I64(b.alignment); w.I64(b.priority);
      w.Count(b.spaces.size());
      for (int s : b.spaces) w.I32(s);
      w.I32(m.placements[i].space); w.I64(m.placements[i].offset);
    }
    w.Count(p.values.size());
    for (const ValueLocation& l : p.values) { w.I32(l.buffer); w.I64(l.offset_in_buffer); w.I64(l.size); }
  }
  return w.buf;
}

void ParsePlans(Reader& r, std::vector<GraphMemoryPlan>* plans) {
  plans->resize(r.Count(40, "plan count"));
  for (GraphMemoryPlan& p : *plans) {
    if (!r.ok()) break;
    MemoryPlanOptions& o = p.options;
    o.instance = r.Str("plan instance"); o.batch = r.I64("plan batch"); o.sram_chaining = r.Bool("plan chaining flag");
    o.sram_bytes = r.I64("plan sram bytes"); o.alignment = r.I64("plan alignment"); o.concat_in_place = r.Bool("plan concat flag");
    p.in_place_concats = r.I64("in-place concat count");
    p.sram_order = r.Str("sram order");
    if (r.ok() && (o.batch < 1 || o.batch > (int64_t{1} << 20))) r.Fail("plan '" + o.instance + "' batch " + std::to_string(o.batch) + " is out of range");
    p.order.resize(r.Count(4, "plan steps"));
    for (NodeId& id : p.order) id = r.I32("plan step");
    MemoryPlan& m = p.plan;
    m.spaces.resize(r.Count(28, "space count"));
    m.peak.resize(m.spaces.size());
    m.lower_bound.resize(m.spaces.size());
    for (size_t s = 0; s < m.spaces.size() && r.ok(); ++s) {
      m.spaces[s].name = r.Str("space name"); m.spaces[s].capacity = r.I64("space capacity");
      m.peak[s] = r.I64("space peak"); m.lower_bound[s] = r.I64("space lower bound");
    }
    m.requests.resize(r.Count(52, "buffer count"));
    m.placements.resize(m.requests.size());
    for (size_t i = 0; i < m.requests.size() && r.ok(); ++i) {
      BufferRequest& b = m.requests[i];
      b.name = r.Str("buffer name"); b.size = r.I64("buffer size"); b.first_use = r.I32("buffer first use"); b.last_use = r.I32("buffer last use");
      b.alignment = r.I64("buffer alignment"); b.priority = r.I64("buffer priority");
      b.spaces.resize(r.Count(4, "buffer spaces"));
      for (int& s : b.spaces) s = r.I32("buffer space");
      m.placements[i].space = r.I32("placement space"); m.placements[i].offset = r.I64("placement offset");
      if (r.ok() && (b.size < 0 || b.alignment <= 0 || (b.alignment & (b.alignment - 1)) != 0 || m.placements[i].offset < 0 ||
                     b.size > (int64_t{1} << 50) || m.placements[i].offset > (int64_t{1} << 50))) {
        r.Fail("buffer '" + b.name + "': size, alignment or offset out of range");
      }
    }
    p.values.resize(r.Count(20, "value location count"));
    for (ValueLocation& l : p.values) { l.buffer = r.I32("location buffer"); l.offset_in_buffer = r.I64("location offset"); l.size = r.I64("location size"); }
  }
}

std::string SerializeCosts(const std::vector<LayerCost>& costs) {
  Writer w;
  w.Count(costs.size());
  for (const LayerCost& c : costs) { w.Str(c.node); w.Str(c.engine); w.F64(c.predicted_s); w.I64(c.macs); w.I64(c.dram_bytes); w.I64(c.sram_bytes); w.Str(c.bound); }
  return w.buf;
}

void ParseCosts(Reader& r, std::vector<LayerCost>* costs) {
  costs->resize(r.Count(44, "cost count"));
  for (LayerCost& c : *costs) {
    c.node = r.Str("cost node"); c.engine = r.Str("cost engine"); c.predicted_s = r.F64("predicted time");
    c.macs = r.I64("macs"); c.dram_bytes = r.I64("dram bytes"); c.sram_bytes = r.I64("sram bytes"); c.bound = r.Str("bound");
  }
}

// ---------------------------------------------------------------- sources
class Source {
 public:
  virtual ~Source() = default;
  virtual uint64_t Size() const = 0;
  virtual bool Read(uint64_t off, size_t n, void* dst) = 0;
};

class MemorySource : public Source {
 public:
  explicit MemorySource(const std::string& b) : b_(b) {}
  uint64_t Size() const override { return b_.size(); }
  bool Read(uint64_t off, size_t n, void* dst) override {
    if (off > b_.size() || n > b_.size() - off) return false;
    std::memcpy(dst, b_.data() + off, n);
    return true;
  }

 private:
  const std::string& b_;
};

class FileSource : public Source {
 public:
  explicit FileSource(std::FILE* f, uint64_t size) : f_(f), size_(size) {}
  ~FileSource() override { std::fclose(f_); }
  uint64_t Size() const override { return size_; }
  bool Read(uint64_t off, size_t n, void* dst) override {
    if (off > size_ || n > size_ - off) return false;
    if (fseeko(f_, static_cast<off_t>(off), SEEK_SET) != 0) return false;
    return std::fread(dst, 1, n, f_) == n;
  }

 private:
  std::FILE* f_;
  uint64_t size_;
};

struct Entry {
  std::string tag;
  uint64_t offset = 0, size = 0;
  uint32_t crc = 0;
};

std::string Hex(uint32_t v) {
  char s[16];
  std::snprintf(s, sizeof s, "0x%08x", v);
  return s;
}

Result<EngineFile> Parse(Source& src, const std::string& what, const EngineReadOptions& opts) {
  auto err = [&](const std::string& m) { return Status::Error("engine file '" + what + "': " + m); };
  const uint64_t fsize = src.Size();
  char head[kHeaderBytes] = {};
  if (fsize < sizeof kMagic || !src.Read(0, sizeof kMagic, head) || std::memcmp(head, kMagic, sizeof kMagic) != 0) {
    return err("not an edgeinfer engine file (rule: it starts with the 8-byte magic \"EIPLAN\\x1a\\n\"; write one with 'edgeinfer compile ... -o model.plan')");
  }
  if (fsize < 12 || !src.Read(8, 4, head + 8)) return err("truncated: " + std::to_string(fsize) + " bytes end inside the header (rule: the header is 64 bytes)");
  uint32_t version;
  std::memcpy(&version, head + 8, 4);
  if (version != kEngineFileVersion) {
    return err("format version " + std::to_string(version) + " is not supported (this build reads version " + std::to_string(kEngineFileVersion) +
               "; rule: engine files are read by the version that wrote them — recompile the model)");
  }
  if (fsize < kHeaderBytes || !src.Read(0, kHeaderBytes, head)) {
    return err("truncated: " + std::to_string(fsize) + " bytes end inside the header (rule: the header is 64 bytes)");
  }
  uint32_t header_bytes, nsec, table_crc, header_crc;
  uint64_t recorded;
  std::memcpy(&header_bytes, head + 12, 4);
  std::memcpy(&recorded, head + 16, 8);
  std::memcpy(&nsec, head + 24, 4);
  std::memcpy(&table_crc, head + 28, 4);
  std::memcpy(&header_crc, head + 60, 4);
  if (opts.verify_checksums && Crc32(head, 60) != header_crc) {
    return err("header checksum mismatch (stored " + Hex(header_crc) + ", computed " + Hex(Crc32(head, 60)) + "; rule: CRC32 of header bytes 0..59): the file is corrupt");
  }
  if (header_bytes != kHeaderBytes) return err("header size " + std::to_string(header_bytes) + " is not " + std::to_string(kHeaderBytes));
  if (recorded > fsize) return err("truncated: the header records " + std::to_string(recorded) + " bytes, the file has " + std::to_string(fsize));
  if (recorded < fsize) return err("the file has " + std::to_string(fsize) + " bytes, its header records " + std::to_string(recorded) + " (rule: no trailing bytes; the file was appended to or is corrupt)");
  if (nsec > kMaxSections) return err("section count " + std::to_string(nsec) + " exceeds " + std::to_string(kMaxSections));
  const uint64_t table_bytes = static_cast<uint64_t>(nsec) * kEntryBytes;
  if (kHeaderBytes + table_bytes > fsize) return err("truncated: the section table of " + std::to_string(nsec) + " entries ends past the file");
  std::string table(table_bytes, '\0');
  if (!src.Read(kHeaderBytes, table_bytes, table.data())) return err("cannot read the section table");
  if (opts.verify_checksums && Crc32(table.data(), table.size()) != table_crc) {
    return err("section table checksum mismatch (stored " + Hex(table_crc) + ", computed " + Hex(Crc32(table.data(), table.size())) + "): the file is corrupt");
  }
  std::map<std::string, Entry> sections;
  for (uint32_t i = 0; i < nsec; ++i) {
    const char* p = table.data() + i * kEntryBytes;
    Entry e;
    e.tag.assign(p, 4);
    std::memcpy(&e.offset, p + 8, 8);
    std::memcpy(&e.size, p + 16, 8);
    std::memcpy(&e.crc, p + 24, 4);
    for (char c : e.tag) if (c < 'A' || c > 'Z') return err("section " + std::to_string(i) + " has a tag that is not four capital letters");
    if (e.offset < kHeaderBytes + table_bytes || e.offset > fsize || e.size > fsize - e.offset) {
      return err("section " + e.tag + " [" + std::to_string(e.offset) + ", +" + std::to_string(e.size) + ") lies outside the file's " + std::to_string(fsize) + " bytes (rule: sections follow the table, inside the file)");
    }
    if (!sections.emplace(e.tag, e).second) return err("section " + e.tag + " appears twice");
  }
  {
    // Every byte is covered: sections do not overlap, and the padding between them (under 64
    // bytes, for alignment) is zero, so no byte can change unnoticed.
    std::vector<Entry> by_off;
    for (const auto& [tag, e] : sections) by_off.push_back(e);
    std::sort(by_off.begin(), by_off.end(), [](const Entry& a, const Entry& b) { return a.offset < b.offset; });
    uint64_t end = kHeaderBytes + table_bytes;
    for (size_t i = 0; i <= by_off.size(); ++i) {
      const uint64_t next = i < by_off.size() ? by_off[i].offset : fsize;
      if (next < end) return err("section " + by_off[i].tag + " overlaps the bytes before it (rule: sections are disjoint)");
      if (next - end >= kAlign) return err(std::to_string(next - end) + " unaccounted bytes at offset " + std::to_string(end) + " (rule: only alignment padding lies between sections)");
      char pad[kAlign] = {};
      if (next > end && !src.Read(end, next - end, pad)) return err("cannot read padding at offset " + std::to_string(end));
      for (uint64_t k = 0; k < next - end; ++k) {
        if (pad[k] != 0) return err("padding byte at offset " + std::to_string(end + k) + " is not zero (rule: padding is zero): the file is corrupt");
      }
      if (i < by_off.size()) end = by_off[i].offset + by_off[i].size;
    }
  }
  for (const char* tag : kRequired) if (!sections.count(tag)) return err(std::string("section ") + tag + " is missing (rule: every engine file has OPTS, GRPH, WGTS, PART, MEMP and COST)");
  // Small sections: read whole and verify.
  std::map<std::string, std::string> body;
  for (const auto& [tag, e] : sections) {
    if (tag == "WGTS") continue;
    std::string b(e.size, '\0');
    if (!src.Read(e.offset, e.size, b.data())) return err("cannot read section " + tag);
    if (opts.verify_checksums && Crc32(b.data(), b.size()) != e.crc) {
      return err("section " + tag + " checksum mismatch (stored " + Hex(e.crc) + ", computed " + Hex(Crc32(b.data(), b.size())) + "; rule: every section's CRC32 matches): the file is corrupt");
    }
    body[tag] = std::move(b);
  }
  EngineFile out;
  out.version = version;
  {
    Reader r(body["OPTS"], "OPTS");
    ParseOptions(r, &out);
    if (!r.ok()) return err(r.error());
  }
  const Entry& wgts = sections["WGTS"];
  GraphRec gr;
  {
    Reader r(body["GRPH"], "GRPH");
    ParseGraph(r, wgts.size, &gr);
    if (!r.ok()) return err(r.error());
  }
  // Weights: streamed from the file straight into their tensors, in offset order, CRC on the way.
  std::vector<size_t> cidx;
  for (size_t i = 0; i < gr.values.size(); ++i) if (gr.values[i].constant) cidx.push_back(i);
  std::sort(cidx.begin(), cidx.end(), [&](size_t a, size_t b) { return gr.values[a].offset < gr.values[b].offset; });
  std::vector<TensorPtr> tensors(gr.values.size());
  {
    uint32_t crc = 0;
    uint64_t pos = 0;
    std::vector<char> gap;
    auto skip_to = [&](uint64_t to) -> bool {
      while (pos < to) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(to - pos, 1 << 20));
        gap.resize(n);
        if (!src.Read(wgts.offset + pos, n, gap.data())) return false;
        if (opts.verify_checksums) crc = Crc32(gap.data(), n, crc);
        pos += n;
      }
      return true;
    };
    for (size_t i : cidx) {
      const ValueRec& v = gr.values[i];
      if (v.offset < pos) return err("section WGTS: constant '" + v.name + "' overlaps the one before it (rule: constants do not share bytes)");
      if (!skip_to(v.offset)) return err("cannot read section WGTS");
      auto t = std::make_shared<Tensor>(v.cdtype, v.cdims);
      if (v.bytes && !src.Read(wgts.offset + pos, v.bytes, t->raw())) return err("cannot read constant '" + v.name + "'");
      if (opts.verify_checksums) crc = Crc32(t->raw(), v.bytes, crc);
      pos += v.bytes;
      tensors[i] = std::move(t);
    }
    if (!skip_to(wgts.size)) return err("cannot read section WGTS");
    if (opts.verify_checksums && crc != wgts.crc) {
      return err("section WGTS checksum mismatch (stored " + Hex(wgts.crc) + ", computed " + Hex(crc) + "; rule: every section's CRC32 matches): the file is corrupt");
    }
  }
  // Build the graph: values in id order, then every node slot (dead ones removed after), then
  // producers re-linked from the live nodes.
  Graph& g = out.graph;
  g.name = gr.name;
  g.opset = gr.opset;
  g.metadata = gr.metadata;
  for (size_t i = 0; i < gr.values.size(); ++i) {
    ValueRec& v = gr.values[i];
    ValueId id = v.constant ? g.AddConstant(v.name, tensors[i]) : g.AddValue(v.name, v.dtype, v.shape);
    if (static_cast<size_t>(id) != i) return err("graph: value ids are not dense");
    Value& val = g.value(id);
    val.dtype = v.dtype;
    val.shape = v.shape;
    val.quant = v.quant;
    if (val.name != v.name) return err("graph: value name '" + v.name + "' is empty or appears twice (rule: value names are unique and non-empty)");
  }
  g.inputs() = gr.inputs;
  g.outputs() = gr.outputs;
  for (NodeRec& n : gr.nodes) {
    NodeId id = g.AddNode(n.op, n.name, n.inputs, n.outputs, std::move(n.attrs));
    g.node(id).engine = n.engine;
  }
  for (size_t i = 0; i < gr.nodes.size(); ++i) if (!gr.nodes[i].alive) g.RemoveNode(static_cast<NodeId>(i));
  for (NodeId id : g.NodeIds()) for (ValueId o : g.node(id).outputs) g.value(o).producer = id;
  Status s = g.VerifyStructure();
  if (!s.ok()) return err("graph: " + s.message());
  // Ops known, attributes well-formed, shapes and dtypes re-inferred equal to the stored ones: the
  // executors may then trust the graph as they trust a freshly compiled one.
  s = VerifyGraph(g);
  if (!s.ok()) return err("graph: " + s.message());
  {
    Reader r(body["PART"], "PART");
    ParsePartition(r, &out.partition);
    if (!r.ok()) return err(r.error());
  }
  {
    Reader r(body["MEMP"], "MEMP");
    ParsePlans(r, &out.memory_plans);
    if (!r.ok()) return err(r.error());
  }
  {
    Reader r(body["COST"], "COST");
    ParseCosts(r, &out.costs);
    if (!r.ok()) return err(r.error());
  }
  // Contents that must agree with the graph.
  std::vector<NodeId> order = out.partition.order;
  if (order.empty()) {
    auto topo = g.TopoOrder();
    if (!topo.ok()) return err("graph: " + topo.status().message());
    order = *topo;
  } else {
    Status o = CheckExecutionOrder(g, order);
    if (!o.ok()) return err("section PART: " + o.message());
  }
  const std::vector<EngineRun> segs = FindEngineRuns(g, order);
  bool same = segs.size() == out.partition.segments.size();
  for (size_t i = 0; same && i < segs.size(); ++i) {
    same = segs[i].engine == out.partition.segments[i].engine && segs[i].first_step == out.partition.segments[i].first_step &&
           segs[i].num_steps == out.partition.segments[i].num_steps;
  }
  if (!same) return err("section PART: its segments do not match the graph's node engines (rule: segments are the runs of one Node::engine in the execution order)");
  std::set<std::string> instances;
  for (GraphMemoryPlan& p : out.memory_plans) {
    if (!instances.insert(p.options.instance).second) return err("section MEMP: instance '" + p.options.instance + "' has two plans");
    Status v = ValidateGraphMemoryPlan(g, p);
    if (!v.ok()) return err("section MEMP: plan '" + p.options.instance + "': " + v.message());
    p.segments = FindEngineRuns(g, p.order);
    v = ComputeTraffic(g, &p);
    if (!v.ok()) return err("section MEMP: plan '" + p.options.instance + "': " + v.message());
  }
  return out;
}

}  // namespace

const GraphMemoryPlan* EngineFile::FindPlan(const std::string& instance) const {
  for (const GraphMemoryPlan& p : memory_plans) if (p.options.instance == instance) return &p;
  return nullptr;
}

Result<std::string> SerializeEngine(const EngineFile& e) {
  std::vector<std::pair<std::string, std::string>> secs;
  secs.emplace_back("OPTS", SerializeOptions(e));
  std::string graph, weights;
  EI_RETURN_IF_ERROR(SerializeGraph(e.graph, &graph, &weights));
  secs.emplace_back("GRPH", std::move(graph));
  secs.emplace_back("PART", SerializePartition(e.partition));
  for (const GraphMemoryPlan& p : e.memory_plans) {
    if (p.plan.placements.size() != p.plan.requests.size() || p.plan.peak.size() != p.plan.spaces.size() ||
        p.plan.lower_bound.size() != p.plan.spaces.size()) {
      return Status::Error("memory plan '" + p.options.instance + "' is inconsistent (placements/peaks do not match requests/spaces)");
    }
  }
  secs.emplace_back("MEMP", SerializePlans(e.memory_plans));
  secs.emplace_back("COST", SerializeCosts(e.costs));
  secs.emplace_back("WGTS", std::move(weights));   // last: the large one
  auto align = [](uint64_t x) { return (x + kAlign - 1) / kAlign * kAlign; };
  uint64_t pos = align(kHeaderBytes + secs.size() * kEntryBytes);
  std::string table;
  std::vector<uint64_t> offsets;
  for (const auto& [tag, b] : secs) {
    Writer w;
    w.Raw(tag.data(), 4);
    w.U32(0);
    w.U64(pos);
    w.U64(b.size());
    w.U32(Crc32(b.data(), b.size()));
    w.U32(0);
    table += w.buf;
    offsets.push_back(pos);
    pos = align(pos + b.size());
  }
  const uint64_t total = offsets.back() + secs.back().second.size();
  std::string out(total, '\0');
  Writer h;
  h.Raw(kMagic, sizeof kMagic);
  h.U32(kEngineFileVersion);
  h.U32(kHeaderBytes);
  h.U64(total);
  h.U32(static_cast<uint32_t>(secs.size()));
  h.U32(Crc32(table.data(), table.size()));
  h.buf.resize(60, '\0');
  h.U32(Crc32(h.buf.data(), 60));
  std::memcpy(out.data(), h.buf.data(), kHeaderBytes);
  std::memcpy(out.data() + kHeaderBytes, table.data(), table.size());
  for (size_t i = 0; i < secs.size(); ++i) std::memcpy(out.data() + offsets[i], secs[i].second.data(), secs[i].second.size());
  return out;
}

Status WriteEngineFile(const EngineFile& e, const std::string& path) {
  auto bytes = SerializeEngine(e);
  if (!bytes.ok()) return Status::Error("engine file '" + path + "': " + bytes.status().message());
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return Status::Error("engine file '" + path + "': cannot open '" + tmp + "' for writing");
  const bool ok = std::fwrite(bytes->data(), 1, bytes->size(), f) == bytes->size();
  if (std::fclose(f) != 0 || !ok) {
    std::remove(tmp.c_str());
    return Status::Error("engine file '" + path + "': write failed (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::Error("engine file '" + path + "': cannot rename '" + tmp + "': " + ec.message());
  return Status::Ok();
}

Result<EngineFile> ParseEngine(const std::string& bytes, const std::string& what, const EngineReadOptions& opts) {
  MemorySource src(bytes);
  return Parse(src, what, opts);
}

Result<EngineFile> ReadEngineFile(const std::string& path, const EngineReadOptions& opts) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return Status::Error("engine file '" + path + "': is a directory");
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::Error("engine file '" + path + "': cannot open: " + ec.message());
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::Error("engine file '" + path + "': cannot open for reading");
  FileSource src(f, size);
  return Parse(src, path, opts);
}

std::string DescribeEngine(const EngineFile& e) {
  std::ostringstream os;
  const EngineCompileOptions& o = e.options;
  os << "engine file version " << e.version << ": model '" << o.model << "', precision " << PrecisionName(o.precision) << ", soc "
     << (o.soc.empty() ? "-" : o.soc) << (o.power_mode.empty() ? "" : " " + o.power_mode) << ", batch " << o.batch << ", SRAM "
     << o.sram_bytes << " bytes per DLA core";
  if (!o.tool.empty()) os << ", by " << o.tool;
  os << "\n";
  size_t weights = 0;
  for (size_t i = 0; i < e.graph.num_values(); ++i) {
    const Value& v = e.graph.value(static_cast<ValueId>(i));
    if (v.IsConstant()) weights += v.constant->bytes();
  }
  os << "graph '" << e.graph.name << "': " << e.graph.NumLiveNodes() << " nodes, " << e.graph.num_values() << " values, "
     << weights << " weight bytes\n";
  os << "partition: " << e.partition.segments.size() << " segment(s)";
  for (const EngineRun& s : e.partition.segments) os << " [" << (s.engine.empty() ? "-" : s.engine) << " x" << s.num_steps << "]";
  os << "; " << e.partition.fallback.size() << " layer(s) with a fallback reason\n";
  for (const GraphMemoryPlan& p : e.memory_plans) os << ExplainMemoryPlan(p, false);
  if (!e.costs.empty()) {
    char line[128];
    std::snprintf(line, sizeof line, "predicted: %zu layers, %.3f ms per batch [target clock]\n", e.costs.size(), e.predicted_total_s * 1e3);
    os << line;
  }
  return os.str();
}

}  // namespace edgeinfer::runtime
