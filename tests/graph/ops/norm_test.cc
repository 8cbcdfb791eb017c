// BatchNormalization and Softmax/LogSoftmax: goldens, seeded sweeps against direct formulas
// (per-element double-precision BN; softmax vs exp/sum computed here), legacy-2D equivalences and
// errors.
#include "graph/ops/norm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tests/graph/ops/op_test_util.h"

namespace edgeinfer {
namespace {

using testing::F32;
using testing::RunOp;
using testing::Values;

std::vector<float> Rand(std::mt19937& rng, int64_t n, float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = u(rng);
  return v;
}

TEST(BatchNorm, Golden) {
  Tensor x = F32({1, 2, 1, 2}, {1, 2, 3, 4});
  Tensor scale = F32({2}, {2, 1}), bias = F32({2}, {0, 1}), mean = F32({2}, {1, 3}), var = F32({2}, {4, 0.25f});
  Attributes a;
  a.Set("epsilon", 0.f);
  auto r = RunOp("BatchNormalization", {&x, &scale, &bias, &mean, &var}, a);
  ASSERT_TRUE(r.ok()) << r.status().message();
  // c0: 2*(x-1)/2 + 0 -> 0, 1;  c1: (x-3)/0.5 + 1 -> 1, 3.
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{0, 1, 1, 3}));
}

TEST(BatchNorm, RandomSweep) {
  const uint32_t seed = 3;
  std::mt19937 rng(seed);
  for (int iter = 0; iter < 20; ++iter) {
    const int64_t n = 1 + iter % 3, c = 1 + iter % 5, s = 1 + iter % 7;
    auto xv = Rand(rng, n * c * s), sc = Rand(rng, c), bi = Rand(rng, c), mu = Rand(rng, c), va = Rand(rng, c, 0.1f, 2.f);
    Tensor x = F32({n, c, s}, xv), t1 = F32({c}, sc), t2 = F32({c}, bi), t3 = F32({c}, mu), t4 = F32({c}, va);
    auto r = RunOp("BatchNormalization", {&x, &t1, &t2, &t3, &t4});
    ASSERT_TRUE(r.ok()) << r.status().message();
    auto y = Values<float>((*r)[0]);
    for (int64_t i = 0; i < n * c * s; ++i) {
      const size_t ch = static_cast<size_t>((i / s) % c);
      const double e = sc[ch] * (xv[static_cast<size_t>(i)] - mu[ch]) / std::sqrt(static_cast<double>(va[ch]) + 1e-5) + bi[ch];
      ASSERT_NEAR(y[static_cast<size_t>(i)], e, 1e-5) << "seed " << seed << " iter " << iter;
    }
  }
}

TEST(BatchNorm, Errors) {
  std::vector<DType> t(5, DType::kFloat32);
  std::vector<Shape> s = {Shape{1, 3, 4, 4}, Shape{3}, Shape{3}, Shape{3}, Shape{4}};
  Status st = testing::InferOp("BatchNormalization", t, s, {}, {}, 1, nullptr, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("input_var [4] must be [3]"), std::string::npos) << st.message();
  s[4] = Shape{3};
  Attributes train;
  train.Set("training_mode", int64_t{1});
  st = testing::InferOp("BatchNormalization", t, s, {}, train, 1, nullptr, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("training_mode=1"), std::string::npos) << st.message();
  st = testing::InferOp("BatchNormalization", t, s, {}, {}, 3, nullptr, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("training-only"), std::string::npos) << st.message();
}

TEST(Softmax, GoldenAndLargeNumbers) {
  Tensor x = F32({1, 3}, {0, std::log(2.f), std::log(5.f)});
  auto r = RunOp("Softmax", {&x});
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto y = Values<float>((*r)[0]);
  EXPECT_NEAR(y[0], 0.125f, 1e-6f);
  EXPECT_NEAR(y[1], 0.25f, 1e-6f);
  EXPECT_NEAR(y[2], 0.625f, 1e-6f);
  Tensor big = F32({2}, {10000.f, 10000.f + std::log(3.f)});
  auto b = RunOp("Softmax", {&big});
  ASSERT_TRUE(b.ok());
  EXPECT_NEAR(Values<float>((*b)[0])[0], 0.25f, 1e-4f);
  auto l = RunOp("LogSoftmax", {&big});
  ASSERT_TRUE(l.ok());
  EXPECT_NEAR(Values<float>((*l)[0])[0], std::log(0.25f), 1e-3f);
}

TEST(Softmax, RandomAxesAndLegacy) {
  const uint32_t seed = 8;
  std::mt19937 rng(seed);
  const std::vector<int64_t> dims = {2, 3, 4};
  auto xv = Rand(rng, 24, -5.f, 5.f);
  Tensor x = F32(dims, xv);
  for (int64_t axis = -3; axis < 3; ++axis) {
    Attributes a;
    a.Set("axis", axis);
    auto r = RunOp("Softmax", {&x}, a);
    ASSERT_TRUE(r.ok()) << r.status().message();
    auto y = Values<float>((*r)[0]);
    const int64_t ax = axis < 0 ? axis + 3 : axis;
    const auto st = ContiguousStrides(dims);
    for (int64_t i = 0; i < 24; ++i) {
      const int64_t base = i - ((i / st[static_cast<size_t>(ax)]) % dims[static_cast<size_t>(ax)]) * st[static_cast<size_t>(ax)];
      double sum = 0;
      for (int64_t j = 0; j < dims[static_cast<size_t>(ax)]; ++j) sum += std::exp(static_cast<double>(xv[static_cast<size_t>(base + j * st[static_cast<size_t>(ax)])]));
      ASSERT_NEAR(y[static_cast<size_t>(i)], std::exp(static_cast<double>(xv[static_cast<size_t>(i)])) / sum, 1e-6) << "seed " << seed << " axis " << axis;
    }
  }
  // Legacy 2-D at axis 1 == new softmax over the flattened [2, 12] view.
  Attributes leg;
  leg.Set("_legacy_2d", int64_t{1});
  auto r = RunOp("Softmax", {&x}, leg);
  Tensor x2 = F32({2, 12}, xv);
  auto r2 = RunOp("Softmax", {&x2});
  ASSERT_TRUE(r.ok() && r2.ok());
  EXPECT_EQ((*r)[0].dims(), dims);
  EXPECT_EQ(Values<float>((*r)[0]), Values<float>((*r2)[0]));
  // Legacy with the last axis equals the opset-13 form.
  leg.Set("axis", int64_t{2});
  auto r3 = RunOp("Softmax", {&x}, leg);
  auto r4 = RunOp("Softmax", {&x});
  ASSERT_TRUE(r3.ok() && r4.ok());
  EXPECT_EQ(Values<float>((*r3)[0]), Values<float>((*r4)[0]));
}

TEST(Softmax, Errors) {
  Attributes a;
  a.Set("axis", int64_t{3});
  Status s = testing::InferOp("Softmax", {DType::kFloat32}, {Shape{2, 3, 4}}, {}, a, 1, nullptr, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Softmax 'n': axis=3 is out of range"), std::string::npos) << s.message();
  s = testing::InferOp("Softmax", {DType::kInt32}, {Shape{2, 3}}, {}, {}, 1, nullptr, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("int32"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace edgeinfer
