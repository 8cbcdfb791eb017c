// ResNet v1.5 (torchvision resnet50 / resnet152): the stride of a downsampling bottleneck sits on
// its 3x3 convolution (v1 had it on the first 1x1). Bottleneck = 1x1 -> 3x3 -> 1x1 (x4 expansion),
// projection shortcut (1x1 conv + BN) where the shape changes, Add, ReLU. Published figures at 224²:
// ResNet-50 25.557 M params / 4.09 GMAC; ResNet-152 60.19 M params / 11.5 GMAC.
#include "tools/zoo/models.h"

namespace edgeinfer::zoo {
namespace {

// The BN closing each residual branch gets a smaller gamma (see NetBuilder::BatchNorm).
constexpr float kResidualGamma = 0.3f;

std::string Bottleneck(NetBuilder& b, const std::string& x, const std::string& p, int64_t planes, int64_t stride) {
  const int64_t in = b.Channels(x);
  std::string y = b.ConvBnAct(x, p + ".conv1", p + ".bn1", p + ".relu", K(planes, 1), "Relu");
  y = b.ConvBnAct(y, p + ".conv2", p + ".bn2", p + ".relu_1", K(planes, 3, stride, 1), "Relu");
  y = b.ConvBnAct(y, p + ".conv3", p + ".bn3", "", K(planes * 4, 1), "", 1e-5f, kResidualGamma);
  std::string shortcut = x;
  if (stride != 1 || in != planes * 4)
    shortcut = b.ConvBnAct(x, p + ".downsample.0", p + ".downsample.1", "", K(planes * 4, 1, stride), "");
  return b.Relu(b.Add(y, shortcut, p + ".add"), p + ".relu_2");
}

void BuildResNet(NetBuilder& b, const int (&blocks)[4]) {
  std::string x = b.Input("input", 3, 224, 224);
  x = b.ConvBnAct(x, "conv1", "bn1", "relu", K(64, 7, 2, 3), "Relu");
  x = b.MaxPool(x, "maxpool", 3, 2, 1);
  const int64_t planes[4] = {64, 128, 256, 512};
  for (int l = 0; l < 4; ++l) {
    for (int i = 0; i < blocks[l]; ++i) {
      const int64_t stride = (l > 0 && i == 0) ? 2 : 1;
      x = Bottleneck(b, x, "layer" + std::to_string(l + 1) + "." + std::to_string(i), planes[l], stride);
    }
  }
  x = b.Flatten(b.GlobalAvgPool(x, "avgpool"), "flatten");
  b.Output(b.Gemm(x, "fc", 1000, "output"));
}

}  // namespace

void BuildResNet50(NetBuilder& b) { BuildResNet(b, {3, 4, 6, 3}); }
void BuildResNet152(NetBuilder& b) { BuildResNet(b, {3, 8, 36, 3}); }

}  // namespace edgeinfer::zoo
