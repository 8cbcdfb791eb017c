#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

using fusions::MatMulAddToGemm;

TEST(MatMulAddToGemm, MatMulPlusBiasBecomesGemm) {
  Builder b;
  ValueId a = b.Input("a", {3, 8});
  ValueId m = b.Op("MatMul", "mm", {a, b.Rand("w", {8, 5})});
  b.Output(b.Op("Add", "add", {m, b.Rand("c", {5})}));
  Graph before = b.g;
  auto rep = RunPass(b.g, MatMulAddToGemm);
  ASSERT_EQ(b.g.NumLiveNodes(), 1u);
  EXPECT_EQ(b.g.node(b.g.NodeIds()[0]).op, "Gemm");
  EXPECT_EQ(rep.CountByKind()["MatMulAddToGemm"], 1);
  EXPECT_LT(MaxOutputDiff(before, b.g, RandomInputs(before, 1)), 1e-6);
}

TEST(MatMulAddToGemm, LoneMatMulBecomesGemm) {
  Builder b;
  ValueId a = b.Input("a", {3, 8});
  b.Output(b.Op("MatMul", "mm", {a, b.Rand("w", {8, 5})}));
  Graph before = b.g;
  RunPass(b.g, MatMulAddToGemm);
  EXPECT_EQ(CountOp(b.g, "Gemm"), 1);
  EXPECT_LT(MaxOutputDiff(before, b.g, RandomInputs(before, 2)), 1e-6);
}

TEST(MatMulAddToGemm, NotConvertedWhenABatched) {
  Builder b;
  ValueId a = b.Input("a", {2, 3, 8});
  b.Output(b.Op("MatMul", "mm", {a, b.Rand("w", {8, 5})}));
  auto rep = RunPass(b.g, MatMulAddToGemm);
  EXPECT_EQ(CountOp(b.g, "Gemm"), 0);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("rank 3"), std::string::npos);
}

TEST(MatMulAddToGemm, AddOfANonBiasStaysAnAdd) {
  Builder b;
  ValueId a = b.Input("a", {3, 8});
  ValueId r = b.Input("r", {3, 5});
  ValueId m = b.Op("MatMul", "mm", {a, b.Rand("w", {8, 5})});
  b.Output(b.Op("Add", "add", {m, r}));
  Graph before = b.g;
  RunPass(b.g, MatMulAddToGemm);
  EXPECT_EQ(CountOp(b.g, "Gemm"), 1);
  EXPECT_EQ(CountOp(b.g, "Add"), 1);
  EXPECT_LT(MaxOutputDiff(before, b.g, RandomInputs(before, 3)), 1e-6);
}

}  // namespace
}  // namespace edgeinfer::testing
