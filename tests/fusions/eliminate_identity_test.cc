#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

using fusions::EliminateIdentity;

TEST(EliminateIdentity, RemovesIdentityAndDropout) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 4, 4});
  ValueId i = b.Op("Identity", "id", {b.Op("Relu", "r", {x})});
  ValueId d = b.Op("Dropout", "drop", {i});
  b.Output(b.Op("Sigmoid", "s", {d}));
  Graph before = b.g;
  auto rep = RunPass(b.g, EliminateIdentity);
  EXPECT_EQ(b.g.NumLiveNodes(), 2u);
  EXPECT_EQ(rep.fusions.size(), 2u);
  EXPECT_EQ(MaxOutputDiff(before, b.g, RandomInputs(before, 1)), 0.0);
}

TEST(EliminateIdentity, GraphOutputKeepsItsName) {
  Builder b;
  ValueId x = b.Input("x", {1, 3});
  ValueId i = b.Op("Identity", "id", {b.Op("Relu", "r", {x})});
  b.Output(i);
  RunPass(b.g, EliminateIdentity);
  ASSERT_EQ(b.g.NumLiveNodes(), 1u);
  EXPECT_EQ(b.g.value(b.g.outputs()[0]).name, "id_out");
}

TEST(EliminateIdentity, NotRemovedWhenAGraphInputFlowsToTheOutput) {
  Builder b;
  ValueId x = b.Input("x", {1, 3});
  b.Output(b.Op("Identity", "id", {x}));
  auto rep = RunPass(b.g, EliminateIdentity);
  EXPECT_EQ(b.g.NumLiveNodes(), 1u);
  ASSERT_EQ(rep.refusals.size(), 1u);
}

TEST(EliminateIdentity, DropoutWithUsedMaskStays) {
  Builder b;
  ValueId x = b.Input("x", {1, 3});
  ValueId d = b.Op("Dropout", "drop", {b.Op("Relu", "r", {x})}, {}, 2);
  b.Output(d);
  b.Output(b.g.node(b.g.value(d).producer).outputs[1]);
  auto rep = RunPass(b.g, EliminateIdentity);
  EXPECT_EQ(CountOp(b.g, "Dropout"), 1);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("mask"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer::testing
