// tiny_cnn: a small CNN for fast tests (1x3x32x32): Conv-BN-ReLU, MaxPool, a residual block
// (Conv-BN-ReLU, Conv-BN, Add, ReLU), a stride-2 Conv-BN-ReLU6, global pool, Flatten, Gemm to 10.
// It touches every op the large models use except Concat/Transpose/Reshape/Softmax/Dropout.
#include "tools/zoo/models.h"

namespace edgeinfer::zoo {

void BuildTinyCnn(NetBuilder& b) {
  std::string x = b.Input("input", 3, 32, 32);
  x = b.ConvBnAct(x, "conv1", "bn1", "relu1", K(16, 3, 1, 1), "Relu");
  x = b.MaxPool(x, "pool1", 2, 2, 0);
  std::string y = b.ConvBnAct(x, "block.conv1", "block.bn1", "block.relu1", K(16, 3, 1, 1), "Relu");
  y = b.ConvBnAct(y, "block.conv2", "block.bn2", "", K(16, 3, 1, 1), "", 1e-5f, 0.3f);
  x = b.Relu(b.Add(y, x, "block.add"), "block.relu2");
  x = b.ConvBnAct(x, "conv2", "bn2", "relu2", K(32, 3, 2, 1), "Relu6");
  x = b.Flatten(b.GlobalAvgPool(x, "avgpool"), "flatten");
  b.Output(b.Gemm(x, "fc", 10, "output"));
}

}  // namespace edgeinfer::zoo
