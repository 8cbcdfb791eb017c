// Data-movement ops: hand-checked goldens, dtype-agnostic copies, inference with unknown shape
// inputs (right rank, dynamic dims) and the errors.
#include "graph/ops/data_movement.h"

#include <limits>
#include <random>

#include "tests/graph/ops/op_test_util.h"

namespace edgeinfer {
namespace {

using testing::F32;
using testing::I64;
using testing::RunOp;
using testing::Values;

Tensor Iota(std::vector<int64_t> dims, DType t = DType::kFloat32) {
  Tensor x(DType::kFloat32, dims);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(i);
  return t == DType::kFloat32 ? x : x.CastTo(t);
}

Attributes Attr(const std::string& k, AttrValue v) {
  Attributes a;
  a.Set(k, std::move(v));
  return a;
}

TEST(DataMovement, FlattenAxes) {
  Tensor x = Iota({2, 3, 4});
  auto r = RunOp("Flatten", {&x});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{2, 12}));
  r = RunOp("Flatten", {&x}, Attr("axis", int64_t{0}));
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{1, 24}));
  r = RunOp("Flatten", {&x}, Attr("axis", int64_t{-1}));
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{6, 4}));
  EXPECT_EQ(Values<float>((*r)[0]), Values<float>(x));
}

TEST(DataMovement, ReshapeZeroMinusOneAllowzero) {
  Tensor x = Iota({2, 3, 4});
  Tensor s = I64({3}, {0, -1, 2});
  auto r = RunOp("Reshape", {&x, &s});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{2, 6, 2}));
  Tensor z = Iota({0, 3});
  Tensor s2 = I64({2}, {3, 0});
  r = RunOp("Reshape", {&z, &s2}, Attr("allowzero", int64_t{1}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{3, 0}));
  Tensor bad = I64({2}, {5, -1});
  r = RunOp("Reshape", {&x, &bad});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "Reshape 'n': cannot reshape [2,3,4] to [5,-1] (rule: element counts agree)");
  // Unknown shape value: rank from the shape input's length.
  std::vector<Shape> sh;
  Status st = testing::InferOp("Reshape", {DType::kFloat32, DType::kInt64}, {Shape{2, 3}, Shape{3}}, {}, {}, 1, nullptr, &sh);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(sh[0], (Shape{kDynamic, kDynamic, kDynamic}));
  st = testing::InferOp("Reshape", {DType::kFloat32, DType::kInt64}, {Shape{2, 3}, Shape{kDynamic}}, {}, {}, 1, nullptr, &sh);
  EXPECT_EQ(st.message(), "Reshape 'n': the shape input must be constant (rule: output rank known at compile time)");
  // Dynamic batch with a constant shape: a batch copied by 0 cancels, so -1 still resolves.
  Tensor s3 = I64({2}, {0, -1});
  st = testing::InferOp("Reshape", {DType::kFloat32, DType::kInt64}, {Shape{kDynamic, 3, 4}, Shape{2}}, {nullptr, &s3}, {}, 1, nullptr, &sh);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(sh[0], (Shape{kDynamic, 12}));
  Tensor s4 = I64({2}, {-1, 12});   // the batch is not copied: -1 stays dynamic
  st = testing::InferOp("Reshape", {DType::kFloat32, DType::kInt64}, {Shape{kDynamic, 3, 4}, Shape{2}}, {nullptr, &s4}, {}, 1, nullptr, &sh);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(sh[0], (Shape{kDynamic, 12}));
  Tensor s5 = I64({3}, {0, 5, -1});
  st = testing::InferOp("Reshape", {DType::kFloat32, DType::kInt64}, {Shape{kDynamic, 3, 4}, Shape{3}}, {nullptr, &s5}, {}, 1, nullptr, &sh);
  EXPECT_EQ(st.message(), "Reshape 'n': cannot reshape [?,3,4] to [0,5,-1] (rule: element counts agree)");
}

TEST(DataMovement, TransposeDefaultAndPerm) {
  Tensor x = Iota({2, 3});
  auto r = RunOp("Transpose", {&x});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  Tensor y = Iota({2, 3, 4}, DType::kInt8);
  r = RunOp("Transpose", {&y}, Attr("perm", std::vector<int64_t>{1, 2, 0}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Tensor& t = (*r)[0];
  EXPECT_EQ(t.dims(), (std::vector<int64_t>{3, 4, 2}));
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 4; ++k) EXPECT_EQ(t.data<int8_t>()[(j * 4 + k) * 2 + i], (i * 3 + j) * 4 + k);
  r = RunOp("Transpose", {&y}, Attr("perm", std::vector<int64_t>{0, 0, 1}));
  EXPECT_EQ(r.status().message(), "Transpose 'n': perm=[0,0,1] is not a permutation of 3 axes");
}

TEST(DataMovement, ConcatAndSplitRoundTrip) {
  Tensor a = Iota({2, 1, 2});
  Tensor b = F32({2, 2, 2}, {10, 11, 12, 13, 14, 15, 16, 17});
  auto r = RunOp("Concat", {&a, &b}, Attr("axis", int64_t{-2}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{2, 3, 2}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{0, 1, 10, 11, 12, 13, 2, 3, 14, 15, 16, 17}));
  Tensor sizes = I64({2}, {1, 2});
  Tensor cat = (*r)[0];
  auto s = RunOp("Split", {&cat, &sizes}, Attr("axis", int64_t{1}), 2);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(Values<float>((*s)[0]), Values<float>(a));
  EXPECT_EQ(Values<float>((*s)[1]), Values<float>(b));
  // Equal split, and opset-18 uneven split (last part smaller).
  Tensor x = Iota({7});
  s = RunOp("Split", {&x}, Attr("num_outputs", int64_t{3}), 3);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ((*s)[0].dims(), (std::vector<int64_t>{3}));
  EXPECT_EQ((*s)[2].dims(), (std::vector<int64_t>{1}));
  EXPECT_EQ(Values<float>((*s)[2]), (std::vector<float>{6}));
  Tensor bad = I64({2}, {3, 3});
  s = RunOp("Split", {&x, &bad}, {}, 2);
  EXPECT_EQ(s.status().message(), "Split 'n': split [3,3] sums to 6, not the axis extent 7");
  Tensor c = testing::I64({1, 2}, {1, 2});
  r = RunOp("Concat", {&a, &c}, Attr("axis", int64_t{0}));
  EXPECT_EQ(r.status().message(), "Concat 'n': input dtypes float and int64 differ (rule: inputs share one dtype)");
}

TEST(DataMovement, SliceSemantics) {
  Tensor x = Iota({10});
  auto slice = [&](std::vector<int64_t> st, std::vector<int64_t> en, std::vector<int64_t> sp) {
    Tensor a = I64({static_cast<int64_t>(st.size())}, st), b = I64({static_cast<int64_t>(en.size())}, en);
    Tensor ax = I64({1}, {0}), c = I64({static_cast<int64_t>(sp.size())}, sp);
    auto r = RunOp("Slice", {&x, &a, &b, &ax, &c});
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? Values<float>((*r)[0]) : std::vector<float>{};
  };
  const int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(slice({2}, {5}, {1}), (std::vector<float>{2, 3, 4}));
  EXPECT_EQ(slice({-3}, {kMax}, {1}), (std::vector<float>{7, 8, 9}));
  EXPECT_EQ(slice({8}, {1}, {-3}), (std::vector<float>{8, 5, 2}));
  EXPECT_EQ(slice({-1}, {kMin}, {-1}), (std::vector<float>{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(slice({20}, {30}, {1}), (std::vector<float>{}));
  EXPECT_EQ(slice({0}, {10}, {4}), (std::vector<float>{0, 4, 8}));
  // 2-D, negative axis, default steps; int32 starts.
  Tensor m = Iota({3, 4});
  Tensor st = testing::I32({1}, {1}), en = testing::I32({1}, {3}), ax = testing::I32({1}, {-1});
  auto r = RunOp("Slice", {&m, &st, &en, &ax});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 2, 5, 6, 9, 10}));
  // Unknown starts: same rank, dynamic dims.
  std::vector<Shape> sh;
  Status s = testing::InferOp("Slice", {DType::kFloat32, DType::kInt64, DType::kInt64}, {Shape{3, 4}, Shape{1}, Shape{1}},
                              {}, {}, 1, nullptr, &sh);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(sh[0].rank(), 2u);
  Tensor zero = I64({1}, {0});
  r = RunOp("Slice", {&m, &st, &en, &ax, &zero});
  EXPECT_EQ(r.status().message(), "Slice 'n': step 0 on axis -1 (rule: steps are non-zero)");
}

TEST(DataMovement, SqueezeUnsqueeze) {
  Tensor x = Iota({1, 3, 1, 2});
  auto r = RunOp("Squeeze", {&x});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{3, 2}));
  Tensor ax = I64({1}, {-2});
  r = RunOp("Squeeze", {&x, &ax});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{1, 3, 2}));
  Tensor bad = I64({1}, {1});
  r = RunOp("Squeeze", {&x, &bad});
  EXPECT_EQ(r.status().message(), "Squeeze 'n': axis 1 of shape [1,3,1,2] has extent 3 (rule: squeezed dims are 1)");
  Tensor y = Iota({3, 4});
  Tensor ua = I64({3}, {4, 0, -2});   // output rank 5: dims 0, 3 and 4 are new
  r = RunOp("Unsqueeze", {&y, &ua});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{1, 3, 4, 1, 1}));
  Tensor dup = I64({2}, {0, -3});
  r = RunOp("Unsqueeze", {&y, &dup});   // rank 4: -3 is 1, distinct from 0
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{1, 1, 3, 4}));
  Tensor dup2 = I64({2}, {0, -4});
  r = RunOp("Unsqueeze", {&y, &dup2});
  EXPECT_EQ(r.status().message(), "Unsqueeze 'n': axis -4 is repeated");
  // Axes known only at run time: rank from the axes' length, dims dynamic; unknown length fails.
  std::vector<Shape> sh;
  Status s = testing::InferOp("Squeeze", {DType::kFloat32, DType::kInt64}, {Shape{1, 3}, Shape{1}}, {}, {}, 1, nullptr, &sh);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(sh[0], (Shape{kDynamic}));
  s = testing::InferOp("Squeeze", {DType::kFloat32, DType::kInt64}, {Shape{1, 3}, Shape{kDynamic}}, {}, {}, 1, nullptr, nullptr);
  EXPECT_EQ(s.message(), "Squeeze 'n': the axes input must be constant (rule: output rank known at compile time)");
}

TEST(DataMovement, GatherAxesAndNegativeIndices) {
  Tensor x = Iota({3, 4});
  Tensor idx = I64({2}, {-1, 0});
  auto r = RunOp("Gather", {&x, &idx});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{8, 9, 10, 11, 0, 1, 2, 3}));
  Tensor idx2 = testing::I32({2, 2}, {3, 1, 0, 0});
  r = RunOp("Gather", {&x, &idx2}, Attr("axis", int64_t{1}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{3, 2, 2}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{3, 1, 0, 0, 7, 5, 4, 4, 11, 9, 8, 8}));
  Tensor scalar = I64({}, {2});
  r = RunOp("Gather", {&x, &scalar});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{4}));
  Tensor oob = I64({1}, {3});
  r = RunOp("Gather", {&x, &oob});
  EXPECT_EQ(r.status().message(), "Gather 'n': index 3 is out of range for axis extent 3 (rule: -d <= index < d)");
}

TEST(DataMovement, ShapeStartEnd) {
  Tensor x = Iota({2, 3, 4, 5});
  auto r = RunOp("Shape", {&x});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<int64_t>((*r)[0]), (std::vector<int64_t>{2, 3, 4, 5}));
  Attributes a;
  a.Set("start", int64_t{1});
  a.Set("end", int64_t{-1});
  r = RunOp("Shape", {&x}, a);
  EXPECT_EQ(Values<int64_t>((*r)[0]), (std::vector<int64_t>{3, 4}));
  r = RunOp("Shape", {&x}, Attr("start", int64_t{-10}));
  EXPECT_EQ(Values<int64_t>((*r)[0]).size(), 4u);
  // Shape of a dynamic-batch value is statically [rank].
  std::vector<Shape> sh;
  ASSERT_TRUE(testing::InferOp("Shape", {DType::kFloat32}, {Shape{kDynamic, 3}}, {}, {}, 1, nullptr, &sh).ok());
  EXPECT_EQ(sh[0], (Shape{2}));
}

TEST(DataMovement, CastConversions) {
  Tensor x = F32({5}, {1.5f, -2.7f, 0.f, 65504.f, 1e-8f});
  auto cast = [&](const Tensor& t, DType to) {
    auto r = RunOp("Cast", {&t}, Attr("to", int64_t{static_cast<int64_t>(to)}));
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? (*r)[0] : Tensor();
  };
  EXPECT_EQ(Values<int32_t>(cast(x, DType::kInt32)), (std::vector<int32_t>{1, -2, 0, 65504, 0}));
  EXPECT_EQ(Values<uint8_t>(cast(x, DType::kBool)), (std::vector<uint8_t>{1, 1, 0, 1, 1}));
  Tensor h = cast(x, DType::kFloat16);
  EXPECT_EQ(HalfToFloat(h.data<uint16_t>()[0]), 1.5f);
  EXPECT_EQ(HalfToFloat(h.data<uint16_t>()[3]), 65504.f);
  Tensor back = cast(h, DType::kFloat64);
  EXPECT_EQ(back.data<double>()[1], static_cast<double>(HalfToFloat(FloatToHalf(-2.7f))));
  Tensor bf = cast(x, DType::kBFloat16);
  EXPECT_EQ(bf.data<uint16_t>()[0], 0x3fc0);   // 1.5
  Tensor big = I64({1}, {(1ll << 53) + 1});
  EXPECT_EQ(cast(big, DType::kInt32).data<int32_t>()[0], 1);   // wraps like a C cast of the low bits
  Tensor like = testing::T1<double>(DType::kFloat64, {1}, {0.0});
  auto cl = RunOp("CastLike", {&x, &like});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ((*cl)[0].dtype(), DType::kFloat64);
  EXPECT_EQ((*cl)[0].data<double>()[1], static_cast<double>(-2.7f));
  auto r = RunOp("Cast", {&x}, Attr("to", int64_t{8}));
  EXPECT_EQ(r.status().message(), "Cast 'n': cast from float to string is not supported (rule: numeric and bool dtypes only)");
}

TEST(DataMovement, ConstantOfShape) {
  Tensor shape = I64({2}, {2, 3});
  auto r = RunOp("ConstantOfShape", {&shape});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dtype(), DType::kFloat32);
  EXPECT_EQ(Values<float>((*r)[0]), std::vector<float>(6, 0.f));
  r = RunOp("ConstantOfShape", {&shape}, Attr("value", I64({1}, {7})));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dtype(), DType::kInt64);
  EXPECT_EQ(Values<int64_t>((*r)[0]), std::vector<int64_t>(6, 7));
  Tensor empty = I64({1}, {0});
  r = RunOp("ConstantOfShape", {&empty});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].numel(), 0);
  std::vector<Shape> sh;
  ASSERT_TRUE(testing::InferOp("ConstantOfShape", {DType::kInt64}, {Shape{3}}, {}, {}, 1, nullptr, &sh).ok());
  EXPECT_EQ(sh[0], (Shape{kDynamic, kDynamic, kDynamic}));
}

// Python's slice.indices(), an independent formulation, with the one place the ONNX Slice spec
// differs: with a negative step a start before the first element clamps to 0 (spec: start in
// [0, dim-1]) where Python would give an empty slice.
std::vector<int64_t> PySliceIndices(int64_t len, int64_t start, int64_t stop, int64_t step) {
  int64_t lower = step > 0 ? 0 : -1, upper = step > 0 ? len : len - 1;
  if (step < 0 && start < 0 && start + len < 0) start = -len;   // ONNX: clamps to index 0
  auto fix = [&](int64_t v) {
    if (v < 0) {
      v += len;
      if (v < lower) v = lower;
    } else if (v > upper) {
      v = upper;
    }
    return v;
  };
  start = fix(start);
  stop = fix(stop);
  std::vector<int64_t> idx;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) idx.push_back(i);
  return idx;
}

TEST(DataMovement, RandomSliceSweep) {
  const uint32_t seed = 99;
  std::mt19937 rng(seed);
  auto pick = [&](int64_t d) {
    switch (rng() % 6) {
      case 0: return std::numeric_limits<int64_t>::max();
      case 1: return std::numeric_limits<int64_t>::min();
      default: return static_cast<int64_t>(rng() % static_cast<uint32_t>(4 * d + 1)) - 2 * d;
    }
  };
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<int64_t> dims = {1 + static_cast<int64_t>(rng() % 6), 1 + static_cast<int64_t>(rng() % 6)};
    Tensor x = Iota(dims, DType::kInt32);
    int64_t axis = rng() % 2;   // slice one axis, or both
    bool both = rng() % 2;
    std::vector<int64_t> st, en, ax, sp;
    for (int64_t a = 0; a < 2; ++a) {
      if (!both && a != axis) continue;
      st.push_back(pick(dims[static_cast<size_t>(a)]));
      en.push_back(pick(dims[static_cast<size_t>(a)]));
      int64_t step = static_cast<int64_t>(rng() % 7) - 3;
      sp.push_back(step == 0 ? 1 : step);
      ax.push_back(rng() % 2 ? a : a - 2);
    }
    int64_t k = static_cast<int64_t>(st.size());
    Tensor ts = I64({k}, st), te = I64({k}, en), ta = I64({k}, ax), tp = I64({k}, sp);
    auto r = RunOp("Slice", {&x, &ts, &te, &ta, &tp});
    ASSERT_TRUE(r.ok()) << r.status().message() << " seed=" << seed;
    std::vector<int64_t> rows = {0}, cols = {0};
    rows.clear();
    cols.clear();
    for (int64_t i = 0; i < dims[0]; ++i) rows.push_back(i);
    for (int64_t j = 0; j < dims[1]; ++j) cols.push_back(j);
    for (size_t q = 0; q < st.size(); ++q) {
      int64_t a = ax[q] < 0 ? ax[q] + 2 : ax[q];
      (a == 0 ? rows : cols) = PySliceIndices(dims[static_cast<size_t>(a)], st[q], en[q], sp[q]);
    }
    const Tensor& y = (*r)[0];
    ASSERT_EQ(y.dims(), (std::vector<int64_t>{static_cast<int64_t>(rows.size()), static_cast<int64_t>(cols.size())}))
        << "seed=" << seed << " iter=" << iter << " dims=" << Shape(dims).ToString() << " starts=" << ::testing::PrintToString(st)
        << " ends=" << ::testing::PrintToString(en) << " axes=" << ::testing::PrintToString(ax)
        << " steps=" << ::testing::PrintToString(sp);
    for (size_t i = 0; i < rows.size(); ++i)
      for (size_t j = 0; j < cols.size(); ++j)
        ASSERT_EQ(y.data<int32_t>()[i * cols.size() + j], rows[i] * dims[1] + cols[j]) << "seed=" << seed << " iter=" << iter;
  }
}

// Random transposes checked against the definition out[i_perm] = in[i].
TEST(DataMovement, RandomTransposeSweep) {
  const uint32_t seed = 4242;
  std::mt19937 rng(seed);
  for (int iter = 0; iter < 50; ++iter) {
    size_t rank = 1 + rng() % 5;
    std::vector<int64_t> dims(rank), perm(rank);
    for (size_t k = 0; k < rank; ++k) { dims[k] = 1 + rng() % 4; perm[k] = static_cast<int64_t>(k); }
    std::shuffle(perm.begin(), perm.end(), rng);
    Tensor x = Iota(dims, DType::kInt64);
    auto r = RunOp("Transpose", {&x}, Attr("perm", perm));
    ASSERT_TRUE(r.ok()) << r.status().message();
    const Tensor& y = (*r)[0];
    std::vector<int64_t> ys = ContiguousStrides(y.dims());
    for (int64_t i = 0; i < x.numel(); ++i) {
      std::vector<int64_t> idx(rank);
      int64_t f = i;
      for (size_t k = rank; k-- > 0;) { idx[k] = f % dims[k]; f /= dims[k]; }
      int64_t o = 0;
      for (size_t k = 0; k < rank; ++k) o += idx[static_cast<size_t>(perm[k])] * ys[k];
      ASSERT_EQ(y.data<int64_t>()[o], i) << "seed=" << seed << " iter=" << iter;
    }
  }
}

}  // namespace
}  // namespace edgeinfer
