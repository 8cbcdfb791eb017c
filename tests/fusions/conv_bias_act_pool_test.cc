#include "fusions/passes.h"
#include "tests/fusions/fusion_test_util.h"

namespace edgeinfer::testing {
namespace {

using fusions::FuseConvBiasAct;
using fusions::FuseConvBiasActPool;

Attributes PoolAttrs(int64_t k, int64_t s, int64_t p, int64_t ceil = 0) {
  Attributes a;
  a.Set("kernel_shape", std::vector<int64_t>{k, k});
  a.Set("strides", std::vector<int64_t>{s, s});
  a.Set("pads", std::vector<int64_t>{p, p, p, p});
  if (ceil) a.Set("ceil_mode", ceil);
  return a;
}

TEST(ConvBiasActPool, FusesConvReluMaxPoolAndMatchesTheChain) {
  for (const std::string pool : {"MaxPool", "AveragePool"}) {
    Builder b;
    ValueId x = b.Input("x", {2, 3, 13, 13});
    ValueId c = b.Conv("conv", x, 6, 3, 2, 1);
    ValueId r = b.Op("Relu", "relu", {c});
    Attributes pa = PoolAttrs(3, 2, 1, 1);
    if (pool == "AveragePool") pa.Set("count_include_pad", int64_t{1});
    b.Output(b.Op(pool, "pool", {r}, pa));
    Graph before = b.g;
    RunPass(b.g, FuseConvBiasAct);
    auto rep = RunPass(b.g, FuseConvBiasActPool);
    ASSERT_EQ(b.g.NumLiveNodes(), 1u) << pool;
    const Node& n = b.g.node(b.g.NodeIds()[0]);
    EXPECT_EQ(n.op, "ConvBiasActPool");
    EXPECT_EQ(n.attrs.GetString("pool", ""), pool);
    EXPECT_EQ(n.attrs.GetString("activation", ""), "Relu");
    EXPECT_EQ(n.attrs.GetInts("pool_kernel_shape"), (std::vector<int64_t>{3, 3}));
    EXPECT_EQ(n.attrs.GetInt("pool_ceil_mode", 0), 1);
    EXPECT_EQ(rep.CountByKind()["ConvBiasActPool"], 1);
    EXPECT_EQ(MaxOutputDiff(before, b.g, RandomInputs(before, 9)), 0.0) << pool;
  }
}

TEST(ConvBiasActPool, FusesABareConvAndPool) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 8, 8});
  ValueId c = b.Conv("conv", x, 4, 3, 1, 1);
  b.Output(b.Op("MaxPool", "pool", {c}, PoolAttrs(2, 2, 0)));
  Graph before = b.g;
  RunPass(b.g, FuseConvBiasActPool);
  ASSERT_EQ(CountOp(b.g, "ConvBiasActPool"), 1);
  EXPECT_FALSE(b.g.node(b.g.NodeIds()[0]).attrs.Has("activation"));
  EXPECT_EQ(MaxOutputDiff(before, b.g, RandomInputs(before, 10)), 0.0);
}

TEST(ConvBiasActPool, NotFusedWhenConvOutputIsAlsoUsedElsewhere) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 8, 8});
  ValueId c = b.Conv("conv", x, 4, 3, 1, 1);
  b.Output(b.Op("MaxPool", "pool", {c}, PoolAttrs(2, 2, 0)));
  b.Output(c);
  auto rep = RunPass(b.g, FuseConvBiasActPool);
  EXPECT_EQ(CountOp(b.g, "ConvBiasActPool"), 0);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("graph output"), std::string::npos);
}

TEST(ConvBiasActPool, NotFusedWhenPoolUsesAutoPad) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 8, 8});
  ValueId c = b.Conv("conv", x, 4, 3, 1, 1);
  Attributes pa;
  pa.Set("kernel_shape", std::vector<int64_t>{3, 3});
  pa.Set("auto_pad", std::string("SAME_UPPER"));
  b.Output(b.Op("MaxPool", "pool", {c}, pa));
  auto rep = RunPass(b.g, FuseConvBiasActPool);
  EXPECT_EQ(CountOp(b.g, "ConvBiasActPool"), 0);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("auto_pad"), std::string::npos);
}

TEST(ConvBiasActPool, NotFusedWhenPoolIsDilated) {
  Builder b;
  ValueId x = b.Input("x", {1, 3, 9, 9});
  ValueId c = b.Conv("conv", x, 4, 3, 1, 1);
  Attributes pa = PoolAttrs(2, 1, 0);
  pa.Set("dilations", std::vector<int64_t>{2, 2});
  b.Output(b.Op("MaxPool", "pool", {c}, pa));
  auto rep = RunPass(b.g, FuseConvBiasActPool);
  EXPECT_EQ(CountOp(b.g, "ConvBiasActPool"), 0);
  ASSERT_EQ(rep.refusals.size(), 1u);
  EXPECT_NE(rep.refusals[0].reason.find("dilated"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer::testing
