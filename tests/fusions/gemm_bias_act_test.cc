#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

using fusions::FuseGemmBiasAct;

TEST(GemmBiasAct, FusesGemmReluAndMatchesTheChain) {
  Builder b;
  ValueId a = b.Input("a", {3, 20});
  Attributes ga;
  ga.Set("transB", int64_t{1});
  ga.Set("alpha", 0.5f);
  ValueId y = b.Op("Gemm", "fc", {a, b.Rand("w", {7, 20}), b.Rand("c", {7})}, ga);
  b.Output(b.Op("Relu", "relu", {y}));
  Graph before = b.g;
  auto rep = RunPass(b.g, FuseGemmBiasAct);
  ASSERT_EQ(b.g.NumLiveNodes(), 1u);
  const Node& n = b.g.node(b.g.NodeIds()[0]);
  EXPECT_EQ(n.op, "GemmBiasAct");
  EXPECT_EQ(n.attrs.GetString("activation", ""), "Relu");
  EXPECT_EQ(n.attrs.GetInt("transB", 0), 1);
  EXPECT_FLOAT_EQ(n.attrs.GetFloat("alpha", 0.f), 0.5f);
  EXPECT_EQ(rep.CountByKind()["GemmBiasAct"], 1);
  EXPECT_EQ(MaxOutputDiff(before, b.g, RandomInputs(before, 2)), 0.0);
}

TEST(GemmBiasAct, NotFusedWhenGemmOutputIsAGraphOutput) {
  Builder b;
  ValueId a = b.Input("a", {3, 20});
  ValueId y = b.Op("Gemm", "fc", {a, b.Rand("w", {20, 7})});
  b.Output(y);
  b.Output(b.Op("Sigmoid", "sig", {y}));
  auto rep = RunPass(b.g, FuseGemmBiasAct);
  EXPECT_EQ(CountOp(b.g, "GemmBiasAct"), 0);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("graph output"), std::string::npos);
}

TEST(GemmBiasAct, NotFusedWhenTheConsumerIsNotAnActivation) {
  Builder b;
  ValueId a = b.Input("a", {3, 20});
  ValueId y = b.Op("Gemm", "fc", {a, b.Rand("w", {20, 7})});
  Attributes sa;
  sa.Set("axis", int64_t{1});
  b.Output(b.Op("Softmax", "sm", {y}, sa));
  RunPass(b.g, FuseGemmBiasAct);
  EXPECT_EQ(CountOp(b.g, "GemmBiasAct"), 0);
}

}  // namespace
}  // namespace edgeinfer::testing
