// The fast requantization form used by the GPU epilogues equals the reference form
// (graph/quant/int8_math.h) for every multiplier QuantizeMultiplier can produce.
#include "graph/quant/int8_math.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace edgeinfer::int8 {
namespace {

std::vector<int32_t> EdgeValues() {
  std::vector<int32_t> v = {0, 1, -1, 2, -2, 127, -128, 255, -256, INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1};
  for (int b = 0; b < 31; ++b) {
    const int32_t p = static_cast<int32_t>(1u << b);
    for (int32_t d : {-1, 0, 1}) {
      v.push_back(p + d);
      v.push_back(-p + d);
    }
  }
  return v;
}

TEST(Int8Math, FastMultiplierEqualsReferenceOnEdgeCases) {
  const std::vector<int32_t> xs = EdgeValues();
  std::vector<int32_t> mults = {0, 1 << 30, (1 << 30) + 1, INT32_MAX, INT32_MAX - 1, 1518500250, 1288490189};
  int64_t checked = 0;
  for (int32_t m : mults)
    for (int shift = -31; shift <= 8; ++shift)
      for (int32_t x : xs) {
        const Multiplier q{m, shift};
        ASSERT_EQ(MulByQuantizedMultiplierFast(x, m, shift), MulByQuantizedMultiplier(x, q))
            << "x=" << x << " multiplier=" << m << " shift=" << shift;
        if (shift <= 0) ASSERT_EQ(MulByQuantizedMultiplierRight(x, m, -shift), MulByQuantizedMultiplier(x, q)) << "x=" << x;
        ++checked;
      }
  EXPECT_GT(checked, 10000);
}

TEST(Int8Math, FastMultiplierEqualsReferenceOnRandomInputs) {
  std::mt19937_64 rng(20261122);
  std::uniform_int_distribution<int32_t> any(INT32_MIN, INT32_MAX);
  std::uniform_int_distribution<int32_t> acc(-(1 << 20), 1 << 20);
  std::uniform_real_distribution<double> log_real(-30.0, 6.0);
  for (int i = 0; i < 2000000; ++i) {
    const Multiplier q = QuantizeMultiplier(std::exp2(log_real(rng)));
    const int32_t x = (i & 1) ? any(rng) : acc(rng);
    ASSERT_EQ(MulByQuantizedMultiplierFast(x, q.multiplier, q.shift), MulByQuantizedMultiplier(x, q))
        << "x=" << x << " multiplier=" << q.multiplier << " shift=" << q.shift;
    if (q.shift <= 0) ASSERT_EQ(MulByQuantizedMultiplierRight(x, q.multiplier, -q.shift), MulByQuantizedMultiplier(x, q)) << "x=" << x;
  }
}

TEST(Int8Math, SaturatingAdd) {
  EXPECT_EQ(SaturatingAdd(INT32_MAX, 1), INT32_MAX);
  EXPECT_EQ(SaturatingAdd(INT32_MIN, -1), INT32_MIN);
  EXPECT_EQ(SaturatingAdd(INT32_MAX, INT32_MIN), -1);
  EXPECT_EQ(SaturatingAdd(100, -28), 72);
}

}  // namespace
}  // namespace edgeinfer::int8
