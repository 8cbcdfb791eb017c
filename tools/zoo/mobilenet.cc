// MobileNetV2 (torchvision) and SSD-MobileNetV1 300x300 (the pytorch-ssd "mb1-ssd" layout used by
// jetson-inference's ssd-mobilenet.onnx).
//
// MobileNetV2: ConvBNReLU6 stem, 17 inverted residual blocks (t, c, n, s table below; expand 1x1 ->
// depthwise 3x3 -> linear 1x1 projection; residual when stride 1 and in == out), 1x1 to 1280,
// global pool, Dropout(0.2), Linear. ReLU6 is Clip(min=0, max=6) with min/max as inputs, as torch
// exports it at opset 11+. Published: 3.505 M params, 0.30 GMAC at 224².
//
// SSD-MobileNetV1: MobileNetV1 backbone (conv_bn + 13 depthwise-separable blocks, BN + ReLU),
// feature maps at 19x19x512 and 10x10x1024; four extra stages (1x1 conv + ReLU, 3x3 stride-2 conv +
// ReLU, with bias) to 5x5, 3x3, 2x2, 1x1; 3x3 regression and classification heads with 6 anchors per
// location: Conv -> Transpose(0,2,3,1) -> Reshape(0,-1,4 | classes) -> Concat over the six maps.
// Outputs "scores" [N,3000,21] (Softmax over VOC's 21 classes) and "boxes" [N,3000,4] (raw
// regressions: the prior-box decoding and NMS are post-processing, left out).
#include "tools/zoo/models.h"

namespace edgeinfer::zoo {
namespace {

constexpr float kResidualGamma = 0.3f;   // see NetBuilder::BatchNorm

std::string InvertedResidual(NetBuilder& b, const std::string& x, const std::string& p, int64_t out, int64_t stride,
                             int64_t t) {
  const int64_t in = b.Channels(x);
  const int64_t hidden = in * t;
  const bool residual = stride == 1 && in == out;
  std::string y = x;
  int idx = 0;
  auto q = [&](int i) { return p + ".conv." + std::to_string(i); };
  if (t != 1) {
    y = b.ConvBnAct(y, q(idx) + ".0", q(idx) + ".1", q(idx) + ".2", K(hidden, 1), "Relu6");
    ++idx;
  }
  ConvSpec dw = K(hidden, 3, stride, 1);
  dw.group = hidden;
  y = b.ConvBnAct(y, q(idx) + ".0", q(idx) + ".1", q(idx) + ".2", dw, "Relu6");
  ++idx;
  y = b.ConvBnAct(y, q(idx), q(idx + 1), "", K(out, 1), "", 1e-5f, residual ? kResidualGamma : 1.f);
  if (residual) y = b.Add(x, y, p + ".add");
  return y;
}

}  // namespace

void BuildMobileNetV2(NetBuilder& b) {
  std::string x = b.Input("input", 3, 224, 224);
  x = b.ConvBnAct(x, "features.0.0", "features.0.1", "features.0.2", K(32, 3, 2, 1), "Relu6");
  // t (expansion), c (out channels), n (repeats), s (first stride)
  const int64_t cfg[7][4] = {{1, 16, 1, 1},  {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                             {6, 96, 3, 1},  {6, 160, 3, 2}, {6, 320, 1, 1}};
  int f = 1;
  for (const auto& r : cfg)
    for (int64_t i = 0; i < r[2]; ++i, ++f)
      x = InvertedResidual(b, x, "features." + std::to_string(f), r[1], i == 0 ? r[3] : 1, r[0]);
  const std::string p = "features." + std::to_string(f);
  x = b.ConvBnAct(x, p + ".0", p + ".1", p + ".2", K(1280, 1), "Relu6");
  x = b.Flatten(b.GlobalAvgPool(x, "avgpool"), "flatten");
  x = b.Dropout(x, "classifier.0", 0.2f);
  b.Output(b.Gemm(x, "classifier.1", 1000, "output"));
}

void BuildSsdMobileNet(NetBuilder& b) {
  constexpr int64_t kClasses = 21, kAnchors = 6;
  std::string x = b.Input("input", 3, 300, 300);
  auto bb = [](int i, int j) { return "base_net." + std::to_string(i) + "." + std::to_string(j); };
  x = b.ConvBnAct(x, bb(0, 0), bb(0, 1), bb(0, 2), K(32, 3, 2, 1), "Relu");
  // (out channels, stride) of the 13 depthwise-separable blocks
  const int64_t dws[13][2] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1},
                              {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  std::vector<std::string> sources;
  for (int i = 0; i < 13; ++i) {
    ConvSpec dw = K(b.Channels(x), 3, dws[i][1], 1);
    dw.group = b.Channels(x);
    x = b.ConvBnAct(x, bb(i + 1, 0), bb(i + 1, 1), bb(i + 1, 2), dw, "Relu");
    x = b.ConvBnAct(x, bb(i + 1, 3), bb(i + 1, 4), bb(i + 1, 5), K(dws[i][0], 1), "Relu");
    if (i == 10 || i == 12) sources.push_back(x);   // 19x19x512 and 10x10x1024
  }
  const int64_t extras[4][2] = {{256, 512}, {128, 256}, {128, 256}, {128, 256}};
  for (int e = 0; e < 4; ++e) {
    const std::string p = "extras." + std::to_string(e);
    ConvSpec c1 = K(extras[e][0], 1);
    c1.bias = true;
    ConvSpec c2 = K(extras[e][1], 3, 2, 1);
    c2.bias = true;
    x = b.Relu(b.Conv(x, p + ".0", c1), p + ".1");
    x = b.Relu(b.Conv(x, p + ".2", c2), p + ".3");
    sources.push_back(x);
  }
  std::vector<std::string> locs, confs;
  for (size_t i = 0; i < sources.size(); ++i) {
    const std::string si = std::to_string(i);
    ConvSpec reg = K(kAnchors * 4, 3, 1, 1), cls = K(kAnchors * kClasses, 3, 1, 1);
    reg.bias = cls.bias = true;
    std::string r = b.Conv(sources[i], "regression_headers." + si, reg);
    r = b.Transpose(r, "regression_headers." + si + ".transpose", {0, 2, 3, 1});
    locs.push_back(b.Reshape(r, "regression_headers." + si + ".reshape", {0, -1, 4}));
    std::string c = b.Conv(sources[i], "classification_headers." + si, cls);
    c = b.Transpose(c, "classification_headers." + si + ".transpose", {0, 2, 3, 1});
    confs.push_back(b.Reshape(c, "classification_headers." + si + ".reshape", {0, -1, kClasses}));
  }
  std::string conf = b.Concat(confs, "confidences.concat", 1);
  b.Output(b.Softmax(conf, "confidences.softmax", 2, "scores"));
  b.Output(b.Concat(locs, "locations.concat", 1, "boxes"));
}

}  // namespace edgeinfer::zoo
