#include <map>

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

// The device capabilities (pass options, as fusions::CompileForDevice sets them).
fusions::CompileReport RunWithOptions(Graph& g, std::map<std::string, std::string> options) {
  fusions::CompileReport r;
  fusions::PassContext ctx;
  ctx.report = &r;
  ctx.pass = "concat_in_place";
  ctx.options = std::move(options);
  Status s = MarkConcatInPlace(g, ctx);
  EXPECT_TRUE(s.ok()) << s.message();
  return r;
}

std::vector<std::string> IntoOf(const Graph& g, const std::string& node) {
  for (NodeId id : g.NodeIds()) {
    const Node& n = g.node(id);
    if (n.name != node) continue;
    auto it = n.attrs.all().find("concat_into");
    if (it == n.attrs.all().end()) return {};
    if (auto* v = std::get_if<std::vector<std::string>>(&it->second)) return *v;
  }
  return {};
}

TEST(ConcatInPlace, PartialMarksTheQualifyingInputsOnly) {
  Builder b;
  ValueId x = b.Input("x", {1, 4, 5, 5});
  Attributes ca;
  ca.Set("axis", int64_t{1});
  b.Output(b.Op("Concat", "cat", {x, b.Conv("a", x, 3, 1)}, ca));
  auto rep = RunWithOptions(b.g, {{"concat_partial", "1"}});
  EXPECT_EQ(rep.CountByKind()["ConcatInPlace"], 1);
  EXPECT_EQ(IntoOf(b.g, "a"), (std::vector<std::string>{"cat"}));
  for (NodeId id : b.g.NodeIds()) {
    const Node& n = b.g.node(id);
    if (n.op == "Concat") EXPECT_EQ(n.attrs.GetInt("in_place", 0), 0);   // not every input: the Concat copies x
    if (n.name == "a") EXPECT_EQ(n.attrs.GetInts("concat_offset"), (std::vector<int64_t>{4}));
  }
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("graph input"), std::string::npos);
}

TEST(ConcatInPlace, NotMarkedWhenTheDeviceLayoutMakesSlicesStrided) {
  Builder b;
  ValueId x = b.Input("x", {1, 4, 5, 5});
  Attributes ca;
  ca.Set("axis", int64_t{1});
  b.Output(b.Op("Concat", "cat", {b.Conv("a", x, 3, 1), b.Conv("c", x, 3, 1)}, ca));
  auto rep = RunWithOptions(b.g, {{"concat_layout", "nhwc"}, {"concat_partial", "1"}});
  EXPECT_EQ(rep.CountByKind()["ConcatInPlace"], 0);
  EXPECT_TRUE(IntoOf(b.g, "a").empty());
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("nhwc"), std::string::npos) << rep.refusals[0].reason;
  // The same Concat in NCHW at batch 1 is contiguous: marked.
  Builder b2;
  ValueId x2 = b2.Input("x", {1, 4, 5, 5});
  b2.Output(b2.Op("Concat", "cat", {b2.Conv("a", x2, 3, 1), b2.Conv("c", x2, 3, 1)}, ca));
  EXPECT_EQ(RunWithOptions(b2.g, {{"concat_layout", "nchw"}}).CountByKind()["ConcatInPlace"], 1);
}

TEST(ConcatInPlace, NotMarkedWhenAnInputIsMisaligned) {
  // [1, 3, 1, 1] and [1, 5, 1, 1] float: the second input starts at byte 12.
  Builder b;
  ValueId x = b.Input("x", {1, 4, 1, 1});
  Attributes ca;
  ca.Set("axis", int64_t{1});
  b.Output(b.Op("Concat", "cat", {b.Conv("a", x, 3, 1), b.Conv("c", x, 5, 1)}, ca));
  Graph g = b.g;
  auto rep = RunWithOptions(b.g, {{"concat_layout", "nhwc"}, {"concat_align_bytes", "256"}});
  EXPECT_EQ(rep.CountByKind()["ConcatInPlace"], 0);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("byte 12"), std::string::npos) << rep.refusals[0].reason;
  // Partial: the first input (byte 0) is still marked.
  auto rep2 = RunWithOptions(g, {{"concat_layout", "nhwc"}, {"concat_align_bytes", "256"}, {"concat_partial", "1"}});
  EXPECT_EQ(rep2.CountByKind()["ConcatInPlace"], 1);
  EXPECT_EQ(IntoOf(g, "a"), (std::vector<std::string>{"cat"}));
  EXPECT_TRUE(IntoOf(g, "c").empty());
}

}  // namespace
}  // namespace edgeinfer::testing
