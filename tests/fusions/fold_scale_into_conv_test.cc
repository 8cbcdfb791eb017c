#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

using fusions::FoldScaleIntoConv;

TEST(FoldScaleIntoConv, FoldsMulThenAddThenSubThenDiv) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 6, 6});
  ValueId c = b.Conv("conv", x, 4, 3, 1, 1);
  ValueId m = b.Op("Mul", "mul", {b.Rand("s", {1, 4, 1, 1}, 0.5f, 2.f), c});
  ValueId a = b.Op("Add", "add", {m, b.Rand("t", {4, 1, 1})});
  ValueId s = b.Op("Sub", "sub", {a, b.Scalar("u", 0.25f)});
  b.Output(b.Op("Div", "div", {s, b.Rand("d", {4, 1, 1}, 1.f, 2.f)}));
  Graph before = b.g;
  auto rep = RunPass(b.g, FoldScaleIntoConv);
  ASSERT_EQ(b.g.NumLiveNodes(), 1u) << b.g.DumpText();
  EXPECT_EQ(rep.fusions.size(), 4u);
  EXPECT_LT(MaxOutputDiff(before, b.g, RandomInputs(before, 1)), kFoldTolerance);
}

TEST(FoldScaleIntoConv, NotFoldedWhenTheConstantIsNotPerChannel) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 6, 6});
  ValueId c = b.Conv("conv", x, 4, 3, 1, 1);
  b.Output(b.Op("Mul", "mul", {c, b.Rand("s", {1, 1, 6, 6})}));
  auto rep = RunPass(b.g, FoldScaleIntoConv);
  EXPECT_EQ(CountOp(b.g, "Mul"), 1);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("per output channel"), std::string::npos);
}

TEST(FoldScaleIntoConv, NotFoldedWhenConvOutputHasTwoConsumers) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 6, 6});
  ValueId c = b.Conv("conv", x, 4, 3, 1, 1);
  b.Output(b.Op("Mul", "mul", {c, b.Scalar("s", 2.f)}));
  b.Output(c);
  auto rep = RunPass(b.g, FoldScaleIntoConv);
  EXPECT_EQ(CountOp(b.g, "Mul"), 1);
  ASSERT_EQ(rep.refusals.size(), 1u);
}

TEST(FoldScaleIntoConv, ConstantMinusConvIsNotFolded) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 6, 6});
  ValueId c = b.Conv("conv", x, 4, 3, 1, 1);
  b.Output(b.Op("Sub", "sub", {b.Scalar("s", 2.f), c}));
  RunPass(b.g, FoldScaleIntoConv);
  EXPECT_EQ(CountOp(b.g, "Sub"), 1);
}

}  // namespace
}  // namespace edgeinfer::testing
