#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

using fusions::ReduceToGlobalPool;

Attributes Axes(std::vector<int64_t> axes, int64_t keepdims) {
  Attributes a;
  a.Set("axes", std::move(axes));
  a.Set("keepdims", keepdims);
  return a;
}

TEST(ReduceToGlobalPool, MeanKeepDimsBecomesGlobalAveragePool) {
  Builder b;
  ValueId x = b.Input("x", {2, 5, 7, 3});
  b.Output(b.Op("ReduceMean", "mean", {b.Op("Relu", "r", {x})}, Axes({2, 3}, 1)));
  Graph before = b.g;
  auto rep = RunPass(b.g, ReduceToGlobalPool);
  EXPECT_EQ(CountOp(b.g, "ReduceMean"), 0);
  EXPECT_EQ(CountOp(b.g, "GlobalAveragePool"), 1);
  EXPECT_EQ(rep.fusions.size(), 1u);
  EXPECT_LE(MaxOutputDiff(before, b.g, RandomInputs(before, 3)), 1e-6);
}

TEST(ReduceToGlobalPool, MaxWithoutKeepDimsAddsFlatten) {
  Builder b;
  ValueId x = b.Input("x", {2, 4, 5, 5});
  b.Output(b.Op("ReduceMax", "max", {x}, Axes({-1, -2}, 0)));
  Graph before = b.g;
  RunPass(b.g, ReduceToGlobalPool);
  EXPECT_EQ(CountOp(b.g, "GlobalMaxPool"), 1);
  EXPECT_EQ(CountOp(b.g, "Flatten"), 1);
  EXPECT_EQ(b.g.value(b.g.outputs()[0]).shape, (Shape{2, 4}));
  EXPECT_EQ(MaxOutputDiff(before, b.g, RandomInputs(before, 4)), 0.0);
}

TEST(ReduceToGlobalPool, NotRewrittenForOtherAxes) {
  Builder b;
  ValueId x = b.Input("x", {2, 4, 5, 5});
  b.Output(b.Op("ReduceMean", "mean", {x}, Axes({1, 2, 3}, 1)));
  auto rep = RunPass(b.g, ReduceToGlobalPool);
  EXPECT_EQ(CountOp(b.g, "ReduceMean"), 1);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("spatial"), std::string::npos);
}

TEST(ReduceToGlobalPool, NotRewrittenForRank3) {
  Builder b;
  ValueId x = b.Input("x", {2, 4, 5});
  b.Output(b.Op("ReduceMean", "mean", {x}, Axes({1, 2}, 1)));
  auto rep = RunPass(b.g, ReduceToGlobalPool);
  EXPECT_EQ(CountOp(b.g, "ReduceMean"), 1);
  ASSERT_EQ(rep.refusals.size(), 1u);
}

}  // namespace
}  // namespace edgeinfer::testing
