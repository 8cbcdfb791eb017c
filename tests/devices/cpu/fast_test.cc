// Cross-device tests of the fast CPU path (oneDNN) against the reference executor.
//
// Tolerance table (one place, each with its reason):
//   FP32: max|fast - ref| <= kRelTol * max(1, max|ref|), kRelTol = 1e-4. oneDNN sums in another
//         order (blocked, vectorised, Winograd never chosen for inference here) and folds
//         BatchNormalization into the weights; both move results by a few ulps times sqrt(K).
//   INT8: bit-exact (the requantization is the shared int8::Epilogue; the int32 accumulators are
//         exact in oneDNN, checked with extreme operands below).
// Every random case prints its seed on failure.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>

#include "devices/cpu/reference_executor.h"
#include "graph/op_table.h"
#include "graph/shape_inference.h"

#ifdef EDGEINFER_HAVE_DNNL
#include "devices/cpu/fast/fast_device.h"
#include "devices/cpu/fast/int8_conv.h"
#include "graph/quant/int8_kernels.h"
#include "devices/compile_caps.h"
#include "fusions/compile_for_device.h"
#include "fusions/pass_list.h"
#if __has_include("graph/onnx_import.h")
#include "graph/onnx_import.h"
#define EI_HAVE_IMPORT 1
#endif

namespace edgeinfer::devices {
namespace {

constexpr double kRelTol = 1e-4;

struct Builder {
  std::shared_ptr<Graph> g = std::make_shared<Graph>();
  std::mt19937 rng;
  TensorMap feeds;
  int counter = 0;
  explicit Builder(uint32_t seed) : rng(seed) {}

  Tensor Random(std::vector<int64_t> dims, float lo = -1.f, float hi = 1.f) {
    Tensor t(DType::kFloat32, dims);
    std::uniform_real_distribution<float> d(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
    return t;
  }
  ValueId Input(std::vector<int64_t> dims) {
    std::string name = "in" + std::to_string(counter++);
    ValueId v = g->AddValue(name, DType::kFloat32, Shape(dims));
    g->inputs().push_back(v);
    feeds[name] = Random(dims);
    return v;
  }
  ValueId Const(std::vector<int64_t> dims, float lo = -1.f, float hi = 1.f) {
    return g->AddConstant("c" + std::to_string(counter++), Random(dims, lo, hi));
  }
  ValueId ConstT(Tensor t) { return g->AddConstant("c" + std::to_string(counter++), std::move(t)); }
  ValueId Op(const std::string& op, std::vector<ValueId> in, Attributes a = {}) {
    ValueId out = g->AddValue("v" + std::to_string(counter++), DType::kUndefined, Shape());
    g->AddNode(op, op + "_" + std::to_string(counter++), std::move(in), {out}, std::move(a));
    return out;
  }
  void Output(ValueId v) { g->outputs().push_back(v); }
};

int64_t Rand(std::mt19937& r, int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(r); }

// Runs `b`'s graph on the reference and on the fast device and compares every output. compile: the
// device gets the graph after fusions::CompileForDevice (the contract every tool keeps), the
// reference the graph as built; otherwise the device runs the graph as built, node by node.
void CheckFp32(Builder& b, uint32_t seed, const CpuFastOptions& opts = {}, bool compile = false) {
  ASSERT_TRUE(InferShapes(*b.g).ok()) << "seed " << seed << ": " << InferShapes(*b.g).message();
  auto ref = RunReference(*b.g, b.feeds);
  ASSERT_TRUE(ref.ok()) << "seed " << seed << ": " << ref.status().message();
  std::shared_ptr<Graph> dg = b.g;
  if (compile) {
    dg = std::make_shared<Graph>(*b.g);
    Status cs = fusions::CompileForDevice(*dg, CpuFastCompileCapabilities());
    ASSERT_TRUE(cs.ok()) << "seed " << seed << ": " << cs.message();
  }
  CpuFastDevice dev(opts);
  Status st = dev.Prepare(dg);
  ASSERT_TRUE(st.ok()) << "seed " << seed << ": " << st.message();
  TensorMap out;
  st = dev.Launch(b.feeds, &out);
  ASSERT_TRUE(st.ok()) << "seed " << seed << ": " << st.message();
  for (const auto& [name, r] : *ref) {
    ASSERT_TRUE(out.count(name)) << "seed " << seed << ": output " << name << " missing";
    const Tensor& f = out.at(name);
    ASSERT_EQ(f.dims(), r.dims()) << "seed " << seed;
    double max_ref = 0, max_diff = 0;
    for (int64_t i = 0; i < r.numel(); ++i) {
      max_ref = std::max(max_ref, std::fabs(static_cast<double>(r.data<float>()[i])));
      max_diff = std::max(max_diff, std::fabs(static_cast<double>(r.data<float>()[i]) - f.data<float>()[i]));
    }
    EXPECT_LE(max_diff, kRelTol * std::max(1.0, max_ref))
        << "seed " << seed << " output " << name << " max|ref| " << max_ref << "\n" << dev.Explain();
  }
  // The arena the shared planner placed passes its overlap checker.
  ASSERT_NE(dev.arena_plan(), nullptr);
  Status mp = CheckMemoryPlan(*dev.arena_plan());
  EXPECT_TRUE(mp.ok()) << "seed " << seed << ": " << mp.message();
  // A second launch reuses the plan and must give the same bytes.
  TensorMap out2;
  ASSERT_TRUE(dev.Launch(b.feeds, &out2).ok());
  for (const auto& [name, t] : out) EXPECT_EQ(0, std::memcmp(t.raw(), out2.at(name).raw(), t.bytes())) << "seed " << seed;
}

Attributes ConvAttrs(int64_t k, int64_t stride, int64_t pad, int64_t dil, int64_t group) {
  Attributes a;
  a.Set("kernel_shape", std::vector<int64_t>{k, k});
  a.Set("strides", std::vector<int64_t>{stride, stride});
  a.Set("pads", std::vector<int64_t>{pad, pad, pad, pad});
  a.Set("dilations", std::vector<int64_t>{dil, dil});
  a.Set("group", group);
  return a;
}

// ---- FP32 ops ----

TEST(CpuFast, ConvRandom) {
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    Builder b(seed);
    auto& r = b.rng;
    const bool depthwise = seed % 4 == 0;
    int64_t c = Rand(r, 1, 24), m = depthwise ? c : Rand(r, 1, 40), g = depthwise ? c : 1;
    int64_t k = std::vector<int64_t>{1, 3, 5}[static_cast<size_t>(Rand(r, 0, 2))];
    int64_t h = Rand(r, k + 2, 19), w = Rand(r, k + 2, 17);
    int64_t stride = Rand(r, 1, 2), pad = Rand(r, 0, k / 2), dil = seed % 5 == 0 ? 2 : 1;
    if ((h + 2 * pad - (k - 1) * dil - 1) < 0 || (w + 2 * pad - (k - 1) * dil - 1) < 0) dil = 1;
    ValueId x = b.Input({Rand(r, 1, 2), c, h, w});
    std::vector<ValueId> in = {x, b.Const({m, c / g, k, k})};
    if (seed % 2) in.push_back(b.Const({m}));
    b.Output(b.Op("Conv", in, ConvAttrs(k, stride, pad, dil, g)));
    CheckFp32(b, seed);
  }
}

// The unfused ResNet pattern: Conv -> BatchNormalization -> Add(residual) -> Relu, compiled for the
// device (BN folded, one ConvEltwiseAct) and run as one primitive with the residual as a post-op; the
// same graph uncompiled runs node by node and must agree too.
TEST(CpuFast, ConvBnAddReluChain) {
  for (uint32_t seed = 20; seed < 26; ++seed) {
    Builder b(seed);
    auto& r = b.rng;
    int64_t c = Rand(r, 4, 32), h = Rand(r, 6, 14);
    ValueId x = b.Input({1, c, h, h});
    // Branch conv (so the residual is an internal buffer) and the main conv.
    ValueId y0 = b.Op("Conv", {x, b.Const({c, c, 1, 1}), b.Const({c})}, ConvAttrs(1, 1, 0, 1, 1));
    ValueId y1 = b.Op("Conv", {y0, b.Const({c, c, 3, 3})}, ConvAttrs(3, 1, 1, 1, 1));
    Attributes bn;
    bn.Set("epsilon", 1e-5f);
    ValueId y2 = b.Op("BatchNormalization", {y1, b.Const({c}, 0.5f, 1.5f), b.Const({c}), b.Const({c}), b.Const({c}, 0.5f, 2.f)}, bn);
    ValueId y3 = b.Op("Add", {y2, seed % 2 ? y0 : x});
    ValueId y4 = b.Op(seed % 3 ? "Relu" : "Clip", seed % 3 ? std::vector<ValueId>{y3}
                                                          : std::vector<ValueId>{y3, b.ConstT(Tensor::FromVector(DType::kFloat32, {}, std::vector<float>{0.f})),
                                                                                 b.ConstT(Tensor::FromVector(DType::kFloat32, {}, std::vector<float>{0.5f}))});
    b.Output(y4);
    CheckFp32(b, seed, {}, /*compile=*/true);
    // Structure: the compiler folded the BN and fused Conv+Add+act into one node, which the device
    // ran as one primitive with the residual as a post-op.
    auto compiled = std::make_shared<Graph>(*b.g);
    fusions::CompileReport rep;
    ASSERT_TRUE(fusions::CompileForDevice(*compiled, CpuFastCompileCapabilities(), &rep).ok());
    EXPECT_EQ(rep.CountByKind()["FoldBatchNorm"], 1);
    ASSERT_EQ(rep.CountByKind()["ConvEltwiseAct"], 1);
    for (const fusions::FusionRecord& f : rep.fusions) {
      if (f.kind == "ConvEltwiseAct") EXPECT_EQ(f.nodes.back().rfind(seed % 3 ? "Relu" : "Clip", 0), 0u) << f.nodes.back();
    }
    CpuFastDevice dev;
    ASSERT_TRUE(dev.Prepare(compiled).ok());
    EXPECT_NE(dev.Explain().find("ConvEltwiseAct"), std::string::npos) << dev.Explain();
    EXPECT_NE(dev.Explain().find("residual:"), std::string::npos) << dev.Explain();
    CheckFp32(b, seed);
  }
}

// The arena: buffers of a conv chain are planned by the shared planner (graph/memory_planner.h);
// dead buffers are reused (the arena is below the sum of the buffers, at the planner's lower bound
// or above it) and the checker finds no overlap.
TEST(CpuFast, ArenaPlannedByTheSharedPlanner) {
  Builder b(60);
  ValueId x = b.Input({1, 8, 12, 12});
  for (int i = 0; i < 6; ++i) x = b.Op("Conv", {x, b.Const({8, 8, 3, 3}), b.Const({8})}, ConvAttrs(3, 1, 1, 1, 1));
  b.Output(x);
  CheckFp32(b, 60);
  CpuFastDevice dev;
  ASSERT_TRUE(dev.Prepare(b.g).ok());
  const MemoryPlan* plan = dev.arena_plan();
  ASSERT_NE(plan, nullptr);
  EXPECT_TRUE(CheckMemoryPlan(*plan).ok());
  int64_t sum = 0;
  for (const BufferRequest& r : plan->requests) sum += r.size;
  EXPECT_GE(plan->requests.size(), 6u);
  EXPECT_LT(static_cast<int64_t>(dev.arena_bytes()), sum) << MemoryTimeline(*plan);
  EXPECT_GE(static_cast<int64_t>(dev.arena_bytes()), plan->lower_bound[0]);
}

// ResNet's downsample block: Add(BN(conv_a), BN(conv_b)) -> Relu. Both chains want the Add; one
// gets it, the other ends at its BatchNormalization (a regression: both claimed it once). Compiled
// and as built.
TEST(CpuFast, TwoChainsMeetAtOneAdd) {
  for (uint32_t seed = 30; seed < 34; ++seed) {
    Builder b(seed);
    auto& r = b.rng;
    int64_t c = Rand(r, 4, 20), m = Rand(r, 4, 20), h = Rand(r, 5, 12);
    ValueId x = b.Input({1, c, h, h});
    auto conv_bn = [&](int64_t k) {
      ValueId y = b.Op("Conv", {x, b.Const({m, c, k, k})}, ConvAttrs(k, 1, k / 2, 1, 1));
      return b.Op("BatchNormalization", {y, b.Const({m}, 0.5f, 1.5f), b.Const({m}), b.Const({m}), b.Const({m}, 0.5f, 2.f)});
    };
    ValueId a = conv_bn(3), d = conv_bn(1);
    b.Output(b.Op("Relu", {b.Op("Add", {a, d})}));
    CheckFp32(b, seed, {}, /*compile=*/true);
    CheckFp32(b, seed);
  }
}

TEST(CpuFast, FusedOps) {
  for (const char* op : {"ConvBiasAct", "ConvEltwiseAct", "ConvBiasActPool"}) {
    ASSERT_NE(FindOp(op), nullptr) << op << " is not in the op table";
  }
  const char* acts[] = {"Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSwish", "HardSigmoid", "Tanh", ""};
  for (uint32_t seed = 40; seed < 48; ++seed) {
    for (const char* op : {"ConvBiasAct", "ConvEltwiseAct", "ConvBiasActPool"}) {
      Builder b(seed);
      auto& r = b.rng;
      int64_t c = Rand(r, 2, 16), m = Rand(r, 2, 24), h = Rand(r, 6, 13);
      ValueId x = b.Input({1, c, h, h});
      Attributes a = ConvAttrs(3, 1, 1, 1, 1);
      std::string act = acts[seed % 8];
      if (!act.empty()) a.Set("activation", act);
      if (act == "Clip") { a.Set("act_min", 0.f); a.Set("act_max", 0.6f); }
      std::vector<ValueId> in = {x, b.Const({m, c, 3, 3}), b.Const({m})};
      if (std::string(op) == "ConvEltwiseAct") in.push_back(b.Input({1, m, h, h}));
      if (std::string(op) == "ConvBiasActPool") {
        a.Set("pool", std::string(seed % 2 ? "MaxPool" : "AveragePool"));
        a.Set("pool_kernel_shape", std::vector<int64_t>{2, 2});
        a.Set("pool_strides", std::vector<int64_t>{2, 2});
      }
      b.Output(b.Op(op, in, a));
      SCOPED_TRACE(std::string(op) + " act=" + act);
      CheckFp32(b, seed);
    }
  }
}

TEST(CpuFast, ConvTranspose) {
  for (uint32_t seed = 50; seed < 56; ++seed) {
    Builder b(seed);
    auto& r = b.rng;
    int64_t c = Rand(r, 1, 12), m = Rand(r, 1, 12), h = Rand(r, 3, 9), stride = Rand(r, 1, 2);
    ValueId x = b.Input({1, c, h, h});
    Attributes a;
    a.Set("kernel_shape", std::vector<int64_t>{3, 3});
    a.Set("strides", std::vector<int64_t>{stride, stride});
    a.Set("pads", std::vector<int64_t>{1, 1, 1, 1});
    if (stride == 2) a.Set("output_padding", std::vector<int64_t>{1, 1});
    b.Output(b.Op("ConvTranspose", {x, b.Const({c, m, 3, 3}), b.Const({m})}, a));
    CheckFp32(b, seed);
  }
}

TEST(CpuFast, GemmAndMatMul) {
  for (uint32_t seed = 60; seed < 68; ++seed) {
    Builder b(seed);
    auto& r = b.rng;
    int64_t m = Rand(r, 1, 9), k = Rand(r, 1, 70), n = Rand(r, 1, 50);
    ValueId a = b.Input({m, k});
    Attributes at;
    const bool tb = seed % 2;
    at.Set("transB", static_cast<int64_t>(tb));
    if (seed % 3 == 0) { at.Set("alpha", 0.5f); at.Set("beta", 2.f); }
    ValueId y = b.Op("Gemm", {a, tb ? b.Const({n, k}) : b.Const({k, n}), b.Const({n})}, at);
    if (seed % 4 == 1) y = b.Op("Relu", {y});
    b.Output(y);
    ValueId a3 = b.Input({2, m, k});
    b.Output(b.Op("MatMul", {a3, b.Const({k, n})}));
    CheckFp32(b, seed);
  }
}

TEST(CpuFast, Pooling) {
  for (uint32_t seed = 70; seed < 80; ++seed) {
    Builder b(seed);
    auto& r = b.rng;
    int64_t c = Rand(r, 1, 20), h = Rand(r, 5, 16);
    ValueId x = b.Input({Rand(r, 1, 2), c, h, h});
    // Feed a blocked layout too: a conv in front of half the cases.
    if (seed % 2) x = b.Op("Conv", {x, b.Const({c, c, 1, 1})}, ConvAttrs(1, 1, 0, 1, 1));
    Attributes a;
    int64_t k = Rand(r, 2, 3), s = Rand(r, 1, 2), p = Rand(r, 0, 1);
    a.Set("kernel_shape", std::vector<int64_t>{k, k});
    a.Set("strides", std::vector<int64_t>{s, s});
    a.Set("pads", std::vector<int64_t>{p, p, p, p});
    if (seed % 3 == 0) a.Set("ceil_mode", int64_t{1});
    Attributes avg = a;
    avg.Set("count_include_pad", static_cast<int64_t>(seed % 2));
    b.Output(b.Op("MaxPool", {x}, a));
    b.Output(b.Op("AveragePool", {x}, avg));
    b.Output(b.Op("GlobalAveragePool", {x}));
    b.Output(b.Op("GlobalMaxPool", {x}));
    CheckFp32(b, seed);
  }
}

TEST(CpuFast, ActivationsAndBinary) {
  for (uint32_t seed = 80; seed < 86; ++seed) {
    Builder b(seed);
    auto& r = b.rng;
    int64_t c = Rand(r, 1, 20), h = Rand(r, 2, 9);
    ValueId x = b.Input({2, c, h, h});
    ValueId xb = b.Op("Conv", {x, b.Const({c, c, 1, 1})}, ConvAttrs(1, 1, 0, 1, 1));   // blocked
    for (const char* op : {"Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSwish", "HardSigmoid"}) {
      b.Output(b.Op(op, {seed % 2 ? x : xb}));
    }
    b.Output(b.Op("Add", {xb, x}));
    b.Output(b.Op("Mul", {xb, b.Const({1, c, 1, 1})}));        // per-channel broadcast on a blocked src
    b.Output(b.Op("Sub", {x, b.Const({h})}));                   // trailing broadcast
    b.Output(b.Op("Div", {x, b.Const({1}, 0.5f, 2.f)}));
    b.Output(b.Op("Add", {b.Const({c, 1, 1}), x}));            // broadcast src0: swapped
    Attributes bn;
    b.Output(b.Op("BatchNormalization", {x, b.Const({c}), b.Const({c}), b.Const({c}), b.Const({c}, 0.5f, 2.f)}, bn));
    CheckFp32(b, seed);
  }
}

TEST(CpuFast, DataMovementSoftmaxAndFallback) {
  for (uint32_t seed = 90; seed < 96; ++seed) {
    Builder b(seed);
    auto& r = b.rng;
    int64_t c = Rand(r, 1, 20), h = Rand(r, 2, 7);
    ValueId x = b.Input({1, c, h, h});
    ValueId xb = b.Op("Conv", {x, b.Const({c, c, 1, 1})}, ConvAttrs(1, 1, 0, 1, 1));
    Attributes ax;
    ax.Set("axis", int64_t{1});
    b.Output(b.Op("Concat", {xb, x, xb}, ax));
    ValueId t = b.Op("Transpose", {xb}, [] { Attributes a; a.Set("perm", std::vector<int64_t>{0, 2, 3, 1}); return a; }());
    ValueId rs = b.Op("Reshape", {t, b.ConstT(Tensor::FromVector(DType::kInt64, {2}, std::vector<int64_t>{1, -1}))});
    b.Output(b.Op("Softmax", {rs}));
    b.Output(b.Op("Flatten", {xb}));
    // Split along channels of a conv output (channels-last in oneDNN) and of a plain input, and
    // the SSD-head pattern Transpose(0,2,3,1) -> Reshape of each part.
    if (c >= 3) {
      Attributes sa;
      sa.Set("axis", int64_t{1});
      auto sizes = b.ConstT(Tensor::FromVector(DType::kInt64, {2}, std::vector<int64_t>{1, c - 1}));
      for (ValueId src : {xb, x}) {
        ValueId p0 = b.g->AddValue("p" + std::to_string(b.counter++), DType::kUndefined, Shape());
        ValueId p1 = b.g->AddValue("p" + std::to_string(b.counter++), DType::kUndefined, Shape());
        b.g->AddNode("Split", "split" + std::to_string(b.counter++), {src, sizes}, {p0, p1}, sa);
        for (ValueId part : {p0, p1}) {
          ValueId tp = b.Op("Transpose", {part}, [] { Attributes a; a.Set("perm", std::vector<int64_t>{0, 2, 3, 1}); return a; }());
          b.Output(b.Op("Reshape", {tp, b.ConstT(Tensor::FromVector(DType::kInt64, {3}, std::vector<int64_t>{1, -1, 1}))}));
        }
      }
    }
    // Reference fallback (no oneDNN mapping): Slice with constant inputs.
    ValueId sl = b.Op("Slice", {xb, b.ConstT(Tensor::FromVector(DType::kInt64, {1}, std::vector<int64_t>{0})),
                                b.ConstT(Tensor::FromVector(DType::kInt64, {1}, std::vector<int64_t>{1})),
                                b.ConstT(Tensor::FromVector(DType::kInt64, {1}, std::vector<int64_t>{1}))});
    b.Output(b.Op("Relu", {sl}));
    CheckFp32(b, seed);
  }
}

TEST(CpuFast, ThreadCountOption) {
  Builder b(7);
  ValueId x = b.Input({1, 8, 10, 10});
  b.Output(b.Op("Conv", {x, b.Const({16, 8, 3, 3})}, ConvAttrs(3, 1, 1, 1, 1)));
  CpuFastOptions one;
  one.num_threads = 1;
  CheckFp32(b, 7, one);
  CpuFastDevice d(one);
  EXPECT_EQ(d.num_threads(), 1);
}

TEST(CpuFast, RejectsUnknownOp) {
  auto g = std::make_shared<Graph>();
  ValueId x = g->AddValue("x", DType::kFloat32, Shape({1, 2}));
  g->inputs().push_back(x);
  ValueId y = g->AddValue("y", DType::kFloat32, Shape({1, 2}));
  g->AddNode("NoSuchOp", "weird", {x}, {y});
  g->outputs().push_back(y);
  CpuFastDevice d;
  Status s = d.Prepare(g);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("NoSuchOp"), std::string::npos) << s.message();
}

// ---- INT8 ----

struct Int8Case {
  int8::Conv2DGeometry g;
  std::vector<int8_t> x, w, r;   // NCHW
  std::vector<int32_t> bias;
};

Int8Case MakeInt8Case(std::mt19937& rng, bool extreme, bool nonneg = false) {
  Int8Case c;
  auto& g = c.g;
  const bool dw = Rand(rng, 0, 3) == 0;
  g.n = Rand(rng, 1, 2);
  g.c = Rand(rng, 1, 40);
  g.k = dw ? g.c : Rand(rng, 1, 48);
  g.group = dw ? g.c : 1;
  g.r = g.s = std::vector<int64_t>{1, 3, 5}[static_cast<size_t>(Rand(rng, 0, 2))];
  g.h = Rand(rng, g.r + 1, 16);
  g.w = Rand(rng, g.s + 1, 16);
  g.stride_h = g.stride_w = Rand(rng, 1, 2);
  g.pad_t = g.pad_l = g.pad_b = g.pad_r = Rand(rng, 0, g.r / 2);
  g.oh = (g.h + g.pad_t + g.pad_b - g.r) / g.stride_h + 1;
  g.ow = (g.w + g.pad_l + g.pad_r - g.s) / g.stride_w + 1;
  std::uniform_int_distribution<int> d8(-128, 127);
  c.x.resize(static_cast<size_t>(g.n * g.c * g.h * g.w));
  c.w.resize(static_cast<size_t>(g.k * (g.c / g.group) * g.r * g.s));
  c.r.resize(static_cast<size_t>(g.n * g.k * g.oh * g.ow));
  for (auto& v : c.x) v = static_cast<int8_t>(extreme ? (nonneg ? 127 : -128) : (nonneg ? d8(rng) & 127 : d8(rng)));
  for (auto& v : c.w) v = static_cast<int8_t>(extreme ? -128 : std::max(-127, d8(rng)));
  for (auto& v : c.r) v = static_cast<int8_t>(d8(rng));
  c.bias.resize(static_cast<size_t>(g.k));
  for (auto& v : c.bias) v = std::uniform_int_distribution<int32_t>(-20000, 20000)(rng);
  return c;
}

template <class T>
std::vector<T> NchwToNhwc(const std::vector<T>& v, int64_t n, int64_t c, int64_t h, int64_t w) {
  std::vector<T> o(v.size());
  for (int64_t a = 0; a < n; ++a)
    for (int64_t b = 0; b < c; ++b)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) o[static_cast<size_t>(((a * h + y) * w + x) * c + b)] = v[static_cast<size_t>(((a * c + b) * h + y) * w + x)];
  return o;
}

// Int8Conv (oneDNN s32 accumulation + our epilogue) against int8::ConvAccumulate + ApplyEpilogue.
void CheckInt8Conv(uint32_t seed, bool extreme, bool nonneg = false) {
  std::mt19937 rng(seed);
  Int8Case c = MakeInt8Case(rng, extreme, nonneg);
  const auto& g = c.g;
  const int mode = static_cast<int>(seed % 4);   // none, relu, clip, lut
  ops::ActParams act{ops::ActKind::kIdentity};
  if (mode == 1) act.kind = ops::ActKind::kRelu;
  if (mode == 2) { act.kind = ops::ActKind::kClip; act.min = -0.5f; act.max = 0.75f; }
  if (mode == 3) act.kind = ops::ActKind::kSigmoid;
  const bool residual = seed % 3 == 0;
  std::vector<float> ws(static_cast<size_t>(g.k));
  for (auto& v : ws) v = std::uniform_real_distribution<float>(0.001f, 0.02f)(rng);
  auto e = int8::MakeEpilogue(act, mode != 0, 0.02f, ws, extreme ? 40.f : 0.05f, 0.1f, residual, 0.03f);
  ASSERT_TRUE(e.ok()) << e.status().message();
  // Reference.
  std::vector<int32_t> acc(static_cast<size_t>(g.n * g.k * g.oh * g.ow));
  int8::ConvAccumulate(g, c.x.data(), c.w.data(), c.bias.data(), acc.data());
  std::vector<int8_t> ref(acc.size());
  const int64_t plane = g.oh * g.ow;
  for (size_t i = 0; i < acc.size(); ++i) {
    const size_t k = static_cast<size_t>((static_cast<int64_t>(i) / plane) % g.k);
    ref[i] = int8::ApplyEpilogue(*e, acc[i], k, residual ? c.r[i] : 0);
  }
  // Fast.
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream s(eng);
  auto cv = fast::Int8Conv::Create(g, c.w.data(), c.bias.data(), *e, eng, nonneg);
  ASSERT_TRUE(cv.ok()) << cv.status().message();
  auto xh = NchwToNhwc(c.x, g.n, g.c, g.h, g.w);
  auto rh = NchwToNhwc(c.r, g.n, g.k, g.oh, g.ow);
  std::vector<int8_t> y(ref.size());
  std::vector<int32_t> accb((*cv)->acc_bytes() / 4 + 16);
  std::vector<char> scratch((*cv)->scratch_bytes() + 64);
  (*cv)->Run(s, xh.data(), residual ? rh.data() : nullptr, y.data(), accb.data(), scratch.data());
  auto refh = NchwToNhwc(ref, g.n, g.k, g.oh, g.ow);
  size_t bad = 0;
  for (size_t i = 0; i < y.size(); ++i) bad += y[i] != refh[i];
  EXPECT_EQ(bad, 0u) << "seed " << seed << " (" << (*cv)->impl() << ") nonneg=" << nonneg << " c=" << g.c << " k=" << g.k << " r=" << g.r
                     << " group=" << g.group << " mode=" << mode << " residual=" << residual;
}

TEST(CpuFastInt8, ConvBitExactRandom) {
  for (uint32_t seed = 100; seed < 124; ++seed) CheckInt8Conv(seed, false);
}

// Nonnegative inputs (after a ReLU) run as u8 x s8: the same bytes, the faster kernels.
TEST(CpuFastInt8, ConvBitExactUnsignedSource) {
  for (uint32_t seed = 150; seed < 166; ++seed) CheckInt8Conv(seed, false, true);
  for (uint32_t seed = 170; seed < 173; ++seed) CheckInt8Conv(seed, true, true);
}

// Extreme operands (-128 everywhere): accumulators far beyond 2^24 must still be exact (a float
// path inside oneDNN would round them).
TEST(CpuFastInt8, ConvBitExactExtremeAccumulators) {
  for (uint32_t seed = 200; seed < 206; ++seed) CheckInt8Conv(seed, true);
}

// A quantized chain as the compiler emits it: QuantizeLinear -> ConvBiasAct(Relu) ->
// ConvEltwiseAct (u8 source, residual) -> ConvBiasActPool (MaxPool) -> DequantizeLinear, against
// the reference executor, bit for bit.
TEST(CpuFastInt8, QuantizedChainInGraph) {
  for (const char* op : {"ConvBiasAct", "ConvEltwiseAct", "ConvBiasActPool"}) {
    ASSERT_NE(FindOp(op), nullptr) << op << " is not in the op table";
  }
  for (uint32_t seed = 500; seed < 506; ++seed) {
    Builder b(seed);
    auto& r = b.rng;
    const int64_t c = Rand(r, 3, 24), h = Rand(r, 5, 15);
    ValueId x = b.Input({1, c, h, h});
    auto scalar = [&](float v) { return b.ConstT(Tensor::FromVector(DType::kFloat32, {}, std::vector<float>{v})); };
    auto zp = [&]() { return b.ConstT(Tensor::FromVector(DType::kInt8, {}, std::vector<int8_t>{0})); };
    ValueId xq = b.Op("QuantizeLinear", {x, scalar(0.01f), zp()});
    auto qconv = [&](const std::string& op, ValueId in, int64_t k, int64_t ks, float xs, float ys, ValueId res, float rs) {
      std::vector<int8_t> w(static_cast<size_t>(k * c * ks * ks));
      for (auto& v : w) v = static_cast<int8_t>(Rand(r, -127, 127));
      std::vector<int32_t> bias(static_cast<size_t>(k));
      for (auto& v : bias) v = static_cast<int32_t>(Rand(r, -3000, 3000));
      std::vector<ValueId> in_v = {in, b.ConstT(Tensor::FromVector(DType::kInt8, {k, c, ks, ks}, w)),
                                   b.ConstT(Tensor::FromVector(DType::kInt32, {k}, bias))};
      if (res != kNoValue) in_v.push_back(res);
      Attributes a = ConvAttrs(ks, 1, ks / 2, 1, 1);
      a.Set("activation", std::string("Relu"));
      a.Set("x_scale", xs);
      std::vector<float> ws(static_cast<size_t>(k));
      for (auto& v : ws) v = std::uniform_real_distribution<float>(0.002f, 0.01f)(r);
      a.Set("w_scale", ws);
      a.Set("y_scale", ys);
      if (res != kNoValue) a.Set("r_scale", rs);
      if (op == "ConvBiasActPool") {
        a.Set("pool", std::string("MaxPool"));
        a.Set("pool_kernel_shape", std::vector<int64_t>{2, 2});
        a.Set("pool_strides", std::vector<int64_t>{2, 2});
      }
      return b.Op(op, in_v, a);
    };
    ValueId y1 = qconv("ConvBiasAct", xq, c, 3, 0.01f, 0.02f, kNoValue, 0.f);
    ValueId y2 = qconv("ConvEltwiseAct", y1, c, 1, 0.02f, 0.03f, y1, 0.02f);
    ValueId y3 = qconv("ConvBiasActPool", y2, c, 3, 0.03f, 0.04f, kNoValue, 0.f);
    b.Output(b.Op("DequantizeLinear", {y3, scalar(0.04f), zp()}));
    b.Output(b.Op("DequantizeLinear", {y1, scalar(0.02f), zp()}));
    ASSERT_TRUE(InferShapes(*b.g).ok()) << InferShapes(*b.g).message();
    auto ref = RunReference(*b.g, b.feeds);
    ASSERT_TRUE(ref.ok()) << ref.status().message();
    CpuFastDevice dev;
    Status prep = dev.Prepare(b.g);
    ASSERT_TRUE(prep.ok()) << prep.message();
    TensorMap out;
    Status st = dev.Launch(b.feeds, &out);
    ASSERT_TRUE(st.ok()) << st.message();
    for (const auto& [name, t] : *ref) {
      EXPECT_EQ(0, std::memcmp(t.raw(), out.at(name).raw(), t.bytes())) << "seed " << seed << " output " << name << "\n"
                                                                        << dev.Explain();
    }
    // Structure: every step ran on the fast path (no reference kernel), the residual conv read u8.
    EXPECT_EQ(dev.Explain().find("reference kernel"), std::string::npos) << dev.Explain();
    EXPECT_NE(dev.Explain().find("u8*s8"), std::string::npos) << dev.Explain();
  }
}

// The first layer of an INT8 CNN: 3 signed input channels, 7x7 stride 2. Runs as x+128 read as
// uint8 with a source zero point of 128; still bit-exact (padding included).
TEST(CpuFastInt8, SignedFirstLayerViaZeroPoint) {
  std::mt19937 rng(600);
  int8::Conv2DGeometry g;
  g.n = 1; g.c = 3; g.h = g.w = 33; g.k = 16; g.r = g.s = 7;
  g.stride_h = g.stride_w = 2;
  g.pad_t = g.pad_l = g.pad_b = g.pad_r = 3;
  g.oh = g.ow = (33 + 6 - 7) / 2 + 1;
  std::uniform_int_distribution<int> d8(-128, 127);
  std::vector<int8_t> x(static_cast<size_t>(g.c * g.h * g.w)), w(static_cast<size_t>(g.k * g.c * 49));
  for (auto& v : x) v = static_cast<int8_t>(d8(rng));
  for (auto& v : w) v = static_cast<int8_t>(std::max(-127, d8(rng)));
  std::vector<int32_t> bias(static_cast<size_t>(g.k), 17);
  auto e = int8::MakeEpilogue(ops::ActParams{ops::ActKind::kRelu}, true, 0.02f, std::vector<float>(16, 0.01f), 0.3f, 0.f,
                              false, 0.f);
  ASSERT_TRUE(e.ok());
  std::vector<int32_t> acc(static_cast<size_t>(g.k * g.oh * g.ow));
  int8::ConvAccumulate(g, x.data(), w.data(), bias.data(), acc.data());
  std::vector<int8_t> ref(acc.size());
  for (size_t i = 0; i < acc.size(); ++i) ref[i] = int8::ApplyEpilogue(*e, acc[i], i / static_cast<size_t>(g.oh * g.ow), 0);
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream s(eng);
  auto cv = fast::Int8Conv::Create(g, w.data(), bias.data(), *e, eng, false);
  ASSERT_TRUE(cv.ok());
  std::vector<int8_t> y(ref.size());
  std::vector<int32_t> accb((*cv)->acc_bytes() / 4 + 16);
  std::vector<char> scratch((*cv)->scratch_bytes() + 64);
  auto xh = NchwToNhwc(x, 1, g.c, g.h, g.w);
  (*cv)->Run(s, xh.data(), nullptr, y.data(), accb.data(), scratch.data());
  EXPECT_EQ(0, std::memcmp(y.data(), NchwToNhwc(ref, 1, g.k, g.oh, g.ow).data(), y.size())) << (*cv)->impl();
  if (!(*cv)->shifted_source()) std::cout << "note: oneDNN ran the signed layer directly (" << (*cv)->impl() << ")\n";
}

TEST(CpuFastInt8, RequantizeRowsMatchesEpilogue) {
  std::mt19937 rng(300);
  for (int mode = 0; mode < 3; ++mode) {
    ops::ActParams act{mode == 1 ? ops::ActKind::kRelu : ops::ActKind::kClip, 0.f, 0.f, -1.f, 2.f};
    std::vector<float> ws = {0.5f, 1e-4f, 3.f, 1e-9f, 7.f};
    auto e = int8::MakeEpilogue(act, mode != 0, 0.03f, ws, 0.04f, 0.f, true, 0.07f);
    ASSERT_TRUE(e.ok());
    const int64_t rows = 257, k = 5;
    std::vector<int32_t> acc(static_cast<size_t>(rows * k)), bias = {1, -2, 3, INT32_MAX / 4, -7};
    std::vector<int8_t> res(acc.size()), y(acc.size());
    std::uniform_int_distribution<int32_t> d(INT32_MIN / 4, INT32_MAX / 4);
    for (auto& v : acc) v = d(rng) >> static_cast<int>(rng() % 31);
    for (auto& v : res) v = static_cast<int8_t>(rng());
    fast::RequantizeRows(*e, acc.data(), bias.data(), res.data(), y.data(), rows, k);
    for (size_t i = 0; i < acc.size(); ++i) {
      ASSERT_EQ(y[i], int8::ApplyEpilogue(*e, acc[i] + bias[i % 5], i % 5, res[i])) << "mode " << mode << " i " << i;
    }
  }
}

// An INT8 fused node inside a graph: fast device vs the op table's INT8 reference, bit-exact.
TEST(CpuFastInt8, FusedNodeInGraph) {
  ASSERT_NE(FindOp("ConvBiasAct"), nullptr) << "ConvBiasAct is not in the op table";
  for (uint32_t seed = 400; seed < 406; ++seed) {
    std::mt19937 rng(seed);
    Int8Case c = MakeInt8Case(rng, false);
    const auto& g = c.g;
    auto gr = std::make_shared<Graph>();
    ValueId x = gr->AddValue("x", DType::kInt8, Shape({g.n, g.c, g.h, g.w}));
    gr->inputs().push_back(x);
    ValueId w = gr->AddConstant("w", Tensor::FromVector(DType::kInt8, {g.k, g.c / g.group, g.r, g.s}, c.w));
    ValueId bv = gr->AddConstant("b", Tensor::FromVector(DType::kInt32, {g.k}, c.bias));
    std::vector<ValueId> in = {x, w, bv};
    const bool res = seed % 2;
    if (res) {
      ValueId r = gr->AddValue("r", DType::kInt8, Shape({g.n, g.k, g.oh, g.ow}));
      gr->inputs().push_back(r);
      in.push_back(r);
    }
    ValueId y = gr->AddValue("y", DType::kUndefined, Shape());
    Attributes a;
    a.Set("kernel_shape", std::vector<int64_t>{g.r, g.s});
    a.Set("strides", std::vector<int64_t>{g.stride_h, g.stride_w});
    a.Set("pads", std::vector<int64_t>{g.pad_t, g.pad_l, g.pad_b, g.pad_r});
    a.Set("group", g.group);
    a.Set("activation", std::string(seed % 3 ? "Relu" : "Clip"));
    a.Set("act_min", -0.3f);
    a.Set("act_max", 0.4f);
    a.Set("x_scale", 0.02f);
    std::vector<float> ws(static_cast<size_t>(g.k));
    for (auto& v : ws) v = std::uniform_real_distribution<float>(0.001f, 0.02f)(rng);
    a.Set("w_scale", ws);
    a.Set("y_scale", 0.05f);
    if (res) a.Set("r_scale", 0.03f);
    gr->AddNode(res ? "ConvEltwiseAct" : "ConvBiasAct", "qconv", in, {y}, a);
    gr->outputs().push_back(y);
    ASSERT_TRUE(InferShapes(*gr).ok()) << InferShapes(*gr).message();
    TensorMap feeds;
    feeds["x"] = Tensor::FromVector(DType::kInt8, {g.n, g.c, g.h, g.w}, c.x);
    if (res) feeds["r"] = Tensor::FromVector(DType::kInt8, {g.n, g.k, g.oh, g.ow}, c.r);
    auto ref = RunReference(*gr, feeds);
    ASSERT_TRUE(ref.ok()) << ref.status().message();
    CpuFastDevice dev;
    ASSERT_TRUE(dev.Prepare(gr).ok());
    TensorMap out;
    Status st = dev.Launch(feeds, &out);
    ASSERT_TRUE(st.ok()) << st.message();
    const Tensor& rt = ref->at("y");
    const Tensor& ft = out.at("y");
    ASSERT_EQ(rt.dims(), ft.dims());
    EXPECT_EQ(0, std::memcmp(rt.raw(), ft.raw(), rt.bytes())) << "seed " << seed << "\n" << dev.Explain();
  }
}

// ---- whole models from the zoo (build/models), when the zoo helper has generated them ----

#ifdef EI_HAVE_IMPORT
TEST(CpuFastModels, ZooModelsMatchReference) {
  const std::filesystem::path dir = std::filesystem::path(EDGEINFER_BINARY_DIR) / "models";
  int ran = 0;
  for (const char* name : {"tiny_cnn.onnx", "mobilenetv2.onnx", "resnet50.onnx", "ssd_mobilenet.onnx"}) {
    const auto path = dir / name;
    if (!std::filesystem::exists(path)) continue;
    ImportOptions io;
    io.batch = 1;
    auto g = ImportOnnx(path.string(), io);
    ASSERT_TRUE(g.ok()) << g.status().message();
    auto gp = std::make_shared<Graph>(std::move(*g));
    Builder b(1);
    b.g = gp;
    for (ValueId v : gp->inputs()) b.feeds[gp->value(v).name] = b.Random(gp->value(v).shape.dims);
    SCOPED_TRACE(name);
    CheckFp32(b, 1);
    // The same model after the compiler's FP32 passes (fused ops) against the reference on the
    // imported graph.
    {
      Graph compiled = *gp;
      fusions::PipelineOptions po;
      fusions::CompileReport rep;
      ASSERT_TRUE(fusions::RunPipeline(compiled, po, &rep).ok());
      auto ref = RunReference(*gp, b.feeds);
      ASSERT_TRUE(ref.ok()) << ref.status().message();
      CpuFastDevice dev;
      ASSERT_TRUE(dev.Prepare(std::make_shared<const Graph>(std::move(compiled))).ok());
      TensorMap out;
      Status st = dev.Launch(b.feeds, &out);
      ASSERT_TRUE(st.ok()) << st.message();
      for (const auto& [oname, r] : *ref) {
        const Tensor& f = out.at(oname);
        double max_ref = 0, max_diff = 0;
        for (int64_t i = 0; i < r.numel(); ++i) {
          max_ref = std::max(max_ref, std::fabs(static_cast<double>(r.data<float>()[i])));
          max_diff = std::max(max_diff, std::fabs(static_cast<double>(r.data<float>()[i]) - f.data<float>()[i]));
        }
        EXPECT_LE(max_diff, kRelTol * std::max(1.0, max_ref)) << "compiled " << name << " output " << oname;
      }
    }
    ++ran;
  }
  if (!ran) GTEST_SKIP() << "no zoo models in " << dir << " (generate them with the zoo tool)";
}
#endif

}  // namespace
}  // namespace edgeinfer::devices

#else
TEST(CpuFast, SkippedWithoutOneDnn) { GTEST_SKIP() << "built without oneDNN (install libdnnl-dev)"; }
#endif
