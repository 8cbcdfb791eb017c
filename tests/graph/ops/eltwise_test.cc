// Add/Sub/Mul/Div: hand-checked goldens per dtype, a seeded random broadcasting sweep against an
// independent index formula (unravel the output index, zero the broadcast coordinates, ravel), and
// the inference errors.
#include "graph/ops/eltwise.h"

#include <random>

#include "tests/graph/ops/op_test_util.h"

namespace edgeinfer {
namespace {

using testing::F32;
using testing::RunOp;
using testing::Values;

TEST(Eltwise, GoldensFloatWithBroadcast) {
  Tensor a = F32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = F32({3}, {10, 20, 30});
  auto r = RunOp("Add", {&a, &b});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{11, 22, 33, 14, 25, 36}));
  Tensor c = F32({2, 1}, {1, 2});
  r = RunOp("Sub", {&b, &c});   // [3] - [2,1] -> [2,3]
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{9, 19, 29, 8, 18, 28}));
  Tensor s = F32({}, {2});
  r = RunOp("Mul", {&a, &s});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{2, 4, 6, 8, 10, 12}));
  r = RunOp("Div", {&s, &a});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FLOAT_EQ((*r)[0].data<float>()[3], 0.5f);
}

TEST(Eltwise, IntegerSemantics) {
  Tensor a = testing::I32({4}, {-7, 7, -8, 9});
  Tensor b = testing::I32({4}, {2, -2, 3, 3});
  auto r = RunOp("Div", {&a, &b});   // truncation toward zero
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<int32_t>((*r)[0]), (std::vector<int32_t>{-3, -3, -2, 3}));
  Tensor u = testing::T1<uint8_t>(DType::kUInt8, {2}, {250, 3});
  Tensor v = testing::T1<uint8_t>(DType::kUInt8, {2}, {10, 5});
  r = RunOp("Add", {&u, &v});   // wraps modulo 256 like numpy
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<uint8_t>((*r)[0]), (std::vector<uint8_t>{4, 8}));
  r = RunOp("Sub", {&v, &u});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<uint8_t>((*r)[0]), (std::vector<uint8_t>{16, 2}));
  Tensor i8a = testing::T1<int8_t>(DType::kInt8, {2}, {-128, 100});
  Tensor i8b = testing::T1<int8_t>(DType::kInt8, {2}, {-1, 3});
  r = RunOp("Div", {&i8a, &i8b});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<int8_t>((*r)[0]), (std::vector<int8_t>{-128, 33}));
  Tensor l = testing::I64({2}, {1ll << 40, 3});
  Tensor m = testing::I64({1}, {2});
  r = RunOp("Mul", {&l, &m});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<int64_t>((*r)[0]), (std::vector<int64_t>{1ll << 41, 6}));
  Tensor d = testing::T1<double>(DType::kFloat64, {1}, {1.0});
  Tensor e = testing::T1<double>(DType::kFloat64, {1}, {3.0});
  r = RunOp("Div", {&d, &e});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_DOUBLE_EQ((*r)[0].data<double>()[0], 1.0 / 3.0);
}

TEST(Eltwise, IntegerDivisionByZeroIsAnError) {
  Tensor a = testing::I32({2}, {1, 2});
  Tensor b = testing::I32({2}, {1, 0});
  auto r = RunOp("Div", {&a, &b});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "Div 'n': integer division by zero");
}

TEST(Eltwise, InferenceErrors) {
  Status s = testing::InferOp("Add", {DType::kFloat32, DType::kInt64}, {Shape{2}, Shape{2}}, {}, {}, 1, nullptr, nullptr);
  EXPECT_EQ(s.message(), "Add 'n': input dtypes float and int64 differ (rule: inputs share one dtype)");
  s = testing::InferOp("Add", {DType::kFloat32, DType::kFloat32}, {Shape{2, 3}, Shape{4, 5}}, {}, {}, 1, nullptr, nullptr);
  EXPECT_EQ(s.message(), "Add 'n': shapes [2,3] and [4,5] do not broadcast");
  s = testing::InferOp("Mul", {DType::kString, DType::kString}, {Shape{2}, Shape{2}}, {}, {}, 1, nullptr, nullptr);
  EXPECT_FALSE(s.ok());
}

TEST(Eltwise, InferenceWithDynamicBatch) {
  std::vector<DType> dt;
  std::vector<Shape> sh;
  Status s = testing::InferOp("Add", {DType::kFloat32, DType::kFloat32}, {Shape{kDynamic, 3, 1}, Shape{4}}, {}, {}, 1, &dt, &sh);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(sh[0], (Shape{kDynamic, 3, 4}));
  EXPECT_EQ(dt[0], DType::kFloat32);
}

// Independent formula: out multi-index -> input multi-index by right alignment, 1-dims pinned to 0.
int64_t SourceIndex(const std::vector<int64_t>& out_dims, int64_t flat, const std::vector<int64_t>& in_dims) {
  std::vector<int64_t> idx(out_dims.size());
  for (size_t k = out_dims.size(); k-- > 0;) {
    idx[k] = flat % out_dims[k];
    flat /= out_dims[k];
  }
  int64_t off = 0;
  size_t lead = out_dims.size() - in_dims.size();
  for (size_t k = 0; k < in_dims.size(); ++k) off = off * in_dims[k] + (in_dims[k] == 1 ? 0 : idx[lead + k]);
  return off;
}

TEST(Eltwise, RandomBroadcastSweep) {
  const uint32_t seed = 1234567;
  std::mt19937 rng(seed);
  const char* ops[] = {"Add", "Sub", "Mul", "Div"};
  for (int iter = 0; iter < 200; ++iter) {
    int rank = static_cast<int>(rng() % 5);
    std::vector<int64_t> full(static_cast<size_t>(rank));
    for (int64_t& d : full) d = 1 + static_cast<int64_t>(rng() % 4);
    auto make = [&](std::vector<int64_t>* dims) {
      size_t drop = rank ? rng() % static_cast<size_t>(rank + 1) : 0;   // fewer leading dims
      for (size_t k = drop; k < full.size(); ++k) dims->push_back(rng() % 3 == 0 ? 1 : full[k]);
    };
    std::vector<int64_t> da, db;
    make(&da);
    make(&db);
    const std::string op = ops[rng() % 4];
    auto fill = [&](const std::vector<int64_t>& dims, bool nonzero) {
      Tensor t(DType::kInt32, dims);
      for (int64_t i = 0; i < t.numel(); ++i) {
        int32_t v = static_cast<int32_t>(rng() % 201) - 100;
        if (nonzero && v == 0) v = 7;
        t.data<int32_t>()[i] = v;
      }
      return t;
    };
    Tensor a = fill(da, false), b = fill(db, op == "Div");
    Tensor af = a.CastTo(DType::kFloat32), bf = b.CastTo(DType::kFloat32);
    auto ri = RunOp(op, {&a, &b});
    auto rf = RunOp(op, {&af, &bf});
    ASSERT_TRUE(ri.ok() && rf.ok()) << ri.status().message() << rf.status().message() << " seed=" << seed;
    const Tensor& yi = (*ri)[0];
    const Tensor& yf = (*rf)[0];
    ASSERT_EQ(yi.dims(), yf.dims());
    for (int64_t i = 0; i < yi.numel(); ++i) {
      int64_t x = a.data<int32_t>()[SourceIndex(yi.dims(), i, da)];
      int64_t z = b.data<int32_t>()[SourceIndex(yi.dims(), i, db)];
      int64_t want = op == "Add" ? x + z : op == "Sub" ? x - z : op == "Mul" ? x * z : x / z;
      ASSERT_EQ(yi.data<int32_t>()[i], want) << op << " " << Shape(da).ToString() << " " << Shape(db).ToString()
                                             << " i=" << i << " seed=" << seed;
      float wantf = op == "Div" ? static_cast<float>(x) / static_cast<float>(z) : static_cast<float>(want);
      ASSERT_EQ(yf.data<float>()[i], wantf) << op << " seed=" << seed;
    }
  }
}

}  // namespace
}  // namespace edgeinfer
