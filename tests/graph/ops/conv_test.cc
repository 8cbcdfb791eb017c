// Conv / ConvTranspose: hand-checked goldens, seeded sweeps against an im2col+matmul formulation
// written here, depthwise vs per-channel convolutions, 1-D vs 2-D, the conv/transposed-conv adjoint
// identity, and inference errors.
#include "graph/ops/conv.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/graph/ops/op_test_util.h"

namespace edgeinfer {
namespace {

using testing::F32;
using testing::RunOp;
using testing::Values;

std::vector<float> Iota(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
  return v;
}

std::vector<float> Rand(std::mt19937& rng, int64_t n) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = u(rng);
  return v;
}

Attributes Attrs(std::vector<int64_t> strides, std::vector<int64_t> pads, std::vector<int64_t> dil, int64_t group) {
  Attributes a;
  if (!strides.empty()) a.Set("strides", strides);
  if (!pads.empty()) a.Set("pads", pads);
  if (!dil.empty()) a.Set("dilations", dil);
  a.Set("group", group);
  return a;
}

TEST(Conv, GoldenNoPad) {
  Tensor x = F32({1, 1, 3, 3}, Iota(9)), w = F32({1, 1, 2, 2}, {1, 1, 1, 1});
  auto r = RunOp("Conv", {&x, &w});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{8, 12, 20, 24}));
}

TEST(Conv, GoldenStridesPaddingAndBias) {
  // ONNX's conv_with_strides_padding example: 5x5 ramp, 3x3 ones, pads 1, stride 2; bias 0.5.
  Tensor x = F32({1, 1, 5, 5}, Iota(25)), w = F32({1, 1, 3, 3}, std::vector<float>(9, 1.f)), b = F32({1}, {0.5f});
  auto r = RunOp("Conv", {&x, &w, &b}, Attrs({2, 2}, {1, 1, 1, 1}, {}, 1));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<float>((*r)[0]),
            (std::vector<float>{12.5, 27.5, 24.5, 63.5, 108.5, 81.5, 72.5, 117.5, 84.5}));
}

TEST(Conv, AutoPadSameUpperAndLower) {
  Tensor x = F32({1, 1, 4, 4}, Iota(16)), w = F32({1, 1, 2, 2}, {1, 1, 1, 1});
  Attributes a;
  a.Set("auto_pad", std::string("SAME_UPPER"));
  auto up = RunOp("Conv", {&x, &w}, a);
  ASSERT_TRUE(up.ok()) << up.status().message();
  EXPECT_EQ((*up)[0].dims(), (std::vector<int64_t>{1, 1, 4, 4}));
  // Extra pad at the end: the last row/col sees zeros. y[0,0] = 0+1+4+5; y[3,3] = 15.
  EXPECT_EQ(Values<float>((*up)[0])[0], 10.f);
  EXPECT_EQ(Values<float>((*up)[0])[15], 15.f);
  a.Set("auto_pad", std::string("SAME_LOWER"));
  auto lo = RunOp("Conv", {&x, &w}, a);
  ASSERT_TRUE(lo.ok());
  EXPECT_EQ(Values<float>((*lo)[0])[0], 0.f);        // only x[0,0] inside the window
  EXPECT_EQ(Values<float>((*lo)[0])[15], 10.f + 11 + 14 + 15);
}

// Independent formulation: explicit zero-padded input, im2col matrix, then a matmul per group.
std::vector<float> Im2colConv2d(const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& b,
                                int64_t n, int64_t c, int64_t h, int64_t wd, int64_t m, int64_t kh, int64_t kw,
                                int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t pt, int64_t pl, int64_t pb,
                                int64_t pr, int64_t g, int64_t* oh_out, int64_t* ow_out) {
  const int64_t hp = h + pt + pb, wp = wd + pl + pr;
  std::vector<float> xp(static_cast<size_t>(n * c * hp * wp), 0.f);
  for (int64_t i = 0; i < n * c; ++i)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t z = 0; z < wd; ++z) xp[static_cast<size_t>((i * hp + y + pt) * wp + z + pl)] = x[static_cast<size_t>((i * h + y) * wd + z)];
  const int64_t oh = (hp - ((kh - 1) * dh + 1)) / sh + 1, ow = (wp - ((kw - 1) * dw + 1)) / sw + 1;
  *oh_out = oh;
  *ow_out = ow;
  const int64_t cg = c / g, mg = m / g, rows = cg * kh * kw, cols = oh * ow;
  std::vector<float> y(static_cast<size_t>(n * m * cols));
  std::vector<float> col(static_cast<size_t>(rows * cols));
  for (int64_t in = 0; in < n; ++in) {
    for (int64_t gi = 0; gi < g; ++gi) {
      for (int64_t ci = 0; ci < cg; ++ci)
        for (int64_t a = 0; a < kh; ++a)
          for (int64_t bb = 0; bb < kw; ++bb)
            for (int64_t oy = 0; oy < oh; ++oy)
              for (int64_t ox = 0; ox < ow; ++ox)
                col[static_cast<size_t>(((ci * kh + a) * kw + bb) * cols + oy * ow + ox)] =
                    xp[static_cast<size_t>(((in * c + gi * cg + ci) * hp + oy * sh + a * dh) * wp + ox * sw + bb * dw)];
      for (int64_t mi = 0; mi < mg; ++mi) {
        const int64_t mm = gi * mg + mi;
        for (int64_t j = 0; j < cols; ++j) {
          double acc = b.empty() ? 0.0 : b[static_cast<size_t>(mm)];
          for (int64_t r = 0; r < rows; ++r) acc += static_cast<double>(w[static_cast<size_t>(mm * rows + r)]) * col[static_cast<size_t>(r * cols + j)];
          y[static_cast<size_t>((in * m + mm) * cols + j)] = static_cast<float>(acc);
        }
      }
    }
  }
  return y;
}

TEST(Conv, RandomSweepAgainstIm2col) {
  const uint32_t seed = 20261122;
  std::mt19937 rng(seed);
  auto pick = [&](int lo, int hi) { return static_cast<int64_t>(std::uniform_int_distribution<int>(lo, hi)(rng)); };
  for (int iter = 0; iter < 150; ++iter) {
    const int64_t g = pick(1, 3), n = pick(1, 2), c = g * pick(1, 3), m = g * pick(1, 3);
    const int64_t kh = pick(1, 3), kw = pick(1, 3), sh = pick(1, 3), sw = pick(1, 3), dh = pick(1, 2), dw = pick(1, 2);
    const int64_t pt = pick(0, 2), pl = pick(0, 2), pb = pick(0, 2), pr = pick(0, 2);
    const int64_t h = std::max<int64_t>(pick(1, 9), (kh - 1) * dh + 1), wd = std::max<int64_t>(pick(1, 9), (kw - 1) * dw + 1);
    const bool bias = pick(0, 1) == 1;
    auto xv = Rand(rng, n * c * h * wd), wv = Rand(rng, m * (c / g) * kh * kw), bv = bias ? Rand(rng, m) : std::vector<float>{};
    int64_t oh = 0, ow = 0;
    auto expect = Im2colConv2d(xv, wv, bv, n, c, h, wd, m, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, g, &oh, &ow);
    Tensor x = F32({n, c, h, wd}, xv), w = F32({m, c / g, kh, kw}, wv), b = bias ? F32({m}, bv) : Tensor();
    auto r = RunOp("Conv", {&x, &w, bias ? &b : nullptr}, Attrs({sh, sw}, {pt, pl, pb, pr}, {dh, dw}, g));
    ASSERT_TRUE(r.ok()) << "seed " << seed << " iter " << iter << ": " << r.status().message();
    ASSERT_EQ((*r)[0].dims(), (std::vector<int64_t>{n, m, oh, ow})) << "seed " << seed << " iter " << iter;
    auto got = Values<float>((*r)[0]);
    for (size_t i = 0; i < got.size(); ++i) {
      // Tolerance: float accumulation vs double, at most 3*3*9 terms of magnitude <= 1.
      ASSERT_NEAR(got[i], expect[i], 1e-5f) << "seed " << seed << " iter " << iter << " at " << i;
    }
  }
}

TEST(Conv, DepthwiseEqualsPerChannelConvs) {
  const uint32_t seed = 7;
  std::mt19937 rng(seed);
  const int64_t c = 5, h = 7, wd = 6;
  auto xv = Rand(rng, c * h * wd), wv = Rand(rng, c * 9);
  Tensor x = F32({1, c, h, wd}, xv), w = F32({c, 1, 3, 3}, wv);
  auto dw = RunOp("Conv", {&x, &w}, Attrs({2, 1}, {1, 1, 1, 1}, {}, c));
  ASSERT_TRUE(dw.ok()) << dw.status().message();
  auto all = Values<float>((*dw)[0]);
  const int64_t per = all.size() / c;
  for (int64_t ci = 0; ci < c; ++ci) {
    Tensor xc = F32({1, 1, h, wd}, std::vector<float>(xv.begin() + ci * h * wd, xv.begin() + (ci + 1) * h * wd));
    Tensor wc = F32({1, 1, 3, 3}, std::vector<float>(wv.begin() + ci * 9, wv.begin() + (ci + 1) * 9));
    auto one = RunOp("Conv", {&xc, &wc}, Attrs({2, 1}, {1, 1, 1, 1}, {}, 1));
    ASSERT_TRUE(one.ok());
    auto v = Values<float>((*one)[0]);
    for (int64_t i = 0; i < per; ++i) ASSERT_EQ(all[static_cast<size_t>(ci * per + i)], v[static_cast<size_t>(i)]) << "seed " << seed;
  }
}

TEST(Conv, OneDAndThreeDMatchTwoD) {
  const uint32_t seed = 11;
  std::mt19937 rng(seed);
  auto xv = Rand(rng, 2 * 3 * 10), wv = Rand(rng, 4 * 3 * 3);
  Tensor x1 = F32({2, 3, 10}, xv), w1 = F32({4, 3, 3}, wv);
  Tensor x2 = F32({2, 3, 1, 10}, xv), w2 = F32({4, 3, 1, 3}, wv);
  Tensor x3 = F32({2, 3, 1, 1, 10}, xv), w3 = F32({4, 3, 1, 1, 3}, wv);
  auto r1 = RunOp("Conv", {&x1, &w1}, Attrs({2}, {1, 2}, {2}, 1));
  auto r2 = RunOp("Conv", {&x2, &w2}, Attrs({1, 2}, {0, 1, 0, 2}, {1, 2}, 1));
  auto r3 = RunOp("Conv", {&x3, &w3}, Attrs({1, 1, 2}, {0, 0, 1, 0, 0, 2}, {1, 1, 2}, 1));
  ASSERT_TRUE(r1.ok() && r2.ok() && r3.ok());
  EXPECT_EQ((*r1)[0].dims(), (std::vector<int64_t>{2, 4, 5}));
  EXPECT_EQ(Values<float>((*r1)[0]), Values<float>((*r2)[0]));
  EXPECT_EQ(Values<float>((*r1)[0]), Values<float>((*r3)[0]));
}

TEST(ConvTranspose, GoldenOnnxExample) {
  Tensor x = F32({1, 1, 3, 3}, Iota(9)), w = F32({1, 2, 3, 3}, std::vector<float>(18, 1.f));
  auto r = RunOp("ConvTranspose", {&x, &w});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{1, 2, 5, 5}));
  std::vector<float> plane = {0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15, 9, 20, 33, 24, 13, 6, 13, 21, 15, 8};
  std::vector<float> both = plane;
  both.insert(both.end(), plane.begin(), plane.end());
  EXPECT_EQ(Values<float>((*r)[0]), both);
}

TEST(ConvTranspose, OutputShapeAndSamePads) {
  Tensor x = F32({1, 1, 3, 3}, Iota(9)), w = F32({1, 2, 3, 3}, std::vector<float>(18, 1.f));
  Attributes a;
  a.Set("strides", std::vector<int64_t>{3, 2});
  a.Set("output_shape", std::vector<int64_t>{10, 8});
  auto r = RunOp("ConvTranspose", {&x, &w}, a);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{1, 2, 10, 8}));
  Attributes s;
  s.Set("strides", std::vector<int64_t>{2, 2});
  s.Set("auto_pad", std::string("SAME_UPPER"));
  auto q = RunOp("ConvTranspose", {&x, &w}, s);
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ((*q)[0].dims(), (std::vector<int64_t>{1, 2, 6, 6}));
}

// <conv(x, w), y> == <x, conv_transpose(y, w)>: ConvTranspose is the adjoint of Conv with the
// same weights, whatever the strides, pads, dilations and groups.
TEST(ConvTranspose, AdjointOfConvRandomSweep) {
  const uint32_t seed = 99;
  std::mt19937 rng(seed);
  auto pick = [&](int lo, int hi) { return static_cast<int64_t>(std::uniform_int_distribution<int>(lo, hi)(rng)); };
  for (int iter = 0; iter < 100; ++iter) {
    const int64_t g = pick(1, 2), c = g * pick(1, 2), m = g * pick(1, 3), k = pick(1, 3), s = pick(1, 3), d = pick(1, 2);
    const int64_t p0 = pick(0, 2), p1 = pick(0, 2), h = std::max<int64_t>(pick(2, 9), (k - 1) * d + 1), wd = std::max<int64_t>(pick(2, 9), (k - 1) * d + 1);
    auto xv = Rand(rng, c * h * wd), wv = Rand(rng, m * (c / g) * k * k);
    Tensor x = F32({1, c, h, wd}, xv), w = F32({m, c / g, k, k}, wv);
    Attributes a = Attrs({s, s}, {p0, p1, p1, p0}, {d, d}, g);
    auto y = RunOp("Conv", {&x, &w}, a);
    ASSERT_TRUE(y.ok()) << y.status().message();
    const int64_t oh = (*y)[0].dim(2), ow = (*y)[0].dim(3);
    auto yv = Rand(rng, m * oh * ow);
    Tensor yt = F32({1, m, oh, ow}, yv);
    const int64_t dk = (k - 1) * d + 1;
    a.Set("output_padding", std::vector<int64_t>{(h + p0 + p1 - dk) % s, (wd + p1 + p0 - dk) % s});
    auto xt = RunOp("ConvTranspose", {&yt, &w}, a);
    ASSERT_TRUE(xt.ok()) << "seed " << seed << " iter " << iter << ": " << xt.status().message();
    ASSERT_EQ((*xt)[0].dims(), x.dims()) << "seed " << seed << " iter " << iter;
    double lhs = 0, rhs = 0;
    auto cy = Values<float>((*y)[0]), cx = Values<float>((*xt)[0]);
    for (size_t i = 0; i < yv.size(); ++i) lhs += static_cast<double>(cy[i]) * yv[i];
    for (size_t i = 0; i < xv.size(); ++i) rhs += static_cast<double>(cx[i]) * xv[i];
    ASSERT_NEAR(lhs, rhs, 1e-3) << "seed " << seed << " iter " << iter;
  }
}

Status InferConvShapes(const Shape& x, const Shape& w, Attributes a, Shape* out = nullptr,
                       DType t = DType::kFloat32, const char* op = "Conv") {
  std::vector<Shape> os;
  Status s = testing::InferOp(op, {t, DType::kFloat32}, {x, w}, {}, std::move(a), 1, nullptr, &os);
  if (s.ok() && out) *out = os[0];
  return s;
}

TEST(ConvInfer, Errors) {
  Attributes g3;
  g3.Set("group", int64_t{3});
  Status s = InferConvShapes(Shape{1, 64, 8, 8}, Shape{30, 21, 3, 3}, g3);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Conv 'n': group=3 does not divide 64 input channels"), std::string::npos) << s.message();

  s = InferConvShapes(Shape{1, 3, 4, 4}, Shape{8, 3, 7, 3}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("larger than the padded input"), std::string::npos) << s.message();

  s = InferConvShapes(Shape{1, 3, 8, 8}, Shape{8, 3, 3}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("W rank equals X rank"), std::string::npos) << s.message();

  s = InferConvShapes(Shape{1, 4, 8, 8}, Shape{8, 3, 3, 3}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("W[1] * group == C"), std::string::npos) << s.message();

  Attributes ks;
  ks.Set("kernel_shape", std::vector<int64_t>{5, 5});
  s = InferConvShapes(Shape{1, 3, 8, 8}, Shape{8, 3, 3, 3}, ks);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("kernel_shape"), std::string::npos) << s.message();

  s = InferConvShapes(Shape{1, 3, 8, 8}, Shape{8, 3, 3, 3}, {}, nullptr, DType::kInt8);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("int8"), std::string::npos) << s.message();

  Attributes bad;
  bad.Set("auto_pad", std::string("SAME"));
  s = InferConvShapes(Shape{1, 3, 8, 8}, Shape{8, 3, 3, 3}, bad);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("auto_pad='SAME'"), std::string::npos) << s.message();

  s = InferConvShapes(Shape{1, 3, 2, 8, 8, 8}, Shape{8, 3, 1, 3, 3, 3}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("supported are 3 to 5"), std::string::npos) << s.message();
}

TEST(ConvInfer, SymbolicBatchAndSame) {
  Shape x{kDynamic, 3, 224, 224};
  Attributes a;
  a.Set("strides", std::vector<int64_t>{2, 2});
  a.Set("auto_pad", std::string("SAME_UPPER"));
  Shape out;
  ASSERT_TRUE(InferConvShapes(x, Shape{32, 3, 3, 3}, a, &out).ok());
  EXPECT_EQ(out, (Shape{kDynamic, 32, 112, 112}));
  Node node;
  node.op = "Conv";
  node.attrs = a;
  ops::ConvParams p = *ops::ParseConv(node, Shape{1, 3, 224, 224}, Shape{32, 3, 3, 3});
  EXPECT_EQ(p.pads_begin, (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(p.pads_end, (std::vector<int64_t>{1, 1}));
}

}  // namespace
}  // namespace edgeinfer
