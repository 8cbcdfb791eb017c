// ONNX export: round trip through ImportOnnx gives the same dump; the written ModelProto is valid
// (onnx checker), carries initializers as raw_data, value_info, dim_param, and puts fused ops in
// the "edgeinfer" domain.
#include "graph/onnx_export.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "graph/onnx_import.h"
#include "graph/shape_inference.h"
#include "onnx/checker.h"
#include "tests/graph/onnx_model_builder.h"

namespace edgeinfer {
namespace {

Tensor Random(std::vector<int64_t> dims, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.f, 0.5f);
  Tensor t(DType::kFloat32, std::move(dims));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

// x[N,3,8,8] -> Conv(3x3, pad 1) -> Relu -> MaxPool(2) -> Add(bias) -> Flatten -> Gemm -> y[N,10]
Graph SmallCnn() {
  Graph g;
  g.name = "small_cnn";
  g.opset = 13;
  Shape in{kDynamic, 3, 8, 8};
  in.symbols = {"N", "", "", ""};
  ValueId x = g.AddValue("x", DType::kFloat32, in);
  g.inputs().push_back(x);
  ValueId w = g.AddConstant("conv.w", Random({4, 3, 3, 3}, 1));
  ValueId b = g.AddConstant("conv.b", Random({4}, 2));
  ValueId c = g.AddValue("c", DType::kUndefined, Shape());
  Attributes ca;
  ca.Set("kernel_shape", std::vector<int64_t>{3, 3});
  ca.Set("pads", std::vector<int64_t>{1, 1, 1, 1});
  ca.Set("strides", std::vector<int64_t>{1, 1});
  g.AddNode("Conv", "conv", {x, w, b}, {c}, ca);
  ValueId r = g.AddValue("r", DType::kUndefined, Shape());
  g.AddNode("Relu", "relu", {c}, {r});
  ValueId p = g.AddValue("p", DType::kUndefined, Shape());
  Attributes pa;
  pa.Set("kernel_shape", std::vector<int64_t>{2, 2});
  pa.Set("strides", std::vector<int64_t>{2, 2});
  g.AddNode("MaxPool", "pool", {r}, {p}, pa);
  ValueId bias = g.AddConstant("bias", Random({4, 1, 1}, 3));
  ValueId a = g.AddValue("a", DType::kUndefined, Shape());
  g.AddNode("Add", "add", {p, bias}, {a});
  ValueId f = g.AddValue("f", DType::kUndefined, Shape());
  Attributes fa;
  fa.Set("axis", int64_t{1});
  g.AddNode("Flatten", "flatten", {a}, {f}, fa);
  ValueId fw = g.AddConstant("fc.w", Random({10, 64}, 4));
  ValueId fb = g.AddConstant("fc.b", Random({10}, 5));
  ValueId y = g.AddValue("y", DType::kUndefined, Shape());
  Attributes ga;
  ga.Set("transB", int64_t{1});
  ga.Set("alpha", 1.0f);
  g.AddNode("Gemm", "fc", {f, fw, fb}, {y}, ga);
  g.outputs().push_back(y);
  return g;
}

TEST(OnnxExport, RoundTripGivesTheSameDump) {
  Graph g = SmallCnn();
  Status s = InferShapes(g);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(g.Compact().ok());
  auto bytes = ExportOnnxToBytes(g);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto back = ImportOnnxFromBytes(*bytes, "", {});
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->DumpText(), g.DumpText());
  EXPECT_EQ(back->value(back->inputs()[0]).shape.ToString(), "[N,3,8,8]");
  // Weights come back bit for bit.
  for (const char* name : {"conv.w", "conv.b", "bias", "fc.w", "fc.b"}) {
    const Tensor& a = *g.value(*g.FindValue(name)).constant;
    const Tensor& b = *back->value(*back->FindValue(name)).constant;
    ASSERT_EQ(a.bytes(), b.bytes()) << name;
    EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.bytes()), 0) << name;
  }
  // Exporting the imported graph gives the same bytes (deterministic).
  auto again = ExportOnnxToBytes(*back);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *bytes);
}

TEST(OnnxExport, WritesAValidModelProto) {
  Graph g = SmallCnn();
  ASSERT_TRUE(InferShapes(g).ok());
  auto bytes = ExportOnnxToBytes(g);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(*bytes));
  EXPECT_EQ(m.ir_version(), 8);
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).domain(), "");
  EXPECT_EQ(m.opset_import(0).version(), 13);
  EXPECT_EQ(m.graph().initializer_size(), 5);
  for (const auto& t : m.graph().initializer()) EXPECT_TRUE(t.has_raw_data()) << t.name();
  EXPECT_EQ(m.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "N");
  EXPECT_EQ(m.graph().input(0).type().tensor_type().shape().dim(1).dim_value(), 3);
  // One value_info per intermediate: c, r, p, a, f.
  EXPECT_EQ(m.graph().value_info_size(), 5);
  EXPECT_EQ(m.graph().value_info(2).name(), "p");
  EXPECT_EQ(m.graph().value_info(2).type().tensor_type().shape().dim(2).dim_value(), 4);
  EXPECT_EQ(m.graph().output(0).type().tensor_type().shape().dim(0).dim_param(), "N");
  onnx::checker::check_model(m);   // throws (fails the test) on an invalid model
}

TEST(OnnxExport, FusedOpsGoToTheEdgeinferDomainAndComeBack) {
  Graph g;
  g.name = "fused";
  g.opset = 13;
  ValueId x = g.AddValue("x", DType::kFloat32, Shape{1, 2, 5, 5});
  g.inputs().push_back(x);
  ValueId w = g.AddConstant("w", Random({3, 2, 3, 3}, 7));
  ValueId y = g.AddValue("y", DType::kUndefined, Shape());
  Attributes a;
  a.Set("kernel_shape", std::vector<int64_t>{3, 3});
  a.Set("activation", std::string("Relu"));
  g.AddNode("ConvBiasAct", "conv_relu", {x, w}, {y}, a);
  g.outputs().push_back(y);
  Status s = InferShapes(g);
  ASSERT_TRUE(s.ok()) << s.message();
  auto bytes = ExportOnnxToBytes(g);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(*bytes));
  EXPECT_EQ(m.graph().node(0).domain(), "edgeinfer");
  EXPECT_EQ(m.graph().node(0).input_size(), 2);
  ASSERT_EQ(m.opset_import_size(), 2);
  EXPECT_EQ(m.opset_import(1).domain(), "edgeinfer");
  auto back = ImportOnnxFromBytes(*bytes, "", {});
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_TRUE(g.Compact().ok());
  EXPECT_EQ(back->DumpText(), g.DumpText());
}

TEST(OnnxExport, AbsentMiddleInputsAndTensorAttributes) {
  Graph g;
  g.name = "resize_cos";
  g.opset = 13;
  ValueId x = g.AddValue("x", DType::kFloat32, Shape{1, 1, 2, 2});
  g.inputs().push_back(x);
  ValueId sc = g.AddConstant("scales", Tensor::FromVector(DType::kFloat32, {4}, std::vector<float>{1, 1, 2, 2}));
  ValueId r = g.AddValue("r", DType::kUndefined, Shape());
  Attributes ra;
  ra.Set("mode", std::string("nearest"));
  g.AddNode("Resize", "resize", {x, kNoValue, sc}, {r}, ra);
  ValueId shp = g.AddConstant("shp", Tensor::FromVector(DType::kInt64, {1}, std::vector<int64_t>{3}));
  ValueId z = g.AddValue("z", DType::kUndefined, Shape());
  Attributes za;
  za.Set("value", Tensor::FromVector(DType::kFloat32, {1}, std::vector<float>{2.5f}));
  g.AddNode("ConstantOfShape", "cos", {shp}, {z}, za);
  g.outputs().push_back(r);
  g.outputs().push_back(z);
  ASSERT_TRUE(InferShapes(g).ok());
  auto bytes = ExportOnnxToBytes(g);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(*bytes));
  EXPECT_EQ(m.graph().node(0).input(1), "");
  ImportOptions keep;
  keep.fold_constants = false;
  auto back = ImportOnnxFromBytes(*bytes, "", keep);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_TRUE(g.Compact().ok());
  EXPECT_EQ(back->DumpText(), g.DumpText());
  const Node& cos = back->node(*back->FindNode("cos"));
  ASSERT_NE(cos.attrs.GetTensor("value"), nullptr);
  EXPECT_FLOAT_EQ(cos.attrs.GetTensor("value")->data<float>()[0], 2.5f);
  // A trailing absent input is not written; the import leaves it off too.
  g.node(0).inputs.push_back(kNoValue);
  auto trailing = ExportOnnxToBytes(g);
  ASSERT_TRUE(trailing.ok());
  ASSERT_TRUE(m.ParseFromString(*trailing));
  EXPECT_EQ(m.graph().node(0).input_size(), 3);
  // An unnamed graph is written as "edgeinfer" (the checker wants a name).
  g.name.clear();
  ASSERT_TRUE(m.ParseFromString(*ExportOnnxToBytes(g)));
  EXPECT_EQ(m.graph().name(), "edgeinfer");
}

TEST(OnnxExport, ToFileAndErrors) {
  Graph g = SmallCnn();
  ASSERT_TRUE(InferShapes(g).ok());
  auto dir = testing::TempDir("export");
  std::string path = (dir / "small.onnx").string();
  Status s = ExportOnnx(g, path);
  ASSERT_TRUE(s.ok()) << s.message();
  auto back = ImportOnnx(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->NumLiveNodes(), 6u);

  Status bad = ExportOnnx(g, (dir / "no" / "such" / "dir.onnx").string());
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("cannot write"), std::string::npos) << bad.message();

  Graph untyped = SmallCnn();   // shapes never inferred
  Status u = ExportOnnx(untyped, path);
  EXPECT_FALSE(u.ok());
  EXPECT_NE(u.message().find("has no dtype"), std::string::npos) << u.message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace edgeinfer
