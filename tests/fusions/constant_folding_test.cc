#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

using fusions::ConstantFolding;
using fusions::ConstantFoldingPass;

TEST(ConstantFolding, FoldsAChainOfConstantOps) {
  Builder b;
  ValueId x = b.Input("x", {2, 3});
  ValueId k = b.Op("Mul", "k", {b.Rand("a", {2, 3}), b.Scalar("two", 2.f)});
  ValueId k2 = b.Op("Relu", "k2", {k});
  b.Output(b.Op("Add", "add", {x, k2}));
  Graph before = b.g;
  auto rep = RunPass(b.g, ConstantFolding);
  EXPECT_EQ(b.g.NumLiveNodes(), 1u);
  EXPECT_EQ(rep.CountByKind()["ConstantFold"], 2);
  EXPECT_EQ(MaxOutputDiff(before, b.g, RandomInputs(before, 1)), 0.0);
}

TEST(ConstantFolding, KeepsQuantizeDequantizeOfConstants) {
  Builder b;
  ValueId x = b.Input("x", {4});
  ValueId q = b.Op("QuantizeLinear", "q", {b.Rand("w", {4}), b.Scalar("s", 0.1f),
                                            b.Const("zp", Tensor::FromVector(DType::kInt8, {}, std::vector<int8_t>{0}))});
  ValueId d = b.Op("DequantizeLinear", "dq", {q, b.Scalar("s2", 0.1f), b.Const("zp2", Tensor::FromVector(DType::kInt8, {}, std::vector<int8_t>{0}))});
  b.Output(b.Op("Add", "add", {x, d}));
  RunPass(b.g, ConstantFolding);
  EXPECT_EQ(CountOp(b.g, "QuantizeLinear"), 1);
  EXPECT_EQ(CountOp(b.g, "DequantizeLinear"), 1);
}

TEST(ConstantFolding, NodesWithAGraphInputStay) {
  Builder b;
  ValueId x = b.Input("x", {2});
  b.Output(b.Op("Relu", "r", {x}));
  RunPass(b.g, ConstantFolding);
  EXPECT_EQ(b.g.NumLiveNodes(), 1u);
}

// x.view(x.size(0), -1) over a symbolic batch: Shape -> Gather(0) -> Unsqueeze -> Concat(-1) ->
// Reshape. The target folds to the constant [0, -1] (0 copies the batch) and the chain goes; the
// result equals the unfused graph at any batch.
TEST(ConstantFolding, BatchShapeChainBecomesAConstantReshapeTarget) {
  Builder b;
  ValueId x = b.Input("x", {kDynamic, 4, 3, 3});
  ValueId c = b.Conv("conv", x, 6, 3, 1, 1);
  ValueId s = b.Op("Shape", "shape", {c});
  ValueId n = b.Op("Gather", "gather", {s, b.Const("zero", Tensor::FromVector(DType::kInt64, {}, std::vector<int64_t>{0}))});
  ValueId n1 = b.Op("Unsqueeze", "unsqueeze", {n, b.Const("ax", Tensor::FromVector(DType::kInt64, {1}, std::vector<int64_t>{0}))});
  Attributes cat;
  cat.Set("axis", int64_t{0});
  ValueId t = b.Op("Concat", "concat", {n1, b.Const("m1", Tensor::FromVector(DType::kInt64, {1}, std::vector<int64_t>{-1}))}, cat);
  b.Output(b.Op("Reshape", "reshape", {c, t}));
  Graph before = b.g;
  auto rep = RunPass(b.g, ConstantFoldingPass);
  EXPECT_EQ(CountOp(b.g, "Shape"), 0);
  EXPECT_EQ(CountOp(b.g, "Gather"), 0);
  EXPECT_EQ(rep.CountByKind()["BatchShapeChain"], 1);
  const Node& r = b.g.node(*b.g.FindNode("reshape"));
  ASSERT_TRUE(b.g.value(r.inputs[1]).IsConstant());
  EXPECT_EQ(b.g.value(r.inputs[1]).constant->GetAsInt64(0), 0);
  EXPECT_EQ(b.g.value(r.inputs[1]).constant->GetAsInt64(1), -1);
  for (int64_t batch : {1, 3}) {
    devices::TensorMap in;
    in["x"] = RandomTensor({batch, 4, 3, 3}, 7);
    EXPECT_EQ(MaxOutputDiff(before, b.g, in), 0.0) << "batch " << batch;
  }
}

// A target that uses the batch other than as its leading dim (here [1, N * 54]) stays as it is.
TEST(ConstantFolding, BatchShapeChainOtherThanLeadingDimStays) {
  Builder b;
  ValueId x = b.Input("x", {kDynamic, 6, 3, 3});
  ValueId s = b.Op("Shape", "shape", {x});
  ValueId n = b.Op("Gather", "gather", {s, b.Const("zero", Tensor::FromVector(DType::kInt64, {1}, std::vector<int64_t>{0}))});
  ValueId nn = b.Op("Mul", "mul", {n, b.Const("k", Tensor::FromVector(DType::kInt64, {1}, std::vector<int64_t>{54}))});
  Attributes cat;
  cat.Set("axis", int64_t{0});
  ValueId t = b.Op("Concat", "concat", {b.Const("one", Tensor::FromVector(DType::kInt64, {1}, std::vector<int64_t>{1})), nn}, cat);
  b.Output(b.Op("Reshape", "reshape", {x, t}));
  auto rep = RunPass(b.g, ConstantFoldingPass);
  EXPECT_EQ(CountOp(b.g, "Shape"), 1);
  EXPECT_FALSE(rep.refusals.empty());
}

}  // namespace
}  // namespace edgeinfer::testing
