// INT8 kernel helpers: small goldens checked by hand. The full fused-op sweep against an
// independent formulation is tests/graph/ops/fused_test.cc.
#include <gtest/gtest.h>

#include "graph/quant/int8_kernels.h"

namespace edgeinfer::int8 {
namespace {

TEST(Int8Kernels, RoundedDivideIsHalfAwayFromZero) {
  EXPECT_EQ(RoundedDivide(5, 2), 3);
  EXPECT_EQ(RoundedDivide(-5, 2), -3);
  EXPECT_EQ(RoundedDivide(4, 3), 1);
  EXPECT_EQ(RoundedDivide(-4, 3), -1);
  EXPECT_EQ(RoundedDivide(9, 9), 1);
}

TEST(Int8Kernels, ResolvesSameUpperPads) {
  Attributes a;
  a.Set("auto_pad", std::string("SAME_UPPER"));
  a.Set("strides", std::vector<int64_t>{2, 2});
  auto g = ResolveConv2D(a, {1, 3, 7, 8}, {4, 3, 3, 3});
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->oh, 4);
  EXPECT_EQ(g->ow, 4);
  EXPECT_EQ(g->pad_t, 1);
  EXPECT_EQ(g->pad_b, 1);
  EXPECT_EQ(g->pad_l, 0);   // total 1 on W: the odd pad goes to the end
  EXPECT_EQ(g->pad_r, 1);
}

TEST(Int8Kernels, GroupMismatchIsAnError) {
  Attributes a;
  a.Set("group", int64_t{3});
  auto g = ResolveConv2D(a, {1, 4, 5, 5}, {3, 1, 1, 1});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("group=3"), std::string::npos);
}

TEST(Int8Kernels, ReluLutGolden) {
  ops::ActParams relu{ops::ActKind::kRelu};
  auto lut = BuildActivationLut(relu, 0.1f, 0.2f);
  EXPECT_EQ(lut[0], 0);          // -128 * 0.1 -> relu 0
  EXPECT_EQ(lut[128], 0);        // 0
  EXPECT_EQ(lut[128 + 3], 2);    // 0.3 / 0.2 = 1.5 -> half to even 2
  EXPECT_EQ(lut[128 + 5], 2);    // 0.5 / 0.2 = 2.5 -> 2
  EXPECT_EQ(lut[255], 64);       // 12.7 / 0.2 = 63.5 -> 64
}

TEST(Int8Kernels, ClampBoundsComeFromYScale) {
  ops::ActParams clip{ops::ActKind::kClip, 0.f, 0.f, 0.f, 6.f};
  auto e = MakeEpilogue(clip, true, 0.1f, {0.1f}, 0.1f, 0.f, false, 0.f);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->lo, 0);
  EXPECT_EQ(e->hi, 60);
  // acc 10000 * (0.1*0.1/0.1 = 0.1) = 1000 -> clamped to 60.
  EXPECT_EQ(ApplyEpilogue(*e, 10000, 0, 0), 60);
  EXPECT_EQ(ApplyEpilogue(*e, -50, 0, 0), 0);
  EXPECT_EQ(ApplyEpilogue(*e, 125, 0, 0), 13);   // 12.5 -> 13 (half away from zero)
}

TEST(Int8Kernels, AveragePoolCountsPaddingOnlyWhenAsked) {
  // 2x2 input, 3x3 window with pad 1: one output covering all four values plus padding.
  int8_t x[4] = {10, 20, 30, 41};
  int8_t y = 0;
  Pool2DParams p;
  p.is_max = false;
  p.kh = p.kw = 3;
  p.stride_h = p.stride_w = 1;
  p.pad_t = p.pad_l = 1;
  Pool2D(p, 1, 1, 2, 2, x, 1, 1, &y);
  EXPECT_EQ(y, 25);   // 101 / 4 = 25.25
  p.count_include_pad = true;
  Pool2D(p, 1, 1, 2, 2, x, 1, 1, &y);
  EXPECT_EQ(y, 11);   // window inside the padded input (rows -1..1, cols -1..1): 101 / 9 = 11.2
}

}  // namespace
}  // namespace edgeinfer::int8
