// Graph builders for the GPU tests and benchmark: ResNet-50, MobileNetV2 (torchvision's layer
// shapes) and the SSD-MobileNet backbone (MobileNetV1 at 300x300, as in the classic SSD-MobileNet),
// built directly in the compiler's fused form (ConvBiasAct / ConvEltwiseAct / GemmBiasAct with
// BatchNorm already folded into weights and bias), FP32 or INT8.
//
// Weights are random (He-normal, fixed seed): throughput does not depend on their values and the
// tests compare devices on the same graph. INT8 graphs are quantized here, not by the compiler:
// weights per output channel with max|w|/127, int32 bias at x_scale*w_scale, and every activation
// at one fixed scale (kActScale) instead of calibrated ones. That is enough for speed and for
// bit-exact device comparisons, not for accuracy. Header-only so tests and bench share it.
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "graph/quant/int8_math.h"

namespace edgeinfer::cnn {

enum class Model { kResNet50, kMobileNetV2, kSsdMobileNetBackbone, kTinyCnn };
inline const char* ModelName(Model m) {
  switch (m) {
    case Model::kResNet50: return "resnet50";
    case Model::kMobileNetV2: return "mobilenet_v2";
    case Model::kSsdMobileNetBackbone: return "ssd_mobilenet_v1_backbone";
    case Model::kTinyCnn: return "tiny_cnn";
  }
  return "?";
}

constexpr float kActScale = 4.f / 127.f;   // every INT8 activation: range about [-4, 4]

class Builder {
 public:
  Builder(bool int8, uint32_t seed) : int8_(int8), rng_(seed) {}
  Graph& graph() { return g_; }

  // Graph input [N, c, h, w] (N dynamic), float. For INT8 followed by a QuantizeLinear.
  ValueId Input(int64_t c, int64_t h, int64_t w) {
    Shape s({kDynamic, c, h, w});
    s.symbols = {"N", "", "", ""};
    ValueId x = g_.AddValue("input", DType::kFloat32, s);
    g_.inputs().push_back(x);
    if (!int8_) return x;
    ValueId sc = g_.AddConstant("input_scale", Scalar(kActScale));
    Tensor zp(DType::kInt8, {});
    ValueId z = g_.AddConstant("input_zp", zp);
    ValueId q = Act("input_q", DType::kInt8);
    g_.AddNode("QuantizeLinear", "input_quant", {x, sc, z}, {q});
    return q;
  }

  // Y = act(conv(X) + B (+ R)); act "" / "Relu" / "Clip6".
  ValueId Conv(const std::string& name, ValueId x, int64_t cin, int64_t cout, int k, int stride, int group,
               const std::string& act, ValueId residual = kNoValue, float w_gain = 1.f) {
    const int64_t cpg = cin / group;
    const int pad = k / 2;
    std::vector<float> w(static_cast<size_t>(cout * cpg * k * k));
    std::normal_distribution<float> nd(0.f, w_gain * std::sqrt(2.f / static_cast<float>(cpg * k * k)));
    for (float& v : w) v = nd(rng_);
    std::vector<float> b(static_cast<size_t>(cout));
    std::uniform_real_distribution<float> ud(-0.1f, 0.1f);
    for (float& v : b) v = ud(rng_);
    Attributes a;
    a.Set("kernel_shape", std::vector<int64_t>{k, k});
    a.Set("strides", std::vector<int64_t>{stride, stride});
    a.Set("pads", std::vector<int64_t>{pad, pad, pad, pad});
    a.Set("dilations", std::vector<int64_t>{1, 1});
    a.Set("group", static_cast<int64_t>(group));
    if (act == "Relu") a.Set("activation", std::string("Relu"));
    if (act == "Clip6") {
      a.Set("activation", std::string("Clip"));
      a.Set("act_min", 0.f);
      a.Set("act_max", 6.f);
    }
    ValueId wv, bv;
    if (!int8_) {
      wv = g_.AddConstant(name + ".weight", Tensor::FromVector(DType::kFloat32, {cout, cpg, k, k}, w));
      bv = g_.AddConstant(name + ".bias", Tensor::FromVector(DType::kFloat32, {cout}, b));
    } else {
      std::vector<float> ws(static_cast<size_t>(cout));
      std::vector<int8_t> wq(w.size());
      std::vector<int32_t> bq(static_cast<size_t>(cout));
      const size_t per = static_cast<size_t>(cpg * k * k);
      for (int64_t o = 0; o < cout; ++o) {
        float mx = 1e-8f;
        for (size_t j = 0; j < per; ++j) mx = std::max(mx, std::fabs(w[static_cast<size_t>(o) * per + j]));
        ws[static_cast<size_t>(o)] = mx / 127.f;
        for (size_t j = 0; j < per; ++j) wq[static_cast<size_t>(o) * per + j] = int8::QuantizeToInt8(w[static_cast<size_t>(o) * per + j], ws[static_cast<size_t>(o)]);
        bq[static_cast<size_t>(o)] = int8::QuantizeBias(b[static_cast<size_t>(o)], kActScale, ws[static_cast<size_t>(o)]);
      }
      Tensor wt = Tensor::FromVector(DType::kInt8, {cout, cpg, k, k}, wq);
      wv = g_.AddConstant(name + ".weight", wt);
      QuantParams wqp;
      wqp.scale = ws;
      wqp.axis = 0;
      g_.value(wv).quant = wqp;
      bv = g_.AddConstant(name + ".bias", Tensor::FromVector(DType::kInt32, {cout}, bq));
      a.Set("x_scale", kActScale);
      a.Set("w_scale", ws);
      a.Set("y_scale", kActScale);
      if (residual != kNoValue) a.Set("r_scale", kActScale);
    }
    ValueId y = Act(name + ".out", int8_ ? DType::kInt8 : DType::kFloat32);
    if (residual == kNoValue) g_.AddNode("ConvBiasAct", name, {x, wv, bv}, {y}, a);
    else g_.AddNode("ConvEltwiseAct", name, {x, wv, bv, residual}, {y}, a);
    return y;
  }

  ValueId MaxPool(const std::string& name, ValueId x, int k, int s, int p) {
    Attributes a;
    a.Set("kernel_shape", std::vector<int64_t>{k, k});
    a.Set("strides", std::vector<int64_t>{s, s});
    a.Set("pads", std::vector<int64_t>{p, p, p, p});
    ValueId y = Act(name + ".out", int8_ ? DType::kInt8 : DType::kFloat32);
    g_.AddNode("MaxPool", name, {x}, {y}, a);
    return y;
  }

  // int8 -> float (INT8 graphs only; identity otherwise).
  ValueId ToFloat(const std::string& name, ValueId x) {
    if (!int8_) return x;
    ValueId sc = g_.AddConstant(name + "_scale", Scalar(kActScale));
    ValueId y = Act(name + ".out", DType::kFloat32);
    g_.AddNode("DequantizeLinear", name, {x, sc}, {y});
    return y;
  }

  // GlobalAveragePool -> Flatten -> Gemm (float) -> graph output.
  ValueId Head(ValueId x, int64_t c, int64_t classes) {
    x = ToFloat("head_dq", x);
    ValueId p = Act("pool.out", DType::kFloat32);
    g_.AddNode("GlobalAveragePool", "avgpool", {x}, {p});
    ValueId f = Act("flatten.out", DType::kFloat32);
    Attributes fa;
    fa.Set("axis", static_cast<int64_t>(1));
    g_.AddNode("Flatten", "flatten", {p}, {f}, fa);
    std::vector<float> w(static_cast<size_t>(classes * c)), b(static_cast<size_t>(classes));
    std::normal_distribution<float> nd(0.f, std::sqrt(1.f / static_cast<float>(c)));
    for (float& v : w) v = nd(rng_);
    for (float& v : b) v = 0.01f * nd(rng_);
    ValueId wv = g_.AddConstant("fc.weight", Tensor::FromVector(DType::kFloat32, {classes, c}, w));
    ValueId bv = g_.AddConstant("fc.bias", Tensor::FromVector(DType::kFloat32, {classes}, b));
    Attributes ga;
    ga.Set("transB", static_cast<int64_t>(1));
    ValueId y = Act("logits", DType::kFloat32);
    g_.AddNode("Gemm", "fc", {f, wv, bv}, {y}, ga);
    g_.outputs().push_back(y);
    return y;
  }

  void Output(ValueId v) {
    v = ToFloat("out_dq", v);
    g_.outputs().push_back(v);
  }

 private:
  ValueId Act(const std::string& name, DType t) {
    ValueId v = g_.AddValue(name, t, Shape());
    if (t == DType::kInt8) {
      QuantParams q;
      q.scale = {kActScale};
      q.zero_point = {0};
      g_.value(v).quant = q;
    }
    return v;
  }
  static Tensor Scalar(float v) { return Tensor::FromVector(DType::kFloat32, {}, std::vector<float>{v}); }

  bool int8_;
  std::mt19937 rng_;
  Graph g_;
};

inline Graph ResNet50(bool int8, int64_t hw = 224, uint32_t seed = 1) {
  Builder b(int8, seed);
  ValueId x = b.Input(3, hw, hw);
  x = b.Conv("conv1", x, 3, 64, 7, 2, 1, "Relu");
  x = b.MaxPool("maxpool", x, 3, 2, 1);
  int64_t cin = 64;
  const int blocks[4] = {3, 4, 6, 3};
  const int64_t widths[4] = {64, 128, 256, 512};
  for (int L = 0; L < 4; ++L) {
    for (int i = 0; i < blocks[L]; ++i) {
      const std::string n = "layer" + std::to_string(L + 1) + "." + std::to_string(i);
      const int64_t w = widths[L], out = w * 4;
      const int stride = (i == 0 && L > 0) ? 2 : 1;
      ValueId id = x;
      if (i == 0) id = b.Conv(n + ".downsample", x, cin, out, 1, stride, 1, "");
      ValueId y = b.Conv(n + ".conv1", x, cin, w, 1, 1, 1, "Relu");
      y = b.Conv(n + ".conv2", y, w, w, 3, stride, 1, "Relu");   // torchvision v1.5: stride on the 3x3
      x = b.Conv(n + ".conv3", y, w, out, 1, 1, 1, "Relu", id, 0.3f);
      cin = out;
    }
  }
  b.Head(x, 2048, 1000);
  return std::move(b.graph());
}

inline Graph MobileNetV2(bool int8, int64_t hw = 224, uint32_t seed = 2) {
  Builder b(int8, seed);
  ValueId x = b.Input(3, hw, hw);
  x = b.Conv("features.0", x, 3, 32, 3, 2, 1, "Clip6");
  int64_t cin = 32;
  // t, c, n, s as torchvision's inverted_residual_setting.
  const int cfg[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int idx = 1;
  for (const auto& c : cfg) {
    for (int i = 0; i < c[2]; ++i, ++idx) {
      const std::string n = "features." + std::to_string(idx);
      const int stride = i == 0 ? c[3] : 1;
      const int64_t hidden = cin * c[0];
      ValueId y = x;
      if (c[0] != 1) y = b.Conv(n + ".expand", y, cin, hidden, 1, 1, 1, "Clip6");
      y = b.Conv(n + ".dw", y, hidden, hidden, 3, stride, static_cast<int>(hidden), "Clip6");
      const bool res = stride == 1 && cin == c[1];
      x = b.Conv(n + ".project", y, hidden, c[1], 1, 1, 1, "", res ? x : kNoValue, res ? 0.3f : 1.f);
      cin = c[1];
    }
  }
  x = b.Conv("features.18", x, cin, 1280, 1, 1, 1, "Clip6");
  b.Head(x, 1280, 1000);
  return std::move(b.graph());
}

// MobileNetV1 feature extractor of SSD-MobileNet (300x300): the output is conv13 (1024 x 10 x 10).
inline Graph SsdMobileNetBackbone(bool int8, int64_t hw = 300, uint32_t seed = 3) {
  Builder b(int8, seed);
  ValueId x = b.Input(3, hw, hw);
  x = b.Conv("conv0", x, 3, 32, 3, 2, 1, "Relu");
  const int cfg[13][2] = {{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1},
                          {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  int64_t cin = 32;
  for (int i = 0; i < 13; ++i) {
    const std::string n = "conv" + std::to_string(i + 1);
    x = b.Conv(n + ".dw", x, cin, cin, 3, cfg[i][1], static_cast<int>(cin), "Relu");
    x = b.Conv(n + ".pw", x, cin, cfg[i][0], 1, 1, 1, "Relu");
    cin = cfg[i][0];
  }
  b.Output(x);
  return std::move(b.graph());
}

inline Graph TinyCnn(bool int8, int64_t hw = 32, uint32_t seed = 4) {
  Builder b(int8, seed);
  ValueId x = b.Input(3, hw, hw);
  x = b.Conv("c1", x, 3, 16, 3, 1, 1, "Relu");
  x = b.MaxPool("p1", x, 2, 2, 0);
  ValueId y = b.Conv("c2", x, 16, 16, 3, 1, 1, "Relu");
  x = b.Conv("c3", y, 16, 16, 3, 1, 1, "Relu", x);
  x = b.Conv("c4", x, 16, 32, 3, 2, 1, "Clip6");
  b.Head(x, 32, 10);
  return std::move(b.graph());
}

inline Graph Build(Model m, bool int8) {
  switch (m) {
    case Model::kResNet50: return ResNet50(int8);
    case Model::kMobileNetV2: return MobileNetV2(int8);
    case Model::kSsdMobileNetBackbone: return SsdMobileNetBackbone(int8);
    case Model::kTinyCnn: return TinyCnn(int8);
  }
  return Graph();
}

}  // namespace edgeinfer::cnn
