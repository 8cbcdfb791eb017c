#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

using fusions::FuseConvEltwiseAct;

TEST(ConvEltwiseAct, FusesConvAddReluAndMatchesTheChain) {
  Builder b;
  ValueId x = b.Input("x", {1, 8, 10, 10});
  ValueId c = b.Conv("conv", x, 8, 3, 1, 1);
  ValueId a = b.Op("Add", "add", {c, x});
  b.Output(b.Op("Relu", "relu", {a}));
  Graph before = b.g;
  auto r = RunPass(b.g, FuseConvEltwiseAct);
  ASSERT_EQ(b.g.NumLiveNodes(), 1u);
  const Node& n = b.g.node(b.g.NodeIds()[0]);
  EXPECT_EQ(n.op, "ConvEltwiseAct");
  EXPECT_EQ(n.attrs.GetString("activation", ""), "Relu");
  ASSERT_EQ(n.inputs.size(), 4u);
  EXPECT_EQ(b.g.value(n.inputs[3]).name, "x");
  EXPECT_EQ(r.CountByKind()["ConvEltwiseAct"], 1);
  EXPECT_EQ(MaxOutputDiff(before, b.g, RandomInputs(before, 3)), 0.0);
}

TEST(ConvEltwiseAct, TakesTheLaterConvWhenBothOperandsAreConvs) {
  // ResNet projection block: Add(conv3(...), downsample(x)); the later conv is fused, the
  // projection becomes R.
  Builder b;
  ValueId x = b.Input("x", {1, 4, 8, 8});
  ValueId ds = b.Conv("downsample", x, 8, 1, 1, 0);
  ValueId c1 = b.Conv("conv1", x, 8, 3, 1, 1);
  ValueId c2 = b.Conv("conv2", c1, 8, 1);
  b.Output(b.Op("Relu", "relu", {b.Op("Add", "add", {ds, c2})}));
  Graph before = b.g;
  RunPass(b.g, FuseConvEltwiseAct);
  ASSERT_EQ(CountOp(b.g, "ConvEltwiseAct"), 1);
  for (NodeId id : b.g.NodeIds()) if (b.g.node(id).op == "ConvEltwiseAct") EXPECT_EQ(b.g.node(id).name, "conv2");
  EXPECT_LT(MaxOutputDiff(before, b.g, RandomInputs(before, 4)), 1e-6);
}

TEST(ConvEltwiseAct, FusesWithoutActivationAndWithoutBias) {
  Builder b;
  ValueId x = b.Input("x", {1, 4, 6, 6});
  ValueId r = b.Input("r", {1, 4, 6, 6});
  ValueId c = b.Conv("conv", x, 4, 3, 1, 1, /*bias=*/false);
  b.Output(b.Op("Add", "add", {r, c}));
  Graph before = b.g;
  RunPass(b.g, FuseConvEltwiseAct);
  ASSERT_EQ(CountOp(b.g, "ConvEltwiseAct"), 1);
  const Node& n = b.g.node(b.g.NodeIds()[0]);
  EXPECT_FALSE(n.attrs.Has("activation"));
  EXPECT_EQ(n.inputs[2], kNoValue);
  EXPECT_EQ(MaxOutputDiff(before, b.g, RandomInputs(before, 5)), 0.0);
}

TEST(ConvEltwiseAct, NotFusedWhenResidualBroadcasts) {
  Builder b;
  ValueId x = b.Input("x", {1, 4, 6, 6});
  ValueId r = b.Input("r", {1, 4, 1, 1});
  ValueId c = b.Conv("conv", x, 4, 1);
  b.Output(b.Op("Add", "add", {c, r}));
  auto rep = RunPass(b.g, FuseConvEltwiseAct);
  EXPECT_EQ(CountOp(b.g, "ConvEltwiseAct"), 0);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("broadcasts"), std::string::npos);
}

TEST(ConvEltwiseAct, NotFusedWhenConvOutputHasAnotherConsumer) {
  Builder b;
  ValueId x = b.Input("x", {1, 4, 6, 6});
  ValueId c = b.Conv("conv", x, 4, 1);
  b.Output(b.Op("Add", "add", {c, x}));
  b.Output(b.Op("Relu", "other", {c}));
  auto rep = RunPass(b.g, FuseConvEltwiseAct);
  EXPECT_EQ(CountOp(b.g, "ConvEltwiseAct"), 0);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("consumers"), std::string::npos);
}

TEST(ConvEltwiseAct, NotFusedWhenTheOtherOperandIsAConstant) {
  Builder b;
  ValueId x = b.Input("x", {1, 4, 6, 6});
  ValueId c = b.Conv("conv", x, 4, 1);
  b.Output(b.Op("Add", "add", {c, b.Rand("k", {1, 4, 6, 6})}));
  auto rep = RunPass(b.g, FuseConvEltwiseAct);
  EXPECT_EQ(CountOp(b.g, "ConvEltwiseAct"), 0);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("constant"), std::string::npos);
}

TEST(ConvEltwiseAct, ActivationStaysOutWhenTheAddOutputIsUsedTwice) {
  Builder b;
  ValueId x = b.Input("x", {1, 4, 6, 6});
  ValueId c = b.Conv("conv", x, 4, 1);
  ValueId a = b.Op("Add", "add", {c, x});
  b.Output(b.Op("Relu", "relu", {a}));
  b.Output(a);
  Graph before = b.g;
  auto rep = RunPass(b.g, FuseConvEltwiseAct);
  ASSERT_EQ(CountOp(b.g, "ConvEltwiseAct"), 1);
  EXPECT_EQ(CountOp(b.g, "Relu"), 1);
  EXPECT_EQ(MaxOutputDiff(before, b.g, RandomInputs(before, 6)), 0.0);
}

}  // namespace
}  // namespace edgeinfer::testing
