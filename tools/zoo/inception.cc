// Inception V3 (torchvision inception_v3, 299x299, transform_input off, AuxLogits omitted as at
// inference): BasicConv2d = Conv (no bias) + BatchNorm (eps 0.001) + ReLU; blocks A (5b-5d),
// B (6a), C (6b-6e, factorised 7x7), D (7a), E (7b, 7c, split 1x3/3x1 branches), each a Concat of
// branches; average-pool branches use AveragePool(3, 1, 1) with count_include_pad (torch's default).
// Published: 23.8 M params without the aux head, 5.7 GMAC.
#include "tools/zoo/models.h"

namespace edgeinfer::zoo {
namespace {

ConvSpec KHW(int64_t out, int64_t kh, int64_t kw, int64_t ph, int64_t pw) {
  ConvSpec s;
  s.out = out;
  s.kh = kh;
  s.kw = kw;
  s.ph = ph;
  s.pw = pw;
  return s;
}

std::string Basic(NetBuilder& b, const std::string& x, const std::string& p, const ConvSpec& s) {
  return b.ConvBnAct(x, p + ".conv", p + ".bn", p + ".relu", s, "Relu", 1e-3f);
}

std::string InceptionA(NetBuilder& b, const std::string& x, const std::string& p, int64_t pool_features) {
  std::string b1 = Basic(b, x, p + ".branch1x1", K(64, 1));
  std::string b5 = Basic(b, x, p + ".branch5x5_1", K(48, 1));
  b5 = Basic(b, b5, p + ".branch5x5_2", K(64, 5, 1, 2));
  std::string b3 = Basic(b, x, p + ".branch3x3dbl_1", K(64, 1));
  b3 = Basic(b, b3, p + ".branch3x3dbl_2", K(96, 3, 1, 1));
  b3 = Basic(b, b3, p + ".branch3x3dbl_3", K(96, 3, 1, 1));
  std::string bp = b.AvgPool(x, p + ".avg_pool", 3, 1, 1);
  bp = Basic(b, bp, p + ".branch_pool", K(pool_features, 1));
  return b.Concat({b1, b5, b3, bp}, p + ".concat");
}

std::string InceptionB(NetBuilder& b, const std::string& x, const std::string& p) {
  std::string b3 = Basic(b, x, p + ".branch3x3", K(384, 3, 2));
  std::string bd = Basic(b, x, p + ".branch3x3dbl_1", K(64, 1));
  bd = Basic(b, bd, p + ".branch3x3dbl_2", K(96, 3, 1, 1));
  bd = Basic(b, bd, p + ".branch3x3dbl_3", K(96, 3, 2));
  std::string bp = b.MaxPool(x, p + ".max_pool", 3, 2, 0);
  return b.Concat({b3, bd, bp}, p + ".concat");
}

std::string InceptionC(NetBuilder& b, const std::string& x, const std::string& p, int64_t c7) {
  std::string b1 = Basic(b, x, p + ".branch1x1", K(192, 1));
  std::string b7 = Basic(b, x, p + ".branch7x7_1", K(c7, 1));
  b7 = Basic(b, b7, p + ".branch7x7_2", KHW(c7, 1, 7, 0, 3));
  b7 = Basic(b, b7, p + ".branch7x7_3", KHW(192, 7, 1, 3, 0));
  std::string bd = Basic(b, x, p + ".branch7x7dbl_1", K(c7, 1));
  bd = Basic(b, bd, p + ".branch7x7dbl_2", KHW(c7, 7, 1, 3, 0));
  bd = Basic(b, bd, p + ".branch7x7dbl_3", KHW(c7, 1, 7, 0, 3));
  bd = Basic(b, bd, p + ".branch7x7dbl_4", KHW(c7, 7, 1, 3, 0));
  bd = Basic(b, bd, p + ".branch7x7dbl_5", KHW(192, 1, 7, 0, 3));
  std::string bp = b.AvgPool(x, p + ".avg_pool", 3, 1, 1);
  bp = Basic(b, bp, p + ".branch_pool", K(192, 1));
  return b.Concat({b1, b7, bd, bp}, p + ".concat");
}

std::string InceptionD(NetBuilder& b, const std::string& x, const std::string& p) {
  std::string b3 = Basic(b, x, p + ".branch3x3_1", K(192, 1));
  b3 = Basic(b, b3, p + ".branch3x3_2", K(320, 3, 2));
  std::string b7 = Basic(b, x, p + ".branch7x7x3_1", K(192, 1));
  b7 = Basic(b, b7, p + ".branch7x7x3_2", KHW(192, 1, 7, 0, 3));
  b7 = Basic(b, b7, p + ".branch7x7x3_3", KHW(192, 7, 1, 3, 0));
  b7 = Basic(b, b7, p + ".branch7x7x3_4", K(192, 3, 2));
  std::string bp = b.MaxPool(x, p + ".max_pool", 3, 2, 0);
  return b.Concat({b3, b7, bp}, p + ".concat");
}

std::string InceptionE(NetBuilder& b, const std::string& x, const std::string& p) {
  std::string b1 = Basic(b, x, p + ".branch1x1", K(320, 1));
  std::string b3 = Basic(b, x, p + ".branch3x3_1", K(384, 1));
  std::string b3a = Basic(b, b3, p + ".branch3x3_2a", KHW(384, 1, 3, 0, 1));
  std::string b3b = Basic(b, b3, p + ".branch3x3_2b", KHW(384, 3, 1, 1, 0));
  b3 = b.Concat({b3a, b3b}, p + ".branch3x3.concat");
  std::string bd = Basic(b, x, p + ".branch3x3dbl_1", K(448, 1));
  bd = Basic(b, bd, p + ".branch3x3dbl_2", K(384, 3, 1, 1));
  std::string bda = Basic(b, bd, p + ".branch3x3dbl_3a", KHW(384, 1, 3, 0, 1));
  std::string bdb = Basic(b, bd, p + ".branch3x3dbl_3b", KHW(384, 3, 1, 1, 0));
  bd = b.Concat({bda, bdb}, p + ".branch3x3dbl.concat");
  std::string bp = b.AvgPool(x, p + ".avg_pool", 3, 1, 1);
  bp = Basic(b, bp, p + ".branch_pool", K(192, 1));
  return b.Concat({b1, b3, bd, bp}, p + ".concat");
}

}  // namespace

void BuildInceptionV3(NetBuilder& b) {
  std::string x = b.Input("input", 3, 299, 299);
  x = Basic(b, x, "Conv2d_1a_3x3", K(32, 3, 2));
  x = Basic(b, x, "Conv2d_2a_3x3", K(32, 3));
  x = Basic(b, x, "Conv2d_2b_3x3", K(64, 3, 1, 1));
  x = b.MaxPool(x, "maxpool1", 3, 2, 0);
  x = Basic(b, x, "Conv2d_3b_1x1", K(80, 1));
  x = Basic(b, x, "Conv2d_4a_3x3", K(192, 3));
  x = b.MaxPool(x, "maxpool2", 3, 2, 0);
  x = InceptionA(b, x, "Mixed_5b", 32);
  x = InceptionA(b, x, "Mixed_5c", 64);
  x = InceptionA(b, x, "Mixed_5d", 64);
  x = InceptionB(b, x, "Mixed_6a");
  x = InceptionC(b, x, "Mixed_6b", 128);
  x = InceptionC(b, x, "Mixed_6c", 160);
  x = InceptionC(b, x, "Mixed_6d", 160);
  x = InceptionC(b, x, "Mixed_6e", 192);
  x = InceptionD(b, x, "Mixed_7a");
  x = InceptionE(b, x, "Mixed_7b");
  x = InceptionE(b, x, "Mixed_7c");
  x = b.GlobalAvgPool(x, "avgpool");
  x = b.Dropout(x, "dropout", 0.5f);
  x = b.Flatten(x, "flatten");
  b.Output(b.Gemm(x, "fc", 1000, "output"));
}

}  // namespace edgeinfer::zoo
