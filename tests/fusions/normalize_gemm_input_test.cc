#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

using fusions::NormalizeGemmInput;

TEST(NormalizeGemmInput, ReshapeBeforeGemmBecomesFlatten) {
  Builder b;
  ValueId x = b.Input("x", {2, 4, 3, 3});
  ValueId r = b.Op("Reshape", "reshape", {x, b.Const("shape", Tensor::FromVector(DType::kInt64, {2}, std::vector<int64_t>{2, -1}))});
  b.Output(b.Op("Gemm", "fc", {r, b.Rand("w", {36, 5})}));
  Graph before = b.g;
  auto rep = RunPass(b.g, NormalizeGemmInput);
  EXPECT_EQ(CountOp(b.g, "Reshape"), 0);
  ASSERT_EQ(CountOp(b.g, "Flatten"), 1);
  EXPECT_EQ(rep.CountByKind()["ReshapeToFlatten"], 1);
  EXPECT_EQ(MaxOutputDiff(before, b.g, RandomInputs(before, 1)), 0.0);
}

TEST(NormalizeGemmInput, NotChangedWhenTheBatchIsFolded) {
  Builder b;
  ValueId x = b.Input("x", {2, 4, 3, 3});
  ValueId r = b.Op("Reshape", "reshape", {x, b.Const("shape", Tensor::FromVector(DType::kInt64, {2}, std::vector<int64_t>{1, -1}))});
  b.Output(b.Op("Gemm", "fc", {r, b.Rand("w", {72, 5})}));
  auto rep = RunPass(b.g, NormalizeGemmInput);
  EXPECT_EQ(CountOp(b.g, "Reshape"), 1);
  ASSERT_EQ(rep.refusals.size(), 1u);
}

TEST(NormalizeGemmInput, ReshapeNotFeedingAGemmIsLeftAlone) {
  Builder b;
  ValueId x = b.Input("x", {2, 4, 3, 3});
  b.Output(b.Op("Reshape", "reshape", {x, b.Const("shape", Tensor::FromVector(DType::kInt64, {2}, std::vector<int64_t>{2, -1}))}));
  auto rep = RunPass(b.g, NormalizeGemmInput);
  EXPECT_EQ(CountOp(b.g, "Reshape"), 1);
  EXPECT_TRUE(rep.refusals.empty());
}

}  // namespace
}  // namespace edgeinfer::testing
