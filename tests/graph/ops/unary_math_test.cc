// Unary math, Pow, Mod and variadic Max/Min/Sum/Mean: hand-checked goldens, inference errors that
// name the node and the rule, and seeded sweeps against independent formulations.
#include <cmath>
#include <random>

#include "graph/ops/unary_math.h"
#include "tests/graph/ops/op_test_util.h"

namespace edgeinfer {
namespace {

using testing::F32;
using testing::I32;
using testing::I64;
using testing::Run1;
using testing::RunOp;
using testing::Values;

TEST(UnaryMath, HandGoldens) {
  Tensor x = F32({5}, {-2.5f, -0.5f, 0.f, 0.5f, 2.5f});
  EXPECT_EQ(Run1("Abs", x), (std::vector<float>{2.5f, 0.5f, 0.f, 0.5f, 2.5f}));
  EXPECT_EQ(Run1("Neg", x), (std::vector<float>{2.5f, 0.5f, -0.f, -0.5f, -2.5f}));
  EXPECT_EQ(Run1("Round", x), (std::vector<float>{-2.f, -0.f, 0.f, 0.f, 2.f}));   // half to even
  EXPECT_EQ(Run1("Floor", x), (std::vector<float>{-3.f, -1.f, 0.f, 0.f, 2.f}));
  EXPECT_EQ(Run1("Ceil", x), (std::vector<float>{-2.f, -0.f, 0.f, 1.f, 3.f}));
  EXPECT_EQ(Run1("Sign", x), (std::vector<float>{-1.f, -1.f, 0.f, 1.f, 1.f}));
  Attributes thr;
  thr.Set("alpha", 0.5f);
  EXPECT_EQ(Run1("ThresholdedRelu", x, thr), (std::vector<float>{0.f, 0.f, 0.f, 0.f, 2.5f}));   // strictly greater
  Attributes shrink;
  shrink.Set("lambd", 1.f);
  shrink.Set("bias", 0.5f);
  EXPECT_EQ(Run1("Shrink", x, shrink), (std::vector<float>{-2.f, 0.f, 0.f, 0.f, 2.f}));
  // Selu defaults: gamma*x for x > 0; gamma*alpha*(e^x - 1) below.
  std::vector<float> selu = Run1("Selu", F32({2}, {1.f, -1.f}));
  EXPECT_NEAR(selu[0], 1.0507009f, 1e-6f);
  EXPECT_NEAR(selu[1], 1.0507009f * 1.6732632f * (std::exp(-1.f) - 1.f), 1e-6f);
  EXPECT_EQ(Run1("Softsign", F32({2}, {1.f, -3.f})), (std::vector<float>{0.5f, -0.75f}));
  EXPECT_EQ(Run1("Reciprocal", F32({2}, {4.f, -0.5f})), (std::vector<float>{0.25f, -2.f}));
  EXPECT_EQ(Run1("Sqrt", F32({2}, {9.f, 0.25f})), (std::vector<float>{3.f, 0.5f}));

  // Integers: Abs/Neg/Sign only.
  Tensor xi = I32({3}, {-7, 0, 5});
  auto neg = RunOp("Neg", {&xi});
  ASSERT_TRUE(neg.ok());
  EXPECT_EQ(Values<int32_t>((*neg)[0]), (std::vector<int32_t>{7, 0, -5}));
  auto sign = RunOp("Sign", {&xi});
  ASSERT_TRUE(sign.ok());
  EXPECT_EQ(Values<int32_t>((*sign)[0]), (std::vector<int32_t>{-1, 0, 1}));
}

TEST(UnaryMath, InferenceNamesNodeAndRule) {
  std::vector<DType> dt;
  std::vector<Shape> sh;
  Status s = testing::InferOp("Exp", {DType::kInt32}, {Shape({2})}, {nullptr}, {}, 1, &dt, &sh);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Exp 'n'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("rule: float16, float or double"), std::string::npos) << s.message();

  Attributes no_fmod;
  s = testing::InferOp("Mod", {DType::kFloat32, DType::kFloat32}, {Shape({2}), Shape({2})}, {nullptr, nullptr}, no_fmod, 1, &dt, &sh);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("fmod=1"), std::string::npos) << s.message();

  s = testing::InferOp("Max", {DType::kFloat32, DType::kFloat32, DType::kFloat32}, {Shape({2, 3}), Shape({3}), Shape({4, 1, 1})},
                       {nullptr, nullptr, nullptr}, {}, 1, &dt, &sh);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(sh[0], Shape({4, 2, 3}));
  s = testing::InferOp("Sum", {DType::kFloat32, DType::kFloat32}, {Shape({2, 3}), Shape({2})}, {nullptr, nullptr}, {}, 1, &dt, &sh);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Sum 'n'"), std::string::npos);
  EXPECT_NE(s.message().find("do not broadcast"), std::string::npos);
  s = testing::InferOp("Pow", {DType::kFloat32, DType::kInt64}, {Shape({2, 3}), Shape({3})}, {nullptr, nullptr}, {}, 1, &dt, &sh);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(dt[0], DType::kFloat32);   // the base's dtype
}

TEST(UnaryMath, ModPythonAndFmod) {
  Tensor a = I32({4}, {7, -7, 7, -7});
  Tensor b = I32({4}, {3, 3, -3, -3});
  auto py = RunOp("Mod", {&a, &b});
  ASSERT_TRUE(py.ok()) << py.status().message();
  EXPECT_EQ(Values<int32_t>((*py)[0]), (std::vector<int32_t>{1, 2, -2, -1}));   // sign of the divisor
  Attributes f;
  f.Set("fmod", int64_t{1});
  auto c = RunOp("Mod", {&a, &b}, f);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Values<int32_t>((*c)[0]), (std::vector<int32_t>{1, -1, 1, -1}));    // sign of the dividend
  Tensor z = I32({1}, {0});
  auto bad = RunOp("Mod", {&a, &z});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("division by zero"), std::string::npos);
}

TEST(UnaryMath, PowAndVariadicBroadcast) {
  Tensor x = F32({2, 2}, {1.f, 2.f, 3.f, 4.f});
  Tensor e = I64({2}, {2, 3});
  auto p = RunOp("Pow", {&x, &e});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(Values<float>((*p)[0]), (std::vector<float>{1.f, 8.f, 9.f, 64.f}));

  Tensor a = F32({2, 1}, {1.f, 5.f});
  Tensor b = F32({3}, {0.f, 3.f, 6.f});
  Tensor c = F32({}, {2.f});
  auto mx = RunOp("Max", {&a, &b, &c});
  ASSERT_TRUE(mx.ok());
  EXPECT_EQ(Values<float>((*mx)[0]), (std::vector<float>{2.f, 3.f, 6.f, 5.f, 5.f, 6.f}));
  auto mean = RunOp("Mean", {&a, &b, &c});
  ASSERT_TRUE(mean.ok());
  EXPECT_EQ(Values<float>((*mean)[0]), (std::vector<float>{1.f, 2.f, 3.f, 7.f / 3.f, 10.f / 3.f, 13.f / 3.f}));
  Tensor one = F32({2}, {-1.f, 4.f});
  auto single = RunOp("Min", {&one});
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(Values<float>((*single)[0]), (std::vector<float>{-1.f, 4.f}));
}

// Seeded sweep: each float op against a double-precision formula written from the ONNX spec text.
TEST(UnaryMath, SeededSweepAgainstFormulas) {
  const uint32_t seed = 20261122;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-4.f, 4.f);
  std::vector<float> v(257);
  for (float& f : v) f = u(rng);
  Tensor x = F32({257}, v);
  struct Case { const char* op; double (*f)(double); };
  const Case cases[] = {
      {"Exp", [](double t) { return std::exp(t); }},
      {"Erf", [](double t) { return std::erf(t); }},
      {"Sin", [](double t) { return std::sin(t); }},
      {"Cos", [](double t) { return std::cos(t); }},
      {"Atan", [](double t) { return std::atan(t); }},
      {"Sinh", [](double t) { return (std::exp(t) - std::exp(-t)) / 2; }},
      {"Elu", [](double t) { return t >= 0 ? t : std::exp(t) - 1; }},
      {"Celu", [](double t) { return std::max(0.0, t) + std::min(0.0, std::exp(t) - 1); }},
      {"Softplus", [](double t) { return std::log(std::exp(t) + 1); }},
      {"Mish", [](double t) { return t * std::tanh(std::log(1 + std::exp(t))); }},
  };
  for (const Case& c : cases) {
    std::vector<float> got = Run1(c.op, x);
    ASSERT_EQ(got.size(), v.size()) << c.op;
    for (size_t i = 0; i < v.size(); ++i) {
      double want = c.f(v[i]);
      ASSERT_NEAR(got[i], want, 1e-5 + 1e-5 * std::fabs(want)) << c.op << " x=" << v[i] << " seed=" << seed;
    }
  }
  // Integer Mod (Python) against a - floor(a / b) * b.
  std::uniform_int_distribution<int32_t> ui(-50, 50);
  std::vector<int32_t> a(64), b(64);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = ui(rng);
    do b[i] = ui(rng); while (b[i] == 0);
  }
  Tensor ta = I32({64}, a), tb = I32({64}, b);
  auto m = RunOp("Mod", {&ta, &tb});
  ASSERT_TRUE(m.ok());
  std::vector<int32_t> got = Values<int32_t>((*m)[0]);
  for (size_t i = 0; i < a.size(); ++i) {
    int32_t want = a[i] - static_cast<int32_t>(std::floor(static_cast<double>(a[i]) / b[i])) * b[i];
    ASSERT_EQ(got[i], want) << a[i] << " mod " << b[i] << " seed=" << seed;
  }
}

}  // namespace
}  // namespace edgeinfer
