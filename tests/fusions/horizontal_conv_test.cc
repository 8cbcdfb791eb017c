#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

using fusions::FuseConvBiasAct;
using fusions::FuseHorizontalConv;

TEST(HorizontalConv, MergesInceptionStyleSiblingsAndMatchesTheChain) {
  Builder b;
  ValueId x = b.Input("x", {1, 16, 9, 9});
  ValueId a = b.Op("Relu", "ra", {b.Conv("a", x, 8, 1)});
  ValueId c = b.Op("Relu", "rc", {b.Conv("c", x, 4, 1)});
  ValueId d = b.Op("Relu", "rd", {b.Conv("d", x, 6, 1, 1, 0, /*bias=*/false)});
  ValueId e = b.Conv("e", x, 5, 3, 1, 1);   // different kernel: stays
  b.Output(a);
  b.Output(b.Conv("after_c", c, 3, 3, 1, 1));
  b.Output(d);
  b.Output(e);
  Graph before = b.g;
  RunPass(b.g, FuseConvBiasAct);
  auto rep = RunPass(b.g, FuseHorizontalConv);
  EXPECT_EQ(rep.CountByKind()["HorizontalConv"], 1);
  EXPECT_EQ(CountOp(b.g, "Split"), 1);
  NodeId merged = kNoNode;
  for (NodeId id : b.g.NodeIds()) if (b.g.node(id).name == "a+c+d") merged = id;
  ASSERT_NE(merged, kNoNode) << b.g.DumpText();
  EXPECT_EQ(b.g.node(merged).op, "ConvBiasAct");
  EXPECT_EQ(b.g.value(b.g.node(merged).inputs[1]).shape.dims, (std::vector<int64_t>{18, 16, 1, 1}));
  // Convolutions of the merged node sum the same terms in the same order: exact.
  EXPECT_EQ(MaxOutputDiff(before, b.g, RandomInputs(before, 1)), 0.0);
  // The 3x3 sibling is reported.
  bool reported = false;
  for (const auto& r : rep.refusals) reported = reported || r.node == "e";
  EXPECT_TRUE(reported);
}

TEST(HorizontalConv, NotMergedWhenStridesDiffer) {
  Builder b;
  ValueId x = b.Input("x", {1, 8, 8, 8});
  b.Output(b.Conv("a", x, 4, 1, 1));
  b.Output(b.Conv("b", x, 4, 1, 2));
  auto rep = RunPass(b.g, FuseHorizontalConv);
  EXPECT_EQ(CountOp(b.g, "Split"), 0);
  EXPECT_EQ(rep.refusals.size(), 2u);
}

TEST(HorizontalConv, NotMergedWhenGrouped) {
  Builder b;
  ValueId x = b.Input("x", {1, 8, 8, 8});
  b.Output(b.Conv("a", x, 8, 3, 1, 1, true, 8));
  b.Output(b.Conv("b", x, 8, 3, 1, 1, true, 8));
  auto rep = RunPass(b.g, FuseHorizontalConv);
  EXPECT_EQ(CountOp(b.g, "Split"), 0);
  ASSERT_EQ(rep.refusals.size(), 2u);
  EXPECT_NE(rep.refusals[0].reason.find("group"), std::string::npos);
}

TEST(HorizontalConv, NotMergedWhenActivationsDiffer) {
  Builder b;
  ValueId x = b.Input("x", {1, 8, 8, 8});
  b.Output(b.Op("Relu", "ra", {b.Conv("a", x, 4, 1)}));
  b.Output(b.Op("Sigmoid", "sb", {b.Conv("b", x, 4, 1)}));
  RunPass(b.g, FuseConvBiasAct);
  RunPass(b.g, FuseHorizontalConv);
  EXPECT_EQ(CountOp(b.g, "Split"), 0);
  EXPECT_EQ(CountOp(b.g, "ConvBiasAct"), 2);
}

}  // namespace
}  // namespace edgeinfer::testing
