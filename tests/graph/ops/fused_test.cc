// Fused ops: FP32/FP16 references equal the chain of the parts, and the INT8 reference equals an
// independent, straightforward formulation of docs/int8-arithmetic.md (direct loops, 128-bit
// arithmetic for the two roundings), bit for bit, over a seeded random sweep.
#include <cmath>
#include <random>

#include "graph/ops/activation.h"
#include "graph/ops/fused.h"
#include "tests/graph/ops/op_test_util.h"

namespace edgeinfer::testing {
namespace {

// ---- the independent formulation ----

// round(x / 2^k), half away from zero, exact.
__int128 RoundShift(__int128 x, int k) {
  if (k <= 0) return x;
  __int128 d = static_cast<__int128>(1) << k;
  __int128 a = x < 0 ? -x : x;
  __int128 q = (a + d / 2) / d;
  return x < 0 ? -q : q;
}

// acc * M for the Q31 multiplier of `real`: stage 1 rounds (acc * 2^left * m) / 2^31, stage 2 rounds
// the right shift; the left shift saturates to int32 first (as the docs say).
int64_t Requant(int64_t acc, double real) {
  if (real <= 0) return 0;
  int e = 0;
  double f = std::frexp(real, &e);
  int64_t m = std::llround(f * 2147483648.0);
  if (m == (1ll << 31)) { m /= 2; ++e; }
  int left = e > 0 ? e : 0, right = e > 0 ? 0 : -e;
  __int128 x = static_cast<__int128>(acc) << left;
  if (x > INT32_MAX) x = INT32_MAX;
  if (x < INT32_MIN) x = INT32_MIN;
  __int128 t = RoundShift(x * m, 31);
  if (t > INT32_MAX) t = INT32_MAX;
  return static_cast<int64_t>(RoundShift(t, right));
}

int Sat8(int64_t v) { return v < -128 ? -128 : (v > 127 ? 127 : static_cast<int>(v)); }

struct Case {
  int64_t n = 1, c = 4, h = 7, w = 6, k = 5, r = 3, s = 3, stride = 1, pad = 1, group = 1, dil = 1;
};

struct Int8Data {
  Tensor x, w, b, res;
  float xs, ys, rs, ais;
  std::vector<float> ws;
};

Int8Data MakeData(const Case& cs, std::mt19937& rng, bool residual_shape_from_out, int64_t oh, int64_t ow) {
  std::uniform_int_distribution<int> q(-128, 127);
  std::uniform_real_distribution<float> sc(0.005f, 0.05f);
  Int8Data d;
  d.x = Tensor(DType::kInt8, {cs.n, cs.c, cs.h, cs.w});
  for (int64_t i = 0; i < d.x.numel(); ++i) d.x.data<int8_t>()[i] = static_cast<int8_t>(q(rng));
  d.w = Tensor(DType::kInt8, {cs.k, cs.c / cs.group, cs.r, cs.s});
  for (int64_t i = 0; i < d.w.numel(); ++i) d.w.data<int8_t>()[i] = static_cast<int8_t>(q(rng));
  d.b = Tensor(DType::kInt32, {cs.k});
  std::uniform_int_distribution<int> bq(-20000, 20000);
  for (int64_t i = 0; i < cs.k; ++i) d.b.data<int32_t>()[i] = bq(rng);
  d.xs = sc(rng);
  d.ys = sc(rng) * 20.f;
  d.rs = sc(rng) * 10.f;
  d.ais = sc(rng) * 15.f;
  for (int64_t i = 0; i < cs.k; ++i) d.ws.push_back(sc(rng) * 0.1f);
  if (residual_shape_from_out) {
    d.res = Tensor(DType::kInt8, {cs.n, cs.k, oh, ow});
    for (int64_t i = 0; i < d.res.numel(); ++i) d.res.data<int8_t>()[i] = static_cast<int8_t>(q(rng));
  }
  return d;
}

// Direct convolution + the docs' epilogue.
std::vector<int> ExpectedConv(const Case& cs, const Int8Data& d, const std::string& act, float amin, float amax,
                              bool residual, int64_t* oh_out, int64_t* ow_out) {
  const int64_t oh = (cs.h + 2 * cs.pad - cs.dil * (cs.r - 1) - 1) / cs.stride + 1;
  const int64_t ow = (cs.w + 2 * cs.pad - cs.dil * (cs.s - 1) - 1) / cs.stride + 1;
  *oh_out = oh;
  *ow_out = ow;
  const int64_t cg = cs.c / cs.group, kg = cs.k / cs.group;
  std::vector<int> y;
  ops::ActParams p;
  if (act == "Sigmoid") p.kind = ops::ActKind::kSigmoid;
  if (act == "HardSwish") p.kind = ops::ActKind::kHardSwish;
  if (act == "LeakyRelu") { p.kind = ops::ActKind::kLeakyRelu; p.alpha = 0.1f; }
  const bool lut = act == "Sigmoid" || act == "HardSwish" || act == "LeakyRelu";
  const double t_scale = lut ? d.ais : d.ys;
  for (int64_t n = 0; n < cs.n; ++n)
    for (int64_t k = 0; k < cs.k; ++k)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          int64_t acc = d.b.data<int32_t>()[k];
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t r = 0; r < cs.r; ++r)
              for (int64_t s = 0; s < cs.s; ++s) {
                int64_t iy = oy * cs.stride - cs.pad + r * cs.dil, ix = ox * cs.stride - cs.pad + s * cs.dil;
                if (iy < 0 || iy >= cs.h || ix < 0 || ix >= cs.w) continue;
                acc += static_cast<int64_t>(d.x.data<int8_t>()[((n * cs.c + (k / kg) * cg + c) * cs.h + iy) * cs.w + ix]) *
                       d.w.data<int8_t>()[((k * cg + c) * cs.r + r) * cs.s + s];
              }
          int64_t v = Requant(acc, static_cast<double>(d.xs) * d.ws[static_cast<size_t>(k)] / t_scale);
          if (residual) {
            v += Requant(d.res.data<int8_t>()[((n * cs.k + k) * oh + oy) * ow + ox], static_cast<double>(d.rs) / t_scale);
          }
          int out;
          if (act == "Relu") out = Sat8(std::max<int64_t>(v, 0));
          else if (act == "Clip") {
            int64_t lo = Sat8(static_cast<int64_t>(std::nearbyint(static_cast<double>(amin) / d.ys)));
            int64_t hi = Sat8(static_cast<int64_t>(std::nearbyint(static_cast<double>(amax) / d.ys)));
            out = Sat8(std::min(std::max(v, lo), hi));
          } else if (lut) {
            // The table entry computed directly: act(t * act_in_scale) quantized at y_scale.
            float xin = static_cast<float>(Sat8(v)) * d.ais;
            float fy = ops::ApplyActivation(p, xin);
            float qf = std::nearbyint(fy / d.ys);
            out = qf < -128 ? -128 : (qf > 127 ? 127 : static_cast<int>(qf));
          } else out = Sat8(v);
          y.push_back(out);
        }
  return y;
}

Attributes ConvAttrs(const Case& cs) {
  Attributes a;
  a.Set("kernel_shape", std::vector<int64_t>{cs.r, cs.s});
  a.Set("strides", std::vector<int64_t>{cs.stride, cs.stride});
  a.Set("pads", std::vector<int64_t>{cs.pad, cs.pad, cs.pad, cs.pad});
  a.Set("dilations", std::vector<int64_t>{cs.dil, cs.dil});
  a.Set("group", cs.group);
  return a;
}

TEST(FusedInt8, ConvBiasActMatchesTheIndependentFormulation) {
  const uint32_t seed = 20261122;
  std::mt19937 rng(seed);
  const std::vector<std::string> acts = {"", "Relu", "Clip", "Sigmoid", "HardSwish", "LeakyRelu"};
  for (int it = 0; it < 36; ++it) {
    Case cs;
    cs.c = 2 + it % 5;
    cs.group = (it % 4 == 3) ? cs.c : 1;
    cs.k = cs.group > 1 ? cs.c : 3 + it % 4;
    cs.r = cs.s = 1 + 2 * (it % 2);
    cs.stride = 1 + it % 2;
    cs.pad = it % 3 == 0 ? 0 : 1;
    cs.dil = it % 5 == 4 ? 2 : 1;
    cs.n = 1 + it % 2;
    const std::string act = acts[static_cast<size_t>(it) % acts.size()];
    Int8Data d = MakeData(cs, rng, false, 0, 0);
    int64_t oh, ow;
    auto want = ExpectedConv(cs, d, act, 0.f, 1.5f, false, &oh, &ow);
    Attributes a = ConvAttrs(cs);
    if (!act.empty()) a.Set("activation", act);
    if (act == "Clip") { a.Set("act_min", 0.f); a.Set("act_max", 1.5f); }
    if (act == "LeakyRelu") a.Set("act_alpha", 0.1f);
    a.Set("x_scale", d.xs);
    a.Set("w_scale", d.ws);
    a.Set("y_scale", d.ys);
    a.Set("act_in_scale", d.ais);
    auto got = RunOp("ConvBiasAct", {&d.x, &d.w, &d.b}, a);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ASSERT_EQ((*got)[0].dtype(), DType::kInt8);
    ASSERT_EQ(static_cast<size_t>((*got)[0].numel()), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ((*got)[0].data<int8_t>()[i], want[i]) << "seed " << seed << " case " << it << " act '" << act << "' element " << i;
    }
  }
}

TEST(FusedInt8, ConvEltwiseActMatchesTheIndependentFormulation) {
  const uint32_t seed = 7;
  std::mt19937 rng(seed);
  for (int it = 0; it < 12; ++it) {
    Case cs;
    cs.c = 3 + it % 3;
    cs.k = 4;
    const std::string act = it % 3 == 0 ? "" : (it % 3 == 1 ? "Relu" : "Sigmoid");
    int64_t oh = cs.h, ow = cs.w;   // 3x3 pad 1 stride 1 keeps the size
    Int8Data d = MakeData(cs, rng, true, oh, ow);
    auto want = ExpectedConv(cs, d, act, 0.f, 0.f, true, &oh, &ow);
    Attributes a = ConvAttrs(cs);
    if (!act.empty()) a.Set("activation", act);
    a.Set("x_scale", d.xs);
    a.Set("w_scale", d.ws);
    a.Set("y_scale", d.ys);
    a.Set("r_scale", d.rs);
    a.Set("act_in_scale", d.ais);
    auto got = RunOp("ConvEltwiseAct", {&d.x, &d.w, &d.b, &d.res}, a);
    ASSERT_TRUE(got.ok()) << got.status().message();
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ((*got)[0].data<int8_t>()[i], want[i]) << "seed " << seed << " case " << it << " element " << i;
    }
  }
}

TEST(FusedInt8, ConvBiasActPoolPoolsInTheIntegerDomain) {
  std::mt19937 rng(11);
  for (const std::string pool : {"MaxPool", "AveragePool"}) {
    Case cs;
    Int8Data d = MakeData(cs, rng, false, 0, 0);
    int64_t oh, ow;
    auto conv = ExpectedConv(cs, d, "Relu", 0.f, 0.f, false, &oh, &ow);
    Attributes a = ConvAttrs(cs);
    a.Set("activation", std::string("Relu"));
    a.Set("x_scale", d.xs);
    a.Set("w_scale", d.ws);
    a.Set("y_scale", d.ys);
    a.Set("pool", pool);
    a.Set("pool_kernel_shape", std::vector<int64_t>{3, 3});
    a.Set("pool_strides", std::vector<int64_t>{2, 2});
    a.Set("pool_pads", std::vector<int64_t>{1, 1, 1, 1});
    a.Set("pool_count_include_pad", int64_t{0});
    auto got = RunOp("ConvBiasActPool", {&d.x, &d.w, &d.b}, a);
    ASSERT_TRUE(got.ok()) << got.status().message();
    const Tensor& y = (*got)[0];
    const int64_t ph = y.dim(2), pw = y.dim(3);
    for (int64_t k = 0; k < cs.k; ++k)
      for (int64_t py = 0; py < ph; ++py)
        for (int64_t px = 0; px < pw; ++px) {
          int best = -128, sum = 0, cnt = 0;
          for (int64_t dy = 0; dy < 3; ++dy)
            for (int64_t dx = 0; dx < 3; ++dx) {
              int64_t iy = py * 2 - 1 + dy, ix = px * 2 - 1 + dx;
              if (iy < 0 || iy >= oh || ix < 0 || ix >= ow) continue;
              int v = conv[static_cast<size_t>((k * oh + iy) * ow + ix)];
              best = std::max(best, v);
              sum += v;
              ++cnt;
            }
          // Average: sum/count, half away from zero (all values >= 0 after Relu here).
          int avg = (sum + cnt / 2) / cnt;
          int want = pool == "MaxPool" ? best : avg;
          ASSERT_EQ(y.data<int8_t>()[(k * ph + py) * pw + px], want) << pool << " k" << k << " " << py << "," << px;
        }
  }
}

TEST(FusedInt8, GemmBiasActMatchesTheIndependentFormulation) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> q(-128, 127);
  const int64_t m = 3, kk = 50, n = 7;
  for (int64_t tb : {0, 1}) {
    Tensor a(DType::kInt8, {m, kk}), b(DType::kInt8, tb ? std::vector<int64_t>{n, kk} : std::vector<int64_t>{kk, n});
    Tensor c(DType::kInt32, {n});
    for (int64_t i = 0; i < a.numel(); ++i) a.data<int8_t>()[i] = static_cast<int8_t>(q(rng));
    for (int64_t i = 0; i < b.numel(); ++i) b.data<int8_t>()[i] = static_cast<int8_t>(q(rng));
    for (int64_t i = 0; i < n; ++i) c.data<int32_t>()[i] = q(rng) * 37;
    std::vector<float> ws;
    for (int64_t i = 0; i < n; ++i) ws.push_back(0.001f * static_cast<float>(i + 1));
    Attributes at;
    at.Set("transB", tb);
    at.Set("activation", std::string("Relu"));
    at.Set("x_scale", 0.02f);
    at.Set("w_scale", ws);
    at.Set("y_scale", 0.1f);
    auto got = RunOp("GemmBiasAct", {&a, &b, &c}, at);
    ASSERT_TRUE(got.ok()) << got.status().message();
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        int64_t acc = c.data<int32_t>()[j];
        for (int64_t p = 0; p < kk; ++p) acc += static_cast<int64_t>(a.data<int8_t>()[i * kk + p]) * (tb ? b.data<int8_t>()[j * kk + p] : b.data<int8_t>()[p * n + j]);
        int want = Sat8(std::max<int64_t>(0, Requant(acc, 0.02 * static_cast<double>(ws[static_cast<size_t>(j)]) / 0.1)));
        ASSERT_EQ((*got)[0].data<int8_t>()[i * n + j], want) << "transB " << tb << " " << i << "," << j;
      }
  }
}

TEST(FusedInt8, InferenceRefusesMissingScales) {
  Tensor x(DType::kInt8, {1, 2, 4, 4}), w(DType::kInt8, {3, 2, 1, 1});
  Attributes a;
  a.Set("kernel_shape", std::vector<int64_t>{1, 1});
  auto got = RunOp("ConvBiasAct", {&x, &w}, a);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("x_scale"), std::string::npos) << got.status().message();
  a.Set("x_scale", 0.1f);
  a.Set("y_scale", 0.1f);
  a.Set("w_scale", std::vector<float>{0.1f, 0.1f});   // 2 entries for 3 channels
  got = RunOp("ConvBiasAct", {&x, &w}, a);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("w_scale"), std::string::npos);
}

TEST(FusedFp16, MatchesTheFp32ChainRoundedOnce) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  Tensor x(DType::kFloat32, {1, 3, 6, 6}), w(DType::kFloat32, {4, 3, 3, 3}), b(DType::kFloat32, {4});
  for (Tensor* t : {&x, &w, &b}) for (int64_t i = 0; i < t->numel(); ++i) t->data<float>()[i] = u(rng);
  // Make the FP32 inputs exactly representable in FP16 so the chains see the same values.
  Tensor xh = x.CastTo(DType::kFloat16), wh = w.CastTo(DType::kFloat16), bh = b.CastTo(DType::kFloat16);
  Tensor x2 = xh.CastTo(DType::kFloat32), w2 = wh.CastTo(DType::kFloat32), b2 = bh.CastTo(DType::kFloat32);
  Attributes a;
  a.Set("kernel_shape", std::vector<int64_t>{3, 3});
  a.Set("pads", std::vector<int64_t>{1, 1, 1, 1});
  a.Set("activation", std::string("HardSwish"));
  auto h = RunOp("ConvBiasAct", {&xh, &wh, &bh}, a);
  auto f = RunOp("ConvBiasAct", {&x2, &w2, &b2}, a);
  ASSERT_TRUE(h.ok()) << h.status().message();
  ASSERT_TRUE(f.ok());
  ASSERT_EQ((*h)[0].dtype(), DType::kFloat16);
  for (int64_t i = 0; i < (*f)[0].numel(); ++i) {
    EXPECT_EQ((*h)[0].data<uint16_t>()[i], FloatToHalf((*f)[0].data<float>()[i])) << i;
  }
}

TEST(FusedFp32, EqualsTheChainOfItsParts) {
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  Tensor x(DType::kFloat32, {2, 3, 8, 8}), w(DType::kFloat32, {4, 3, 3, 3}), b(DType::kFloat32, {4});
  for (Tensor* t : {&x, &w, &b}) for (int64_t i = 0; i < t->numel(); ++i) t->data<float>()[i] = u(rng);
  Attributes ca;
  ca.Set("kernel_shape", std::vector<int64_t>{3, 3});
  Attributes fa = ca;
  fa.Set("activation", std::string("Clip"));
  fa.Set("act_min", 0.f);
  fa.Set("act_max", 0.6f);
  fa.Set("pool", std::string("MaxPool"));
  fa.Set("pool_kernel_shape", std::vector<int64_t>{2, 2});
  fa.Set("pool_strides", std::vector<int64_t>{2, 2});
  auto fused = RunOp("ConvBiasActPool", {&x, &w, &b}, fa);
  ASSERT_TRUE(fused.ok()) << fused.status().message();
  auto conv = RunOp("Conv", {&x, &w, &b}, ca);
  ASSERT_TRUE(conv.ok());
  Tensor lo = F32({}, {0.f}), hi = F32({}, {0.6f});
  auto clip = RunOp("Clip", {&(*conv)[0], &lo, &hi});
  ASSERT_TRUE(clip.ok());
  Attributes pa;
  pa.Set("kernel_shape", std::vector<int64_t>{2, 2});
  pa.Set("strides", std::vector<int64_t>{2, 2});
  auto pool = RunOp("MaxPool", {&(*clip)[0]}, pa);
  ASSERT_TRUE(pool.ok());
  ASSERT_EQ((*pool)[0].dims(), (*fused)[0].dims());
  EXPECT_EQ(Values<float>((*pool)[0]), Values<float>((*fused)[0]));
}

}  // namespace
}  // namespace edgeinfer::testing
