#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

using fusions::ConstantFolding;

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

}  // namespace
}  // namespace edgeinfer::testing
