// QuantizeLinear / DequantizeLinear: rounding half to even, saturation, zero points, per-axis
// scales, and bit-exact agreement with graph/quant/int8_math.h in a seeded random sweep.
#include "graph/ops/quant.h"

#include <random>

#include "graph/quant/int8_math.h"
#include "tests/graph/ops/op_test_util.h"

namespace edgeinfer {
namespace {

using testing::F32;
using testing::RunOp;
using testing::Values;

TEST(Quant, QuantizeRoundsHalfToEvenAndSaturates) {
  Tensor x = F32({8}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 300.f, -300.f, 1.2f});
  Tensor scale = F32({}, {1.f});
  Tensor zp8 = testing::T1<int8_t>(DType::kInt8, {}, {0});
  auto r = RunOp("QuantizeLinear", {&x, &scale, &zp8});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ((*r)[0].dtype(), DType::kInt8);
  EXPECT_EQ(Values<int8_t>((*r)[0]), (std::vector<int8_t>{0, 2, 2, 0, -2, 127, -128, 1}));
  // No zero point: uint8 with zero point 0.
  r = RunOp("QuantizeLinear", {&x, &scale});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ((*r)[0].dtype(), DType::kUInt8);
  EXPECT_EQ(Values<uint8_t>((*r)[0]), (std::vector<uint8_t>{0, 2, 2, 0, 0, 255, 0, 1}));
  Tensor s2 = F32({}, {2.f});
  Tensor zpu = testing::T1<uint8_t>(DType::kUInt8, {}, {128});
  r = RunOp("QuantizeLinear", {&x, &s2, &zpu});   // round(x/2) + 128
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<uint8_t>((*r)[0]), (std::vector<uint8_t>{128, 129, 129, 128, 127, 255, 0, 129}));
}

TEST(Quant, PerAxis) {
  Tensor x = F32({1, 2, 2}, {1.f, 2.f, 1.f, 2.f});
  Tensor scale = F32({2}, {1.f, 0.5f});
  Tensor zp = testing::T1<int8_t>(DType::kInt8, {2}, {0, -10});
  auto r = RunOp("QuantizeLinear", {&x, &scale, &zp});   // axis default 1
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<int8_t>((*r)[0]), (std::vector<int8_t>{1, 2, -8, -6}));
  Tensor q = (*r)[0];
  r = RunOp("DequantizeLinear", {&q, &scale, &zp});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1.f, 2.f, 1.f, 2.f}));
  Attributes a;
  a.Set("axis", int64_t{-1});
  r = RunOp("DequantizeLinear", {&q, &scale, &zp}, a);   // along the last axis instead
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1.f, 6.f, -8.f, 2.f}));
  Tensor bad = F32({3}, {1, 1, 1});
  r = RunOp("DequantizeLinear", {&q, &bad});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "DequantizeLinear 'n': scale has 3 entries but axis 1 of [1,2,2] has 2 (rule: one scale per channel)");
}

TEST(Quant, InferenceErrors) {
  Status s = testing::InferOp("QuantizeLinear", {DType::kFloat32, DType::kFloat32, DType::kInt8}, {Shape{2, 3}, Shape{4}, Shape{4}},
                              {}, {}, 1, nullptr, nullptr);
  EXPECT_EQ(s.message(), "QuantizeLinear 'n': scale has 4 entries but axis 1 of [2,3] has 3 (rule: one scale per channel)");
  s = testing::InferOp("DequantizeLinear", {DType::kInt8, DType::kFloat32, DType::kUInt8}, {Shape{2}, Shape{}, Shape{}},
                       {}, {}, 1, nullptr, nullptr);
  EXPECT_EQ(s.message(), "DequantizeLinear 'n': zero point is uint8 but the quantized tensor is int8 (rule: they agree)");
  s = testing::InferOp("QuantizeLinear", {DType::kInt32, DType::kFloat32}, {Shape{2}, Shape{}}, {}, {}, 1, nullptr, nullptr);
  EXPECT_EQ(s.message(), "QuantizeLinear 'n': input is int32 (rule: float input)");
}

TEST(Quant, AgreesWithInt8MathBitExactly) {
  const uint32_t seed = 777;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-40.f, 40.f), us(0.01f, 0.5f);
  std::vector<float> v(4096);
  for (float& f : v) f = u(rng);
  // Exact ties too: multiples of scale/2.
  for (size_t i = 0; i < 256; ++i) v[i] = (static_cast<float>(i) - 128.f) * 0.125f;
  Tensor x = F32({4096}, v);
  for (int k = 0; k < 5; ++k) {
    float sc = k == 0 ? 0.25f : us(rng);
    Tensor scale = F32({}, {sc});
    Tensor zp = testing::T1<int8_t>(DType::kInt8, {}, {0});
    auto r = RunOp("QuantizeLinear", {&x, &scale, &zp});
    ASSERT_TRUE(r.ok()) << r.status().message();
    Tensor q = (*r)[0];
    auto d = RunOp("DequantizeLinear", {&q, &scale, &zp});
    ASSERT_TRUE(d.ok()) << d.status().message();
    for (size_t i = 0; i < v.size(); ++i) {
      int8_t want = int8::QuantizeToInt8(v[i], sc);
      ASSERT_EQ(q.data<int8_t>()[i], want) << "x=" << v[i] << " scale=" << sc << " seed=" << seed;
      ASSERT_EQ((*d)[0].data<float>()[i], int8::DequantizeInt8(want, sc)) << "seed=" << seed;
    }
  }
}

}  // namespace
}  // namespace edgeinfer
