#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

using fusions::FuseConvBiasAct;

TEST(ConvBiasAct, FusesEveryActivationAndMatchesTheChain) {
  for (const std::string act : {"Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish"}) {
    Builder b;
    ValueId x = b.Input("x", {1, 3, 9, 9});
    ValueId c = b.Conv("conv", x, 8, 3, 1, 1);
    std::vector<ValueId> in = {c};
    Attributes a;
    if (act == "LeakyRelu") a.Set("alpha", 0.1f);
    if (act == "Clip") { in.push_back(b.Scalar("lo", 0.f)); in.push_back(b.Scalar("hi", 0.5f)); }
    ValueId y = b.Op(act, "act", in, a);
    b.Output(y);
    Graph before = b.g;
    auto r = RunPass(b.g, FuseConvBiasAct);
    EXPECT_EQ(b.g.NumLiveNodes(), 1u) << act;
    ASSERT_EQ(CountOp(b.g, "ConvBiasAct"), 1) << act;
    const Node& n = b.g.node(b.g.NodeIds()[0]);
    EXPECT_EQ(n.name, "conv");
    EXPECT_EQ(n.attrs.GetString("activation", ""), act);
    EXPECT_EQ(n.attrs.GetInts("kernel_shape"), (std::vector<int64_t>{3, 3}));
    if (act == "LeakyRelu") EXPECT_FLOAT_EQ(n.attrs.GetFloat("act_alpha", 0.f), 0.1f);
    if (act == "Clip") EXPECT_FLOAT_EQ(n.attrs.GetFloat("act_max", 0.f), 0.5f);
    EXPECT_EQ(r.CountByKind()["ConvBiasAct"], 1);
    // Same kernels in the same order: bit-identical.
    EXPECT_EQ(MaxOutputDiff(before, b.g, RandomInputs(before, 7)), 0.0) << act;
  }
}

TEST(ConvBiasAct, NotFusedWhenConvOutputHasTwoConsumers) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 8, 8});
  ValueId c = b.Conv("conv", x, 4, 1);
  b.Output(b.Op("Relu", "relu", {c}));
  b.Output(b.Op("Sigmoid", "sig", {c}));
  auto r = RunPass(b.g, FuseConvBiasAct);
  EXPECT_EQ(CountOp(b.g, "ConvBiasAct"), 0);
  ASSERT_FALSE(r.refusals.empty());
  EXPECT_NE(r.refusals[0].reason.find("2 consumers"), std::string::npos) << r.refusals[0].reason;
}

TEST(ConvBiasAct, NotFusedWhenConvOutputIsAGraphOutput) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 8, 8});
  ValueId c = b.Conv("conv", x, 4, 1);
  b.Output(c);
  b.Output(b.Op("Relu", "relu", {c}));
  auto r = RunPass(b.g, FuseConvBiasAct);
  EXPECT_EQ(CountOp(b.g, "ConvBiasAct"), 0);
  ASSERT_FALSE(r.refusals.empty());
  EXPECT_NE(r.refusals[0].reason.find("graph output"), std::string::npos);
}

TEST(ConvBiasAct, NotFusedWhenClipBoundsAreNotConstant) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 8, 8});
  ValueId lo = b.Input("lo", {});
  ValueId c = b.Conv("conv", x, 4, 1);
  b.Output(b.Op("Clip", "clip", {c, lo}));
  auto r = RunPass(b.g, FuseConvBiasAct);
  EXPECT_EQ(CountOp(b.g, "ConvBiasAct"), 0);
  ASSERT_FALSE(r.refusals.empty());
  EXPECT_NE(r.refusals[0].reason.find("not a constant"), std::string::npos);
}

TEST(ConvBiasAct, NotFusedWhenTheConsumerIsNotAnActivation) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 8, 8});
  ValueId c = b.Conv("conv", x, 4, 1);
  b.Output(b.Op("Softmax", "sm", {c}));
  RunPass(b.g, FuseConvBiasAct);
  EXPECT_EQ(CountOp(b.g, "ConvBiasAct"), 0);
  EXPECT_EQ(CountOp(b.g, "Conv"), 1);
}

}  // namespace
}  // namespace edgeinfer::testing
