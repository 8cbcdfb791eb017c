// Comparisons, logical ops and Where: hand-checked goldens, inference errors naming the node and the
// rule, and a seeded broadcast sweep of Where against an index-by-index formulation.
#include <random>

#include "graph/ops/logical.h"
#include "tests/graph/ops/op_test_util.h"

namespace edgeinfer {
namespace {

using testing::F32;
using testing::I32;
using testing::I64;
using testing::RunOp;
using testing::Values;

Tensor B(std::vector<int64_t> dims, std::vector<uint8_t> v) { return testing::T1<uint8_t>(DType::kBool, std::move(dims), std::move(v)); }

std::vector<uint8_t> Run2(const std::string& op, const Tensor& a, const Tensor& b) {
  auto r = RunOp(op, {&a, &b});
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (!r.ok()) return {};
  EXPECT_EQ((*r)[0].dtype(), DType::kBool);
  return Values<uint8_t>((*r)[0]);
}

TEST(Logical, CompareGoldensWithBroadcast) {
  Tensor a = F32({2, 3}, {1.f, 2.f, 3.f, 4.f, 5.f, 6.f});
  Tensor b = F32({3}, {2.f, 2.f, 7.f});
  EXPECT_EQ(Run2("Equal", a, b), (std::vector<uint8_t>{0, 1, 0, 0, 0, 0}));
  EXPECT_EQ(Run2("Less", a, b), (std::vector<uint8_t>{1, 0, 1, 0, 0, 1}));
  EXPECT_EQ(Run2("LessOrEqual", a, b), (std::vector<uint8_t>{1, 1, 1, 0, 0, 1}));
  EXPECT_EQ(Run2("Greater", a, b), (std::vector<uint8_t>{0, 0, 0, 1, 1, 0}));
  EXPECT_EQ(Run2("GreaterOrEqual", a, b), (std::vector<uint8_t>{0, 1, 0, 1, 1, 0}));
  Tensor i = I64({2}, {-3, 9});
  Tensor j = I64({1}, {9});
  EXPECT_EQ(Run2("Equal", i, j), (std::vector<uint8_t>{0, 1}));
}

TEST(Logical, BoolOpsAndNot) {
  Tensor p = B({4}, {0, 0, 1, 1});
  Tensor q = B({4}, {0, 1, 0, 1});
  EXPECT_EQ(Run2("And", p, q), (std::vector<uint8_t>{0, 0, 0, 1}));
  EXPECT_EQ(Run2("Or", p, q), (std::vector<uint8_t>{0, 1, 1, 1}));
  EXPECT_EQ(Run2("Xor", p, q), (std::vector<uint8_t>{0, 1, 1, 0}));
  EXPECT_EQ(Run2("Equal", p, q), (std::vector<uint8_t>{1, 0, 0, 1}));
  auto n = RunOp("Not", {&p});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(Values<uint8_t>((*n)[0]), (std::vector<uint8_t>{1, 1, 0, 0}));
}

TEST(Logical, BitShift) {
  Tensor a = testing::T1<uint8_t>(DType::kUInt8, {3}, {1, 16, 255});
  Tensor s = testing::T1<uint8_t>(DType::kUInt8, {3}, {3, 2, 9});
  Attributes l, r;
  l.Set("direction", std::string("LEFT"));
  r.Set("direction", std::string("RIGHT"));
  auto left = RunOp("BitShift", {&a, &s}, l);
  auto right = RunOp("BitShift", {&a, &s}, r);
  ASSERT_TRUE(left.ok() && right.ok());
  EXPECT_EQ(Values<uint8_t>((*left)[0]), (std::vector<uint8_t>{8, 64, 0}));   // 9 >= 8 bits: 0
  EXPECT_EQ(Values<uint8_t>((*right)[0]), (std::vector<uint8_t>{0, 4, 0}));
  Tensor i = I32({1}, {1});
  auto bad = RunOp("BitShift", {&i, &i}, l);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("BitShift 'n'"), std::string::npos);
  EXPECT_NE(bad.status().message().find("rule: unsigned integers"), std::string::npos);
}

TEST(Logical, WhereGolden) {
  Tensor c = B({2, 1}, {1, 0});
  Tensor x = I32({3}, {1, 2, 3});
  Tensor y = I32({}, {-1});
  auto r = RunOp("Where", {&c, &x, &y});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<int32_t>((*r)[0]), (std::vector<int32_t>{1, 2, 3, -1, -1, -1}));
}

TEST(Logical, InferenceNamesNodeAndRule) {
  std::vector<DType> dt;
  std::vector<Shape> sh;
  Status s = testing::InferOp("And", {DType::kInt32, DType::kInt32}, {Shape({2}), Shape({2})}, {nullptr, nullptr}, {}, 1, &dt, &sh);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("And 'n'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("rule: bool inputs"), std::string::npos) << s.message();
  s = testing::InferOp("Less", {DType::kFloat32, DType::kInt64}, {Shape({2}), Shape({2})}, {nullptr, nullptr}, {}, 1, &dt, &sh);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("rule: inputs share one dtype"), std::string::npos) << s.message();
  s = testing::InferOp("Where", {DType::kFloat32, DType::kFloat32, DType::kFloat32}, {Shape({2}), Shape({2}), Shape({2})},
                       {nullptr, nullptr, nullptr}, {}, 1, &dt, &sh);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("rule: bool condition"), std::string::npos) << s.message();
  s = testing::InferOp("Where", {DType::kBool, DType::kFloat32, DType::kFloat32}, {Shape({4, 1}), Shape({3}), Shape({2, 1, 1})},
                       {nullptr, nullptr, nullptr}, {}, 1, &dt, &sh);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(sh[0], Shape({2, 4, 3}));
}

// Where over random shapes [A,1,C] x [B,1] x [C] against explicit index arithmetic.
TEST(Logical, WhereSeededBroadcastSweep) {
  const uint32_t seed = 7771;
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 20; ++trial) {
    std::uniform_int_distribution<int64_t> d(1, 4);
    int64_t A = d(rng), Bn = d(rng), C = d(rng);
    std::vector<uint8_t> cv(static_cast<size_t>(A * C));
    std::vector<float> xv(static_cast<size_t>(Bn)), yv(static_cast<size_t>(C));
    for (auto& v : cv) v = static_cast<uint8_t>(rng() & 1);
    for (auto& v : xv) v = static_cast<float>(rng() % 100);
    for (auto& v : yv) v = -static_cast<float>(rng() % 100);
    Tensor c = B({A, 1, C}, cv), x = F32({Bn, 1}, xv), y = F32({C}, yv);
    auto r = RunOp("Where", {&c, &x, &y});
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ((*r)[0].dims(), (std::vector<int64_t>{A, Bn, C})) << "seed=" << seed;
    std::vector<float> got = Values<float>((*r)[0]);
    for (int64_t a = 0; a < A; ++a)
      for (int64_t b = 0; b < Bn; ++b)
        for (int64_t k = 0; k < C; ++k) {
          float want = cv[static_cast<size_t>(a * C + k)] ? xv[static_cast<size_t>(b)] : yv[static_cast<size_t>(k)];
          ASSERT_EQ(got[static_cast<size_t>((a * Bn + b) * C + k)], want) << "seed=" << seed << " trial " << trial;
        }
  }
}

}  // namespace
}  // namespace edgeinfer
