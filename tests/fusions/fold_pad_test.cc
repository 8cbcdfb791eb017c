#include <limits>

#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

using fusions::FoldPad;

ValueId Pads(Builder& b, std::vector<int64_t> p) {
  return b.Const("pads", Tensor::FromVector(DType::kInt64, {static_cast<int64_t>(p.size())}, p));
}

TEST(FoldPad, FoldsIntoConvAndAveragePool) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 7, 7});
  ValueId p = b.Op("Pad", "pad", {x, Pads(b, {0, 0, 1, 2, 0, 0, 1, 2})});
  b.Output(b.Conv("conv", p, 4, 3, 1, 1));
  Attributes pa;
  pa.Set("kernel_shape", std::vector<int64_t>{3, 3});
  b.Output(b.Op("AveragePool", "avg", {p}, pa));
  Graph before = b.g;
  auto rep = RunPass(b.g, FoldPad);
  EXPECT_EQ(CountOp(b.g, "Pad"), 0);
  for (NodeId id : b.g.NodeIds()) {
    const Node& n = b.g.node(id);
    if (n.op == "Conv") EXPECT_EQ(n.attrs.GetInts("pads"), (std::vector<int64_t>{2, 3, 2, 3}));
    if (n.op == "AveragePool") {
      EXPECT_EQ(n.attrs.GetInts("pads"), (std::vector<int64_t>{1, 2, 1, 2}));
      EXPECT_EQ(n.attrs.GetInt("count_include_pad", 0), 1);
    }
  }
  EXPECT_EQ(rep.CountByKind()["FoldPad"], 1);
  EXPECT_LT(MaxOutputDiff(before, b.g, RandomInputs(before, 2)), 1e-6);
}

TEST(FoldPad, FoldsMinusInfinityPadIntoMaxPool) {
  Builder b;
  ValueId x = b.Input("x", {1, 2, 6, 6});
  ValueId p = b.Op("Pad", "pad", {x, Pads(b, {0, 0, 1, 1, 0, 0, 1, 1}), b.Scalar("v", -std::numeric_limits<float>::infinity())});
  Attributes pa;
  pa.Set("kernel_shape", std::vector<int64_t>{3, 3});
  pa.Set("strides", std::vector<int64_t>{2, 2});
  b.Output(b.Op("MaxPool", "mp", {p}, pa));
  Graph before = b.g;
  RunPass(b.g, FoldPad);
  EXPECT_EQ(CountOp(b.g, "Pad"), 0);
  EXPECT_EQ(MaxOutputDiff(before, b.g, RandomInputs(before, 3)), 0.0);
}

TEST(FoldPad, NotFoldedWhenPadValueIsNotZeroForConv) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 5, 5});
  ValueId p = b.Op("Pad", "pad", {x, Pads(b, {0, 0, 1, 1, 0, 0, 1, 1}), b.Scalar("v", 1.f)});
  b.Output(b.Conv("conv", p, 2, 3));
  auto rep = RunPass(b.g, FoldPad);
  EXPECT_EQ(CountOp(b.g, "Pad"), 1);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("not 0"), std::string::npos);
}

TEST(FoldPad, NotFoldedWhenChannelsArePadded) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 5, 5});
  ValueId p = b.Op("Pad", "pad", {x, Pads(b, {0, 1, 0, 0, 0, 0, 0, 0})});
  b.Output(b.Conv("conv", p, 2, 3));
  auto rep = RunPass(b.g, FoldPad);
  EXPECT_EQ(CountOp(b.g, "Pad"), 1);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("channel"), std::string::npos);
}

TEST(FoldPad, NotFoldedWhenAConsumerCannotAbsorbIt) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 5, 5});
  ValueId p = b.Op("Pad", "pad", {x, Pads(b, {0, 0, 1, 1, 0, 0, 1, 1})});
  b.Output(b.Conv("conv", p, 2, 3));
  b.Output(b.Op("Relu", "r", {p}));
  auto rep = RunPass(b.g, FoldPad);
  EXPECT_EQ(CountOp(b.g, "Pad"), 1);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("cannot absorb"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer::testing
