#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

using fusions::MarkConcatInPlace;

TEST(ConcatInPlace, MarksConcatAndProducersWithOffsets) {
  Builder b;
  ValueId x = b.Input("x", {1, 4, 5, 5});
  ValueId a = b.Conv("a", x, 3, 1);
  ValueId c = b.Conv("c", x, 5, 3, 1, 1);
  Attributes ca;
  ca.Set("axis", int64_t{1});
  b.Output(b.Op("Concat", "cat", {a, c}, ca));
  Graph before = b.g;
  auto rep = RunPass(b.g, MarkConcatInPlace);
  EXPECT_EQ(rep.CountByKind()["ConcatInPlace"], 1);
  for (NodeId id : b.g.NodeIds()) {
    const Node& n = b.g.node(id);
    if (n.op == "Concat") EXPECT_EQ(n.attrs.GetInt("in_place", 0), 1);
    if (n.name == "a") EXPECT_EQ(n.attrs.GetInts("concat_offset"), (std::vector<int64_t>{0}));
    if (n.name == "c") EXPECT_EQ(n.attrs.GetInts("concat_offset"), (std::vector<int64_t>{3}));
  }
  EXPECT_EQ(MaxOutputDiff(before, b.g, RandomInputs(before, 1)), 0.0);
}

TEST(ConcatInPlace, NotMarkedWhenAnInputIsAGraphInput) {
  Builder b;
  ValueId x = b.Input("x", {1, 4, 5, 5});
  Attributes ca;
  ca.Set("axis", int64_t{1});
  b.Output(b.Op("Concat", "cat", {x, b.Conv("a", x, 3, 1)}, ca));
  auto rep = RunPass(b.g, MarkConcatInPlace);
  EXPECT_EQ(rep.CountByKind()["ConcatInPlace"], 0);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("graph input"), std::string::npos);
}

TEST(ConcatInPlace, NotMarkedWhenAnInputHasAnotherConsumer) {
  Builder b;
  ValueId x = b.Input("x", {1, 4, 5, 5});
  ValueId a = b.Conv("a", x, 3, 1);
  Attributes ca;
  ca.Set("axis", int64_t{1});
  b.Output(b.Op("Concat", "cat", {a, b.Conv("c", x, 3, 1)}, ca));
  b.Output(b.Op("Relu", "r", {a}));
  auto rep = RunPass(b.g, MarkConcatInPlace);
  EXPECT_EQ(rep.CountByKind()["ConcatInPlace"], 0);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("consumers"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer::testing
