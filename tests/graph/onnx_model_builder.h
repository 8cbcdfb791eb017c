// Builds small ONNX ModelProtos in memory with the onnx protobuf API, for the import/export tests.
#pragma once
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"

namespace edgeinfer::testing {

class ModelBuilder {
 public:
  explicit ModelBuilder(int64_t opset = 13, const std::string& name = "test") {
    m_.set_ir_version(opset >= 15 ? 8 : 7);
    auto* os = m_.add_opset_import();
    os->set_domain("");
    os->set_version(opset);
    m_.mutable_graph()->set_name(name);
  }
  onnx::ModelProto& model() { return m_; }
  onnx::GraphProto& graph() { return *m_.mutable_graph(); }

  // dims: a number, a symbol ("N"), or "?" for an unknown dim.
  void Input(const std::string& name, int elem, const std::vector<std::string>& dims) {
    Fill(graph().add_input(), name, elem, dims, true);
  }
  void InputNoShape(const std::string& name, int elem) { Fill(graph().add_input(), name, elem, {}, false); }
  void Output(const std::string& name, int elem = 0) { Fill(graph().add_output(), name, elem, {}, false); }

  onnx::NodeProto* Node(const std::string& op, const std::vector<std::string>& ins,
                        const std::vector<std::string>& outs, const std::string& name = "") {
    onnx::NodeProto* n = graph().add_node();
    n->set_op_type(op);
    if (!name.empty()) n->set_name(name);
    for (const auto& i : ins) n->add_input(i);
    for (const auto& o : outs) n->add_output(o);
    return n;
  }

  onnx::TensorProto* InitFloat(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v) {
    onnx::TensorProto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
    return t;
  }
  onnx::TensorProto* InitInt64(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int64_t>& v) {
    onnx::TensorProto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    for (int64_t d : dims) t->add_dims(d);
    for (int64_t x : v) t->add_int64_data(x);
    return t;
  }

  std::string Bytes() const {
    std::string s;
    m_.SerializeToString(&s);
    return s;
  }

  static void AttrInt(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void AttrFloat(onnx::NodeProto* n, const std::string& name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void AttrString(onnx::NodeProto* n, const std::string& name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  static void AttrInts(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void AttrFloats(onnx::NodeProto* n, const std::string& name, const std::vector<float>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOATS);
    for (float x : v) a->add_floats(x);
  }

 private:
  static void Fill(onnx::ValueInfoProto* vi, const std::string& name, int elem, const std::vector<std::string>& dims,
                   bool with_shape) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem);
    if (!with_shape) return;
    auto* sh = tt->mutable_shape();
    for (const auto& d : dims) {
      auto* dim = sh->add_dim();
      if (d == "?") continue;
      if (!d.empty() && (std::isdigit(static_cast<unsigned char>(d[0])) != 0)) {
        dim->set_dim_value(std::stoll(d));
      } else {
        dim->set_dim_param(d);
      }
    }
  }
  onnx::ModelProto m_;
};

// A fresh, empty temporary folder named after the test.
inline std::filesystem::path TempDir(const std::string& tag) {
  std::filesystem::path p = std::filesystem::temp_directory_path() /
                            ("edgeinfer_onnx_" + tag + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

inline void WriteFile(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace edgeinfer::testing
