// VGG19 (torchvision vgg19, configuration "E", no BatchNorm): 16 3x3 convolutions with bias and
// ReLU, 5 max pools, then Linear(25088, 4096) ReLU Dropout Linear(4096, 4096) ReLU Dropout
// Linear(4096, 1000). torchvision's AdaptiveAvgPool2d((7, 7)) is an identity at 224² (the feature
// map is already 7x7) and is left out, as in the original Caffe VGG19. 143.7 M params, 19.6 GMAC.
#include "tools/zoo/models.h"

namespace edgeinfer::zoo {

void BuildVgg19(NetBuilder& b) {
  std::string x = b.Input("input", 3, 224, 224);
  const int64_t cfg[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0};
  int idx = 0;   // torchvision's features.<idx> numbering: conv, relu, ..., pool
  for (int64_t c : cfg) {
    if (c == 0) {
      x = b.MaxPool(x, "features." + std::to_string(idx++), 2, 2, 0);
      continue;
    }
    ConvSpec s = K(c, 3, 1, 1);
    s.bias = true;
    x = b.Conv(x, "features." + std::to_string(idx++), s);
    x = b.Relu(x, "features." + std::to_string(idx++));
  }
  x = b.Flatten(x, "flatten");
  x = b.Relu(b.Gemm(x, "classifier.0", 4096), "classifier.1");
  x = b.Dropout(x, "classifier.2", 0.5f);
  x = b.Relu(b.Gemm(x, "classifier.3", 4096), "classifier.4");
  x = b.Dropout(x, "classifier.5", 0.5f);
  b.Output(b.Gemm(x, "classifier.6", 1000, "output"));
}

}  // namespace edgeinfer::zoo
