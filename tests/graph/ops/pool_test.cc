// Pooling: hand-checked goldens, seeded sweeps against independent formulations (MaxPool over an
// explicitly -inf-padded copy; AveragePool as a depthwise box-filter Conv divided by the count of
// real or padded elements), global vs windowed pooling, and inference errors.
#include "graph/ops/pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
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

Attributes PoolAttrs(std::vector<int64_t> k, std::vector<int64_t> s, std::vector<int64_t> pads, int64_t ceil = 0,
                     int64_t include_pad = 0) {
  Attributes a;
  a.Set("kernel_shape", k);
  if (!s.empty()) a.Set("strides", s);
  if (!pads.empty()) a.Set("pads", pads);
  a.Set("ceil_mode", ceil);
  a.Set("count_include_pad", include_pad);
  return a;
}

TEST(MaxPool, Golden) {
  Tensor x = F32({1, 1, 4, 4}, Iota(16));
  auto r = RunOp("MaxPool", {&x}, PoolAttrs({2, 2}, {2, 2}, {}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{5, 7, 13, 15}));
  // ceil_mode: 3x3 windows, stride 2 on 4x4 -> ceil((4-3)/2)+1 = 2 with the last window clipped.
  auto c = RunOp("MaxPool", {&x}, PoolAttrs({3, 3}, {2, 2}, {}, 1));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)[0].dims(), (std::vector<int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(Values<float>((*c)[0]), (std::vector<float>{10, 11, 14, 15}));
}

TEST(MaxPool, IndicesRowAndColumnMajor) {
  Tensor x = F32({1, 1, 2, 3}, {1, 9, 2, 8, 3, 7});
  Attributes a = PoolAttrs({2, 2}, {1, 1}, {});
  auto r = RunOp("MaxPool", {&x}, a, 2);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{9, 9}));
  EXPECT_EQ(Values<int64_t>((*r)[1]), (std::vector<int64_t>{1, 1}));
  a.Set("storage_order", int64_t{1});
  auto c = RunOp("MaxPool", {&x}, a, 2);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Values<int64_t>((*c)[1]), (std::vector<int64_t>{2, 2}));  // (h=0, w=1) -> 0 + 1*2
}

TEST(MaxPool, Int8AndUint8) {
  Tensor x = testing::T1<int8_t>(DType::kInt8, {1, 1, 2, 2}, {-5, -3, -7, -128});
  auto r = RunOp("MaxPool", {&x}, PoolAttrs({2, 2}, {}, {}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<int8_t>((*r)[0]), (std::vector<int8_t>{-3}));
  Tensor u = testing::T1<uint8_t>(DType::kUInt8, {1, 1, 2, 2}, {5, 200, 7, 0});
  auto q = RunOp("MaxPool", {&u}, PoolAttrs({2, 2}, {}, {}));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(Values<uint8_t>((*q)[0]), (std::vector<uint8_t>{200}));
}

TEST(AveragePool, GoldenPadsWithAndWithoutCountIncludePad) {
  Tensor x = F32({1, 1, 2, 2}, {1, 2, 3, 4});
  // 2x2 window, pads 1 all round, stride 2: windows see exactly one real element each... corner
  // window [(-1,-1)..(0,0)] holds x[0,0]=1 only.
  auto ex = RunOp("AveragePool", {&x}, PoolAttrs({2, 2}, {2, 2}, {1, 1, 1, 1}, 0, 0));
  auto in = RunOp("AveragePool", {&x}, PoolAttrs({2, 2}, {2, 2}, {1, 1, 1, 1}, 0, 1));
  ASSERT_TRUE(ex.ok() && in.ok());
  EXPECT_EQ(Values<float>((*ex)[0]), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(Values<float>((*in)[0]), (std::vector<float>{0.25, 0.5, 0.75, 1}));
}

TEST(Pool, AutoPadSame) {
  Tensor x = F32({1, 1, 5, 5}, Iota(25));
  Attributes a = PoolAttrs({3, 3}, {2, 2}, {});
  a.Set("auto_pad", std::string("SAME_UPPER"));
  auto r = RunOp("MaxPool", {&x}, a);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{1, 1, 3, 3}));
  // total pad 2 -> 1 before, 1 after: windows start at rows/cols -1, 1, 3; maxima at 1, 3, 4.
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{6, 8, 9, 16, 18, 19, 21, 23, 24}));
}

TEST(Pool, GlobalEqualsFullWindow) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(2 * 3 * 4 * 5);
  for (float& e : v) e = u(rng);
  Tensor x = F32({2, 3, 4, 5}, v);
  for (const char* kind : {"Max", "Average"}) {
    auto g = RunOp(std::string("Global") + kind + "Pool", {&x});
    auto w = RunOp(std::string(kind) + "Pool", {&x}, PoolAttrs({4, 5}, {}, {}));
    ASSERT_TRUE(g.ok() && w.ok());
    EXPECT_EQ((*g)[0].dims(), (std::vector<int64_t>{2, 3, 1, 1}));
    auto a = Values<float>((*g)[0]), b = Values<float>((*w)[0]);
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6f) << kind;
  }
}

// INT8 average pooling: the float average of the same integers, rounded half away from zero and
// saturated (docs/int8-arithmetic.md step 5), for random windows, pads, strides and both
// count_include_pad modes, and GlobalAveragePool.
TEST(AveragePool, Int8IsTheRoundedFloatAverage) {
  const uint32_t seed = 99;
  std::mt19937 rng(seed);
  auto pick = [&](int lo, int hi) { return static_cast<int64_t>(std::uniform_int_distribution<int>(lo, hi)(rng)); };
  auto expect_rounded = [](const std::vector<float>& avg, const std::vector<int8_t>& got, const std::string& trace) {
    ASSERT_EQ(avg.size(), got.size()) << trace;
    for (size_t i = 0; i < avg.size(); ++i) {
      const double r = std::round(static_cast<double>(avg[i]));   // std::round: half away from zero
      ASSERT_EQ(static_cast<int>(got[i]), static_cast<int>(std::clamp(r, -128.0, 127.0))) << trace << " element " << i;
    }
  };
  int halves = 0;
  for (int iter = 0; iter < 200; ++iter) {
    const int64_t c = pick(1, 3), kh = pick(1, 3), kw = pick(1, 3), sh = pick(1, 2), sw = pick(1, 2);
    const int64_t pt = pick(0, kh - 1), pl = pick(0, kw - 1), pb = pick(0, kh - 1), pr = pick(0, kw - 1);
    const int64_t h = pick(kh, 7), w = pick(kw, 7);
    std::vector<int8_t> qv(static_cast<size_t>(2 * c * h * w));
    for (int8_t& e : qv) e = static_cast<int8_t>(pick(-128, 127));
    Tensor q = testing::T1<int8_t>(DType::kInt8, {2, c, h, w}, qv);
    Tensor f = F32({2, c, h, w}, std::vector<float>(qv.begin(), qv.end()));
    const std::string trace = "seed " + std::to_string(seed) + " iter " + std::to_string(iter);
    for (int64_t inc = 0; inc <= 1; ++inc) {
      const Attributes a = PoolAttrs({kh, kw}, {sh, sw}, {pt, pl, pb, pr}, 0, inc);
      auto gi = RunOp("AveragePool", {&q}, a);
      auto gf = RunOp("AveragePool", {&f}, a);
      ASSERT_TRUE(gi.ok()) << trace << ": " << gi.status().message();
      ASSERT_TRUE(gf.ok()) << trace;
      ASSERT_EQ((*gi)[0].dtype(), DType::kInt8);
      const auto av = Values<float>((*gf)[0]);
      for (float v : av) halves += std::fabs(v - std::trunc(v)) == 0.5f;
      expect_rounded(av, Values<int8_t>((*gi)[0]), trace + " include_pad=" + std::to_string(inc));
    }
    auto ggi = RunOp("GlobalAveragePool", {&q});
    auto ggf = RunOp("GlobalAveragePool", {&f});
    ASSERT_TRUE(ggi.ok() && ggf.ok()) << trace;
    expect_rounded(Values<float>((*ggf)[0]), Values<int8_t>((*ggi)[0]), trace + " global");
  }
  EXPECT_GT(halves, 0) << "the sweep must exercise exact halves (the rounding rule)";
  // Hand-checked ties: (-3 + -2) / 2 = -2.5 -> -3 and (1 + 2) / 2 = 1.5 -> 2 (away from zero).
  Tensor t = testing::T1<int8_t>(DType::kInt8, {1, 1, 1, 4}, {-3, -2, 1, 2});
  auto r = RunOp("AveragePool", {&t}, PoolAttrs({1, 2}, {1, 2}, {}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<int8_t>((*r)[0]), (std::vector<int8_t>{-3, 2}));
}

// INT8 GlobalAveragePool requantized to its own scale (x_scale / y_scale attributes): the float
// average rescaled and rounded, up to the fixed-point requantization's rounding (gemmlowp's two-step
// rounding, docs/int8-arithmetic.md step 2: at most 1 step off the exactly rounded value);
// hand-checked: 4 values summing to 10 at x 0.1 / y 0.05: 10*0.1/(4*0.05) = 5.
TEST(GlobalAveragePool, Int8RequantizedToItsOwnScale) {
  Attributes a;
  a.Set("x_scale", 0.1f);
  a.Set("y_scale", 0.05f);
  Tensor t = testing::T1<int8_t>(DType::kInt8, {1, 1, 2, 2}, {1, 2, 3, 4});
  auto r = RunOp("GlobalAveragePool", {&t}, a);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<int8_t>((*r)[0]), (std::vector<int8_t>{5}));
  std::mt19937 rng(7);
  int exact = 0, total = 0;
  for (int iter = 0; iter < 50; ++iter) {
    const int64_t c = 1 + rng() % 8, h = 1 + rng() % 7, w = 1 + rng() % 7;
    std::vector<int8_t> qv(static_cast<size_t>(2 * c * h * w));
    for (int8_t& e : qv) e = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
    Tensor q = testing::T1<int8_t>(DType::kInt8, {2, c, h, w}, qv);
    const float xs = 0.01f + 0.001f * static_cast<float>(rng() % 50), ys = xs * (0.05f + 0.01f * static_cast<float>(rng() % 60));
    Attributes s;
    s.Set("x_scale", xs);
    s.Set("y_scale", ys);
    auto g = RunOp("GlobalAveragePool", {&q}, s);
    ASSERT_TRUE(g.ok()) << g.status().message();
    const auto got = Values<int8_t>((*g)[0]);
    for (int64_t p = 0; p < 2 * c; ++p) {
      double sum = 0;
      for (int64_t k = 0; k < h * w; ++k) sum += qv[static_cast<size_t>(p * h * w + k)];
      const double want = std::clamp(std::round(sum * xs / (static_cast<double>(h * w) * ys)), -128.0, 127.0);
      const int diff = std::abs(static_cast<int>(got[static_cast<size_t>(p)]) - static_cast<int>(want));
      ASSERT_LE(diff, 1) << "iter " << iter << " plane " << p;
      exact += diff == 0;
      ++total;
    }
  }
  EXPECT_GT(exact, total / 2);   // the double rounding differs only where the first step lands on a tie
  Attributes bad;
  bad.Set("x_scale", 0.1f);
  bad.Set("y_scale", 0.f);
  auto e = RunOp("GlobalAveragePool", {&t}, bad);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("positive x_scale and y_scale"), std::string::npos) << e.status().message();
}

TEST(Pool, RandomSweepAgainstPaddedAndConvFormulations) {
  const uint32_t seed = 1234;
  std::mt19937 rng(seed);
  auto pick = [&](int lo, int hi) { return static_cast<int64_t>(std::uniform_int_distribution<int>(lo, hi)(rng)); };
  std::uniform_real_distribution<float> u(-1, 1);
  for (int iter = 0; iter < 200; ++iter) {
    const int64_t c = pick(1, 3), kh = pick(1, 3), kw = pick(1, 3), sh = pick(1, 3), sw = pick(1, 3);
    const int64_t pt = pick(0, kh - 1), pl = pick(0, kw - 1), pb = pick(0, kh - 1), pr = pick(0, kw - 1);
    const int64_t h = pick(kh, 8), w = pick(kw, 8);
    std::vector<float> xv(static_cast<size_t>(c * h * w));
    for (float& e : xv) e = u(rng);
    Tensor x = F32({1, c, h, w}, xv);
    const std::string trace = "seed " + std::to_string(seed) + " iter " + std::to_string(iter);
    // MaxPool vs the max over windows of an explicitly -inf-padded copy.
    auto mp = RunOp("MaxPool", {&x}, PoolAttrs({kh, kw}, {sh, sw}, {pt, pl, pb, pr}));
    ASSERT_TRUE(mp.ok()) << trace << ": " << mp.status().message();
    const int64_t hp = h + pt + pb, wp = w + pl + pr, oh = (hp - kh) / sh + 1, ow = (wp - kw) / sw + 1;
    ASSERT_EQ((*mp)[0].dims(), (std::vector<int64_t>{1, c, oh, ow})) << trace;
    std::vector<float> xp(static_cast<size_t>(c * hp * wp), -std::numeric_limits<float>::infinity());
    for (int64_t ci = 0; ci < c; ++ci)
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j) xp[static_cast<size_t>((ci * hp + i + pt) * wp + j + pl)] = xv[static_cast<size_t>((ci * h + i) * w + j)];
    auto got = Values<float>((*mp)[0]);
    for (int64_t ci = 0; ci < c; ++ci)
      for (int64_t oi = 0; oi < oh; ++oi)
        for (int64_t oj = 0; oj < ow; ++oj) {
          float m = -std::numeric_limits<float>::infinity();
          for (int64_t a = 0; a < kh; ++a)
            for (int64_t b = 0; b < kw; ++b) m = std::max(m, xp[static_cast<size_t>((ci * hp + oi * sh + a) * wp + oj * sw + b)]);
          ASSERT_EQ(got[static_cast<size_t>((ci * oh + oi) * ow + oj)], m) << trace;
        }
    // AveragePool vs depthwise Conv with a ones kernel divided by the conv of a ones mask
    // (count_include_pad=0) or by kh*kw (count_include_pad=1).
    Tensor ones_w = F32({c, 1, kh, kw}, std::vector<float>(static_cast<size_t>(c * kh * kw), 1.f));
    Tensor mask = F32({1, c, h, w}, std::vector<float>(xv.size(), 1.f));
    Attributes ca;
    ca.Set("strides", std::vector<int64_t>{sh, sw});
    ca.Set("pads", std::vector<int64_t>{pt, pl, pb, pr});
    ca.Set("group", c);
    auto sum = RunOp("Conv", {&x, &ones_w}, ca), cnt = RunOp("Conv", {&mask, &ones_w}, ca);
    ASSERT_TRUE(sum.ok() && cnt.ok());
    auto sv = Values<float>((*sum)[0]), cv = Values<float>((*cnt)[0]);
    for (int64_t inc = 0; inc <= 1; ++inc) {
      auto ap = RunOp("AveragePool", {&x}, PoolAttrs({kh, kw}, {sh, sw}, {pt, pl, pb, pr}, 0, inc));
      ASSERT_TRUE(ap.ok()) << trace;
      auto av = Values<float>((*ap)[0]);
      for (size_t i = 0; i < av.size(); ++i) {
        const float div = inc ? static_cast<float>(kh * kw) : cv[i];
        ASSERT_NEAR(av[i], sv[i] / div, 1e-5f) << trace << " include_pad=" << inc;
      }
    }
  }
}

TEST(PoolInfer, Errors) {
  auto infer = [](const char* op, Shape x, Attributes a) {
    return testing::InferOp(op, {DType::kFloat32}, {x}, {}, std::move(a), 1, nullptr, nullptr);
  };
  Status s = infer("MaxPool", Shape{1, 3, 4, 4}, Attributes{});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("MaxPool 'n': attribute kernel_shape is required"), std::string::npos) << s.message();
  s = infer("AveragePool", Shape{1, 3, 4, 4}, PoolAttrs({5, 5}, {}, {}));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("larger than the padded input"), std::string::npos) << s.message();
  s = infer("AveragePool", Shape{1, 3, 4, 4}, PoolAttrs({2}, {}, {}));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("kernel_shape=[2]"), std::string::npos) << s.message();
  // INT8 average pooling is defined for 2-D undilated windows only (docs/int8-arithmetic.md).
  s = testing::InferOp("AveragePool", {DType::kInt8}, {Shape{1, 3, 4}}, {}, PoolAttrs({2}, {}, {}), 1, nullptr, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("int8 average pooling is 2-D only"), std::string::npos) << s.message();
  Attributes dil = PoolAttrs({2, 2}, {}, {});
  dil.Set("dilations", std::vector<int64_t>{2, 2});
  s = testing::InferOp("AveragePool", {DType::kInt8}, {Shape{1, 3, 6, 6}}, {}, dil, 1, nullptr, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("does not take dilations"), std::string::npos) << s.message();
  s = testing::InferOp("AveragePool", {DType::kUInt8}, {Shape{1, 3, 4, 4}}, {}, PoolAttrs({2, 2}, {}, {}), 1, nullptr, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("input X is uint8"), std::string::npos) << s.message();
  std::vector<Shape> out;
  ASSERT_TRUE(testing::InferOp("MaxPool", {DType::kFloat32}, {Shape{kDynamic, 8, 7, 7}}, {},
                               PoolAttrs({3, 3}, {2, 2}, {}, 1), 1, nullptr, &out).ok());
  EXPECT_EQ(out[0], (Shape{kDynamic, 8, 3, 3}));
}

}  // namespace
}  // namespace edgeinfer
