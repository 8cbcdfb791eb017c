#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

using fusions::FoldBatchNorm;

ValueId AddBn(Builder& b, const std::string& name, ValueId x, int64_t c) {
  return b.Op("BatchNormalization", name,
              {x, b.Rand(name + "_s", {c}, 0.5f, 1.5f), b.Rand(name + "_b", {c}), b.Rand(name + "_m", {c}),
               b.Rand(name + "_v", {c}, 0.2f, 2.f)});
}

TEST(FoldBatchNorm, FoldsIntoConvAndMatches) {
  Builder b;
  ValueId x = b.Input("x", {2, 3, 8, 8});
  ValueId c = b.Conv("conv", x, 6, 3, 1, 1, /*bias=*/false);
  b.Output(AddBn(b, "bn", c, 6));
  Graph before = b.g;
  auto rep = RunPass(b.g, FoldBatchNorm);
  ASSERT_EQ(b.g.NumLiveNodes(), 1u);
  const Node& n = b.g.node(b.g.NodeIds()[0]);
  EXPECT_EQ(n.op, "Conv");
  ASSERT_EQ(n.inputs.size(), 3u);   // bias made
  EXPECT_EQ(rep.CountByKind()["FoldBatchNorm"], 1);
  EXPECT_LT(MaxOutputDiff(before, b.g, RandomInputs(before, 3)), kFoldTolerance);
}

TEST(FoldBatchNorm, FoldsIntoGemmBothLayouts) {
  for (int64_t tb : {0, 1}) {
    Builder b;
    ValueId a = b.Input("a", {4, 10});
    Attributes ga;
    ga.Set("transB", tb);
    ga.Set("beta", 0.5f);
    ValueId y = b.Op("Gemm", "fc", {a, b.Rand("w", tb ? std::vector<int64_t>{6, 10} : std::vector<int64_t>{10, 6}), b.Rand("c", {6})}, ga);
    b.Output(AddBn(b, "bn", y, 6));
    Graph before = b.g;
    RunPass(b.g, FoldBatchNorm);
    EXPECT_EQ(b.g.NumLiveNodes(), 1u);
    EXPECT_LT(MaxOutputDiff(before, b.g, RandomInputs(before, 4)), kFoldTolerance) << "transB=" << tb;
  }
}

TEST(FoldBatchNorm, LoneBatchNormBecomesDepthwiseConv) {
  Builder b;
  ValueId x = b.Input("x", {1, 5, 4, 4});
  b.Output(AddBn(b, "bn", x, 5));
  Graph before = b.g;
  auto rep = RunPass(b.g, FoldBatchNorm);
  ASSERT_EQ(b.g.NumLiveNodes(), 1u);
  const Node& n = b.g.node(b.g.NodeIds()[0]);
  EXPECT_EQ(n.op, "Conv");
  EXPECT_EQ(n.attrs.GetInt("group", 1), 5);
  EXPECT_EQ(rep.CountByKind()["BatchNormToDepthwiseConv"], 1);
  EXPECT_LT(MaxOutputDiff(before, b.g, RandomInputs(before, 5)), kFoldTolerance);
}

TEST(FoldBatchNorm, LoneBatchNormOnRank3BecomesMulAdd) {
  Builder b;
  ValueId x = b.Input("x", {2, 5, 7});
  b.Output(AddBn(b, "bn", x, 5));
  Graph before = b.g;
  RunPass(b.g, FoldBatchNorm);
  EXPECT_EQ(CountOp(b.g, "Mul"), 1);
  EXPECT_EQ(CountOp(b.g, "Add"), 1);
  EXPECT_LT(MaxOutputDiff(before, b.g, RandomInputs(before, 6)), kFoldTolerance);
}

TEST(FoldBatchNorm, NotFoldedIntoConvWhenConvOutputHasTwoConsumers) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 6, 6});
  ValueId c = b.Conv("conv", x, 4, 3, 1, 1);
  b.Output(AddBn(b, "bn", c, 4));
  b.Output(b.Op("Relu", "r", {c}));
  Graph before = b.g;
  auto rep = RunPass(b.g, FoldBatchNorm);
  EXPECT_EQ(rep.CountByKind()["FoldBatchNorm"], 0);
  EXPECT_EQ(rep.CountByKind()["BatchNormToDepthwiseConv"], 1);
  ASSERT_FALSE(rep.refusals.empty());
  EXPECT_NE(rep.refusals[0].reason.find("consumers"), std::string::npos);
  EXPECT_LT(MaxOutputDiff(before, b.g, RandomInputs(before, 7)), kFoldTolerance);
}

TEST(FoldBatchNorm, NotFoldedWhenStatisticsAreNotConstant) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 6, 6});
  ValueId mean = b.Input("mean", {3});
  ValueId c = b.Conv("conv", x, 3, 1);
  b.Output(b.Op("BatchNormalization", "bn", {c, b.Rand("s", {3}), b.Rand("bb", {3}), mean, b.Rand("v", {3}, 0.5f, 1.f)}));
  auto rep = RunPass(b.g, FoldBatchNorm);
  EXPECT_EQ(CountOp(b.g, "BatchNormalization"), 1);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("constants"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer::testing
