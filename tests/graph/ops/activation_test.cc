// Activations, PRelu, Identity, Dropout: hand-checked goldens, a seeded random sweep against
// independent double-precision formulas, and inference errors.
#include "graph/ops/activation.h"

#include <cmath>
#include <limits>
#include <random>

#include "tests/graph/ops/op_test_util.h"

namespace edgeinfer {
namespace {

using testing::F32;
using testing::Run1;
using testing::RunOp;
using testing::Values;

TEST(Activation, Goldens) {
  Tensor x = F32({5}, {-3.f, -1.f, 0.f, 1.f, 3.f});
  EXPECT_EQ(Run1("Relu", x), (std::vector<float>{0, 0, 0, 1, 3}));
  std::vector<float> lr = Run1("LeakyRelu", x);  // alpha 0.01
  EXPECT_FLOAT_EQ(lr[0], -0.03f);
  EXPECT_FLOAT_EQ(lr[4], 3.f);
  Attributes a;
  a.Set("alpha", 0.5f);
  EXPECT_EQ(Run1("LeakyRelu", x, a), (std::vector<float>{-1.5f, -0.5f, 0, 1, 3}));
  std::vector<float> hs = Run1("HardSigmoid", x);  // 0.2x+0.5 clamped
  EXPECT_FLOAT_EQ(hs[0], 0.f);
  EXPECT_FLOAT_EQ(hs[1], 0.3f);
  EXPECT_FLOAT_EQ(hs[2], 0.5f);
  EXPECT_FLOAT_EQ(hs[3], 0.7f);
  EXPECT_FLOAT_EQ(hs[4], 1.f);
  std::vector<float> hw = Run1("HardSwish", x);   // x * clamp(x/6+0.5)
  EXPECT_FLOAT_EQ(hw[0], 0.f);
  EXPECT_FLOAT_EQ(hw[1], -1.f / 3.f);
  EXPECT_FLOAT_EQ(hw[3], 2.f / 3.f);
  EXPECT_FLOAT_EQ(hw[4], 3.f);
  EXPECT_FLOAT_EQ(Run1("Sigmoid", x)[2], 0.5f);
  EXPECT_FLOAT_EQ(Run1("Tanh", x)[2], 0.f);
  EXPECT_EQ(Run1("Identity", x), Values<float>(x));
}

TEST(Activation, ClipBoundsAsInputs) {
  Tensor x = F32({5}, {-3.f, -1.f, 0.f, 1.f, 3.f});
  Tensor lo = F32({}, {-1.5f}), hi = F32({}, {2.f});
  auto r = RunOp("Clip", {&x, &lo, &hi});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{-1.5f, -1, 0, 1, 2}));
  // Absent min: only the max applies; no bounds: identity.
  r = RunOp("Clip", {&x, nullptr, &hi});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{-3, -1, 0, 1, 2}));
  EXPECT_EQ(Run1("Clip", x), Values<float>(x));
  // Integer input clamps in the integer domain.
  Tensor xi = testing::T1<int8_t>(DType::kInt8, {4}, {-128, -5, 5, 127});
  Tensor mi = testing::T1<int8_t>(DType::kInt8, {}, {-6});
  r = RunOp("Clip", {&xi, &mi});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<int8_t>((*r)[0]), (std::vector<int8_t>{-6, -5, 5, 127}));
}

TEST(Activation, ClipInferenceErrors) {
  Status s = testing::InferOp("Clip", {DType::kFloat32, DType::kInt64}, {Shape{2}, Shape{}}, {}, {}, 1, nullptr, nullptr);
  EXPECT_EQ(s.message(), "Clip 'n': min is int64 but the input is float (rule: inputs share one dtype)");
  s = testing::InferOp("Clip", {DType::kFloat32, DType::kFloat32}, {Shape{2}, Shape{2}}, {}, {}, 1, nullptr, nullptr);
  EXPECT_EQ(s.message(), "Clip 'n': min has shape [2] (rule: min and max are scalars)");
}

TEST(Activation, FloatOnlyOpsRejectIntegers) {
  Status s = testing::InferOp("Sigmoid", {DType::kInt32}, {Shape{2}}, {}, {}, 1, nullptr, nullptr);
  EXPECT_EQ(s.message(), "Sigmoid 'n': input dtype int32 is not supported (rule: float16, float or double)");
}

TEST(Activation, DoubleAndHalf) {
  Tensor xd = testing::T1<double>(DType::kFloat64, {2}, {-1.0, 2.0});
  auto r = RunOp("Sigmoid", {&xd});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_DOUBLE_EQ((*r)[0].data<double>()[1], 1.0 / (1.0 + std::exp(-2.0)));
  Tensor xh = testing::T1<uint16_t>(DType::kFloat16, {2}, {FloatToHalf(-2.f), FloatToHalf(1.5f)});
  r = RunOp("Relu", {&xh});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(HalfToFloat((*r)[0].data<uint16_t>()[0]), 0.f);
  EXPECT_EQ(HalfToFloat((*r)[0].data<uint16_t>()[1]), 1.5f);
}

TEST(Activation, RandomSweepAgainstDoubleFormulas) {
  const uint32_t seed = 20261122;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-8.f, 8.f);
  std::vector<float> v(1000);
  for (float& f : v) f = u(rng);
  Tensor x = F32({1000}, v);
  struct Case { const char* op; double (*f)(double); };
  const Case cases[] = {
      {"Relu", [](double z) { return z > 0 ? z : 0.0; }},
      {"LeakyRelu", [](double z) { return z >= 0 ? z : 0.01 * z; }},
      {"Sigmoid", [](double z) { return 1.0 / (1.0 + std::exp(-z)); }},
      {"Tanh", [](double z) { return std::tanh(z); }},
      {"HardSigmoid", [](double z) { return std::fmax(0.0, std::fmin(1.0, 0.2 * z + 0.5)); }},
      {"HardSwish", [](double z) { return z * std::fmax(0.0, std::fmin(1.0, z / 6.0 + 0.5)); }},
  };
  for (const Case& c : cases) {
    std::vector<float> y = Run1(c.op, x);
    ASSERT_EQ(y.size(), v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      double want = c.f(v[i]);
      // Tolerance: float evaluation of exp/tanh, a few ulps (1e-6 relative + 1e-7 absolute).
      ASSERT_NEAR(y[i], want, 1e-6 * std::fabs(want) + 1e-7) << c.op << " x=" << v[i] << " seed=" << seed;
    }
  }
}

TEST(Activation, PReluBroadcastsSlope) {
  Tensor x = F32({2, 3}, {-1, 2, -3, 4, -5, 6});
  Tensor slope = F32({3}, {0.1f, 0.2f, 0.3f});
  auto r = RunOp("PRelu", {&x, &slope});
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::vector<float> y = Values<float>((*r)[0]);
  EXPECT_FLOAT_EQ(y[0], -0.1f);
  EXPECT_FLOAT_EQ(y[2], -0.9f);
  EXPECT_FLOAT_EQ(y[4], -1.0f);
  EXPECT_FLOAT_EQ(y[5], 6.f);
  // Per-channel slope [C,1,1] on NCHW.
  Tensor x4 = F32({1, 2, 1, 2}, {-1, -1, -1, 1});
  Tensor s4 = F32({2, 1, 1}, {0.5f, 2.f});
  r = RunOp("PRelu", {&x4, &s4});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{-0.5f, -0.5f, -2.f, 1.f}));
  Tensor xi = testing::I32({3}, {-4, 0, 5});
  Tensor si = testing::I32({1}, {3});
  r = RunOp("PRelu", {&xi, &si});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<int32_t>((*r)[0]), (std::vector<int32_t>{-12, 0, 5}));
  Status s = testing::InferOp("PRelu", {DType::kFloat32, DType::kFloat32}, {Shape{3}, Shape{2, 3}}, {}, {}, 1, nullptr, nullptr);
  EXPECT_EQ(s.message(), "PRelu 'n': slope shape [2,3] does not broadcast to input shape [3] (rule: unidirectional broadcasting)");
}

TEST(Activation, DropoutIsIdentityWithTrueMask) {
  Tensor x = F32({3}, {1, 2, 3});
  Tensor ratio = F32({}, {0.7f});
  auto r = RunOp("Dropout", {&x, &ratio}, {}, 2);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<float>((*r)[0]), Values<float>(x));
  ASSERT_EQ((*r)[1].dtype(), DType::kBool);
  EXPECT_EQ(Values<uint8_t>((*r)[1]), (std::vector<uint8_t>{1, 1, 1}));
  Tensor train = testing::T1<uint8_t>(DType::kBool, {}, {1});
  r = RunOp("Dropout", {&x, &ratio, &train}, {}, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "Dropout 'n': training_mode=true with a non-zero ratio is not supported (rule: inference only)");
}

TEST(Activation, IdentityCopiesAnyDtype) {
  Tensor x = testing::I64({2}, {-5, 1ll << 40});
  auto r = RunOp("Identity", {&x});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<int64_t>((*r)[0]), Values<int64_t>(x));
}

}  // namespace
}  // namespace edgeinfer
