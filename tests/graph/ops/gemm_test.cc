// Gemm / MatMul: hand-checked goldens, seeded sweeps against explicit formulations (materialised
// transposes and broadcast C for Gemm; a per-batch loop over Gemm for MatMul), 1-D cases, errors.
#include "graph/ops/gemm.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/graph/ops/op_test_util.h"

namespace edgeinfer {
namespace {

using testing::F32;
using testing::RunOp;
using testing::Values;

std::vector<float> Rand(std::mt19937& rng, int64_t n) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = u(rng);
  return v;
}

TEST(Gemm, Golden) {
  Tensor a = F32({2, 3}, {1, 2, 3, 4, 5, 6}), b = F32({3, 2}, {1, 0, 0, 1, 1, 1}), c = F32({2}, {10, 20});
  Attributes at;
  at.Set("alpha", 2.f);
  at.Set("beta", 0.5f);
  auto r = RunOp("Gemm", {&a, &b, &c}, at);
  ASSERT_TRUE(r.ok()) << r.status().message();
  // A*B = [[4,5],[10,11]]; *2 + 0.5*[10,20].
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{13, 20, 25, 32}));
}

TEST(Gemm, RandomSweepTransposesAndBroadcast) {
  const uint32_t seed = 42;
  std::mt19937 rng(seed);
  auto pick = [&](int lo, int hi) { return static_cast<int64_t>(std::uniform_int_distribution<int>(lo, hi)(rng)); };
  for (int iter = 0; iter < 100; ++iter) {
    const int64_t m = pick(1, 6), n = pick(1, 6), k = pick(1, 7);
    const bool ta = pick(0, 1), tb = pick(0, 1);
    const int cform = static_cast<int>(pick(0, 5));  // none, [], [N], [1,N], [M,1], [M,N]
    const float alpha = static_cast<float>(pick(-2, 2)) * 0.5f, beta = static_cast<float>(pick(-2, 2)) * 0.5f;
    auto av = Rand(rng, m * k), bv = Rand(rng, k * n);
    std::vector<int64_t> cdims[] = {{}, {}, {n}, {1, n}, {m, 1}, {m, n}};
    int64_t cn = 1;
    for (int64_t d : cdims[cform]) cn *= d;
    auto cv = Rand(rng, cn);
    // Materialise op(A) as stored (transposed storage when ta).
    std::vector<float> as(av.size()), bs(bv.size());
    for (int64_t i = 0; i < m; ++i) for (int64_t t = 0; t < k; ++t) as[static_cast<size_t>(ta ? t * m + i : i * k + t)] = av[static_cast<size_t>(i * k + t)];
    for (int64_t t = 0; t < k; ++t) for (int64_t j = 0; j < n; ++j) bs[static_cast<size_t>(tb ? j * k + t : t * n + j)] = bv[static_cast<size_t>(t * n + j)];
    Tensor a = F32(ta ? std::vector<int64_t>{k, m} : std::vector<int64_t>{m, k}, as);
    Tensor b = F32(tb ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n}, bs);
    Tensor c = F32(cdims[cform], cv);
    Attributes at;
    at.Set("transA", int64_t{ta});
    at.Set("transB", int64_t{tb});
    at.Set("alpha", alpha);
    at.Set("beta", beta);
    auto r = RunOp("Gemm", {&a, &b, cform ? &c : nullptr}, at);
    ASSERT_TRUE(r.ok()) << "seed " << seed << " iter " << iter << ": " << r.status().message();
    auto y = Values<float>((*r)[0]);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t t = 0; t < k; ++t) acc += static_cast<double>(av[static_cast<size_t>(i * k + t)]) * bv[static_cast<size_t>(t * n + j)];
        double e = alpha * acc;
        if (cform == 1) e += beta * cv[0];
        if (cform == 2 || cform == 3) e += beta * cv[static_cast<size_t>(j)];
        if (cform == 4) e += beta * cv[static_cast<size_t>(i)];
        if (cform == 5) e += beta * cv[static_cast<size_t>(i * n + j)];
        ASSERT_NEAR(y[static_cast<size_t>(i * n + j)], e, 1e-5) << "seed " << seed << " iter " << iter;
      }
  }
}

TEST(MatMul, OneDCases) {
  Tensor v = F32({3}, {1, 2, 3}), m = F32({3, 2}, {1, 2, 3, 4, 5, 6}), mt = F32({2, 3}, {1, 2, 3, 4, 5, 6});
  auto vm = RunOp("MatMul", {&v, &m});
  ASSERT_TRUE(vm.ok()) << vm.status().message();
  EXPECT_EQ((*vm)[0].dims(), (std::vector<int64_t>{2}));
  EXPECT_EQ(Values<float>((*vm)[0]), (std::vector<float>{22, 28}));
  auto mv = RunOp("MatMul", {&mt, &v});
  ASSERT_TRUE(mv.ok());
  EXPECT_EQ((*mv)[0].dims(), (std::vector<int64_t>{2}));
  EXPECT_EQ(Values<float>((*mv)[0]), (std::vector<float>{14, 32}));
  auto vv = RunOp("MatMul", {&v, &v});
  ASSERT_TRUE(vv.ok());
  EXPECT_EQ((*vv)[0].dims(), (std::vector<int64_t>{}));
  EXPECT_EQ(Values<float>((*vv)[0]), (std::vector<float>{14}));
}

TEST(MatMul, RandomBatchBroadcastAgainstGemmPerBatch) {
  const uint32_t seed = 77;
  std::mt19937 rng(seed);
  auto pick = [&](int lo, int hi) { return static_cast<int64_t>(std::uniform_int_distribution<int>(lo, hi)(rng)); };
  for (int iter = 0; iter < 60; ++iter) {
    const int64_t m = pick(1, 4), n = pick(1, 4), k = pick(1, 5), b0 = pick(1, 3), b1 = pick(1, 3);
    // A batch dims [b0 or 1, b1], B batch dims [b1 or 1] (rank differs: broadcast on the left).
    const bool a_bcast = pick(0, 1), b_bcast = pick(0, 1);
    const int64_t a0 = a_bcast ? 1 : b0, bb1 = b_bcast ? 1 : b1;
    auto av = Rand(rng, a0 * b1 * m * k), bv = Rand(rng, bb1 * k * n);
    Tensor a = F32({a0, b1, m, k}, av), b = F32({bb1, k, n}, bv);
    auto r = RunOp("MatMul", {&a, &b});
    ASSERT_TRUE(r.ok()) << "seed " << seed << " iter " << iter << ": " << r.status().message();
    ASSERT_EQ((*r)[0].dims(), (std::vector<int64_t>{a0, b1, m, n}));
    auto y = Values<float>((*r)[0]);
    for (int64_t i0 = 0; i0 < a0; ++i0)
      for (int64_t i1 = 0; i1 < b1; ++i1) {
        Tensor as = F32({m, k}, std::vector<float>(av.begin() + (i0 * b1 + i1) * m * k, av.begin() + (i0 * b1 + i1 + 1) * m * k));
        const int64_t bi = b_bcast ? 0 : i1;
        Tensor bs = F32({k, n}, std::vector<float>(bv.begin() + bi * k * n, bv.begin() + (bi + 1) * k * n));
        auto g = RunOp("Gemm", {&as, &bs});
        ASSERT_TRUE(g.ok());
        auto gv = Values<float>((*g)[0]);
        for (int64_t e = 0; e < m * n; ++e) ASSERT_EQ(y[static_cast<size_t>((i0 * b1 + i1) * m * n + e)], gv[static_cast<size_t>(e)]) << "seed " << seed << " iter " << iter;
      }
  }
}

TEST(GemmInfer, Errors) {
  auto infer = [](const char* op, std::vector<Shape> s, Attributes a = {}) {
    std::vector<DType> t(s.size(), DType::kFloat32);
    return testing::InferOp(op, t, s, {}, std::move(a), 1, nullptr, nullptr);
  };
  Status s = infer("Gemm", {Shape{2, 3}, Shape{4, 5}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Gemm 'n': inner dims differ"), std::string::npos) << s.message();
  s = infer("Gemm", {Shape{2, 3}, Shape{3, 5}, Shape{3, 5}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("does not broadcast"), std::string::npos) << s.message();
  s = infer("Gemm", {Shape{1, 2, 3}, Shape{3, 5}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("must be 2-D"), std::string::npos) << s.message();
  s = infer("MatMul", {Shape{2, 3, 4}, Shape{3, 4, 5}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("do not broadcast"), std::string::npos) << s.message();
  s = infer("MatMul", {Shape{2, 3}, Shape{4, 5}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("inner dims differ"), std::string::npos) << s.message();
  std::vector<Shape> out;
  ASSERT_TRUE(testing::InferOp("MatMul", {DType::kFloat32, DType::kFloat32}, {Shape{kDynamic, 7, 16}, Shape{16, 4}}, {},
                               {}, 1, nullptr, &out).ok());
  EXPECT_EQ(out[0], (Shape{kDynamic, 7, 4}));
}

}  // namespace
}  // namespace edgeinfer
