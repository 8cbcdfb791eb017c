// Misc ops (Expand, Tile, Range, Size, Gather/Scatter Elements/ND, DepthToSpace, SpaceToDepth,
// Instance/LayerNormalization, LRN, TopK, NonMaxSuppression, Trilu, CumSum, Hardmax, EyeLike):
// hand-checked goldens, inference errors naming the node and the rule, seeded sweeps against
// independent formulations, and an exporter-style LayerNormalization chain imported with folding.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "devices/cpu/reference_executor.h"
#include "graph/onnx_import.h"
#include "graph/ops/misc.h"
#include "tests/graph/ops/op_test_util.h"

namespace edgeinfer {
namespace {

using testing::F32;
using testing::I32;
using testing::I64;
using testing::RunOp;
using testing::Values;

std::vector<float> Iota(int64_t n, float start = 0.f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = start + static_cast<float>(i);
  return v;
}

Attributes A1(const char* name, int64_t v) {
  Attributes a;
  a.Set(name, v);
  return a;
}

TEST(Misc, ExpandTileRangeSize) {
  Tensor x = F32({3, 1}, {1.f, 2.f, 3.f});
  Tensor shape3 = I64({3}, {2, 1, 4});
  auto e = RunOp("Expand", {&x, &shape3});
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ((*e)[0].dims(), (std::vector<int64_t>{2, 3, 4}));   // bidirectional: the 1 keeps x's 3
  std::vector<float> ev = Values<float>((*e)[0]);
  EXPECT_EQ(ev[0], 1.f);
  EXPECT_EQ(ev[4], 2.f);
  EXPECT_EQ(ev[23], 3.f);

  Tensor t = F32({2}, {5.f, 6.f});
  Tensor rep = I64({1}, {3});
  auto tile = RunOp("Tile", {&t, &rep});
  ASSERT_TRUE(tile.ok());
  EXPECT_EQ(Values<float>((*tile)[0]), (std::vector<float>{5.f, 6.f, 5.f, 6.f, 5.f, 6.f}));

  Tensor s = I32({}, {10}), l = I32({}, {1}), d = I32({}, {-3});
  auto r = RunOp("Range", {&s, &l, &d});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<int32_t>((*r)[0]), (std::vector<int32_t>{10, 7, 4}));
  Tensor fs = F32({}, {1.f}), fl = F32({}, {2.f}), fd = F32({}, {0.25f});
  auto fr = RunOp("Range", {&fs, &fl, &fd});
  ASSERT_TRUE(fr.ok());
  EXPECT_EQ(Values<float>((*fr)[0]), (std::vector<float>{1.f, 1.25f, 1.5f, 1.75f}));
  Tensor zero = F32({}, {0.f});
  auto bad = RunOp("Range", {&fs, &fl, &zero});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("Range 'n': delta is 0"), std::string::npos) << bad.status().message();

  auto size = RunOp("Size", {&shape3});
  ASSERT_TRUE(size.ok());
  EXPECT_EQ((*size)[0].rank(), 0u);
  EXPECT_EQ(Values<int64_t>((*size)[0]), (std::vector<int64_t>{3}));
}

TEST(Misc, GatherScatter) {
  Tensor data = F32({2, 2}, {1.f, 2.f, 3.f, 4.f});
  Tensor ind = I64({2, 2}, {0, 0, 1, 0});
  auto ge = RunOp("GatherElements", {&data, &ind}, A1("axis", 1));
  ASSERT_TRUE(ge.ok()) << ge.status().message();
  EXPECT_EQ(Values<float>((*ge)[0]), (std::vector<float>{1.f, 1.f, 4.f, 3.f}));
  Tensor neg = I64({1, 2}, {-1, 0});
  auto gn = RunOp("GatherElements", {&data, &neg}, A1("axis", 0));
  ASSERT_TRUE(gn.ok());
  EXPECT_EQ(Values<float>((*gn)[0]), (std::vector<float>{3.f, 2.f}));

  // GatherND with batch_dims=1: data [2,2,2], indices [2,1] -> one row per batch.
  Tensor d3 = F32({2, 2, 2}, Iota(8));
  Tensor bi = I64({2, 1}, {1, 0});
  auto gnd = RunOp("GatherND", {&d3, &bi}, A1("batch_dims", 1));
  ASSERT_TRUE(gnd.ok()) << gnd.status().message();
  EXPECT_EQ((*gnd)[0].dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(Values<float>((*gnd)[0]), (std::vector<float>{2.f, 3.f, 4.f, 5.f}));

  Tensor base = F32({4}, {1.f, 1.f, 1.f, 1.f});
  Tensor si = I64({2, 1}, {3, 3});
  Tensor up = F32({2}, {5.f, 6.f});
  Attributes add;
  add.Set("reduction", std::string("add"));
  auto snd = RunOp("ScatterND", {&base, &si, &up}, add);
  ASSERT_TRUE(snd.ok()) << snd.status().message();
  EXPECT_EQ(Values<float>((*snd)[0]), (std::vector<float>{1.f, 1.f, 1.f, 12.f}));
  Tensor oob = I64({1, 1}, {4});
  Tensor up1 = F32({1}, {0.f});
  auto o = RunOp("ScatterND", {&base, &oob, &up1});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("ScatterND 'n': index 4 is out of range"), std::string::npos) << o.status().message();
}

TEST(Misc, DepthToSpaceModes) {
  // x [1,4,1,1] = 0,1,2,3 with blocksize 2.
  Tensor x = F32({1, 4, 1, 1}, Iota(4));
  auto dcr = RunOp("DepthToSpace", {&x}, A1("blocksize", 2));
  ASSERT_TRUE(dcr.ok()) << dcr.status().message();
  EXPECT_EQ((*dcr)[0].dims(), (std::vector<int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(Values<float>((*dcr)[0]), (std::vector<float>{0.f, 1.f, 2.f, 3.f}));
  // 8 channels: DCR interleaves the two output channels, CRD keeps them in blocks.
  Tensor x8 = F32({1, 8, 1, 1}, Iota(8));
  Attributes crd = A1("blocksize", 2);
  crd.Set("mode", std::string("CRD"));
  auto c = RunOp("DepthToSpace", {&x8}, crd);
  auto d = RunOp("DepthToSpace", {&x8}, A1("blocksize", 2));
  ASSERT_TRUE(c.ok() && d.ok());
  EXPECT_EQ(Values<float>((*c)[0]), (std::vector<float>{0.f, 1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f}));
  EXPECT_EQ(Values<float>((*d)[0]), (std::vector<float>{0.f, 2.f, 4.f, 6.f, 1.f, 3.f, 5.f, 7.f}));
  std::vector<DType> dt;
  std::vector<Shape> sh;
  Status s = testing::InferOp("DepthToSpace", {DType::kFloat32}, {Shape({1, 6, 2, 2})}, {nullptr}, A1("blocksize", 2), 1, &dt, &sh);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("DepthToSpace 'n': channels 6 are not divisible by blocksize^2=4"), std::string::npos) << s.message();
}

// SpaceToDepth then DepthToSpace(DCR) is the identity (the two are defined as inverse reshapes).
TEST(Misc, SpaceToDepthInvertsDepthToSpaceSeeded) {
  const uint32_t seed = 4242;
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 10; ++trial) {
    int64_t b = 1 + static_cast<int64_t>(rng() % 3), C = 1 + static_cast<int64_t>(rng() % 3);
    int64_t H = b * (1 + static_cast<int64_t>(rng() % 3)), W = b * (1 + static_cast<int64_t>(rng() % 3));
    std::vector<float> v(static_cast<size_t>(2 * C * H * W));
    for (float& f : v) f = static_cast<float>(rng() % 1000);
    Tensor x = F32({2, C, H, W}, v);
    auto s2d = RunOp("SpaceToDepth", {&x}, A1("blocksize", b));
    ASSERT_TRUE(s2d.ok()) << s2d.status().message();
    auto back = RunOp("DepthToSpace", {&(*s2d)[0]}, A1("blocksize", b));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(Values<float>((*back)[0]), v) << "seed=" << seed << " trial " << trial;
  }
}

TEST(Misc, NormalizationsAgainstFormulas) {
  const uint32_t seed = 1337;
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.f, 2.f);
  std::vector<float> xv(2 * 3 * 5);
  for (float& f : xv) f = nd(rng);
  Tensor x = F32({2, 3, 5}, xv);
  Tensor scale = F32({3}, {1.f, 2.f, -1.f}), bias = F32({3}, {0.f, 0.5f, 1.f});
  auto in = RunOp("InstanceNormalization", {&x, &scale, &bias});
  ASSERT_TRUE(in.ok()) << in.status().message();
  std::vector<float> got = Values<float>((*in)[0]);
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c) {
      double m = 0, v = 0;
      for (int i = 0; i < 5; ++i) m += xv[static_cast<size_t>((n * 3 + c) * 5 + i)];
      m /= 5;
      for (int i = 0; i < 5; ++i) v += std::pow(xv[static_cast<size_t>((n * 3 + c) * 5 + i)] - m, 2);
      v /= 5;
      for (int i = 0; i < 5; ++i) {
        size_t k = static_cast<size_t>((n * 3 + c) * 5 + i);
        double want = scale.data<float>()[c] * (xv[k] - m) / std::sqrt(v + 1e-5) + bias.data<float>()[c];
        ASSERT_NEAR(got[k], want, 1e-5) << "seed=" << seed;
      }
    }
  // LayerNormalization over the last two axes, with Mean and InvStdDev outputs.
  Tensor ls = F32({5}, {1.f, 1.f, 2.f, 2.f, 0.5f});
  auto ln = RunOp("LayerNormalization", {&x, &ls}, A1("axis", -2), 3);
  ASSERT_TRUE(ln.ok()) << ln.status().message();
  EXPECT_EQ((*ln)[1].dims(), (std::vector<int64_t>{2, 1, 1}));
  std::vector<float> y = Values<float>((*ln)[0]), mean = Values<float>((*ln)[1]), inv = Values<float>((*ln)[2]);
  for (int n = 0; n < 2; ++n) {
    double m = 0, v = 0;
    for (int i = 0; i < 15; ++i) m += xv[static_cast<size_t>(n * 15 + i)];
    m /= 15;
    for (int i = 0; i < 15; ++i) v += std::pow(xv[static_cast<size_t>(n * 15 + i)] - m, 2);
    v /= 15;
    ASSERT_NEAR(mean[static_cast<size_t>(n)], m, 1e-5);
    ASSERT_NEAR(inv[static_cast<size_t>(n)], 1 / std::sqrt(v + 1e-5), 1e-4);
    for (int i = 0; i < 15; ++i) {
      double want = (xv[static_cast<size_t>(n * 15 + i)] - m) / std::sqrt(v + 1e-5) * ls.data<float>()[i % 5];
      ASSERT_NEAR(y[static_cast<size_t>(n * 15 + i)], want, 1e-5) << "seed=" << seed;
    }
  }
  // LRN, size 3 over 3 channels at one pixel: channel 1 sees all three.
  Tensor lx = F32({1, 3, 1, 1}, {1.f, 2.f, 3.f});
  Attributes la = A1("size", 3);
  la.Set("alpha", 3.f);
  la.Set("beta", 1.f);
  la.Set("bias", 1.f);
  auto lrn = RunOp("LRN", {&lx}, la);
  ASSERT_TRUE(lrn.ok());
  std::vector<float> lv = Values<float>((*lrn)[0]);
  EXPECT_NEAR(lv[0], 1.f / (1.f + 1.f * (1 + 4)), 1e-6f);        // channels 0..1
  EXPECT_NEAR(lv[1], 2.f / (1.f + 1.f * (1 + 4 + 9)), 1e-6f);    // channels 0..2
  EXPECT_NEAR(lv[2], 3.f / (1.f + 1.f * (4 + 9)), 1e-6f);        // channels 1..2
}

TEST(Misc, TopKTiesAndErrors) {
  Tensor x = F32({2, 4}, {3.f, 1.f, 3.f, 2.f, 0.f, 0.f, -1.f, 5.f});
  Tensor k = I64({1}, {3});
  auto r = RunOp("TopK", {&x, &k}, {}, 2);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{3.f, 3.f, 2.f, 5.f, 0.f, 0.f}));
  EXPECT_EQ(Values<int64_t>((*r)[1]), (std::vector<int64_t>{0, 2, 3, 3, 0, 1}));   // ties: lower index first
  Attributes small = A1("largest", 0);
  auto s = RunOp("TopK", {&x, &k}, small, 2);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Values<int64_t>((*s)[1]), (std::vector<int64_t>{1, 3, 0, 2, 0, 1}));
  Tensor big = I64({1}, {5});
  auto e = RunOp("TopK", {&x, &big}, {}, 2);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("TopK 'n': K=5 for axis extent 4 (rule: 0 <= K <= extent)"), std::string::npos)
      << e.status().message();
}

TEST(Misc, NonMaxSuppressionGolden) {
  // Three boxes of class 0: box 1 overlaps box 0 heavily (IoU 0.81), box 2 is apart.
  Tensor boxes = F32({1, 3, 4}, {0.f, 0.f, 1.f, 1.f, 0.f, 0.1f, 1.f, 1.1f, 0.f, 10.f, 1.f, 11.f});
  Tensor scores = F32({1, 1, 3}, {0.9f, 0.95f, 0.3f});
  Tensor maxb = I64({1}, {10});
  Tensor iou = F32({1}, {0.5f});
  Tensor sth = F32({1}, {0.2f});
  auto r = RunOp("NonMaxSuppression", {&boxes, &scores, &maxb, &iou, &sth});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<int64_t>((*r)[0]), (std::vector<int64_t>{0, 0, 1, 0, 0, 2}));   // best first; box 0 suppressed
  Tensor hi = F32({1}, {0.5f});
  auto r2 = RunOp("NonMaxSuppression", {&boxes, &scores, &maxb, &iou, &hi});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(Values<int64_t>((*r2)[0]), (std::vector<int64_t>{0, 0, 1}));   // box 2 is under the score threshold
  // Unknown values at compile time: [?, 3].
  std::vector<DType> dt;
  std::vector<Shape> sh;
  Status s = testing::InferOp("NonMaxSuppression", {DType::kFloat32, DType::kFloat32}, {Shape({1, 3, 4}), Shape({1, 1, 3})},
                              {nullptr, nullptr}, {}, 1, &dt, &sh);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(sh[0], Shape({kDynamic, 3}));
  s = testing::InferOp("NonMaxSuppression", {DType::kFloat32, DType::kFloat32}, {Shape({1, 3, 4}), Shape({1, 1, 4})},
                       {nullptr, nullptr}, {}, 1, &dt, &sh);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("NonMaxSuppression 'n'"), std::string::npos);
}

TEST(Misc, TriluCumSumHardmaxEyeLike) {
  Tensor m = F32({3, 3}, Iota(9, 1.f));
  auto up = RunOp("Trilu", {&m});
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(Values<float>((*up)[0]), (std::vector<float>{1.f, 2.f, 3.f, 0.f, 5.f, 6.f, 0.f, 0.f, 9.f}));
  Tensor k = I64({}, {-1});
  auto lo = RunOp("Trilu", {&m, &k}, A1("upper", 0));
  ASSERT_TRUE(lo.ok());
  EXPECT_EQ(Values<float>((*lo)[0]), (std::vector<float>{0.f, 0.f, 0.f, 4.f, 0.f, 0.f, 7.f, 8.f, 0.f}));
  Tensor v = F32({4}, {1.f, 2.f, 3.f, 4.f});
  Tensor ax = I32({}, {0});
  Attributes ex = A1("exclusive", 1);
  ex.Set("reverse", int64_t{1});
  auto cs = RunOp("CumSum", {&v, &ax}, ex);
  ASSERT_TRUE(cs.ok()) << cs.status().message();
  EXPECT_EQ(Values<float>((*cs)[0]), (std::vector<float>{9.f, 7.f, 4.f, 0.f}));
  Tensor h = F32({2, 3}, {1.f, 3.f, 3.f, -1.f, -2.f, -3.f});
  auto hm = RunOp("Hardmax", {&h});
  ASSERT_TRUE(hm.ok());
  EXPECT_EQ(Values<float>((*hm)[0]), (std::vector<float>{0.f, 1.f, 0.f, 1.f, 0.f, 0.f}));
  Tensor shape = F32({2, 3}, std::vector<float>(6, 0.f));
  auto eye = RunOp("EyeLike", {&shape}, A1("k", 1));
  ASSERT_TRUE(eye.ok());
  EXPECT_EQ(Values<float>((*eye)[0]), (std::vector<float>{0.f, 1.f, 0.f, 0.f, 0.f, 1.f}));
}

// ONNX's own function body of LayerNormalization (Shape -> Size -> Sub -> ConstantOfShape -> Concat
// -> Reshape, Flatten, ReduceMean, Reciprocal...) from Debian's libonnx-testdata, imported the way a
// user imports a model (constant folding on) and run against the stored outputs.
Result<Tensor> ReadPb(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  onnx::TensorProto tp;
  if (!f || !tp.ParseFromString(ss.str()) || tp.data_type() != onnx::TensorProto::FLOAT) return Status::Error("cannot read " + p.string());
  std::vector<int64_t> dims(tp.dims().begin(), tp.dims().end());
  Tensor t(DType::kFloat32, dims);
  if (!tp.raw_data().empty()) std::memcpy(t.raw(), tp.raw_data().data(), t.bytes());
  else std::copy(tp.float_data().begin(), tp.float_data().end(), t.data<float>());
  return t;
}

TEST(Misc, LayerNormFunctionBodyImportsWithFolding) {
  const std::filesystem::path dir = "/usr/share/libonnx-testdata/data/node/test_layer_normalization_4d_axis1_expanded";
  if (!std::filesystem::exists(dir / "model.onnx")) GTEST_SKIP() << "libonnx-testdata not installed";
  auto g = ImportOnnx((dir / "model.onnx").string());
  ASSERT_TRUE(g.ok()) << g.status().message();
  devices::TensorMap in;
  const char* names[] = {"X", "W", "B"};
  for (int i = 0; i < 3; ++i) {
    auto t = ReadPb(dir / "test_data_set_0" / ("input_" + std::to_string(i) + ".pb"));
    ASSERT_TRUE(t.ok()) << t.status().message();
    in[names[i]] = *t;
  }
  auto out = devices::RunReference(*g, in);
  ASSERT_TRUE(out.ok()) << out.status().message();
  const char* outs[] = {"Y", "Mean", "InvStdDev"};
  for (int i = 0; i < 3; ++i) {
    auto want = ReadPb(dir / "test_data_set_0" / ("output_" + std::to_string(i) + ".pb"));
    ASSERT_TRUE(want.ok());
    const Tensor& got = out->at(outs[i]);
    ASSERT_EQ(got.dims(), want->dims()) << outs[i];
    for (int64_t j = 0; j < got.numel(); ++j) {
      float w = want->data<float>()[j];
      ASSERT_NEAR(got.data<float>()[j], w, 1e-5 + 1e-3 * std::fabs(w)) << outs[i] << "[" << j << "]";
    }
  }
}

TEST(Misc, OneHotNonZeroCompressMvn) {
  Tensor ind = I64({3}, {0, -1, 7});   // -1 counts from the end; 7 is out of range: all off
  Tensor depth = F32({}, {3.f});
  Tensor vals = F32({2}, {-1.f, 5.f});
  auto oh = RunOp("OneHot", {&ind, &depth, &vals}, A1("axis", 0));
  ASSERT_TRUE(oh.ok()) << oh.status().message();
  EXPECT_EQ((*oh)[0].dims(), (std::vector<int64_t>{3, 3}));
  // Output [depth, indices]: column j is the one-hot of ind[j].
  EXPECT_EQ(Values<float>((*oh)[0]), (std::vector<float>{5.f, -1.f, -1.f, -1.f, -1.f, -1.f, -1.f, 5.f, -1.f}));

  Tensor x = F32({2, 2}, {0.f, 3.f, -1.f, 0.f});
  auto nz = RunOp("NonZero", {&x});
  ASSERT_TRUE(nz.ok());
  EXPECT_EQ((*nz)[0].dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(Values<int64_t>((*nz)[0]), (std::vector<int64_t>{0, 1, 1, 0}));   // rows then cols of (0,1), (1,0)

  Tensor cond = testing::T1<uint8_t>(DType::kBool, {2}, {0, 1});
  auto cp = RunOp("Compress", {&x, &cond}, A1("axis", 1));
  ASSERT_TRUE(cp.ok()) << cp.status().message();
  EXPECT_EQ((*cp)[0].dims(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(Values<float>((*cp)[0]), (std::vector<float>{3.f, 0.f}));
  auto flat = RunOp("Compress", {&x, &cond});   // no axis: over the flattened input
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(Values<float>((*flat)[0]), (std::vector<float>{3.f}));

  // MVN over axis 1 of [[1,3],[2,6]]: mean 2 / 4, std 1 / 2 -> [-1,1] each (up to the 1e-9).
  Tensor m = F32({2, 2}, {1.f, 3.f, 2.f, 6.f});
  Attributes ax;
  ax.Set("axes", std::vector<int64_t>{1});
  auto mvn = RunOp("MeanVarianceNormalization", {&m}, ax);
  ASSERT_TRUE(mvn.ok());
  std::vector<float> mv = Values<float>((*mvn)[0]);
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(mv[i], i % 2 ? 1.f : -1.f, 1e-6f);

  // Scatter (opset 9-10 name) is ScatterElements.
  Tensor data = F32({1, 3}, {0.f, 0.f, 0.f});
  Tensor si = I64({1, 2}, {2, 0});
  Tensor up = F32({1, 2}, {7.f, 8.f});
  auto sc = RunOp("Scatter", {&data, &si, &up}, A1("axis", 1));
  ASSERT_TRUE(sc.ok());
  EXPECT_EQ(Values<float>((*sc)[0]), (std::vector<float>{8.f, 0.f, 7.f}));
}

TEST(Misc, RoiAlignGoldens) {
  Tensor x = F32({1, 1, 4, 4}, Iota(16));   // x[h][w] = 4h + w
  Tensor roi = F32({1, 4}, {0.f, 0.f, 3.f, 3.f});
  Tensor bi = I64({1}, {0});
  Attributes a = A1("sampling_ratio", 1);
  a.Set("coordinate_transformation_mode", std::string("output_half_pixel"));
  auto r = RunOp("RoiAlign", {&x, &roi, &bi}, a);   // one sample at the roi centre (1.5, 1.5)
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_NEAR(Values<float>((*r)[0])[0], 7.5f, 1e-6f);
  a.Set("coordinate_transformation_mode", std::string("half_pixel"));   // roi shifted by -0.5: centre (1, 1)
  auto h = RunOp("RoiAlign", {&x, &roi, &bi}, a);
  ASSERT_TRUE(h.ok());
  EXPECT_NEAR(Values<float>((*h)[0])[0], 5.f, 1e-6f);
  a.Set("coordinate_transformation_mode", std::string("output_half_pixel"));
  a.Set("mode", std::string("max"));   // max of the weighted corners 0.25 * {5, 6, 9, 10}
  auto m = RunOp("RoiAlign", {&x, &roi, &bi}, a);
  ASSERT_TRUE(m.ok());
  EXPECT_NEAR(Values<float>((*m)[0])[0], 2.5f, 1e-6f);
  Tensor bad = I64({1}, {1});
  auto e = RunOp("RoiAlign", {&x, &roi, &bad}, a);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("RoiAlign 'n': batch index 1 is out of range"), std::string::npos) << e.status().message();
}

// GridSample: a grid at the pixel centres reproduces X in every mode (seeded), and a point between
// pixels interpolates or pads as the attributes say.
TEST(Misc, GridSampleIdentityAndGoldens) {
  const uint32_t seed = 555;
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 6; ++trial) {
    const int64_t H = 2 + static_cast<int64_t>(rng() % 3), W = 2 + static_cast<int64_t>(rng() % 3);
    const bool align = trial % 2 == 0;
    std::vector<float> xv(static_cast<size_t>(2 * H * W));
    for (float& f : xv) f = static_cast<float>(rng() % 100) / 10.f;
    std::vector<float> gv;
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w) {
        gv.push_back(align ? 2.f * static_cast<float>(w) / static_cast<float>(W - 1) - 1.f : (2.f * static_cast<float>(w) + 1.f) / static_cast<float>(W) - 1.f);
        gv.push_back(align ? 2.f * static_cast<float>(h) / static_cast<float>(H - 1) - 1.f : (2.f * static_cast<float>(h) + 1.f) / static_cast<float>(H) - 1.f);
      }
    Tensor x = F32({1, 2, H, W}, xv), g = F32({1, H, W, 2}, gv);
    for (const char* mode : {"bilinear", "nearest", "bicubic"}) {
      Attributes a = A1("align_corners", align ? 1 : 0);
      a.Set("mode", std::string(mode));
      auto r = RunOp("GridSample", {&x, &g}, a);
      ASSERT_TRUE(r.ok()) << r.status().message();
      std::vector<float> y = Values<float>((*r)[0]);
      for (size_t i = 0; i < xv.size(); ++i) ASSERT_NEAR(y[i], xv[i], 1e-5f) << mode << " seed=" << seed << " trial " << trial;
    }
  }
  // X = [[0, 1], [2, 3]]; the point (0, 0) is the image centre: bilinear gives the mean 1.5.
  Tensor x = F32({1, 1, 2, 2}, {0.f, 1.f, 2.f, 3.f});
  Tensor centre = F32({1, 1, 1, 2}, {0.f, 0.f});
  auto c = RunOp("GridSample", {&x, &centre});
  ASSERT_TRUE(c.ok());
  EXPECT_NEAR(Values<float>((*c)[0])[0], 1.5f, 1e-6f);
  // Far right of the image (x = 3 in normalised units): zeros padding gives 0, border the edge pixel.
  Tensor far = F32({1, 1, 1, 2}, {3.f, -1.f});
  auto z = RunOp("GridSample", {&x, &far}, A1("align_corners", 1));
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(Values<float>((*z)[0])[0], 0.f);
  Attributes border = A1("align_corners", 1);
  border.Set("padding_mode", std::string("border"));
  auto b = RunOp("GridSample", {&x, &far}, border);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Values<float>((*b)[0])[0], 1.f);
  Attributes bad;
  bad.Set("mode", std::string("linear"));
  auto e = RunOp("GridSample", {&x, &far}, bad);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("GridSample 'n': mode='linear' (rule: bilinear, nearest or bicubic)"), std::string::npos);
}

TEST(Misc, EinsumGoldensAndMatMulSweep) {
  auto eq = [](const char* e) {
    Attributes a;
    a.Set("equation", std::string(e));
    return a;
  };
  Tensor m = F32({2, 2}, {1.f, 2.f, 3.f, 4.f});
  auto tr = RunOp("Einsum", {&m}, eq("ii"));   // implicit output: trace
  ASSERT_TRUE(tr.ok()) << tr.status().message();
  EXPECT_EQ((*tr)[0].rank(), 0u);
  EXPECT_EQ(Values<float>((*tr)[0]), (std::vector<float>{5.f}));
  auto t = RunOp("Einsum", {&m}, eq("ij -> ji"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(Values<float>((*t)[0]), (std::vector<float>{1.f, 3.f, 2.f, 4.f}));
  auto mm = RunOp("Einsum", {&m, &m}, eq("ij,jk"));   // implicit: ik
  ASSERT_TRUE(mm.ok());
  EXPECT_EQ(Values<float>((*mm)[0]), (std::vector<float>{7.f, 10.f, 15.f, 22.f}));
  Tensor b = F32({3, 1, 2}, Iota(6));
  auto ell = RunOp("Einsum", {&b, &m}, eq("...j,jk->...k"));   // ellipsis dims ride along
  ASSERT_TRUE(ell.ok()) << ell.status().message();
  EXPECT_EQ((*ell)[0].dims(), (std::vector<int64_t>{3, 1, 2}));
  EXPECT_EQ(Values<float>((*ell)[0])[0], 3.f);   // [0,1] . [[1,2],[3,4]] = [3,4]
  auto bad = RunOp("Einsum", {&m}, eq("ijk->i"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("Einsum 'n': term 'ijk' does not match input 0 of rank 2"), std::string::npos) << bad.status().message();

  // Batched matmul through Einsum against the MatMul op (independent kernel), seeded.
  const uint32_t seed = 31337;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (int trial = 0; trial < 5; ++trial) {
    const int64_t B = 1 + static_cast<int64_t>(rng() % 3), I = 1 + static_cast<int64_t>(rng() % 4);
    const int64_t J = 1 + static_cast<int64_t>(rng() % 4), K = 1 + static_cast<int64_t>(rng() % 4);
    std::vector<float> av(static_cast<size_t>(B * I * J)), bv(static_cast<size_t>(B * J * K));
    for (float& f : av) f = u(rng);
    for (float& f : bv) f = u(rng);
    Tensor ta = F32({B, I, J}, av), tb = F32({B, J, K}, bv);
    auto e = RunOp("Einsum", {&ta, &tb}, eq("bij,bjk->bik"));
    auto r = RunOp("MatMul", {&ta, &tb});
    ASSERT_TRUE(e.ok() && r.ok());
    std::vector<float> ev = Values<float>((*e)[0]), rv = Values<float>((*r)[0]);
    ASSERT_EQ(ev.size(), rv.size());
    for (size_t i = 0; i < ev.size(); ++i) ASSERT_NEAR(ev[i], rv[i], 1e-5f) << "seed=" << seed << " trial " << trial;
  }
}

TEST(Misc, LossesGoldensAndSceEqualsNllOfLogSoftmax) {
  Tensor lp = F32({2, 3}, {-1.f, -2.f, -3.f, -0.5f, -1.5f, -2.5f});
  Tensor target = I64({2}, {1, 2});
  Tensor w = F32({3}, {1.f, 2.f, 4.f});
  auto red = [](const char* r) {
    Attributes a;
    a.Set("reduction", std::string(r));
    return a;
  };
  auto none = RunOp("NegativeLogLikelihoodLoss", {&lp, &target, &w}, red("none"));
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_EQ(Values<float>((*none)[0]), (std::vector<float>{4.f, 10.f}));   // -(-2)*2, -(-2.5)*4
  auto mean = RunOp("NegativeLogLikelihoodLoss", {&lp, &target, &w});
  ASSERT_TRUE(mean.ok());
  EXPECT_NEAR(Values<float>((*mean)[0])[0], 14.f / 6.f, 1e-6f);   // divided by the gathered weights 2 + 4
  Attributes ig = red("mean");
  ig.Set("ignore_index", int64_t{2});
  auto ignored = RunOp("NegativeLogLikelihoodLoss", {&lp, &target}, ig);
  ASSERT_TRUE(ignored.ok());
  EXPECT_NEAR(Values<float>((*ignored)[0])[0], 2.f, 1e-6f);   // only sample 0 counts
  Tensor bad_t = I64({2}, {1, 3});
  auto bad = RunOp("NegativeLogLikelihoodLoss", {&lp, &bad_t});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("NegativeLogLikelihoodLoss 'n': target 3 is out of range for 3 classes"), std::string::npos);

  const uint32_t seed = 8080;
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.f, 3.f);
  std::vector<float> sv(2 * 4 * 3);
  for (float& f : sv) f = nd(rng);
  std::vector<int64_t> tv(2 * 3);
  for (int64_t& t : tv) t = static_cast<int64_t>(rng() % 4);
  Tensor scores = F32({2, 4, 3}, sv), labels = I64({2, 3}, tv);
  auto sce = RunOp("SoftmaxCrossEntropyLoss", {&scores, &labels}, red("none"), 2);
  ASSERT_TRUE(sce.ok()) << sce.status().message();
  Attributes ax;
  ax.Set("axis", int64_t{1});
  auto lsm = RunOp("LogSoftmax", {&scores}, ax);
  ASSERT_TRUE(lsm.ok());
  auto nll = RunOp("NegativeLogLikelihoodLoss", {&(*lsm)[0], &labels}, red("none"));
  ASSERT_TRUE(nll.ok());
  std::vector<float> a = Values<float>((*sce)[0]), b = Values<float>((*nll)[0]);
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5f) << "seed=" << seed;
  std::vector<float> lp1 = Values<float>((*sce)[1]), lp2 = Values<float>((*lsm)[0]);
  for (size_t i = 0; i < lp1.size(); ++i) ASSERT_NEAR(lp1[i], lp2[i], 1e-5f) << "seed=" << seed;
}

Tensor U8(std::vector<int64_t> dims, std::vector<uint8_t> v) { return testing::T1<uint8_t>(DType::kUInt8, std::move(dims), std::move(v)); }
Tensor S8(std::vector<int64_t> dims, std::vector<int8_t> v) { return testing::T1<int8_t>(DType::kInt8, std::move(dims), std::move(v)); }

TEST(Misc, IntegerAndQLinearGoldens) {
  // MatMulInteger with a per-row A zero point: [[3,4],[5,6]] - [1,2] rows, times B - 1.
  Tensor a = U8({2, 2}, {3, 4, 5, 6}), b = U8({2, 1}, {2, 3});
  Tensor azp = U8({2}, {1, 2}), bzp = U8({}, {1});
  auto mi = RunOp("MatMulInteger", {&a, &b, &azp, &bzp});
  ASSERT_TRUE(mi.ok()) << mi.status().message();
  EXPECT_EQ((*mi)[0].dtype(), DType::kInt32);
  EXPECT_EQ(Values<int32_t>((*mi)[0]), (std::vector<int32_t>{2 * 1 + 3 * 2, 3 * 1 + 4 * 2}));
  // QLinearMatMul: acc 8 and 11 times 0.5*0.25/0.5 = 0.25 -> 2 and 2.75 -> 3; + zp 10.
  Tensor sa = F32({}, {0.5f}), sb = F32({}, {0.25f}), sy = F32({}, {0.5f});
  Tensor yzp = U8({}, {10});
  auto q = RunOp("QLinearMatMul", {&a, &sa, &azp, &b, &sb, &bzp, &sy, &yzp});
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(Values<uint8_t>((*q)[0]), (std::vector<uint8_t>{12, 13}));
  // Ties round half to even: with b's zero point 0 the accs are 13 and 18; times 0.5*0.25/0.25 = 0.5
  // gives 6.5 -> 6 (half away from zero would give 7) and 9.
  Tensor bz0 = U8({}, {0});
  Tensor sy2 = F32({}, {0.25f});
  auto q2 = RunOp("QLinearMatMul", {&a, &sa, &azp, &b, &sb, &bz0, &sy2, &yzp});
  ASSERT_TRUE(q2.ok());
  EXPECT_EQ(Values<uint8_t>((*q2)[0]), (std::vector<uint8_t>{16, 19}));
  // DynamicQuantizeLinear of [-1.28, 1.27]: scale 2.55/255 = 0.01, zero point 128.
  Tensor x = F32({3}, {-1.28f, 0.f, 1.27f});
  auto dq = RunOp("DynamicQuantizeLinear", {&x}, {}, 3);
  ASSERT_TRUE(dq.ok()) << dq.status().message();
  EXPECT_NEAR(Values<float>((*dq)[1])[0], 0.01f, 1e-8f);
  EXPECT_EQ(Values<uint8_t>((*dq)[2]), (std::vector<uint8_t>{128}));
  EXPECT_EQ(Values<uint8_t>((*dq)[0]), (std::vector<uint8_t>{0, 128, 255}));
  // Dtype rule.
  Tensor f = F32({2, 2}, {1.f, 2.f, 3.f, 4.f});
  auto bad = RunOp("MatMulInteger", {&f, &f});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("MatMulInteger 'n': operands are float and float (rule: int8 or uint8)"), std::string::npos);
}

// ConvInteger against the FP32 Conv op on zero-point-shifted values (exact in float at this size),
// and QLinearConv against requantising that result by hand, seeded.
TEST(Misc, ConvIntegerAndQLinearConvAgainstFloatConvSeeded) {
  const uint32_t seed = 2718;
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 6; ++trial) {
    const int64_t C = 1 + static_cast<int64_t>(rng() % 3), M = 1 + static_cast<int64_t>(rng() % 3), H = 3 + static_cast<int64_t>(rng() % 3);
    std::vector<uint8_t> xv(static_cast<size_t>(C * H * H));
    std::vector<int8_t> wv(static_cast<size_t>(M * C * 9));
    for (auto& v : xv) v = static_cast<uint8_t>(rng() % 256);
    for (auto& v : wv) v = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
    const uint8_t xz = static_cast<uint8_t>(rng() % 256);
    Attributes a;
    a.Set("kernel_shape", std::vector<int64_t>{3, 3});
    a.Set("pads", std::vector<int64_t>{1, 1, 1, 1});
    Tensor x = U8({1, C, H, H}, xv), w = S8({M, C, 3, 3}, wv), xzp = U8({}, {xz});
    auto ci = RunOp("ConvInteger", {&x, &w, &xzp}, a);
    ASSERT_TRUE(ci.ok()) << ci.status().message();
    std::vector<float> xf(xv.size()), wf(wv.size());
    for (size_t i = 0; i < xv.size(); ++i) xf[i] = static_cast<float>(xv[i]) - xz;
    for (size_t i = 0; i < wv.size(); ++i) wf[i] = wv[i];
    Tensor xt = F32({1, C, H, H}, xf), wt = F32({M, C, 3, 3}, wf);
    auto cf = RunOp("Conv", {&xt, &wt}, a);
    ASSERT_TRUE(cf.ok());
    std::vector<int32_t> got = Values<int32_t>((*ci)[0]);
    std::vector<float> want = Values<float>((*cf)[0]);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(static_cast<float>(got[i]), want[i]) << "seed=" << seed << " trial " << trial;

    Tensor xs = F32({}, {0.02f}), ws = F32({}, {0.01f}), ys = F32({}, {0.5f}), yz = U8({}, {100});
    Tensor wz = S8({}, {0});
    auto qc = RunOp("QLinearConv", {&x, &xs, &xzp, &w, &ws, &wz, &ys, &yz}, a);
    ASSERT_TRUE(qc.ok()) << qc.status().message();
    std::vector<uint8_t> qv = Values<uint8_t>((*qc)[0]);
    const float mult = 0.02f * 0.01f / 0.5f;
    for (size_t i = 0; i < qv.size(); ++i) {
      float r = std::nearbyint(static_cast<float>(got[i]) * mult) + 100.f;
      ASSERT_EQ(qv[i], static_cast<uint8_t>(std::clamp(r, 0.f, 255.f))) << "seed=" << seed;
    }
  }
}

double Sig(double x) { return 1 / (1 + std::exp(-x)); }

TEST(Misc, RecurrentGoldens) {
  // RNN, H = 1, two steps: h1 = tanh(0.5 * 1), h2 = tanh(0.5 * 2 + 0.5 * h1).
  Tensor x = F32({2, 1, 1}, {1.f, 2.f});
  Tensor w = F32({1, 1, 1}, {0.5f}), r = F32({1, 1, 1}, {0.5f});
  auto rnn = RunOp("RNN", {&x, &w, &r}, A1("hidden_size", 1), 2);
  ASSERT_TRUE(rnn.ok()) << rnn.status().message();
  const double h1 = std::tanh(0.5), h2 = std::tanh(1.0 + 0.5 * h1);
  EXPECT_EQ((*rnn)[0].dims(), (std::vector<int64_t>{2, 1, 1, 1}));
  EXPECT_NEAR(Values<float>((*rnn)[0])[0], h1, 1e-6);
  EXPECT_NEAR(Values<float>((*rnn)[1])[0], h2, 1e-6);
  // LSTM, one step, zero weights: the biases alone drive the gates (order i, o, f, c).
  Tensor x1 = F32({1, 1, 1}, {3.f});
  Tensor w4 = F32({1, 4, 1}, {0.f, 0.f, 0.f, 0.f}), r4 = F32({1, 4, 1}, {0.f, 0.f, 0.f, 0.f});
  Tensor b8 = F32({1, 8}, {0.5f, -0.5f, 1.f, 2.f, 0.f, 0.f, 0.f, 0.f});
  auto lstm = RunOp("LSTM", {&x1, &w4, &r4, &b8}, A1("hidden_size", 1), 3);
  ASSERT_TRUE(lstm.ok()) << lstm.status().message();
  const double c1 = Sig(0.5) * std::tanh(2.0);   // f * c0 (0) + i * tanh(bc)
  EXPECT_NEAR(Values<float>((*lstm)[2])[0], c1, 1e-6);
  EXPECT_NEAR(Values<float>((*lstm)[1])[0], Sig(-0.5) * std::tanh(c1), 1e-6);
  // GRU, one step from h0 = 1 with zero weights: z = sigma(bz), h~ = tanh(bh), h = (1-z) h~ + z h0.
  Tensor w3 = F32({1, 3, 1}, {0.f, 0.f, 0.f}), r3 = F32({1, 3, 1}, {0.f, 0.f, 0.f});
  Tensor b6 = F32({1, 6}, {1.f, 0.f, 0.5f, 0.f, 0.f, 0.f});
  Tensor h0 = F32({1, 1, 1}, {1.f});
  auto gru = RunOp("GRU", {&x1, &w3, &r3, &b6, nullptr, &h0}, A1("hidden_size", 1), 2);
  ASSERT_TRUE(gru.ok()) << gru.status().message();
  EXPECT_NEAR(Values<float>((*gru)[1])[0], (1 - Sig(1.0)) * std::tanh(0.5) + Sig(1.0) * 1.0, 1e-6);
  // Rule: W rows are gates x hidden_size.
  Tensor wbad = F32({1, 3, 1}, {0.f, 0.f, 0.f});
  auto bad = RunOp("LSTM", {&x1, &wbad, &r4}, A1("hidden_size", 1), 2);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("LSTM 'n': W shape [1,3,1] is not [1, 4, input_size]"), std::string::npos) << bad.status().message();
}

// A bidirectional GRU equals a forward GRU with direction 0's weights next to a reverse GRU with
// direction 1's, including sequence_lens (seeded).
TEST(Misc, BidirectionalIsForwardPlusReverseSeeded) {
  const uint32_t seed = 99;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  const int64_t T = 4, B = 2, I = 3, H = 2;
  for (const char* op : {"GRU", "LSTM", "RNN"}) {
    const int64_t G = std::string(op) == "LSTM" ? 4 : std::string(op) == "GRU" ? 3 : 1;
    auto rnd = [&](std::vector<int64_t> d) {
      int64_t n = 1;
      for (int64_t v : d) n *= v;
      std::vector<float> v(static_cast<size_t>(n));
      for (float& f : v) f = u(rng);
      return F32(d, v);
    };
    Tensor x = rnd({T, B, I}), w = rnd({2, G * H, I}), r = rnd({2, G * H, H}), b = rnd({2, 2 * G * H});
    Tensor seq = I32({B}, {4, 2});
    auto half = [&](const Tensor& t, int64_t d) {
      std::vector<int64_t> dims = t.dims();
      dims[0] = 1;
      const int64_t n = t.numel() / 2;
      return F32(dims, std::vector<float>(t.data<float>() + d * n, t.data<float>() + (d + 1) * n));
    };
    Attributes bi = A1("hidden_size", H);
    bi.Set("direction", std::string("bidirectional"));
    auto both = RunOp(op, {&x, &w, &r, &b, &seq}, bi, 2);
    ASSERT_TRUE(both.ok()) << op << ": " << both.status().message();
    for (int64_t d = 0; d < 2; ++d) {
      Attributes one = A1("hidden_size", H);
      one.Set("direction", std::string(d == 0 ? "forward" : "reverse"));
      Tensor wd = half(w, d), rd = half(r, d), bd = half(b, d);
      auto single = RunOp(op, {&x, &wd, &rd, &bd, &seq}, one, 2);
      ASSERT_TRUE(single.ok());
      std::vector<float> yb = Values<float>((*both)[0]), ys = Values<float>((*single)[0]);
      for (int64_t t = 0; t < T; ++t)
        for (int64_t bb = 0; bb < B; ++bb)
          for (int64_t h = 0; h < H; ++h)
            ASSERT_NEAR(yb[static_cast<size_t>(((t * 2 + d) * B + bb) * H + h)], ys[static_cast<size_t>((t * B + bb) * H + h)], 1e-6f)
                << op << " dir " << d << " seed=" << seed;
      std::vector<float> hb = Values<float>((*both)[1]), hs = Values<float>((*single)[1]);
      for (int64_t i = 0; i < B * H; ++i) ASSERT_NEAR(hb[static_cast<size_t>(d * B * H + i)], hs[static_cast<size_t>(i)], 1e-6f) << op;
    }
  }
}

TEST(Misc, WindowsDetReverseUnpoolUnique) {
  Tensor n4 = I64({}, {4});
  auto hann = RunOp("HannWindow", {&n4});
  ASSERT_TRUE(hann.ok()) << hann.status().message();
  std::vector<float> hv = Values<float>((*hann)[0]);   // periodic: 0.5 - 0.5 cos(2 pi n / 4)
  ASSERT_EQ(hv.size(), 4u);
  EXPECT_NEAR(hv[0], 0.f, 1e-7f);
  EXPECT_NEAR(hv[1], 0.5f, 1e-7f);
  EXPECT_NEAR(hv[2], 1.f, 1e-7f);
  auto ham = RunOp("HammingWindow", {&n4}, A1("periodic", 0));   // symmetric: N - 1 = 3
  ASSERT_TRUE(ham.ok());
  EXPECT_NEAR(Values<float>((*ham)[0])[0], 25.0 / 46 - 21.0 / 46, 1e-6);

  // Det: 3x3 against the rule of Sarrus, batched.
  Tensor m = F32({2, 3, 3}, {2.f, 0.f, 1.f, 1.f, 3.f, 2.f, 1.f, 1.f, 1.f, 0.f, 1.f, 0.f, 1.f, 0.f, 0.f, 0.f, 0.f, 1.f});
  auto det = RunOp("Det", {&m});
  ASSERT_TRUE(det.ok()) << det.status().message();
  EXPECT_EQ((*det)[0].dims(), (std::vector<int64_t>{2}));
  std::vector<float> dv = Values<float>((*det)[0]);
  EXPECT_NEAR(dv[0], 2 * (3 - 2) - 0 + 1 * (1 - 3), 1e-6f);   // 0
  EXPECT_NEAR(dv[1], -1.f, 1e-6f);                             // a row swap of the identity

  // ReverseSequence: time-major [4, 2], lengths 3 and 1.
  Tensor x = F32({4, 2}, {0.f, 10.f, 1.f, 11.f, 2.f, 12.f, 3.f, 13.f});
  Tensor lens = I64({2}, {3, 1});
  auto rs = RunOp("ReverseSequence", {&x, &lens});
  ASSERT_TRUE(rs.ok()) << rs.status().message();
  EXPECT_EQ(Values<float>((*rs)[0]), (std::vector<float>{2.f, 10.f, 1.f, 11.f, 0.f, 12.f, 3.f, 13.f}));

  // MaxUnpool inverts MaxPool's placement: values return to their argmax positions, zeros elsewhere.
  Tensor img = F32({1, 1, 4, 4}, {1.f, 9.f, 2.f, 3.f, 4.f, 5.f, 8.f, 6.f, 7.f, 0.f, 1.f, 2.f, 3.f, 4.f, 5.f, 6.f});
  Attributes pool;
  pool.Set("kernel_shape", std::vector<int64_t>{2, 2});
  pool.Set("strides", std::vector<int64_t>{2, 2});
  auto mp = RunOp("MaxPool", {&img}, pool, 2);
  ASSERT_TRUE(mp.ok()) << mp.status().message();
  auto up = RunOp("MaxUnpool", {&(*mp)[0], &(*mp)[1]}, pool);
  ASSERT_TRUE(up.ok()) << up.status().message();
  std::vector<float> uv = Values<float>((*up)[0]), iv = Values<float>(img);
  int nonzero = 0;
  for (size_t i = 0; i < uv.size(); ++i) {
    if (uv[i] != 0.f) { EXPECT_EQ(uv[i], iv[i]); ++nonzero; }
  }
  EXPECT_EQ(nonzero, 4);
  EXPECT_EQ(uv[1], 9.f);

  // Unique, flat and sorted: values, first indices, inverse, counts.
  Tensor u = F32({6}, {2.f, 1.f, 1.f, 3.f, 4.f, 3.f});
  auto un = RunOp("Unique", {&u}, {}, 4);
  ASSERT_TRUE(un.ok()) << un.status().message();
  EXPECT_EQ(Values<float>((*un)[0]), (std::vector<float>{1.f, 2.f, 3.f, 4.f}));
  EXPECT_EQ(Values<int64_t>((*un)[1]), (std::vector<int64_t>{1, 0, 3, 4}));
  EXPECT_EQ(Values<int64_t>((*un)[2]), (std::vector<int64_t>{1, 0, 0, 2, 3, 2}));
  EXPECT_EQ(Values<int64_t>((*un)[3]), (std::vector<int64_t>{2, 1, 2, 1}));
  auto unsorted = RunOp("Unique", {&u}, A1("sorted", 0), 4);
  ASSERT_TRUE(unsorted.ok());
  EXPECT_EQ(Values<float>((*unsorted)[0]), (std::vector<float>{2.f, 1.f, 3.f, 4.f}));
}

TEST(Misc, DftStftGoldensAndRoundTripSeeded) {
  // An impulse transforms to all ones; a constant to N at bin 0.
  Tensor imp = F32({1, 4, 1}, {1.f, 0.f, 0.f, 0.f});
  auto d = RunOp("DFT", {&imp});
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ((*d)[0].dims(), (std::vector<int64_t>{1, 4, 2}));
  std::vector<float> dv = Values<float>((*d)[0]);
  for (int k = 0; k < 4; ++k) { EXPECT_NEAR(dv[2 * k], 1.f, 1e-6f); EXPECT_NEAR(dv[2 * k + 1], 0.f, 1e-6f); }
  Tensor ones = F32({1, 4, 1}, {1.f, 1.f, 1.f, 1.f});
  auto c = RunOp("DFT", {&ones}, A1("onesided", 1));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)[0].dims(), (std::vector<int64_t>{1, 3, 2}));
  EXPECT_NEAR(Values<float>((*c)[0])[0], 4.f, 1e-6f);
  EXPECT_NEAR(Values<float>((*c)[0])[2], 0.f, 1e-6f);
  // inverse(DFT(x)) = x for a random complex signal (seeded).
  const uint32_t seed = 1234;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> xv(2 * 7 * 2);
  for (float& f : xv) f = u(rng);
  Tensor x = F32({2, 7, 2}, xv);
  auto fwd = RunOp("DFT", {&x});
  ASSERT_TRUE(fwd.ok());
  auto back = RunOp("DFT", {&(*fwd)[0]}, A1("inverse", 1));
  ASSERT_TRUE(back.ok());
  std::vector<float> bv = Values<float>((*back)[0]);
  for (size_t i = 0; i < xv.size(); ++i) ASSERT_NEAR(bv[i], xv[i], 1e-5f) << "seed=" << seed;
  // STFT: frame f of a window-less STFT is the onesided DFT of samples [f*step, f*step + len).
  std::vector<float> sig(12);
  for (float& f : sig) f = u(rng);
  Tensor st = F32({1, 12, 1}, sig), step = I64({}, {4}), len = I64({}, {4});
  auto s = RunOp("STFT", {&st, &step, nullptr, &len});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ((*s)[0].dims(), (std::vector<int64_t>{1, 3, 3, 2}));
  Tensor frame1 = F32({1, 4, 1}, std::vector<float>(sig.begin() + 4, sig.begin() + 8));
  auto f1 = RunOp("DFT", {&frame1}, A1("onesided", 1));
  ASSERT_TRUE(f1.ok());
  std::vector<float> sv = Values<float>((*s)[0]), fv = Values<float>((*f1)[0]);
  for (size_t i = 0; i < fv.size(); ++i) ASSERT_NEAR(sv[6 + i], fv[i], 1e-5f) << "seed=" << seed;
}

// MelWeightMatrix: [dft_length/2 + 1, num_mel_bins] triangles, each peaking at exactly 1.
TEST(Misc, MelWeightMatrixTriangles) {
  Tensor mels = I64({}, {4}), dft = I64({}, {64}), rate = I64({}, {16000});
  Tensor lo = F32({}, {0.f}), hi = F32({}, {8000.f});
  auto r = RunOp("MelWeightMatrix", {&mels, &dft, &rate, &lo, &hi});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{33, 4}));
  std::vector<float> w = Values<float>((*r)[0]);
  for (int64_t m = 0; m < 4; ++m) {
    float peak = 0.f;
    int rising = 0, falling = 0;
    for (int64_t j = 0; j < 33; ++j) {
      const float v = w[static_cast<size_t>(j * 4 + m)];
      ASSERT_GE(v, 0.f);
      ASSERT_LE(v, 1.f);
      peak = std::max(peak, v);
      if (j > 0) {
        const float prev = w[static_cast<size_t>((j - 1) * 4 + m)];
        if (v > prev) rising += falling ? 100 : 1;   // a rise after a fall would break the triangle
        if (v < prev) falling += 1;
      }
    }
    EXPECT_EQ(peak, 1.f) << "filter " << m;
    EXPECT_LT(rising, 100) << "filter " << m << " is not a single triangle";
  }
  Tensor zero = I64({}, {0});
  auto bad = RunOp("MelWeightMatrix", {&zero, &dft, &rate, &lo, &hi});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("MelWeightMatrix 'n'"), std::string::npos);
}

// ---- exporter-style graphs through the importer (folding on, as users import) ----

struct ProtoBuilder {
  onnx::ModelProto m;
  onnx::GraphProto* g;
  explicit ProtoBuilder(int64_t opset) {
    m.set_ir_version(6);
    m.add_opset_import()->set_version(opset);
    g = m.mutable_graph();
    g->set_name("g");
  }
  void Io(bool input, const char* name, int elem, std::vector<int64_t> dims) {
    onnx::ValueInfoProto* v = input ? g->add_input() : g->add_output();
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem);
    for (int64_t d : dims) {
      if (d < 0) tt->mutable_shape()->add_dim()->set_dim_param("n");
      else tt->mutable_shape()->add_dim()->set_dim_value(d);
    }
  }
  onnx::NodeProto* Node(const char* op, std::vector<std::string> in, std::vector<std::string> out) {
    onnx::NodeProto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(out[0] + "_node");
    for (auto& s : in) n->add_input(s);
    for (auto& s : out) n->add_output(s);
    return n;
  }
  static void IntAttr(onnx::NodeProto* n, const char* name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  // A Constant node (how PyTorch exports scalars and thresholds).
  void ConstI64(const char* name, std::vector<int64_t> dims, std::vector<int64_t> v) {
    auto* a = Node("Constant", {}, {name})->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    auto* t = a->mutable_t();
    t->set_data_type(onnx::TensorProto::INT64);
    for (int64_t d : dims) t->add_dims(d);
    for (int64_t x : v) t->add_int64_data(x);
  }
  void ConstF32(const char* name, std::vector<int64_t> dims, std::vector<float> v) {
    auto* a = Node("Constant", {}, {name})->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    auto* t = a->mutable_t();
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float x : v) t->add_float_data(x);
  }
  Result<Graph> Import() {
    std::string bytes;
    if (!m.SerializeToString(&bytes)) return Status::Error("serialize");
    return ImportOnnxFromBytes(bytes, "");
  }
};

// A detector tail (opset 11): NMS with Constant thresholds -> column 2 of the selection -> Gather
// of the boxes. The selection count is only known at run time.
TEST(Misc, DetectorTailWithNmsImportsAndRuns) {
  ProtoBuilder b(11);
  b.Io(true, "boxes", onnx::TensorProto::FLOAT, {1, 3, 4});
  b.Io(true, "scores", onnx::TensorProto::FLOAT, {1, 1, 3});
  b.ConstI64("max_out", {1}, {10});
  b.ConstF32("iou", {1}, {0.5f});
  b.ConstF32("score_th", {1}, {0.2f});
  b.ConstI64("two", {}, {2});
  b.ConstI64("zero", {}, {0});
  b.Node("NonMaxSuppression", {"boxes", "scores", "max_out", "iou", "score_th"}, {"sel"});
  ProtoBuilder::IntAttr(b.Node("Gather", {"sel", "two"}, {"box_idx"}), "axis", 1);
  ProtoBuilder::IntAttr(b.Node("Gather", {"boxes", "zero"}, {"boxes2d"}), "axis", 0);
  ProtoBuilder::IntAttr(b.Node("Gather", {"boxes2d", "box_idx"}, {"kept"}), "axis", 0);
  b.Io(false, "kept", onnx::TensorProto::FLOAT, {-1, 4});
  auto g = b.Import();
  ASSERT_TRUE(g.ok()) << g.status().message();
  devices::TensorMap in;
  in["boxes"] = F32({1, 3, 4}, {0.f, 0.f, 1.f, 1.f, 0.f, 0.1f, 1.f, 1.1f, 0.f, 10.f, 1.f, 11.f});
  in["scores"] = F32({1, 1, 3}, {0.9f, 0.95f, 0.3f});
  auto out = devices::RunReference(*g, in);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->at("kept").dims(), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(Values<float>(out->at("kept")), (std::vector<float>{0.f, 0.1f, 1.f, 1.1f, 0.f, 10.f, 1.f, 11.f}));
}

// TopK-1 (opset 9) keeps K in the attribute k; the importer moves it to input 1.
TEST(Misc, TopKOpset9AttributeImports) {
  ProtoBuilder b(9);
  b.Io(true, "x", onnx::TensorProto::FLOAT, {1, 5});
  ProtoBuilder::IntAttr(b.Node("TopK", {"x"}, {"values", "indices"}), "k", 2);
  b.Io(false, "values", onnx::TensorProto::FLOAT, {1, 2});
  b.Io(false, "indices", onnx::TensorProto::INT64, {1, 2});
  auto g = b.Import();
  ASSERT_TRUE(g.ok()) << g.status().message();
  devices::TensorMap in;
  in["x"] = F32({1, 5}, {0.5f, 4.f, -1.f, 4.f, 2.f});
  auto out = devices::RunReference(*g, in);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(Values<float>(out->at("values")), (std::vector<float>{4.f, 4.f}));
  EXPECT_EQ(Values<int64_t>(out->at("indices")), (std::vector<int64_t>{1, 3}));
}

// RoiAlign-10 has no coordinate_transformation_mode and samples without the half-pixel offset; the
// importer names that mode, so the same roi gives opset 10's value (7.5) and opset 16's (5).
TEST(Misc, RoiAlignOpset10KeepsItsCoordinates) {
  for (int64_t opset : {10, 16}) {
    ProtoBuilder b(opset);
    b.Io(true, "x", onnx::TensorProto::FLOAT, {1, 1, 4, 4});
    b.ConstF32("rois", {1, 4}, {0.f, 0.f, 3.f, 3.f});
    b.ConstI64("bi", {1}, {0});
    ProtoBuilder::IntAttr(b.Node("RoiAlign", {"x", "rois", "bi"}, {"y"}), "sampling_ratio", 1);
    b.Io(false, "y", onnx::TensorProto::FLOAT, {1, 1, 1, 1});
    auto g = b.Import();
    ASSERT_TRUE(g.ok()) << g.status().message();
    devices::TensorMap in;
    in["x"] = F32({1, 1, 4, 4}, Iota(16));
    auto out = devices::RunReference(*g, in);
    ASSERT_TRUE(out.ok()) << out.status().message();
    EXPECT_NEAR(Values<float>(out->at("y"))[0], opset == 10 ? 7.5f : 5.f, 1e-6f) << "opset " << opset;
  }
}

// An LSTM whose Y output is left unnamed (""), as exporters write when only Y_h is used.
TEST(Misc, LstmWithUnnamedYOutputImportsAndRuns) {
  ProtoBuilder b(14);
  b.Io(true, "x", onnx::TensorProto::FLOAT, {2, 1, 1});
  b.ConstF32("w", {1, 4, 1}, {0.f, 0.f, 0.f, 0.f});
  b.ConstF32("r", {1, 4, 1}, {0.f, 0.f, 0.f, 0.f});
  b.ConstF32("bias", {1, 8}, {0.5f, -0.5f, 1.f, 2.f, 0.f, 0.f, 0.f, 0.f});
  ProtoBuilder::IntAttr(b.Node("LSTM", {"x", "w", "r", "bias"}, {"", "y_h"}), "hidden_size", 1);
  b.Io(false, "y_h", onnx::TensorProto::FLOAT, {1, 1, 1});
  auto g = b.Import();
  ASSERT_TRUE(g.ok()) << g.status().message();
  devices::TensorMap in;
  in["x"] = F32({2, 1, 1}, {3.f, -3.f});
  auto out = devices::RunReference(*g, in);
  ASSERT_TRUE(out.ok()) << out.status().message();
  // Two steps of bias-only gates: c1 = i*g, c2 = f*c1 + i*g, h2 = o*tanh(c2).
  const double i = Sig(0.5), o = Sig(-0.5), f = Sig(1.0), gg = std::tanh(2.0);
  const double c2 = f * (i * gg) + i * gg;
  EXPECT_NEAR(Values<float>(out->at("y_h"))[0], o * std::tanh(c2), 1e-6);
}

// A transformer-style block as an opset-13 exporter writes it, with a symbolic batch: LayerNorm by
// hand (ReduceMean, Sub, Pow, Sqrt, Div with Constant scalars), GELU through Erf, and a flatten by
// Shape -> Gather -> Unsqueeze -> Concat -> Reshape that cannot fold (the batch is unknown at import).
TEST(Misc, ExporterBlockWithSymbolicBatchImportsAndRuns) {
  ProtoBuilder b(13);
  b.Io(true, "x", onnx::TensorProto::FLOAT, {-1, 3, 4});
  b.ConstF32("two", {}, {2.f});
  b.ConstF32("eps", {}, {1e-5f});
  b.ConstF32("sqrt2", {}, {1.41421356f});
  b.ConstF32("one", {}, {1.f});
  b.ConstF32("half", {}, {0.5f});
  b.ConstI64("zero_i", {}, {0});
  b.ConstI64("axes0", {1}, {0});
  b.ConstI64("minus1", {1}, {-1});
  auto ax = [](onnx::NodeProto* n, std::vector<int64_t> v) {
    auto* a = n->add_attribute();
    a->set_name("axes");
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  };
  ax(b.Node("ReduceMean", {"x"}, {"mean"}), {-1});
  b.Node("Sub", {"x", "mean"}, {"d"});
  b.Node("Pow", {"d", "two"}, {"d2"});
  ax(b.Node("ReduceMean", {"d2"}, {"var"}), {-1});
  b.Node("Add", {"var", "eps"}, {"var_eps"});
  b.Node("Sqrt", {"var_eps"}, {"std"});
  b.Node("Div", {"d", "std"}, {"ln"});
  b.Node("Div", {"ln", "sqrt2"}, {"g0"});
  b.Node("Erf", {"g0"}, {"g1"});
  b.Node("Add", {"g1", "one"}, {"g2"});
  b.Node("Mul", {"ln", "g2"}, {"g3"});
  b.Node("Mul", {"g3", "half"}, {"gelu"});
  b.Node("Shape", {"x"}, {"shape"});
  ProtoBuilder::IntAttr(b.Node("Gather", {"shape", "zero_i"}, {"batch"}), "axis", 0);
  b.Node("Unsqueeze", {"batch", "axes0"}, {"batch1"});
  ProtoBuilder::IntAttr(b.Node("Concat", {"batch1", "minus1"}, {"flat_shape"}), "axis", 0);
  b.Node("Reshape", {"gelu", "flat_shape"}, {"y"});
  b.Io(false, "y", onnx::TensorProto::FLOAT, {-1, 12});
  auto g = b.Import();
  ASSERT_TRUE(g.ok()) << g.status().message();
  const uint32_t seed = 4711;
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.f, 1.f);
  for (int64_t batch : {1, 3}) {
    std::vector<float> xv(static_cast<size_t>(batch * 12));
    for (float& f : xv) f = nd(rng);
    devices::TensorMap in;
    in["x"] = F32({batch, 3, 4}, xv);
    auto out = devices::RunReference(*g, in);
    ASSERT_TRUE(out.ok()) << out.status().message();
    ASSERT_EQ(out->at("y").dims(), (std::vector<int64_t>{batch, 12}));
    // The same through the LayerNormalization op and the GELU formula.
    Tensor x = F32({batch, 3, 4}, xv), scale = F32({4}, {1.f, 1.f, 1.f, 1.f});
    auto ln = RunOp("LayerNormalization", {&x, &scale});
    ASSERT_TRUE(ln.ok());
    std::vector<float> lv = Values<float>((*ln)[0]), yv = Values<float>(out->at("y"));
    for (size_t i = 0; i < lv.size(); ++i) {
      const double want = 0.5 * lv[i] * (1 + std::erf(lv[i] / std::sqrt(2.0)));
      ASSERT_NEAR(yv[i], want, 1e-5) << "batch " << batch << " seed=" << seed;
    }
  }
}

}  // namespace
}  // namespace edgeinfer
