// ONNX import: weights in every form, symbolic dims, every older-opset normalisation, constant
// folding of exporter shape chains, and every kind of bad input (each with a clear error).
#include "graph/onnx_import.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "devices/cpu/reference_executor.h"
#include "graph/onnx_export.h"
#include "tests/graph/onnx_model_builder.h"

namespace edgeinfer {
namespace {

using testing::ModelBuilder;
using testing::TempDir;
using testing::WriteFile;
using devices::TensorMap;
constexpr int kF = onnx::TensorProto::FLOAT;
constexpr int kI64 = onnx::TensorProto::INT64;

Result<Graph> Import(const ModelBuilder& b, const ImportOptions& o = {}) { return ImportOnnxFromBytes(b.Bytes(), "", o); }

// The error message of a failed import (fails the test when the import succeeded).
std::string ErrorOf(const Result<Graph>& r) {
  EXPECT_FALSE(r.ok()) << "import unexpectedly succeeded";
  return r.ok() ? std::string() : r.status().message();
}

#define EXPECT_HAS(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << "message: " << (msg)

const Node& OnlyNode(const Graph& g) {
  EXPECT_EQ(g.NumLiveNodes(), 1u) << g.DumpText();
  return g.node(g.NodeIds().at(0));
}

const Tensor& ConstInput(const Graph& g, const Node& n, size_t i) {
  static const Tensor kNone;
  if (i >= n.inputs.size() || n.inputs[i] == kNoValue || !g.value(n.inputs[i]).IsConstant()) {
    ADD_FAILURE() << "input " << i << " of " << n.name << " is not a constant";
    return kNone;
  }
  return *g.value(n.inputs[i]).constant;
}

std::vector<int64_t> Ints(const Tensor& t) {
  std::vector<int64_t> v;
  for (int64_t i = 0; i < t.numel(); ++i) v.push_back(t.GetAsInt64(i));
  return v;
}
std::vector<double> Doubles(const Tensor& t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numel(); ++i) v.push_back(t.GetAsDouble(i));
  return v;
}

Tensor Iota(std::vector<int64_t> dims, float scale = 1.f, float offset = 0.f) {
  Tensor t(DType::kFloat32, std::move(dims));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = offset + scale * static_cast<float>(i);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Basics, names, shapes

TEST(OnnxImport, ReluModelKeepsNamesAndShapes) {
  ModelBuilder b(13);
  b.Input("x", kF, {"1", "3", "4", "4"});
  b.Node("Relu", {"x"}, {"y"}, "relu1");
  b.Output("y", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Graph& g = *r;
  EXPECT_EQ(g.name, "test");
  EXPECT_EQ(g.opset, 13);
  ASSERT_EQ(g.inputs().size(), 1u);
  EXPECT_EQ(g.value(g.inputs()[0]).name, "x");
  EXPECT_EQ(g.value(g.outputs()[0]).name, "y");
  EXPECT_EQ(g.value(g.outputs()[0]).shape, (Shape{1, 3, 4, 4}));
  EXPECT_EQ(OnlyNode(g).name, "relu1");
}

TEST(OnnxImport, UnnamedAndDuplicateNodeNamesGetOpIndex) {
  ModelBuilder b(13);
  b.Input("x", kF, {"2"});
  b.Node("Relu", {"x"}, {"a"}, "r");
  b.Node("Relu", {"a"}, {"b"});        // unnamed
  b.Node("Relu", {"b"}, {"c"}, "r");   // duplicate
  b.Output("c", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->FindNode("r").has_value());
  EXPECT_TRUE(r->FindNode("Relu_1").has_value()) << r->DumpText();
  EXPECT_TRUE(r->FindNode("Relu_2").has_value()) << r->DumpText();
}

TEST(OnnxImport, NodesListedOutOfOrderAreSorted) {
  ModelBuilder b(13);
  b.Input("x", kF, {"2"});
  b.Node("Relu", {"a"}, {"b"}, "second");
  b.Node("Relu", {"x"}, {"a"}, "first");
  b.Output("b", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto order = r->TopoOrder();
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(r->node(order->at(0)).name, "first");
}

TEST(OnnxImport, AiOnnxDomainIsTheDefaultDomain) {
  ModelBuilder b(13);
  b.model().mutable_opset_import(0)->set_domain("ai.onnx");
  b.Input("x", kF, {"2"});
  b.Node("Relu", {"x"}, {"y"})->set_domain("ai.onnx");
  b.Output("y", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
}

TEST(OnnxImport, SymbolicDimsKeepTheirNames) {
  ModelBuilder b(13);
  b.Input("x", kF, {"N", "3", "?", "W"});
  b.Node("Relu", {"x"}, {"y"}, "r");
  b.Output("y", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Shape& s = r->value(r->inputs()[0]).shape;
  EXPECT_EQ(s.dims, (std::vector<int64_t>{kDynamic, 3, kDynamic, kDynamic}));
  ASSERT_EQ(s.symbols.size(), 4u);
  EXPECT_EQ(s.symbols[0], "N");
  EXPECT_EQ(s.symbols[2], "");
  EXPECT_EQ(s.symbols[3], "W");
  EXPECT_EQ(s.ToString(), "[N,3,?,W]");
}

TEST(OnnxImport, BatchBindsLeadingSymbolicDim) {
  ModelBuilder b(13);
  b.Input("x", kF, {"N", "3"});
  b.Input("z", kF, {"5", "3"});
  b.Node("Relu", {"x"}, {"y"}, "r");
  b.Node("Relu", {"z"}, {"w"}, "r2");
  b.Output("y", kF);
  b.Output("w", kF);
  ImportOptions o;
  o.batch = 4;
  auto r = Import(b, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->value(r->inputs()[0]).shape, (Shape{4, 3}));
  EXPECT_EQ(r->value(r->inputs()[1]).shape, (Shape{5, 3}));   // static: untouched
  EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{4, 3}));
}

TEST(OnnxImport, InputShapeOverride) {
  ModelBuilder b(13);
  b.Input("x", kF, {"N", "3", "H", "W"});
  b.InputNoShape("u", kF);
  b.Node("Relu", {"x"}, {"y"}, "r");
  b.Node("Relu", {"u"}, {"v"}, "r2");
  b.Output("y", kF);
  b.Output("v", kF);
  // Without a shape for 'u' the import cannot know its rank.
  EXPECT_HAS(ErrorOf(Import(b)), "input 'u' has no shape");
  ImportOptions o;
  o.input_shapes["x"] = {2, 3, 8, 8};
  o.input_shapes["u"] = {7};
  auto r = Import(b, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{2, 3, 8, 8}));
  EXPECT_EQ(r->value(r->outputs()[1]).shape, (Shape{7}));

  ImportOptions bad_rank;
  bad_rank.input_shapes["x"] = {2, 3};
  bad_rank.input_shapes["u"] = {7};
  EXPECT_HAS(ErrorOf(Import(b, bad_rank)), "rank");
  ImportOptions unknown;
  unknown.input_shapes["nope"] = {1};
  unknown.input_shapes["u"] = {7};
  std::string m = ErrorOf(Import(b, unknown));
  EXPECT_HAS(m, "'nope', which is not an input");
  EXPECT_HAS(m, "'x'");
}

// ---------------------------------------------------------------------------------------------
// Weights: initializer encodings, Constant nodes, external data

// An initializer that is itself the graph output: decoding is tested without any op.
Result<Graph> ImportTensor(const onnx::TensorProto& t) {
  ModelBuilder b(13);
  *b.graph().add_initializer() = t;
  b.Output(t.name(), t.data_type());
  return Import(b);
}

TEST(OnnxImport, InitializerTypedFieldsAllDtypes) {
  struct Case { int type; DType dt; std::vector<double> values; };
  const std::vector<Case> cases = {
      {onnx::TensorProto::FLOAT, DType::kFloat32, {1.5, -2, 3}},
      {onnx::TensorProto::DOUBLE, DType::kFloat64, {0.25, 1e10, -3}},
      {onnx::TensorProto::INT64, DType::kInt64, {-5, 1LL << 40, 7}},
      {onnx::TensorProto::INT32, DType::kInt32, {-100000, 0, 9}},
      {onnx::TensorProto::INT16, DType::kInt16, {-300, 2, 300}},
      {onnx::TensorProto::INT8, DType::kInt8, {-128, 0, 127}},
      {onnx::TensorProto::UINT8, DType::kUInt8, {0, 1, 255}},
      {onnx::TensorProto::UINT16, DType::kUInt16, {0, 65535, 7}},
      {onnx::TensorProto::UINT32, DType::kUInt32, {4000000000.0, 1, 2}},
      {onnx::TensorProto::UINT64, DType::kUInt64, {1, 2, 3}},
      {onnx::TensorProto::BOOL, DType::kBool, {1, 0, 1}},
      {onnx::TensorProto::FLOAT16, DType::kFloat16, {1.0, -0.5, 65504}},
  };
  for (const Case& c : cases) {
    onnx::TensorProto t;
    t.set_name("w");
    t.set_data_type(c.type);
    t.add_dims(3);
    for (double v : c.values) {
      switch (c.dt) {
        case DType::kFloat32: t.add_float_data(static_cast<float>(v)); break;
        case DType::kFloat64: t.add_double_data(v); break;
        case DType::kInt64: t.add_int64_data(static_cast<int64_t>(v)); break;
        case DType::kUInt32: case DType::kUInt64: t.add_uint64_data(static_cast<uint64_t>(v)); break;
        case DType::kFloat16: t.add_int32_data(FloatToHalf(static_cast<float>(v))); break;
        default: t.add_int32_data(static_cast<int32_t>(v)); break;
      }
    }
    auto r = ImportTensor(t);
    ASSERT_TRUE(r.ok()) << DTypeName(c.dt) << ": " << r.status().message();
    const Value& v = r->value(r->outputs()[0]);
    ASSERT_TRUE(v.IsConstant());
    EXPECT_EQ(v.constant->dtype(), c.dt);
    EXPECT_EQ(Doubles(*v.constant), c.values) << DTypeName(c.dt);
  }
}

TEST(OnnxImport, InitializerRawDataAllDtypes) {
  for (DType dt : {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32, DType::kInt16, DType::kInt8,
                   DType::kUInt8, DType::kUInt16, DType::kUInt32, DType::kUInt64, DType::kFloat16, DType::kBool}) {
    Tensor src = Iota({2, 2}, 1.f, 1.f).CastTo(dt);
    onnx::TensorProto t;
    t.set_name("w");
    t.set_data_type(static_cast<int>(dt));
    t.add_dims(2);
    t.add_dims(2);
    t.set_raw_data(static_cast<const char*>(src.raw()), src.bytes());
    auto r = ImportTensor(t);
    ASSERT_TRUE(r.ok()) << DTypeName(dt) << ": " << r.status().message();
    const Tensor& c = *r->value(r->outputs()[0]).constant;
    EXPECT_EQ(c.dtype(), dt);
    EXPECT_EQ(c.dims(), (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(Doubles(c), Doubles(src)) << DTypeName(dt);
  }
}

TEST(OnnxImport, InitializerWithWrongDataSizeIsAnError) {
  onnx::TensorProto t;
  t.set_name("w");
  t.set_data_type(onnx::TensorProto::FLOAT);
  t.add_dims(4);
  t.set_raw_data(std::string(12, '\0'));
  std::string m = ErrorOf(ImportTensor(t));
  EXPECT_HAS(m, "initializer 'w'");
  EXPECT_HAS(m, "raw_data has 12 bytes");
  EXPECT_HAS(m, "needs 16");

  onnx::TensorProto u;
  u.set_name("w");
  u.set_data_type(onnx::TensorProto::FLOAT);
  u.add_dims(3);
  u.add_float_data(1.f);
  EXPECT_HAS(ErrorOf(ImportTensor(u)), "float_data has 1 values");

  onnx::TensorProto none;
  none.set_name("w");
  none.set_data_type(onnx::TensorProto::INT64);
  none.add_dims(2);
  EXPECT_HAS(ErrorOf(ImportTensor(none)), "has no data");

  // A corrupt dim must not make the importer allocate terabytes.
  onnx::TensorProto huge;
  huge.set_name("w");
  huge.set_data_type(onnx::TensorProto::FLOAT);
  huge.add_dims(int64_t{1} << 38);
  huge.set_raw_data(std::string(16, '\0'));
  EXPECT_HAS(ErrorOf(ImportTensor(huge)), "raw_data has 16 bytes");

  onnx::TensorProto str;
  str.set_name("w");
  str.set_data_type(onnx::TensorProto::STRING);
  str.add_dims(1);
  str.add_string_data("a");
  EXPECT_HAS(ErrorOf(ImportTensor(str)), "not supported");
}

TEST(OnnxImport, InitializerListedAsInputIsAConstant) {
  ModelBuilder b(13);
  b.Input("x", kF, {"3"});
  b.Input("w", kF, {"3"});   // older exporters list weights as inputs too
  b.InitFloat("w", {3}, {1, 2, 3});
  b.Node("Add", {"x", "w"}, {"y"}, "add");
  b.Output("y", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->inputs().size(), 1u);
  EXPECT_EQ(r->value(r->inputs()[0]).name, "x");
  auto w = r->FindValue("w");
  ASSERT_TRUE(w.has_value());
  EXPECT_TRUE(r->value(*w).IsConstant());
}

TEST(OnnxImport, ConstantNodeForms) {
  ModelBuilder b(13);
  b.Input("x", kF, {"2"});
  auto* c1 = b.Node("Constant", {}, {"c_tensor"}, "c1");
  auto* a = c1->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  a->mutable_t()->add_dims(2);
  a->mutable_t()->add_float_data(1.f);
  a->mutable_t()->add_float_data(2.f);
  ModelBuilder::AttrFloat(b.Node("Constant", {}, {"c_float"}, "c2"), "value_float", 0.5f);
  ModelBuilder::AttrFloats(b.Node("Constant", {}, {"c_floats"}, "c3"), "value_floats", {1.f, 2.f, 3.f});
  ModelBuilder::AttrInt(b.Node("Constant", {}, {"c_int"}, "c4"), "value_int", 7);
  ModelBuilder::AttrInts(b.Node("Constant", {}, {"c_ints"}, "c5"), "value_ints", {4, 5});
  b.Node("Add", {"x", "c_tensor"}, {"y"}, "add");
  b.Node("Relu", {"y"}, {"out"}, "relu");
  for (const char* o : {"out", "c_float", "c_floats", "c_int", "c_ints"}) b.Output(o);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Graph& g = *r;
  auto val = [&](const char* n) -> const Tensor& { return *g.value(*g.FindValue(n)).constant; };
  EXPECT_EQ(Doubles(val("c_tensor")), (std::vector<double>{1, 2}));
  EXPECT_EQ(val("c_float").dtype(), DType::kFloat32);
  EXPECT_EQ(val("c_float").rank(), 0u);
  EXPECT_EQ(Doubles(val("c_float")), (std::vector<double>{0.5}));
  EXPECT_EQ(Doubles(val("c_floats")), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(val("c_int").dtype(), DType::kInt64);
  EXPECT_EQ(Ints(val("c_int")), (std::vector<int64_t>{7}));
  EXPECT_EQ(Ints(val("c_ints")), (std::vector<int64_t>{4, 5}));
  EXPECT_FALSE(g.FindNode("c1").has_value());   // Constant nodes do not survive as nodes

  ModelBuilder s(13);
  auto* cs = s.Node("Constant", {}, {"c"}, "cs");
  auto* as = cs->add_attribute();
  as->set_name("value_string");
  as->set_type(onnx::AttributeProto::STRING);
  as->set_s("hi");
  s.Output("c");
  EXPECT_HAS(ErrorOf(Import(s)), "Constant attribute 'value_string' is not supported");
}

// A model whose weight 'w' (float [2,3]) lives in <dir>/weights/w.bin at offset 8.
ModelBuilder ExternalModel(int64_t length) {
  ModelBuilder b(13);
  b.Input("x", kF, {"2", "3"});
  onnx::TensorProto* t = b.graph().add_initializer();
  t->set_name("w");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(2);
  t->add_dims(3);
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto add = [&](const char* k, const std::string& v) {
    auto* e = t->add_external_data();
    e->set_key(k);
    e->set_value(v);
  };
  add("location", "weights/w.bin");
  add("offset", "8");
  if (length >= 0) add("length", std::to_string(length));
  b.Node("Add", {"x", "w"}, {"y"}, "add");
  b.Output("y", kF);
  return b;
}

TEST(OnnxImport, ExternalData) {
  auto dir = TempDir("external");
  std::filesystem::create_directories(dir / "weights");
  std::vector<float> w = {1, 2, 3, 4, 5, 6};
  std::string blob(8, 'x');
  blob.append(reinterpret_cast<const char*>(w.data()), w.size() * 4);
  WriteFile(dir / "weights" / "w.bin", blob);
  WriteFile(dir / "m.onnx", ExternalModel(24).Bytes());
  auto r = ImportOnnx((dir / "m.onnx").string());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Doubles(*r->value(*r->FindValue("w")).constant), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  // Without a length the rest of the file is the tensor.
  WriteFile(dir / "m2.onnx", ExternalModel(-1).Bytes());
  EXPECT_TRUE(ImportOnnx((dir / "m2.onnx").string()).ok());
  // From bytes, base_dir says where to look.
  EXPECT_TRUE(ImportOnnxFromBytes(ExternalModel(24).Bytes(), dir.string(), {}).ok());

  // Short file.
  WriteFile(dir / "weights" / "w.bin", blob.substr(0, 20));
  std::string m = ErrorOf(ImportOnnx((dir / "m.onnx").string()));
  EXPECT_HAS(m, "model 'm.onnx'");
  EXPECT_HAS(m, "initializer 'w'");
  EXPECT_HAS(m, "goes past its end");
  // Missing file.
  std::filesystem::remove(dir / "weights" / "w.bin");
  m = ErrorOf(ImportOnnx((dir / "m.onnx").string()));
  EXPECT_HAS(m, "initializer 'w'");
  EXPECT_HAS(m, "is missing");
  // Wrong length for the tensor.
  WriteFile(dir / "weights" / "w.bin", blob);
  WriteFile(dir / "m3.onnx", ExternalModel(20).Bytes());
  EXPECT_HAS(ErrorOf(ImportOnnx((dir / "m3.onnx").string())), "holds 20 bytes but the tensor needs 24");
  // A location outside the model's folder.
  ModelBuilder esc = ExternalModel(24);
  esc.graph().mutable_initializer(0)->mutable_external_data(0)->set_value("../w.bin");
  EXPECT_HAS(ErrorOf(ImportOnnxFromBytes(esc.Bytes(), dir.string(), {})), "leaves the model's folder");
  std::filesystem::remove_all(dir);
}

// ---------------------------------------------------------------------------------------------
// Normalisation of older opset forms to the canonical forms

Result<TensorMap> RunOne(const Graph& g, const std::string& in_name, const Tensor& x) {
  TensorMap in;
  in[in_name] = x;
  return devices::RunReference(g, in);
}

TEST(OnnxImportNormalise, ClipAttributesBecomeInputs) {
  ModelBuilder b(10);
  b.Input("x", kF, {"5"});
  auto* n = b.Node("Clip", {"x"}, {"y"}, "clip");
  ModelBuilder::AttrFloat(n, "min", -1.f);
  ModelBuilder::AttrFloat(n, "max", 2.f);
  b.Output("y", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Node& c = OnlyNode(*r);
  EXPECT_FALSE(c.attrs.Has("min"));
  EXPECT_FALSE(c.attrs.Has("max"));
  ASSERT_EQ(c.inputs.size(), 3u);
  EXPECT_EQ(r->value(c.inputs[1]).name, "clip_min");
  EXPECT_EQ(r->value(c.inputs[2]).name, "clip_max");
  EXPECT_EQ(Doubles(ConstInput(*r, c, 1)), (std::vector<double>{-1}));
  EXPECT_EQ(Doubles(ConstInput(*r, c, 2)), (std::vector<double>{2}));
  auto out = RunOne(*r, "x", Tensor::FromVector(DType::kFloat32, {5}, std::vector<float>{-3, -0.5f, 0, 1.5f, 9}));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(Doubles(out->at("y")), (std::vector<double>{-1, -0.5, 0, 1.5, 2}));

  // Only max given: min stays absent.
  ModelBuilder b2(7);
  b2.Input("x", kF, {"5"});
  ModelBuilder::AttrFloat(b2.Node("Clip", {"x"}, {"y"}, "clip"), "max", 6.f);
  b2.Output("y", kF);
  auto r2 = Import(b2);
  ASSERT_TRUE(r2.ok()) << r2.status().message();
  const Node& c2 = OnlyNode(*r2);
  ASSERT_EQ(c2.inputs.size(), 3u);
  EXPECT_EQ(c2.inputs[1], kNoValue);
  EXPECT_EQ(Doubles(ConstInput(*r2, c2, 2)), (std::vector<double>{6}));
}

TEST(OnnxImportNormalise, SliceAttributesBecomeInputs) {
  ModelBuilder b(9);
  b.Input("x", kF, {"4", "6"});
  auto* n = b.Node("Slice", {"x"}, {"y"}, "sl");
  ModelBuilder::AttrInts(n, "starts", {1});
  ModelBuilder::AttrInts(n, "ends", {5});
  ModelBuilder::AttrInts(n, "axes", {1});
  b.Output("y", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Node& s = OnlyNode(*r);
  ASSERT_EQ(s.inputs.size(), 4u);
  EXPECT_EQ(r->value(s.inputs[1]).name, "sl_starts");
  EXPECT_EQ(Ints(ConstInput(*r, s, 1)), (std::vector<int64_t>{1}));
  EXPECT_EQ(Ints(ConstInput(*r, s, 2)), (std::vector<int64_t>{5}));
  EXPECT_EQ(Ints(ConstInput(*r, s, 3)), (std::vector<int64_t>{1}));
  EXPECT_TRUE(s.attrs.all().empty());
  EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{4, 4}));
}

TEST(OnnxImportNormalise, SqueezeUnsqueezeAxesBecomeInput) {
  ModelBuilder b(11);
  b.Input("x", kF, {"1", "3", "1"});
  ModelBuilder::AttrInts(b.Node("Squeeze", {"x"}, {"s"}, "sq"), "axes", {0, 2});
  ModelBuilder::AttrInts(b.Node("Unsqueeze", {"s"}, {"u"}, "usq"), "axes", {0, -1});
  b.Output("u", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Node& sq = r->node(*r->FindNode("sq"));
  const Node& us = r->node(*r->FindNode("usq"));
  EXPECT_EQ(Ints(ConstInput(*r, sq, 1)), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(r->value(sq.inputs[1]).name, "sq_axes");
  EXPECT_EQ(Ints(ConstInput(*r, us, 1)), (std::vector<int64_t>{0, -1}));
  EXPECT_FALSE(sq.attrs.Has("axes"));
  EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{1, 3, 1}));
}

TEST(OnnxImportNormalise, SplitAttributeBecomesInput) {
  ModelBuilder b(11);
  b.Input("x", kF, {"6", "2"});
  auto* n = b.Node("Split", {"x"}, {"a", "b"}, "split");
  ModelBuilder::AttrInts(n, "split", {2, 4});
  ModelBuilder::AttrInt(n, "axis", 0);
  b.Output("a", kF);
  b.Output("b", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Node& s = OnlyNode(*r);
  EXPECT_EQ(Ints(ConstInput(*r, s, 1)), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(r->value(s.inputs[1]).name, "split_split");
  EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{2, 2}));
  EXPECT_EQ(r->value(r->outputs()[1]).shape, (Shape{4, 2}));
}

TEST(OnnxImportNormalise, PadAttributesBecomeInputs) {
  ModelBuilder b(10);
  b.Input("x", kF, {"1", "1", "2", "2"});
  auto* n = b.Node("Pad", {"x"}, {"y"}, "pad");
  ModelBuilder::AttrInts(n, "pads", {0, 0, 1, 1, 0, 0, 1, 1});
  ModelBuilder::AttrFloat(n, "value", 9.f);
  ModelBuilder::AttrString(n, "mode", "constant");
  b.Output("y", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Node& p = OnlyNode(*r);
  EXPECT_EQ(Ints(ConstInput(*r, p, 1)), (std::vector<int64_t>{0, 0, 1, 1, 0, 0, 1, 1}));
  EXPECT_EQ(Doubles(ConstInput(*r, p, 2)), (std::vector<double>{9}));
  EXPECT_EQ(ConstInput(*r, p, 2).dtype(), DType::kFloat32);
  EXPECT_EQ(r->value(p.inputs[2]).name, "pad_value");
  EXPECT_FALSE(p.attrs.Has("pads"));
  EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{1, 1, 4, 4}));
  auto out = RunOne(*r, "x", Iota({1, 1, 2, 2}, 1.f, 1.f));
  ASSERT_TRUE(out.ok()) << out.status().message();
  std::vector<double> got = Doubles(out->at("y"));
  EXPECT_EQ(got[0], 9);
  EXPECT_EQ(got[5], 1);   // row 1, col 1 holds x[0,0]
  EXPECT_EQ(got[10], 4);
}

TEST(OnnxImportNormalise, UpsampleBecomesResize) {
  for (int64_t opset : {7, 9}) {
    ModelBuilder b(opset);
    b.Input("x", kF, {"1", "1", "2", "2"});
    onnx::NodeProto* n;
    if (opset == 7) {
      n = b.Node("Upsample", {"x"}, {"y"}, "up");
      ModelBuilder::AttrFloats(n, "scales", {1, 1, 2, 2});
    } else {
      b.InitFloat("sc", {4}, {1, 1, 2, 2});
      n = b.Node("Upsample", {"x", "sc"}, {"y"}, "up");
    }
    ModelBuilder::AttrString(n, "mode", "nearest");
    b.Output("y", kF);
    auto r = Import(b);
    ASSERT_TRUE(r.ok()) << "opset " << opset << ": " << r.status().message();
    const Node& rs = OnlyNode(*r);
    EXPECT_EQ(rs.op, "Resize");
    ASSERT_EQ(rs.inputs.size(), 3u);
    EXPECT_EQ(rs.inputs[1], kNoValue);   // roi absent
    EXPECT_EQ(Doubles(ConstInput(*r, rs, 2)), (std::vector<double>{1, 1, 2, 2}));
    EXPECT_EQ(rs.attrs.GetString("coordinate_transformation_mode", ""), "asymmetric");
    EXPECT_EQ(rs.attrs.GetString("nearest_mode", ""), "floor");
    EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{1, 1, 4, 4}));
    auto out = RunOne(*r, "x", Iota({1, 1, 2, 2}, 1.f, 1.f));
    ASSERT_TRUE(out.ok()) << out.status().message();
    EXPECT_EQ(Doubles(out->at("y")),
              (std::vector<double>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  }
}

TEST(OnnxImportNormalise, ResizeOpset10GetsAbsentRoi) {
  ModelBuilder b(10);
  b.Input("x", kF, {"1", "1", "2", "2"});
  b.InitFloat("sc", {4}, {1, 1, 2, 2});
  b.Node("Resize", {"x", "sc"}, {"y"}, "rs");
  b.Output("y", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Node& rs = OnlyNode(*r);
  ASSERT_EQ(rs.inputs.size(), 3u);
  EXPECT_EQ(rs.inputs[1], kNoValue);
  EXPECT_EQ(rs.attrs.GetString("coordinate_transformation_mode", ""), "asymmetric");
  EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{1, 1, 4, 4}));
}

TEST(OnnxImportNormalise, ResizeEmptyRoiAndScalesBecomeAbsent) {
  ModelBuilder b(11);
  b.Input("x", kF, {"1", "1", "2", "2"});
  b.InitFloat("roi", {0}, {});
  b.InitFloat("scales", {0}, {});
  b.InitInt64("sizes", {4}, {1, 1, 3, 5});
  b.Node("Resize", {"x", "roi", "scales", "sizes"}, {"y"}, "rs");
  b.Output("y", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Node& rs = OnlyNode(*r);
  ASSERT_EQ(rs.inputs.size(), 4u);
  EXPECT_EQ(rs.inputs[1], kNoValue);
  EXPECT_EQ(rs.inputs[2], kNoValue);
  EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{1, 1, 3, 5}));
}

TEST(OnnxImportNormalise, OldBatchNormalizationAttributesAndOutputsDropped) {
  ModelBuilder b(7);
  b.Input("x", kF, {"1", "2", "3", "3"});
  for (const char* w : {"s", "bias", "mean", "var"}) b.InitFloat(w, {2}, {1, 2});
  auto* n = b.Node("BatchNormalization", {"x", "s", "bias", "mean", "var"}, {"y", "m1", "v1", "sm", "sv"}, "bn");
  ModelBuilder::AttrInt(n, "spatial", 1);
  ModelBuilder::AttrFloat(n, "epsilon", 1e-3f);
  ModelBuilder::AttrFloat(n, "momentum", 0.9f);
  b.Output("y", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Node& bn = OnlyNode(*r);
  EXPECT_EQ(bn.outputs.size(), 1u);
  EXPECT_FALSE(bn.attrs.Has("spatial"));
  EXPECT_FLOAT_EQ(bn.attrs.GetFloat("epsilon", 0), 1e-3f);

  ModelBuilder t(15);
  t.Input("x", kF, {"1", "2", "3", "3"});
  for (const char* w : {"s", "bias", "mean", "var"}) t.InitFloat(w, {2}, {1, 2});
  ModelBuilder::AttrInt(t.Node("BatchNormalization", {"x", "s", "bias", "mean", "var"}, {"y"}, "bn"), "training_mode", 1);
  t.Output("y", kF);
  EXPECT_HAS(ErrorOf(Import(t)), "training_mode=1 is not supported");
}

// Opsets 1-6 (PyTorch's opset-6 exports, the old model zoo): the forms that changed before opset 7.
TEST(OnnxImportLegacy, BroadcastAxisAlignsBWithA) {
  // Add(broadcast=1, axis=1) of A [2,3,4] and B [3]: B runs along axis 1 (NumPy would align it with
  // the last axis). A constant B is reshaped [3,1] (NumPy then aligns it as [1,3,1]); a graph-input
  // B gets an Unsqueeze.
  for (bool constant_b : {true, false}) {
    ModelBuilder b(6);
    b.Input("a", kF, {"2", "3", "4"});
    if (constant_b) b.InitFloat("b", {3}, {10, 20, 30});
    else b.Input("b", kF, {"3"});
    auto* n = b.Node("Add", {"a", "b"}, {"y"}, "add");
    ModelBuilder::AttrInt(n, "broadcast", 1);
    ModelBuilder::AttrInt(n, "axis", 1);
    ModelBuilder::AttrInts(n, "consumed_inputs", {0, 0});
    b.Output("y", kF);
    auto r = Import(b);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->opset, 7);
    EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{2, 3, 4}));
    const Node& add = r->node(*r->FindNode("add"));
    EXPECT_FALSE(add.attrs.Has("broadcast"));
    EXPECT_FALSE(add.attrs.Has("axis"));
    EXPECT_FALSE(add.attrs.Has("consumed_inputs"));
    EXPECT_EQ(r->value(add.inputs[1]).shape, (Shape{3, 1}));
    devices::TensorMap in;
    in["a"] = Tensor(DType::kFloat32, {2, 3, 4});
    for (int64_t i = 0; i < 24; ++i) in["a"].data<float>()[i] = 0.f;
    if (!constant_b) in["b"] = Tensor::FromVector(DType::kFloat32, {3}, std::vector<float>{10, 20, 30});
    auto out = devices::RunReference(*r, in);
    ASSERT_TRUE(out.ok()) << out.status().message();
    const float* y = out->at("y").data<float>();
    EXPECT_EQ(y[0], 10.f);    // [0,0,0]
    EXPECT_EQ(y[4], 20.f);    // [0,1,0]
    EXPECT_EQ(y[11], 30.f);   // [0,2,3]
  }
  // An axis that cannot hold B is an error naming the rule.
  ModelBuilder bad(6);
  bad.Input("a", kF, {"2", "3"});
  bad.InitFloat("b", {3, 1}, {1, 2, 3});
  auto* n = bad.Node("Mul", {"a", "b"}, {"y"}, "mul");
  ModelBuilder::AttrInt(n, "broadcast", 1);
  ModelBuilder::AttrInt(n, "axis", 1);
  bad.Output("y", kF);
  EXPECT_HAS(ErrorOf(Import(bad)), "axis + rank(B) <= rank(A)");
}

TEST(OnnxImportLegacy, PReluSlopePerChannelAndOtherForms) {
  ModelBuilder b(6);
  b.Input("x", kF, {"1", "2", "1", "2"});
  b.InitFloat("slope", {2}, {0.5f, 0.25f});
  b.Node("PRelu", {"x", "slope"}, {"p"}, "prelu");
  auto* bn = b.Node("Dropout", {"p"}, {"d"}, "drop");
  ModelBuilder::AttrInt(bn, "is_test", 1);
  b.InitInt64("unused", {1}, {0});
  auto* c = b.Node("Concat", {"d", "d"}, {"cat"}, "cat");   // opset <4: axis defaults to 1
  (void)c;
  auto* cast = b.Node("Cast", {"cat"}, {"y"}, "cast");
  ModelBuilder::AttrString(cast, "to", "DOUBLE");
  b.Output("y");
  b.model().mutable_opset_import(0)->set_version(3);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{1, 4, 1, 2}));
  EXPECT_EQ(r->value(r->outputs()[0]).dtype, DType::kFloat64);
  auto out = RunOne(*r, "x", Tensor::FromVector(DType::kFloat32, {1, 2, 1, 2}, std::vector<float>{-4, 4, -4, 4}));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(Doubles(out->at("y")), (std::vector<double>{-2, 4, -1, 4, -2, 4, -1, 4}));
}

TEST(OnnxImportLegacy, ReshapeShapeAttributeAndTrainingFormsRefused) {
  ModelBuilder b(4);
  b.Input("x", kF, {"2", "3"});
  ModelBuilder::AttrInts(b.Node("Reshape", {"x"}, {"y"}, "reshape"), "shape", {3, 2});
  b.Output("y", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{3, 2}));

  ModelBuilder t(6);
  t.Input("x", kF, {"1", "2", "3", "3"});
  for (const char* w : {"s", "bias", "mean", "var"}) t.InitFloat(w, {2}, {1, 2});
  ModelBuilder::AttrInt(t.Node("BatchNormalization", {"x", "s", "bias", "mean", "var"}, {"y"}, "bn"), "is_test", 0);
  t.Output("y", kF);
  EXPECT_HAS(ErrorOf(Import(t)), "is_test=0");
}

TEST(OnnxImportNormalise, ImageScalerBecomesMulAdd) {
  for (bool with_bias : {true, false}) {
    ModelBuilder b(8);
    b.Input("x", kF, {"1", "2", "1", "2"});
    auto* n = b.Node("ImageScaler", {"x"}, {"y"}, "scaler");
    ModelBuilder::AttrFloat(n, "scale", 2.f);
    if (with_bias) ModelBuilder::AttrFloats(n, "bias", {1.f, -1.f});
    b.Output("y", kF);
    auto r = Import(b);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->NodeIds().size(), with_bias ? 2u : 1u);
    auto out = RunOne(*r, "x", Tensor::FromVector(DType::kFloat32, {1, 2, 1, 2}, std::vector<float>{1, 2, 3, 4}));
    ASSERT_TRUE(out.ok()) << out.status().message();
    EXPECT_EQ(Doubles(out->at("y")), with_bias ? (std::vector<double>{3, 5, 5, 7}) : (std::vector<double>{2, 4, 6, 8}));
  }
  ModelBuilder bad(8);
  bad.Input("x", kF, {"1", "3", "2", "2"});
  ModelBuilder::AttrFloats(bad.Node("ImageScaler", {"x"}, {"y"}, "scaler"), "bias", {1.f, 2.f});
  bad.Output("y", kF);
  EXPECT_HAS(ErrorOf(Import(bad)), "2 bias values for 3 channels");
}

// A model converted for FP16 deployment (FP16 weights, input, output and a Cast to FLOAT16 inside)
// is read as its FP32 compute graph: weights widened exactly, the input widened by a Cast, the
// output narrowed back under its own name; results match the FP32 model with the same weights.
TEST(OnnxImportFp16, Fp16ModelIsComputedInFp32WithFp16Io) {
  auto half = [](const std::vector<float>& v) {
    std::string raw;
    for (float f : v) {
      const uint16_t h = FloatToHalf(f);
      raw.append(reinterpret_cast<const char*>(&h), 2);
    }
    return raw;
  };
  const int kH = onnx::TensorProto::FLOAT16;
  ModelBuilder b(13);
  b.Input("x", kH, {"1", "2"});
  onnx::TensorProto* w = b.graph().add_initializer();
  w->set_name("w");
  w->set_data_type(kH);
  w->add_dims(2);
  w->set_raw_data(half({0.5f, -2.f}));
  b.Node("Mul", {"x", "w"}, {"m"}, "mul");
  ModelBuilder::AttrInt(b.Node("Cast", {"m"}, {"c"}, "cast"), "to", kH);   // the converter's cast
  b.Node("Relu", {"c"}, {"y"}, "relu");
  b.Output("y", kH);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->value(r->inputs()[0]).dtype, DType::kFloat16);
  EXPECT_EQ(r->value(r->outputs()[0]).dtype, DType::kFloat16);
  EXPECT_EQ(r->value(r->outputs()[0]).name, "y");
  EXPECT_EQ(r->value(*r->FindValue("w")).dtype, DType::kFloat32);
  EXPECT_EQ(r->value(*r->FindValue("m")).dtype, DType::kFloat32);
  Tensor x(DType::kFloat16, {1, 2});
  x.data<uint16_t>()[0] = FloatToHalf(3.f);
  x.data<uint16_t>()[1] = FloatToHalf(-1.5f);
  auto out = RunOne(*r, "x", x);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(Doubles(out->at("y")), (std::vector<double>{1.5, 3}));
}

TEST(OnnxImportNormalise, DropoutMaskDroppedWhenUnused) {
  ModelBuilder b(10);
  b.Input("x", kF, {"4"});
  auto* n = b.Node("Dropout", {"x"}, {"y", "mask"}, "drop");
  ModelBuilder::AttrFloat(n, "ratio", 0.3f);
  b.Node("Relu", {"y"}, {"z"}, "relu");
  b.Output("z", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Node& d = r->node(*r->FindNode("drop"));
  EXPECT_EQ(d.outputs.size(), 1u);
  auto out = RunOne(*r, "x", Tensor::FromVector(DType::kFloat32, {4}, std::vector<float>{-1, 2, -3, 4}));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(Doubles(out->at("z")), (std::vector<double>{0, 2, 0, 4}));
}

TEST(OnnxImportNormalise, Softmax11OnInnerAxisKeepsFlattenSemantics) {
  // Opset < 13 softmax(axis=1) on [2,3,4] normalises over the 12 trailing elements together.
  ModelBuilder b(11);
  b.Input("x", kF, {"2", "3", "4"});
  ModelBuilder::AttrInt(b.Node("Softmax", {"x"}, {"y"}, "sm"), "axis", 1);
  b.Output("y", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{2, 3, 4}));
  Tensor x = Iota({2, 3, 4}, 0.1f);
  auto out = RunOne(*r, "x", x);
  ASSERT_TRUE(out.ok()) << out.status().message();
  const Tensor& y = out->at("y");
  for (int row = 0; row < 2; ++row) {
    double sum = 0;
    for (int i = 0; i < 12; ++i) sum += std::exp(x.data<float>()[row * 12 + i]);
    for (int i = 0; i < 12; ++i) {
      EXPECT_NEAR(y.data<float>()[row * 12 + i], std::exp(x.data<float>()[row * 12 + i]) / sum, 1e-6);
    }
  }
  // With a dynamic batch the shape to restore comes from a Shape node; any batch runs.
  ModelBuilder d(11);
  d.Input("x", kF, {"N", "3", "4"});
  ModelBuilder::AttrInt(d.Node("Softmax", {"x"}, {"y"}, "sm"), "axis", 1);
  d.Output("y", kF);
  auto rd = Import(d);
  ASSERT_TRUE(rd.ok()) << rd.status().message();
  EXPECT_TRUE(rd->FindNode("sm_shape").has_value()) << rd->DumpText();
  auto outd = RunOne(*rd, "x", x);
  ASSERT_TRUE(outd.ok()) << outd.status().message();
  ASSERT_EQ(outd->at("y").dims(), y.dims());
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_FLOAT_EQ(outd->at("y").data<float>()[i], y.data<float>()[i]);
  // On the last axis it stays one node.
  ModelBuilder c(11);
  c.Input("x", kF, {"2", "3"});
  c.Node("Softmax", {"x"}, {"y"}, "sm");
  c.Output("y", kF);
  auto r2 = Import(c);
  ASSERT_TRUE(r2.ok()) << r2.status().message();
  EXPECT_EQ(OnlyNode(*r2).attrs.GetInt("axis", 0), -1);
}

// ---------------------------------------------------------------------------------------------
// Constant folding

// x.view(x.size(0), -1) as PyTorch exports it: Shape -> Gather(0) -> Unsqueeze -> Concat -> Reshape.
ModelBuilder FlattenChain(const std::string& batch_dim) {
  ModelBuilder b(13);
  b.Input("x", kF, {batch_dim, "3", "4", "4"});
  b.Node("Shape", {"x"}, {"shp"}, "shape");
  auto* idx = b.graph().add_initializer();
  idx->set_name("zero");
  idx->set_data_type(onnx::TensorProto::INT64);
  idx->add_int64_data(0);   // scalar index
  b.Node("Gather", {"shp", "zero"}, {"n"}, "gather");
  b.InitInt64("axes0", {1}, {0});
  b.Node("Unsqueeze", {"n", "axes0"}, {"n1"}, "unsqueeze");
  b.InitInt64("minus1", {1}, {-1});
  ModelBuilder::AttrInt(b.Node("Concat", {"n1", "minus1"}, {"target"}, "concat"), "axis", 0);
  b.Node("Reshape", {"x", "target"}, {"y"}, "reshape");
  b.Output("y", kF);
  return b;
}

TEST(OnnxImportFold, ShapeChainWithStaticInputCollapses) {
  auto r = Import(FlattenChain("2"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Node& rs = OnlyNode(*r);
  EXPECT_EQ(rs.op, "Reshape");
  EXPECT_EQ(Ints(ConstInput(*r, rs, 1)), (std::vector<int64_t>{2, -1}));
  EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{2, 48}));
}

TEST(OnnxImportFold, ShapeChainWithSymbolicBatchBoundByOption) {
  ImportOptions o;
  o.batch = 5;
  auto r = Import(FlattenChain("N"), o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Node& rs = OnlyNode(*r);
  EXPECT_EQ(Ints(ConstInput(*r, rs, 1)), (std::vector<int64_t>{5, -1}));
  EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{5, 48}));
  auto out = RunOne(*r, "x", Iota({5, 3, 4, 4}));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->at("y").dims(), (std::vector<int64_t>{5, 48}));
}

TEST(OnnxImportFold, ShapeChainWithUnboundSymbolStaysAsNodes) {
  auto r = Import(FlattenChain("N"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->NumLiveNodes(), 5u) << r->DumpText();
}

TEST(OnnxImportFold, FoldingCanBeTurnedOff) {
  ImportOptions o;
  o.fold_constants = false;
  auto r = Import(FlattenChain("2"), o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->NumLiveNodes(), 5u) << r->DumpText();
}

TEST(OnnxImportFold, CastSliceConstantOfShapeFeedResizeAndPad) {
  // Resize sizes = Concat(Shape(x)[0:2], Shape(x)[2:4] * 2); Pad pads = Cast(ConstantOfShape([8], 1.0)).
  ModelBuilder b(13);
  b.Input("x", kF, {"1", "2", "3", "3"});
  b.Node("Shape", {"x"}, {"shp"}, "shape");
  b.InitInt64("s0", {1}, {0});
  b.InitInt64("s2", {1}, {2});
  b.InitInt64("s4", {1}, {4});
  b.Node("Slice", {"shp", "s0", "s2"}, {"nc"}, "slice_nc");
  b.Node("Slice", {"shp", "s2", "s4"}, {"hw"}, "slice_hw");
  b.InitInt64("two", {2}, {2, 2});
  b.Node("Mul", {"hw", "two"}, {"hw2"}, "mul");
  ModelBuilder::AttrInt(b.Node("Concat", {"nc", "hw2"}, {"sizes"}, "concat"), "axis", 0);
  b.Node("Resize", {"x", "", "", "sizes"}, {"up"}, "resize");
  b.InitInt64("eight", {1}, {8});
  auto* cos = b.Node("ConstantOfShape", {"eight"}, {"ones"}, "cos");
  auto* a = cos->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  a->mutable_t()->add_dims(1);
  a->mutable_t()->add_float_data(1.f);
  ModelBuilder::AttrInt(b.Node("Cast", {"ones"}, {"pads"}, "cast"), "to", onnx::TensorProto::INT64);
  b.Node("Pad", {"up", "pads"}, {"y"}, "pad");
  b.Output("y", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->NumLiveNodes(), 2u) << r->DumpText();
  const Node& rs = r->node(*r->FindNode("resize"));
  EXPECT_EQ(Ints(ConstInput(*r, rs, 3)), (std::vector<int64_t>{1, 2, 6, 6}));
  const Node& pad = r->node(*r->FindNode("pad"));
  EXPECT_EQ(Ints(ConstInput(*r, pad, 1)), (std::vector<int64_t>(8, 1)));
  EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{3, 4, 8, 8}));
}

TEST(OnnxImportFold, QuantizeDequantizeAreNeverFolded) {
  ModelBuilder b(13);
  b.Input("x", kF, {"4"});
  b.InitFloat("w", {4}, {0.5f, -1, 2, 3});
  b.InitFloat("sc", {}, {0.1f});
  auto* zp = b.graph().add_initializer();
  zp->set_name("zp");
  zp->set_data_type(onnx::TensorProto::INT8);
  zp->add_int32_data(0);
  b.Node("QuantizeLinear", {"w", "sc", "zp"}, {"wq"}, "q");
  b.Node("DequantizeLinear", {"wq", "sc", "zp"}, {"wd"}, "dq");
  b.Node("Add", {"x", "wd"}, {"y"}, "add");
  b.Output("y", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->FindNode("q").has_value());
  EXPECT_TRUE(r->FindNode("dq").has_value());
  EXPECT_EQ(r->NumLiveNodes(), 3u);
}

TEST(OnnxImportFold, LargeOutputsAreNotFolded) {
  ModelBuilder b(13);
  b.InitInt64("big", {3}, {5, 1024, 1024});   // 20 MiB of float
  b.InitInt64("small", {1}, {16});
  b.Node("ConstantOfShape", {"big"}, {"y"}, "big_cos");
  b.Node("ConstantOfShape", {"small"}, {"z"}, "small_cos");
  b.Output("y", kF);
  b.Output("z", kF);
  auto r = Import(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->FindNode("big_cos").has_value());
  EXPECT_FALSE(r->FindNode("small_cos").has_value());
  EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{5, 1024, 1024}));
  EXPECT_TRUE(r->value(r->outputs()[1]).IsConstant());
}

// ---------------------------------------------------------------------------------------------
// Bad input

ModelBuilder ValidModel() {
  ModelBuilder b(13);
  b.Input("x", kF, {"1", "8"});
  b.InitFloat("w", {8}, {1, 2, 3, 4, 5, 6, 7, 8});
  b.Node("Add", {"x", "w"}, {"a"}, "add");
  b.Node("Relu", {"a"}, {"y"}, "relu");
  b.Output("y", kF);
  return b;
}

TEST(OnnxImportBad, MissingFile) {
  std::string m = ErrorOf(ImportOnnx("/nonexistent/dir/model.onnx"));
  EXPECT_HAS(m, "model 'model.onnx'");
  EXPECT_HAS(m, "does not exist");
  auto dir = TempDir("dir");
  EXPECT_HAS(ErrorOf(ImportOnnx(dir.string())), "not a regular file");
  std::filesystem::remove_all(dir);
}

TEST(OnnxImportBad, TruncatedFile) {
  auto dir = TempDir("trunc");
  const std::string full = ValidModel().Bytes();
  ASSERT_TRUE(ImportOnnxFromBytes(full, "", {}).ok());
  for (size_t cut : {full.size() / 4, full.size() / 2, full.size() * 3 / 4, full.size() - 3}) {
    WriteFile(dir / "t.onnx", full.substr(0, cut));
    std::string m = ErrorOf(ImportOnnx((dir / "t.onnx").string()));
    EXPECT_HAS(m, "model 't.onnx'");
    EXPECT_HAS(m, "truncated");
  }
  WriteFile(dir / "empty.onnx", "");
  EXPECT_HAS(ErrorOf(ImportOnnx((dir / "empty.onnx").string())), "empty");
  std::filesystem::remove_all(dir);
}

TEST(OnnxImportBad, NotAnOnnxFile) {
  auto dir = TempDir("notonnx");
  WriteFile(dir / "readme.txt", "This is a text file, not a model.\nIt has two lines.\n");
  std::string m = ErrorOf(ImportOnnx((dir / "readme.txt").string()));
  EXPECT_HAS(m, "model 'readme.txt'");
  EXPECT_HAS(m, "not an ONNX model");
  // Seeded random byte strings: always a clean error.
  const uint32_t seed = 1234;
  std::mt19937 rng(seed);
  for (int i = 0; i < 200; ++i) {
    std::string bytes(1 + rng() % 512, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    auto r = ImportOnnxFromBytes(bytes, "", {});
    EXPECT_FALSE(r.ok()) << "seed " << seed << " case " << i;
    if (!r.ok()) {
      EXPECT_HAS(r.status().message(), "ONNX model");
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(OnnxImportBad, CorruptedModelsNeverCrash) {
  // Seeded byte flips of a valid model: any outcome but a crash is fine.
  const std::string full = ValidModel().Bytes();
  const uint32_t seed = 99;
  std::mt19937 rng(seed);
  int errors = 0;
  for (int i = 0; i < 300; ++i) {
    std::string bytes = full;
    for (int k = 0; k < 3; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    errors += !ImportOnnxFromBytes(bytes, "", {}).ok();
  }
  EXPECT_GT(errors, 0) << "seed " << seed;
}

TEST(OnnxImportBad, GraphWithoutOutputs) {
  ModelBuilder b = ValidModel();
  b.graph().clear_output();
  EXPECT_HAS(ErrorOf(Import(b)), "the graph has no outputs");
}

TEST(OnnxImportBad, CyclicGraph) {
  ModelBuilder b(13);
  b.Input("x", kF, {"2"});
  b.Node("Add", {"x", "c"}, {"a"}, "add1");
  b.Node("Relu", {"a"}, {"c"}, "relu1");
  b.Node("Relu", {"a"}, {"y"}, "relu2");
  b.Output("y", kF);
  std::string m = ErrorOf(Import(b));
  EXPECT_HAS(m, "cycle");
  EXPECT_HAS(m, "'add1'");
}

TEST(OnnxImportBad, MissingInitializerOrUndefinedName) {
  ModelBuilder b = ValidModel();
  b.graph().clear_initializer();
  std::string m = ErrorOf(Import(b));
  EXPECT_HAS(m, "Add 'add'");
  EXPECT_HAS(m, "input 'w' is not defined");
  EXPECT_HAS(m, "missing initializer");

  ModelBuilder c = ValidModel();
  c.graph().mutable_output(0)->set_name("nowhere");
  EXPECT_HAS(ErrorOf(Import(c)), "graph output 'nowhere' is not defined");
}

TEST(OnnxImportBad, DTypeMismatch) {
  ModelBuilder b(13);
  b.Input("x", kF, {"2"});
  b.InitInt64("k", {2}, {1, 2});
  b.Node("Add", {"x", "k"}, {"y"}, "add_mixed");
  b.Output("y", kF);
  std::string m = ErrorOf(Import(b));
  EXPECT_HAS(m, "Add 'add_mixed'");
  EXPECT_HAS(m, "int64");

  // A declared output dtype the model does not compute.
  ModelBuilder c = ValidModel();
  c.graph().mutable_output(0)->mutable_type()->mutable_tensor_type()->set_elem_type(kI64);
  EXPECT_HAS(ErrorOf(Import(c)), "graph output 'y' is declared int64 but the model computes float");
}

TEST(OnnxImportBad, ShapeMismatch) {
  ModelBuilder b(13);
  b.Input("x", kF, {"2", "3"});
  b.Input("z", kF, {"4", "5"});
  b.Node("Add", {"x", "z"}, {"y"}, "add_bad");
  b.Output("y", kF);
  std::string m = ErrorOf(Import(b));
  EXPECT_HAS(m, "Add 'add_bad'");
  EXPECT_HAS(m, "[2,3]");

  ModelBuilder c(13);
  c.Input("x", kF, {"1", "3", "8", "8"});
  c.InitFloat("w", {4, 5, 3, 3}, std::vector<float>(4 * 5 * 9, 0.1f));
  c.Node("Conv", {"x", "w"}, {"y"}, "conv_bad");
  c.Output("y", kF);
  m = ErrorOf(Import(c));
  EXPECT_HAS(m, "Conv 'conv_bad'");
  EXPECT_HAS(m, "channels");
}

TEST(OnnxImportBad, DuplicateProducers) {
  ModelBuilder b(13);
  b.Input("x", kF, {"2"});
  b.Node("Relu", {"x"}, {"y"}, "r1");
  b.Node("Relu", {"x"}, {"y"}, "r2");
  b.Output("y", kF);
  std::string m = ErrorOf(Import(b));
  EXPECT_HAS(m, "Relu 'r2'");
  EXPECT_HAS(m, "writes 'y', which is already defined by node 'r1'");

  ModelBuilder c(13);
  c.Input("x", kF, {"2"});
  c.Node("Relu", {"x"}, {"x"}, "r1");
  c.Output("x", kF);
  EXPECT_HAS(ErrorOf(Import(c)), "already defined by the graph input");

  ModelBuilder d = ValidModel();
  d.InitFloat("w", {8}, std::vector<float>(8, 0.f));
  EXPECT_HAS(ErrorOf(Import(d)), "initializer 'w' is defined twice");
}

TEST(OnnxImportBad, UnsupportedOpset) {
  for (int64_t opset : {18, 19}) {
    ModelBuilder b = ValidModel();
    b.model().mutable_opset_import(0)->set_version(opset);
    std::string m = ErrorOf(Import(b));
    EXPECT_HAS(m, "opset " + std::to_string(opset) + " is not supported");
    EXPECT_HAS(m, "7 to 17");
  }
  // Opset 5 with Tile (whose inputs changed in opset 6, a change the importer does not rewrite) is
  // refused; a model whose ops did not change between its opset and 7 is read as opset 7.
  ModelBuilder old(5);
  old.Input("x", kF, {"2", "3"});
  old.InitInt64("tiles", {}, {2});
  old.InitInt64("axis", {}, {0});
  old.Node("Tile", {"x", "tiles", "axis"}, {"y"}, "tile");
  old.Output("y", kF);
  std::string m = ErrorOf(Import(old));
  EXPECT_HAS(m, "opset 5 is not supported");
  EXPECT_HAS(m, "Tile 'tile' changed between opset 5 and 7");
  ModelBuilder gap(1);
  gap.Input("x", kF, {"1", "2", "3", "3"});
  gap.Node("GlobalAveragePool", {"x"}, {"y"}, "gap");
  gap.Output("y", kF);
  auto r = Import(gap);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->opset, 7);
  EXPECT_EQ(r->value(r->outputs()[0]).shape, (Shape{1, 2, 1, 1}));

  ModelBuilder c = ValidModel();
  c.model().mutable_opset_import(0)->set_domain("ai.onnx.ml");
  EXPECT_HAS(ErrorOf(Import(c)), "declares no opset for the default ONNX domain");
}

TEST(OnnxImportBad, UnsupportedOpsAreAllListedWithNodeNames) {
  auto dir = TempDir("unsupported");
  ModelBuilder b(13);
  b.Input("x", kF, {"1", "4"});
  b.InitInt64("k", {1}, {2});
  b.Node("StringNormalizer", {"x", "k"}, {"v1", "i1"}, "tk1");   // ops outside the table (string ops)
  b.Node("TfIdfVectorizer", {"x", "x"}, {"sel"}, "nms1");
  b.Node("StringNormalizer", {"x", "k"}, {"v2", "i2"}, "tk2");
  b.Node("Relu", {"x"}, {"r"}, "relu");
  b.Output("v1", kF);
  b.Output("sel", kI64);
  b.Output("v2", kF);
  b.Output("r", kF);
  WriteFile(dir / "x.onnx", b.Bytes());
  EXPECT_EQ(ErrorOf(ImportOnnx((dir / "x.onnx").string())),
            "model 'x.onnx' has 3 unsupported ops: StringNormalizer (nodes 'tk1', 'tk2'), TfIdfVectorizer (node 'nms1')");
  std::filesystem::remove_all(dir);

  ModelBuilder ml(13);
  auto* os = ml.model().add_opset_import();
  os->set_domain("ai.onnx.ml");
  os->set_version(3);
  ml.Input("x", kF, {"4"});
  ml.Node("Normalizer", {"x"}, {"y"}, "norm")->set_domain("ai.onnx.ml");
  ml.Output("y", kF);
  EXPECT_HAS(ErrorOf(Import(ml)), "1 unsupported op: ai.onnx.ml.Normalizer (node 'norm')");
}

// An attribute of the wrong type (pads given as floats) must be refused by name, not read as its
// default: the Conv would otherwise run unpadded.
TEST(OnnxImportSchema, AttributeOfTheWrongTypeIsRefused) {
  ModelBuilder b(13);
  b.Input("x", onnx::TensorProto::FLOAT, {"1", "1", "4", "4"});
  b.InitFloat("w", {1, 1, 3, 3}, std::vector<float>(9, 1.f));
  onnx::NodeProto* n = b.Node("Conv", {"x", "w"}, {"y"}, "conv1");
  ModelBuilder::AttrFloats(n, "pads", {1.f, 1.f, 1.f, 1.f});
  b.Output("y");
  std::string m = ErrorOf(Import(b));
  EXPECT_HAS(m, "Conv 'conv1'");
  EXPECT_HAS(m, "attribute 'pads' is FLOATS");
  EXPECT_HAS(m, "defines it as INTS");

  // The same model with INTS imports.
  ModelBuilder ok(13);
  ok.Input("x", onnx::TensorProto::FLOAT, {"1", "1", "4", "4"});
  ok.InitFloat("w", {1, 1, 3, 3}, std::vector<float>(9, 1.f));
  ModelBuilder::AttrInts(ok.Node("Conv", {"x", "w"}, {"y"}, "conv1"), "pads", {1, 1, 1, 1});
  ok.Output("y");
  ASSERT_TRUE(Import(ok).ok());
}

TEST(OnnxImportSchema, ScalarAttributeKindsAreChecked) {
  ModelBuilder b(13);
  b.Input("x", onnx::TensorProto::FLOAT, {"1", "3"});
  ModelBuilder::AttrString(b.Node("Softmax", {"x"}, {"y"}, "sm"), "axis", "1");
  b.Output("y");
  std::string m = ErrorOf(Import(b));
  EXPECT_HAS(m, "Softmax 'sm'");
  EXPECT_HAS(m, "attribute 'axis' is STRING");
  EXPECT_HAS(m, "defines it as INT");
}

TEST(OnnxImportSchema, NegativeDeclaredDimensionIsRefused) {
  ModelBuilder b(13);
  b.Input("x", onnx::TensorProto::FLOAT, {"1", "3"});
  b.graph().mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(1)->set_dim_value(-3);
  b.Node("Relu", {"x"}, {"y"});
  b.Output("y");
  std::string m = ErrorOf(Import(b));
  EXPECT_HAS(m, "input 'x'");
  EXPECT_HAS(m, "dimension 1 is declared as -3");
}

}  // namespace
}  // namespace edgeinfer
