// Reductions and ArgMax/ArgMin: hand-checked goldens, inference errors naming the node and the rule,
// the opset-11 import path (axes as attributes; ReduceSum's moved to an input), and a seeded sweep
// against an explicit nested-loop formulation.
#include <onnx/onnx_pb.h>

#include <cmath>
#include <random>

#include "devices/cpu/reference_executor.h"
#include "graph/onnx_import.h"
#include "graph/ops/reduce.h"
#include "tests/graph/ops/op_test_util.h"

namespace edgeinfer {
namespace {

using testing::F32;
using testing::I32;
using testing::I64;
using testing::RunOp;
using testing::Values;

Attributes Axes(std::vector<int64_t> axes, int64_t keepdims = 1) {
  Attributes a;
  a.Set("axes", std::move(axes));
  a.Set("keepdims", keepdims);
  return a;
}

TEST(Reduce, HandGoldens) {
  // x = [[1,2,3],[4,5,6]]
  Tensor x = F32({2, 3}, {1.f, 2.f, 3.f, 4.f, 5.f, 6.f});
  auto mean = RunOp("ReduceMean", {&x}, Axes({1}));
  ASSERT_TRUE(mean.ok()) << mean.status().message();
  EXPECT_EQ((*mean)[0].dims(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(Values<float>((*mean)[0]), (std::vector<float>{2.f, 5.f}));
  auto mx = RunOp("ReduceMax", {&x}, Axes({0}, 0));
  ASSERT_TRUE(mx.ok());
  EXPECT_EQ((*mx)[0].dims(), (std::vector<int64_t>{3}));
  EXPECT_EQ(Values<float>((*mx)[0]), (std::vector<float>{4.f, 5.f, 6.f}));
  auto prod = RunOp("ReduceProd", {&x}, Axes({-1}, 0));
  ASSERT_TRUE(prod.ok());
  EXPECT_EQ(Values<float>((*prod)[0]), (std::vector<float>{6.f, 120.f}));
  auto all = RunOp("ReduceSumSquare", {&x}, Attributes{});   // no axes: every axis, keepdims
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[0].dims(), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(Values<float>((*all)[0]), (std::vector<float>{91.f}));
  auto l2 = RunOp("ReduceL2", {&x}, Axes({1}, 0));
  ASSERT_TRUE(l2.ok());
  EXPECT_NEAR(Values<float>((*l2)[0])[0], std::sqrt(14.f), 1e-6f);
  auto lse = RunOp("ReduceLogSumExp", {&x}, Axes({1}, 0));
  ASSERT_TRUE(lse.ok());
  EXPECT_NEAR(Values<float>((*lse)[0])[1], std::log(std::exp(4.f) + std::exp(5.f) + std::exp(6.f)), 1e-5f);
  // Large inputs do not overflow (the max is subtracted first).
  Tensor big = F32({2}, {1000.f, 1000.f});
  auto lse_big = RunOp("ReduceLogSumExp", {&big}, Axes({0}, 0));
  ASSERT_TRUE(lse_big.ok());
  EXPECT_NEAR(Values<float>((*lse_big)[0])[0], 1000.f + std::log(2.f), 1e-3f);

  // ReduceSum: axes as input 1 (opset 13); empty axes + noop_with_empty_axes = identity.
  Tensor axes = I64({1}, {0});
  auto sum = RunOp("ReduceSum", {&x, &axes});
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(Values<float>((*sum)[0]), (std::vector<float>{5.f, 7.f, 9.f}));
  Tensor none = I64({0}, {});
  Attributes noop;
  noop.Set("noop_with_empty_axes", int64_t{1});
  auto id = RunOp("ReduceSum", {&x, &none}, noop);
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ((*id)[0].dims(), x.dims());
  EXPECT_EQ(Values<float>((*id)[0]), Values<float>(x));

  // Integers: exact 64-bit accumulation.
  Tensor xi = I32({3}, {-7, 100, 2});
  auto mini = RunOp("ReduceMin", {&xi}, Axes({0}, 0));
  ASSERT_TRUE(mini.ok());
  EXPECT_EQ(Values<int32_t>((*mini)[0]), (std::vector<int32_t>{-7}));
  auto l1 = RunOp("ReduceL1", {&xi}, Axes({0}, 0));
  ASSERT_TRUE(l1.ok());
  EXPECT_EQ(Values<int32_t>((*l1)[0]), (std::vector<int32_t>{109}));
}

TEST(Reduce, ArgMaxArgMinTies) {
  Tensor x = F32({2, 4}, {1.f, 3.f, 3.f, 0.f, 2.f, 2.f, -1.f, -1.f});
  Attributes a;
  a.Set("axis", int64_t{1});
  a.Set("keepdims", int64_t{0});
  auto first = RunOp("ArgMax", {&x}, a);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)[0].dtype(), DType::kInt64);
  EXPECT_EQ(Values<int64_t>((*first)[0]), (std::vector<int64_t>{1, 0}));
  a.Set("select_last_index", int64_t{1});
  auto last = RunOp("ArgMax", {&x}, a);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(Values<int64_t>((*last)[0]), (std::vector<int64_t>{2, 1}));
  auto lastmin = RunOp("ArgMin", {&x}, a);
  ASSERT_TRUE(lastmin.ok());
  EXPECT_EQ(Values<int64_t>((*lastmin)[0]), (std::vector<int64_t>{3, 3}));
  Attributes def;   // axis 0, keepdims 1
  auto col = RunOp("ArgMin", {&x}, def);
  ASSERT_TRUE(col.ok());
  EXPECT_EQ((*col)[0].dims(), (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(Values<int64_t>((*col)[0]), (std::vector<int64_t>{0, 1, 1, 1}));
}

TEST(Reduce, InferenceNamesNodeAndRule) {
  std::vector<DType> dt;
  std::vector<Shape> sh;
  Status s = testing::InferOp("ReduceMean", {DType::kFloat32}, {Shape({2, 3})}, {nullptr}, Axes({2}), 1, &dt, &sh);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("ReduceMean 'n'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("rule: -r <= axis < r"), std::string::npos) << s.message();
  s = testing::InferOp("ReduceMax", {DType::kFloat32}, {Shape({2, 3})}, {nullptr}, Axes({1, -1}), 1, &dt, &sh);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("rule: each axis once"), std::string::npos) << s.message();
  // Dynamic batch survives a reduction over the other axes.
  s = testing::InferOp("ReduceMean", {DType::kFloat32}, {Shape({kDynamic, 8, 7, 7})}, {nullptr}, Axes({2, 3}, 0), 1, &dt, &sh);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(sh[0], Shape({kDynamic, 8}));
  Attributes bad;
  bad.Set("axis", int64_t{3});
  s = testing::InferOp("ArgMax", {DType::kFloat32}, {Shape({2, 3})}, {nullptr}, bad, 1, &dt, &sh);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("ArgMax 'n': axis=3"), std::string::npos) << s.message();
}

// An opset-11 model as exporters write it: ReduceMean/ReduceMax with axes attributes and ReduceSum
// with an axes attribute (moved to an input by the importer).
TEST(Reduce, ImportsOpset11AxesAttributes) {
  onnx::ModelProto m;
  m.set_ir_version(6);
  m.add_opset_import()->set_version(11);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("reduce11");
  auto io = [](onnx::ValueInfoProto* v, const char* name, std::vector<int64_t> dims) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  };
  io(g->add_input(), "x", {2, 3, 4});
  auto node = [&](const char* op, const char* in, const char* out, std::vector<int64_t> axes, int64_t keepdims) {
    onnx::NodeProto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(std::string(op) + "_0");
    n->add_input(in);
    n->add_output(out);
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name("axes");
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : axes) a->add_ints(v);
    onnx::AttributeProto* k = n->add_attribute();
    k->set_name("keepdims");
    k->set_type(onnx::AttributeProto::INT);
    k->set_i(keepdims);
  };
  node("ReduceMean", "x", "mean", {2}, 0);      // [2,3]
  node("ReduceMax", "mean", "max", {-1}, 1);    // [2,1]
  node("ReduceSum", "x", "sum", {0, 2}, 0);     // [3]
  io(g->add_output(), "max", {2, 1});
  io(g->add_output(), "sum", {3});
  std::string bytes;
  ASSERT_TRUE(m.SerializeToString(&bytes));
  auto graph = ImportOnnxFromBytes(bytes, "");
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  std::vector<float> xv(24);
  for (size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<float>(i);
  devices::TensorMap in;
  in["x"] = F32({2, 3, 4}, xv);
  auto out = devices::RunReference(*graph, in);
  ASSERT_TRUE(out.ok()) << out.status().message();
  // mean over the last axis: row i of 4 consecutive numbers 4i..4i+3 -> 4i+1.5; max per batch: 9.5, 21.5.
  EXPECT_EQ(Values<float>(out->at("max")), (std::vector<float>{9.5f, 21.5f}));
  // sum over batch and last axis: for channel c, sum of (12b + 4c + k) = 2*(4*4c + 6) + 12*4 = 32c + 60.
  EXPECT_EQ(Values<float>(out->at("sum")), (std::vector<float>{60.f, 92.f, 124.f}));
}

// Seeded sweep: every reduction over random axes of a random 3-D tensor against nested loops.
TEST(Reduce, SeededSweepAgainstLoops) {
  const uint32_t seed = 90210;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.1f, 2.f);
  const char* ops[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
                       "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"};
  for (int trial = 0; trial < 30; ++trial) {
    int64_t D[3] = {1 + static_cast<int64_t>(rng() % 4), 1 + static_cast<int64_t>(rng() % 4), 1 + static_cast<int64_t>(rng() % 4)};
    std::vector<float> v(static_cast<size_t>(D[0] * D[1] * D[2]));
    for (float& f : v) f = u(rng);
    Tensor x = F32({D[0], D[1], D[2]}, v);
    bool red[3] = {(rng() & 1) != 0, (rng() & 1) != 0, (rng() & 1) != 0};
    if (!red[0] && !red[1] && !red[2]) red[1] = true;
    std::vector<int64_t> axes;
    for (int k = 0; k < 3; ++k) if (red[k]) axes.push_back(k);
    for (const char* op : ops) {
      Tensor axes_t = I64({static_cast<int64_t>(axes.size())}, axes);
      auto r = std::string(op) == "ReduceSum" ? RunOp(op, {&x, &axes_t}, Axes({}, 1)) : RunOp(op, {&x}, Axes(axes, 1));
      ASSERT_TRUE(r.ok()) << op << ": " << r.status().message();
      std::vector<float> got = Values<float>((*r)[0]);
      int64_t O[3];
      for (int k = 0; k < 3; ++k) O[k] = red[k] ? 1 : D[k];
      ASSERT_EQ(static_cast<int64_t>(got.size()), O[0] * O[1] * O[2]);
      for (int64_t a = 0; a < O[0]; ++a)
        for (int64_t b = 0; b < O[1]; ++b)
          for (int64_t c = 0; c < O[2]; ++c) {
            std::vector<double> xs;
            for (int64_t i = 0; i < D[0]; ++i)
              for (int64_t j = 0; j < D[1]; ++j)
                for (int64_t k = 0; k < D[2]; ++k)
                  if ((red[0] || i == a) && (red[1] || j == b) && (red[2] || k == c)) xs.push_back(v[static_cast<size_t>((i * D[1] + j) * D[2] + k)]);
            double s = 0, p = 1, mx = -1e30, mn = 1e30, sq = 0, se = 0;
            for (double t : xs) { s += t; p *= t; mx = std::max(mx, t); mn = std::min(mn, t); sq += t * t; se += std::exp(t); }
            std::string o = op;
            double want = o == "ReduceSum" || o == "ReduceL1" ? s : o == "ReduceMean" ? s / static_cast<double>(xs.size())
                        : o == "ReduceMax" ? mx : o == "ReduceMin" ? mn : o == "ReduceProd" ? p : o == "ReduceL2" ? std::sqrt(sq)
                        : o == "ReduceLogSum" ? std::log(s) : o == "ReduceLogSumExp" ? std::log(se) : sq;
            float g = got[static_cast<size_t>((a * O[1] + b) * O[2] + c)];
            ASSERT_NEAR(g, want, 1e-5 + 1e-5 * std::fabs(want)) << op << " trial " << trial << " seed=" << seed;
          }
    }
  }
}

}  // namespace
}  // namespace edgeinfer
