#include "graph/ir.h"

#include <gtest/gtest.h>

#include "graph/shape_inference.h"

namespace edgeinfer {
namespace {

Graph TwoRelu() {
  Graph g;
  g.name = "two";
  ValueId x = g.AddValue("x", DType::kFloat32, Shape{1, 4});
  ValueId y = g.AddValue("y", DType::kFloat32, Shape{});
  ValueId z = g.AddValue("z", DType::kFloat32, Shape{});
  g.inputs().push_back(x);
  g.AddNode("Relu", "r1", {x}, {y});
  g.AddNode("Relu", "r2", {y}, {z});
  g.outputs().push_back(z);
  return g;
}

TEST(Graph, InfersAndVerifies) {
  Graph g = TwoRelu();
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(g.value(2).shape, (Shape{1, 4}));
  EXPECT_TRUE(VerifyGraph(g).ok());
}

// Shapes at one binding of the inputs (what a device needs at a batch): the graph is not changed,
// every value gets concrete dims, constants keep theirs; a wrong count of input shapes is an error.
TEST(Graph, InferShapesAtABatch) {
  Graph g;
  Shape xs{kDynamic, 4};
  ValueId x = g.AddValue("x", DType::kFloat32, xs);
  ValueId w = g.AddConstant("w", Tensor(DType::kFloat32, {4, 3}));
  ValueId y = g.AddValue("y", DType::kFloat32, Shape{});
  ValueId z = g.AddValue("z", DType::kFloat32, Shape{});
  g.inputs().push_back(x);
  g.AddNode("MatMul", "mm", {x, w}, {y});
  g.AddNode("Relu", "r", {y}, {z});
  g.outputs().push_back(z);
  ASSERT_TRUE(InferShapes(g).ok());
  auto at3 = InferShapesAt(g, {{3, 4}});
  ASSERT_TRUE(at3.ok()) << at3.status().message();
  EXPECT_EQ((*at3)[static_cast<size_t>(z)].dims, (std::vector<int64_t>{3, 3}));
  EXPECT_EQ((*at3)[static_cast<size_t>(y)].dtype, DType::kFloat32);
  EXPECT_EQ((*at3)[static_cast<size_t>(w)].dims, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(g.value(z).shape.dims[0], kDynamic);   // the graph keeps its symbolic batch
  auto at7 = InferShapesAt(g, {{7, 4}});
  ASSERT_TRUE(at7.ok());
  EXPECT_EQ((*at7)[static_cast<size_t>(z)].dims, (std::vector<int64_t>{7, 3}));
  EXPECT_FALSE(InferShapesAt(g, {}).ok());
  auto bad = InferShapesAt(g, {{3, 5}});   // K mismatch: the op table's inference names the node
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("mm"), std::string::npos) << bad.status().message();
}

TEST(Graph, DetectsCycle) {
  Graph g = TwoRelu();
  g.node(0).inputs[0] = 2;  // r1 reads r2's output
  Status s = g.VerifyStructure();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cycle"), std::string::npos) << s.message();
}

TEST(Graph, DetectsDanglingInput) {
  Graph g = TwoRelu();
  ValueId ghost = g.AddValue("ghost", DType::kFloat32, Shape{1, 4});
  g.node(1).inputs[0] = ghost;
  Status s = g.VerifyStructure();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("dangling"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("'r2'"), std::string::npos) << s.message();
}

TEST(Graph, VerifyCatchesShapeAndDtypeMismatch) {
  Graph g = TwoRelu();
  ASSERT_TRUE(InferShapes(g).ok());
  g.value(2).shape = Shape{1, 5};
  Status s = VerifyGraph(g);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("shapes agree"), std::string::npos) << s.message();
  g.value(2).shape = Shape{1, 4};
  g.value(2).dtype = DType::kInt8;
  s = VerifyGraph(g);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("dtypes agree"), std::string::npos) << s.message();
}

TEST(Graph, CompactIsDeterministic) {
  Graph g = TwoRelu();
  g.RemoveNode(1);
  g.outputs()[0] = 1;
  ASSERT_TRUE(g.Compact().ok());
  EXPECT_EQ(g.NumLiveNodes(), 1u);
  EXPECT_EQ(g.num_values(), 2u);
  std::string a = g.DumpText();
  Graph h = g;
  ASSERT_TRUE(h.Compact().ok());
  EXPECT_EQ(a, h.DumpText());
  EXPECT_NE(g.DumpDot().find("digraph"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer
