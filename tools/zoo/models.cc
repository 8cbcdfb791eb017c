#include "tools/zoo/models.h"

namespace edgeinfer::zoo {

const std::vector<ZooModel>& ZooModels() {
  static const std::vector<ZooModel> models = {
      {"resnet50", "ResNet-50 v1.5 (torchvision), 224x224", 3, 224, 224, true, BuildResNet50},
      {"mobilenetv2", "MobileNetV2 (torchvision), 224x224", 3, 224, 224, true, BuildMobileNetV2},
      {"ssd_mobilenet", "SSD-MobileNetV1 300x300, 21 classes, 3000 boxes (pytorch-ssd mb1-ssd)", 3, 300, 300, true,
       BuildSsdMobileNet},
      {"tiny_cnn", "small test CNN, 32x32, 10 classes", 3, 32, 32, true, BuildTinyCnn},
      {"resnet152", "ResNet-152 v1.5 (torchvision), 224x224", 3, 224, 224, false, BuildResNet152},
      {"vgg19", "VGG19 (torchvision, no BN), 224x224", 3, 224, 224, false, BuildVgg19},
      {"inception_v3", "Inception V3 (torchvision, no aux head), 299x299", 3, 299, 299, false, BuildInceptionV3},
  };
  return models;
}

}  // namespace edgeinfer::zoo
