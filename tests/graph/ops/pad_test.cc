// Pad: hand-checked goldens for constant/reflect/edge/wrap, axes, negative pads (crop), other
// dtypes, a seeded sweep against numpy-style index mapping written here, and errors.
#include "graph/ops/pad.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/graph/ops/op_test_util.h"

namespace edgeinfer {
namespace {

using testing::F32;
using testing::I64;
using testing::RunOp;
using testing::Values;

Attributes Mode(const std::string& m) {
  Attributes a;
  a.Set("mode", m);
  return a;
}

TEST(Pad, GoldenModes1D) {
  Tensor x = F32({3}, {1, 2, 3}), pads = I64({2}, {2, 3}), cv = F32({}, {7});
  auto run = [&](const char* m, const Tensor* c = nullptr) {
    auto r = RunOp("Pad", {&x, &pads, c}, Mode(m));
    EXPECT_TRUE(r.ok()) << r.status().message();
    return Values<float>((*r)[0]);
  };
  EXPECT_EQ(run("constant"), (std::vector<float>{0, 0, 1, 2, 3, 0, 0, 0}));
  EXPECT_EQ(run("constant", &cv), (std::vector<float>{7, 7, 1, 2, 3, 7, 7, 7}));
  EXPECT_EQ(run("edge"), (std::vector<float>{1, 1, 1, 2, 3, 3, 3, 3}));
  EXPECT_EQ(run("reflect"), (std::vector<float>{3, 2, 1, 2, 3, 2, 1, 2}));
  EXPECT_EQ(run("wrap"), (std::vector<float>{2, 3, 1, 2, 3, 1, 2, 3}));
}

TEST(Pad, Golden2DAxesAndCrop) {
  Tensor x = F32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor pads = I64({2}, {1, -1}), axes = I64({1}, {-1});
  auto r = RunOp("Pad", {&x, &pads, nullptr, &axes});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{0, 1, 2, 0, 4, 5}));
  Tensor p4 = I64({4}, {1, 0, 0, 1});
  auto e = RunOp("Pad", {&x, &p4}, Mode("edge"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)[0].dims(), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(Values<float>((*e)[0]), (std::vector<float>{1, 2, 3, 3, 1, 2, 3, 3, 4, 5, 6, 6}));
}

TEST(Pad, Int8Constant) {
  Tensor x = testing::T1<int8_t>(DType::kInt8, {2}, {-1, 5}), pads = I64({2}, {1, 1});
  Tensor cv = testing::T1<int8_t>(DType::kInt8, {1}, {-128});
  auto r = RunOp("Pad", {&x, &pads, &cv});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<int8_t>((*r)[0]), (std::vector<int8_t>{-128, -1, 5, -128}));
}

// numpy's definitions, written per mode by recursion on the distance to the border.
int64_t NumpyIndex(const std::string& mode, int64_t i, int64_t n) {
  while (i < 0 || i >= n) {
    if (mode == "edge") i = i < 0 ? 0 : n - 1;
    else if (mode == "wrap") i = i < 0 ? i + n : i - n;
    else if (n == 1) i = 0;
    else i = i < 0 ? -i : 2 * (n - 1) - i;  // reflect
  }
  return i;
}

TEST(Pad, RandomSweepAgainstIndexMapping) {
  const uint32_t seed = 55;
  std::mt19937 rng(seed);
  const char* modes[] = {"constant", "edge", "reflect", "wrap"};
  for (int iter = 0; iter < 80; ++iter) {
    const std::string m = modes[iter % 4];
    const int64_t h = 1 + static_cast<int64_t>(rng() % 4), w = 1 + static_cast<int64_t>(rng() % 4);
    auto pad = [&](int64_t n) { return static_cast<int64_t>(rng() % static_cast<uint32_t>(2 * n + 1)) - (m == "constant" ? 1 : 0); };
    std::vector<int64_t> pv = {pad(h), pad(w), pad(h), pad(w)};
    if (m == "constant") for (int64_t& p : pv) p = std::max<int64_t>(p, -1);
    std::vector<float> xv(static_cast<size_t>(h * w));
    for (size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<float>(i + 1);
    Tensor x = F32({h, w}, xv), pads = I64({4}, pv);
    const int64_t oh = h + pv[0] + pv[2], ow = w + pv[1] + pv[3];
    auto r = RunOp("Pad", {&x, &pads}, Mode(m));
    if (oh < 0 || ow < 0) {
      EXPECT_FALSE(r.ok());
      continue;
    }
    ASSERT_TRUE(r.ok()) << "seed " << seed << " iter " << iter << ": " << r.status().message();
    auto y = Values<float>((*r)[0]);
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t si = i - pv[0], sj = j - pv[1];
        float e;
        if (m == "constant") e = (si < 0 || si >= h || sj < 0 || sj >= w) ? 0.f : xv[static_cast<size_t>(si * w + sj)];
        else e = xv[static_cast<size_t>(NumpyIndex(m, si, h) * w + NumpyIndex(m, sj, w))];
        ASSERT_EQ(y[static_cast<size_t>(i * ow + j)], e) << "seed " << seed << " iter " << iter << " mode " << m;
      }
  }
}

TEST(PadInfer, Errors) {
  Tensor pads3 = I64({3}, {1, 1, 1});
  Status s = testing::InferOp("Pad", {DType::kFloat32, DType::kInt64}, {Shape{2, 3}, Shape{3}}, {nullptr, &pads3}, {}, 1,
                              nullptr, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Pad 'n': pads=[1,1,1] has 3 entries; expected 4"), std::string::npos) << s.message();
  // pads only known at run time: same rank, dynamic dims.
  std::vector<Shape> dyn;
  ASSERT_TRUE(testing::InferOp("Pad", {DType::kFloat32, DType::kInt64}, {Shape{2, 3}, Shape{4}}, {nullptr, nullptr}, {}, 1,
                               nullptr, &dyn).ok());
  EXPECT_EQ(dyn[0], (Shape{kDynamic, kDynamic}));
  Tensor pads = I64({4}, {0, 0, 0, 0});
  s = testing::InferOp("Pad", {DType::kFloat32, DType::kInt64}, {Shape{2, 3}, Shape{4}}, {nullptr, &pads}, Mode("mirror"),
                       1, nullptr, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("mode='mirror'"), std::string::npos) << s.message();
  Tensor crop = I64({4}, {0, -2, 0, -2});
  s = testing::InferOp("Pad", {DType::kFloat32, DType::kInt64}, {Shape{2, 3}, Shape{4}}, {nullptr, &crop}, {}, 1,
                       nullptr, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("below zero"), std::string::npos) << s.message();
  std::vector<Shape> out;
  ASSERT_TRUE(testing::InferOp("Pad", {DType::kFloat32, DType::kInt64}, {Shape{kDynamic, 3}, Shape{4}}, {nullptr, &pads},
                               {}, 1, nullptr, &out).ok());
  EXPECT_EQ(out[0], (Shape{kDynamic, 3}));
}

}  // namespace
}  // namespace edgeinfer
