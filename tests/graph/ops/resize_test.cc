// Resize: hand-checked goldens for each mode and coordinate mode, seeded sweeps against a direct
// 2-D bilinear formula written here and against repeat-upsampling for nearest, cubic partition of
// unity, tf_crop_and_resize extrapolation, and errors.
#include "graph/ops/resize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tests/graph/ops/op_test_util.h"

namespace edgeinfer {
namespace {

using testing::F32;
using testing::I64;
using testing::RunOp;
using testing::Values;

Attributes ResizeAttrs(const std::string& mode, const std::string& coord, const std::string& nearest = "") {
  Attributes a;
  a.Set("mode", mode);
  a.Set("coordinate_transformation_mode", coord);
  if (!nearest.empty()) a.Set("nearest_mode", nearest);
  return a;
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want, float tol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << what << " at " << i;
}

TEST(Resize, NearestAsymmetricUpsample) {
  Tensor x = F32({1, 1, 2, 2}, {1, 2, 3, 4}), scales = F32({4}, {1, 1, 2, 3});
  auto r = RunOp("Resize", {&x, nullptr, &scales}, ResizeAttrs("nearest", "asymmetric", "floor"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{1, 1, 4, 6}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}));
}

TEST(Resize, NearestOnInt8MatchesFloat) {
  std::vector<int8_t> v = {-128, -1, 0, 1, 2, 3, 4, 127, 9};
  std::vector<float> vf(v.begin(), v.end());
  Tensor x = testing::T1<int8_t>(DType::kInt8, {1, 1, 3, 3}, v), xf = F32({1, 1, 3, 3}, vf);
  Tensor sizes = I64({4}, {1, 1, 5, 2});
  Attributes a = ResizeAttrs("nearest", "half_pixel", "round_prefer_ceil");
  auto r = RunOp("Resize", {&x, nullptr, nullptr, &sizes}, a);
  auto rf = RunOp("Resize", {&xf, nullptr, nullptr, &sizes}, a);
  ASSERT_TRUE(r.ok() && rf.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dtype(), DType::kInt8);
  auto got = Values<int8_t>((*r)[0]);
  EXPECT_EQ(std::vector<float>(got.begin(), got.end()), Values<float>((*rf)[0]));
  Status s = testing::InferOp("Resize", {DType::kInt8, DType::kUndefined, DType::kUndefined, DType::kInt64},
                              {Shape{1, 1, 3, 3}, Shape{}, Shape{}, Shape{4}}, {nullptr, nullptr, nullptr, &sizes},
                              ResizeAttrs("linear", "half_pixel"), 1, nullptr, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("int8"), std::string::npos) << s.message();
}

TEST(Resize, LinearHalfPixelGolden) {
  Tensor x = F32({1, 1, 2, 2}, {1, 2, 3, 4}), scales = F32({4}, {1, 1, 2, 2});
  auto r = RunOp("Resize", {&x, nullptr, &scales}, ResizeAttrs("linear", "half_pixel"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ExpectNear(Values<float>((*r)[0]),
             {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4}, 1e-6f, "half_pixel");
}

TEST(Resize, LinearAlignCornersWithSizes) {
  Tensor x = F32({1, 1, 1, 2}, {1, 2}), sizes = I64({4}, {1, 1, 1, 3});
  auto r = RunOp("Resize", {&x, nullptr, nullptr, &sizes}, ResizeAttrs("linear", "align_corners"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ExpectNear(Values<float>((*r)[0]), {1, 1.5, 2}, 1e-6f, "align_corners");
}

TEST(Resize, NearestModesOnHalfwayPoints) {
  // asymmetric with scale 2 on 1-D: x_in = o/2 -> halfway points at odd o.
  Tensor x = F32({4}, {10, 20, 30, 40}), scales = F32({1}, {2});
  auto run = [&](const char* nm) {
    auto r = RunOp("Resize", {&x, nullptr, &scales}, ResizeAttrs("nearest", "asymmetric", nm));
    EXPECT_TRUE(r.ok());
    return Values<float>((*r)[0]);
  };
  EXPECT_EQ(run("round_prefer_floor"), (std::vector<float>{10, 10, 20, 20, 30, 30, 40, 40}));
  EXPECT_EQ(run("round_prefer_ceil"), (std::vector<float>{10, 20, 20, 30, 30, 40, 40, 40}));
  EXPECT_EQ(run("floor"), (std::vector<float>{10, 10, 20, 20, 30, 30, 40, 40}));
  EXPECT_EQ(run("ceil"), (std::vector<float>{10, 20, 20, 30, 30, 40, 40, 40}));
}

TEST(Resize, RandomBilinearAgainstDirectFormula) {
  const uint32_t seed = 2026;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  const char* modes[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"};
  for (int iter = 0; iter < 60; ++iter) {
    const int64_t h = 1 + static_cast<int64_t>(rng() % 6), w = 1 + static_cast<int64_t>(rng() % 6);
    const int64_t oh = 1 + static_cast<int64_t>(rng() % 9), ow = 1 + static_cast<int64_t>(rng() % 9);
    const std::string cm = modes[iter % 4];
    std::vector<float> xv(static_cast<size_t>(2 * h * w));
    for (float& e : xv) e = u(rng);
    Tensor x = F32({1, 2, h, w}, xv), sizes = I64({4}, {1, 2, oh, ow});
    auto r = RunOp("Resize", {&x, nullptr, nullptr, &sizes}, ResizeAttrs("linear", cm));
    ASSERT_TRUE(r.ok()) << r.status().message();
    auto y = Values<float>((*r)[0]);
    auto src = [&](int64_t o, int64_t in, int64_t out) {
      const double s = static_cast<double>(out) / static_cast<double>(in);
      double v;
      if (cm == "half_pixel") v = (o + 0.5) / s - 0.5;
      else if (cm == "pytorch_half_pixel") v = out > 1 ? (o + 0.5) / s - 0.5 : 0;
      else if (cm == "align_corners") v = out == 1 ? 0 : static_cast<double>(o) * (in - 1) / (out - 1);
      else v = o / s;
      return std::min(std::max(v, 0.0), static_cast<double>(in - 1));
    };
    for (int64_t c = 0; c < 2; ++c)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          const double sy = src(i, h, oh), sx = src(j, w, ow);
          const int64_t y0 = static_cast<int64_t>(std::floor(sy)), x0 = static_cast<int64_t>(std::floor(sx));
          const int64_t y1 = std::min(y0 + 1, h - 1), x1 = std::min(x0 + 1, w - 1);
          const double fy = sy - y0, fx = sx - x0;
          auto at = [&](int64_t yy, int64_t xx) { return static_cast<double>(xv[static_cast<size_t>((c * h + yy) * w + xx)]); };
          const double e = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1));
          ASSERT_NEAR(y[static_cast<size_t>((c * oh + i) * ow + j)], e, 1e-5)
              << "seed " << seed << " iter " << iter << " mode " << cm;
        }
  }
}

TEST(Resize, CubicKeepsConstantsAndNearestIntegerScaleRepeats) {
  Tensor x = F32({1, 1, 3, 3}, std::vector<float>(9, 2.5f)), scales = F32({4}, {1, 1, 1.7f, 0.6f});
  for (int excl = 0; excl <= 1; ++excl) {
    Attributes a = ResizeAttrs("cubic", "half_pixel");
    a.Set("exclude_outside", int64_t{excl});
    auto r = RunOp("Resize", {&x, nullptr, &scales}, a);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{1, 1, 5, 1}));
    for (float v : Values<float>((*r)[0])) EXPECT_NEAR(v, 2.5f, 1e-6f);
  }
}

TEST(Resize, TfCropAndResizeExtrapolates) {
  Tensor x = F32({1, 1, 2, 2}, {1, 2, 3, 4}), roi = F32({8}, {0, 0, 0, 0, 1, 1, 1, 2}), sizes = I64({4}, {1, 1, 1, 3});
  Attributes a = ResizeAttrs("linear", "tf_crop_and_resize");
  a.Set("extrapolation_value", 9.f);
  auto r = RunOp("Resize", {&x, &roi, nullptr, &sizes}, a);
  ASSERT_TRUE(r.ok()) << r.status().message();
  // rows: out 1 -> 0.5*(0+1)*(2-1) = 0.5; cols: 0, 1, 2 (2 is outside [0,1] -> extrapolated).
  ExpectNear(Values<float>((*r)[0]), {2, 3, 9}, 1e-6f, "crop");
}

TEST(ResizeInfer, Errors) {
  Tensor scales = F32({4}, {1, 1, 2, 2}), sizes = I64({4}, {1, 1, 4, 4});
  auto infer = [&](Attributes a, const Tensor* s, const Tensor* z) {
    std::vector<DType> t = {DType::kFloat32, DType::kUndefined, s ? DType::kFloat32 : DType::kUndefined,
                            z ? DType::kInt64 : DType::kUndefined};
    std::vector<Shape> sh = {Shape{1, 1, 2, 2}, Shape{}, Shape{4}, Shape{4}};
    return testing::InferOp("Resize", t, sh, {nullptr, nullptr, s, z}, std::move(a), 1, nullptr, nullptr);
  };
  Attributes aa = ResizeAttrs("linear", "half_pixel");
  aa.Set("antialias", int64_t{1});
  Status s = infer(aa, &scales, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Resize 'n': antialias=1"), std::string::npos) << s.message();
  s = infer(ResizeAttrs("linear", "half_pixel"), &scales, &sizes);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("exactly one"), std::string::npos) << s.message();
  // scales only known at run time: attributes still checked, resized dims dynamic.
  std::vector<Shape> dyn;
  s = testing::InferOp("Resize", {DType::kFloat32, DType::kUndefined, DType::kFloat32}, {Shape{1, 1, 2, 2}, Shape{}, Shape{4}},
                       {nullptr, nullptr, nullptr}, ResizeAttrs("nearest", "asymmetric"), 1, nullptr, &dyn);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(dyn[0], (Shape{kDynamic, kDynamic, kDynamic, kDynamic}));
  s = testing::InferOp("Resize", {DType::kFloat32, DType::kUndefined, DType::kFloat32}, {Shape{1, 1, 2, 2}, Shape{}, Shape{4}},
                       {nullptr, nullptr, nullptr}, ResizeAttrs("nearest", "sideways"), 1, nullptr, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("coordinate_transformation_mode='sideways'"), std::string::npos) << s.message();
  s = infer(ResizeAttrs("area", "half_pixel"), &scales, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("mode='area'"), std::string::npos) << s.message();
  Tensor bad = F32({2}, {2, 2});
  s = infer(ResizeAttrs("nearest", "half_pixel"), &bad, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("scales has 2 entries; expected 4"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace edgeinfer
