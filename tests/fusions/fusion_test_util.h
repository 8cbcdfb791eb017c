// Test helpers for the passes: a small graph builder (shapes inferred as nodes are added), seeded
// random tensors, running one pass the way the pipeline does (pass, Compact, VerifyGraph), and
// comparing a graph's outputs before and after with the reference executor.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "devices/cpu/reference_executor.h"
#include "fusions/fusion_util.h"
#include "fusions/pass.h"
#include "graph/shape_inference.h"

namespace edgeinfer::testing {

inline Tensor RandomTensor(std::vector<int64_t> dims, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  Tensor t(DType::kFloat32, std::move(dims));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

class Builder {
 public:
  Graph g;
  uint32_t seed = 1;

  ValueId Input(const std::string& name, std::vector<int64_t> dims) {
    ValueId v = g.AddValue(name, DType::kFloat32, Shape(dims));
    g.inputs().push_back(v);
    return v;
  }
  ValueId Const(const std::string& name, Tensor t) { return g.AddConstant(name, std::move(t)); }
  ValueId Rand(const std::string& name, std::vector<int64_t> dims, float lo = -1.f, float hi = 1.f) {
    return Const(name, RandomTensor(std::move(dims), seed++, lo, hi));
  }
  ValueId Scalar(const std::string& name, float v) { return Const(name, Tensor::FromVector(DType::kFloat32, {}, std::vector<float>{v})); }
  // Adds a node with one output (or n_out) and infers it; returns the first output.
  ValueId Op(const std::string& op, const std::string& name, std::vector<ValueId> inputs, Attributes attrs = {}, size_t n_out = 1) {
    std::vector<ValueId> outs;
    for (size_t i = 0; i < n_out; ++i) outs.push_back(g.AddValue(name + (i ? "_out" + std::to_string(i) : "_out"), DType::kUndefined, Shape()));
    NodeId id = g.AddNode(op, name, std::move(inputs), outs, std::move(attrs));
    Status s = fusions::InferAndStore(g, id);
    EXPECT_TRUE(s.ok()) << s.message();
    return outs[0];
  }
  ValueId Conv(const std::string& name, ValueId x, int64_t k, int64_t kernel, int64_t stride = 1, int64_t pad = 0, bool bias = true,
               int64_t group = 1) {
    int64_t c = g.value(x).shape.dims[1];
    Attributes a;
    a.Set("kernel_shape", std::vector<int64_t>{kernel, kernel});
    a.Set("strides", std::vector<int64_t>{stride, stride});
    a.Set("pads", std::vector<int64_t>{pad, pad, pad, pad});
    if (group != 1) a.Set("group", group);
    float bound = std::sqrt(6.f / static_cast<float>(c / group * kernel * kernel));
    ValueId w = Rand(name + "_w", {k, c / group, kernel, kernel}, -bound, bound);
    std::vector<ValueId> in = {x, w};
    if (bias) in.push_back(Rand(name + "_b", {k}, -0.2f, 0.2f));
    return Op("Conv", name, in, a);
  }
  void Output(ValueId v) { g.outputs().push_back(v); }
};

// Runs one pass as the pipeline does. Fails the test on an error.
inline fusions::CompileReport RunPass(Graph& g, fusions::PassFn pass, const std::string& name = "pass") {
  fusions::CompileReport r;
  fusions::PassContext ctx;
  ctx.report = &r;
  ctx.pass = name;
  Status s = pass(g, ctx);
  EXPECT_TRUE(s.ok()) << s.message();
  s = g.Compact();
  EXPECT_TRUE(s.ok()) << s.message();
  s = VerifyGraph(g);
  EXPECT_TRUE(s.ok()) << s.message() << "\n" << g.DumpText();
  return r;
}

inline devices::TensorMap RandomInputs(const Graph& g, uint32_t seed) {
  devices::TensorMap m;
  for (ValueId v : g.inputs()) m[g.value(v).name] = RandomTensor(g.value(v).shape.dims, seed++);
  return m;
}

inline int CountOp(const Graph& g, const std::string& op) {
  int c = 0;
  for (NodeId id : g.NodeIds()) c += g.node(id).op == op;
  return c;
}

// Max |a-b| over every graph output (same names in both graphs).
inline double MaxOutputDiff(const Graph& a, const Graph& b, const devices::TensorMap& in) {
  auto ra = devices::RunReference(a, in);
  auto rb = devices::RunReference(b, in);
  EXPECT_TRUE(ra.ok()) << ra.status().message();
  EXPECT_TRUE(rb.ok()) << rb.status().message();
  if (!ra.ok() || !rb.ok()) return INFINITY;
  double m = 0.0;
  for (const auto& [name, t] : *ra) {
    auto it = rb->find(name);
    EXPECT_TRUE(it != rb->end()) << "output " << name << " missing after the pass";
    if (it == rb->end()) return INFINITY;
    EXPECT_EQ(t.dims(), it->second.dims()) << name;
    if (t.dims() != it->second.dims()) return INFINITY;
    for (int64_t i = 0; i < t.numel(); ++i) m = std::max(m, std::fabs(t.GetAsDouble(i) - it->second.GetAsDouble(i)));
  }
  return m;
}

// FP32 tolerance for "fused output equals the unfused chain": folding BN/scales into weights
// reassociates products (w*s rounded once instead of (x*w)*s), and merged convolutions sum in the
// same order; for outputs of magnitude ~1 with reductions of a few hundred terms the difference
// stays within a few float ulps times the reduction length. 1e-4 absolute covers that with margin;
// pure re-wiring passes (no arithmetic change) are compared exactly (0.0).
constexpr double kFoldTolerance = 1e-4;

}  // namespace edgeinfer::testing
