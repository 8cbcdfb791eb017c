// NetBuilder: a tiny builder that writes an ONNX ModelProto (opset 13) directly with the onnx
// protobuf API, the way torch.onnx.export lays out torchvision models (BatchNorm NOT folded), with
// deterministic, realistic weights:
//   - Conv: He normal, std = sqrt(2 / fan_in), fan_in = C/group * R * S; bias (when present)
//     U(-1/sqrt(fan_in), 1/sqrt(fan_in)) like torch's default;
//   - BatchNormalization: gamma U(0.9, 1.1) (times gamma_scale, see BatchNorm), beta U(-0.1, 0.1),
//     running mean U(-0.1, 0.1), running var U(0.5, 1.5);
//   - Gemm: Xavier (Glorot) uniform, bias U(-1/sqrt(in), 1/sqrt(in)).
// Random numbers come from std::mt19937 seeded per model, turned into uniforms and Box-Muller
// normals by our own code (std::normal_distribution differs between standard libraries), so a
// model's bytes are the same from run to run and, up to libm's rounding of log/cos, across platforms.
//
// Tensors are named by their producing node; the builder tracks each tensor's per-sample dims
// (batch excluded) so architectures only state channel counts and kernels.
#pragma once
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "graph/status.h"

namespace onnx {
class ModelProto;
class GraphProto;
}  // namespace onnx

namespace edgeinfer::zoo {

struct ConvSpec {
  int64_t out = 0;
  int64_t kh = 1, kw = 1;
  int64_t sh = 1, sw = 1;
  int64_t ph = 0, pw = 0;   // symmetric pads
  int64_t group = 1;
  bool bias = false;
};
// Square kernel helper: K(out, k, stride, pad).
inline ConvSpec K(int64_t out, int64_t k, int64_t stride = 1, int64_t pad = 0) {
  ConvSpec s;
  s.out = out;
  s.kh = s.kw = k;
  s.sh = s.sw = stride;
  s.ph = s.pw = pad;
  return s;
}

class NetBuilder {
 public:
  // batch <= 0: the batch dimension is symbolic "N"; otherwise static.
  NetBuilder(const std::string& graph_name, uint32_t seed, int64_t batch);
  ~NetBuilder();
  NetBuilder(const NetBuilder&) = delete;
  NetBuilder& operator=(const NetBuilder&) = delete;

  // Adds the NCHW float graph input; returns its tensor name.
  std::string Input(const std::string& name, int64_t c, int64_t h, int64_t w);
  // Marks a tensor as a graph output (its name is kept; give ops an explicit `out` to name it).
  void Output(const std::string& tensor);

  // Every op takes the node name and returns the output tensor name (= `out` when given, else the
  // node name).
  std::string Conv(const std::string& x, const std::string& name, const ConvSpec& s, const std::string& out = "");
  // gamma_scale multiplies the drawn gamma: the BN closing a residual branch uses < 1, as trained
  // residual networks have small gammas there; without it the variance doubles at every residual
  // add and ResNet-152's activations leave FP16 range.
  std::string BatchNorm(const std::string& x, const std::string& name, float eps = 1e-5f, float gamma_scale = 1.f);
  std::string Relu(const std::string& x, const std::string& name);
  std::string Relu6(const std::string& x, const std::string& name);   // Clip with min/max inputs 0, 6
  std::string Sigmoid(const std::string& x, const std::string& name, const std::string& out = "");
  std::string Softmax(const std::string& x, const std::string& name, int64_t axis, const std::string& out = "");
  // Conv (no bias) + BatchNormalization + activation ("Relu", "Relu6" or "" for none); names
  // prefix.conv / prefix.bn / prefix.relu unless conv_name/bn_name are given.
  std::string ConvBnAct(const std::string& x, const std::string& conv_name, const std::string& bn_name,
                        const std::string& act_name, const ConvSpec& s, const std::string& act,
                        float eps = 1e-5f, float gamma_scale = 1.f);
  std::string MaxPool(const std::string& x, const std::string& name, int64_t k, int64_t s, int64_t p,
                      bool ceil_mode = false);
  std::string AvgPool(const std::string& x, const std::string& name, int64_t k, int64_t s, int64_t p,
                      bool count_include_pad = true);
  std::string GlobalAvgPool(const std::string& x, const std::string& name);
  std::string Flatten(const std::string& x, const std::string& name);
  std::string Dropout(const std::string& x, const std::string& name, float ratio);
  // Y = X * W^T + b (transB = 1, as torch exports nn.Linear).
  std::string Gemm(const std::string& x, const std::string& name, int64_t out_features, const std::string& out = "");
  std::string Add(const std::string& a, const std::string& b, const std::string& name);
  std::string Concat(const std::vector<std::string>& xs, const std::string& name, int64_t axis = 1,
                     const std::string& out = "");
  std::string Transpose(const std::string& x, const std::string& name, const std::vector<int64_t>& perm);
  // Reshape with a constant int64 shape input; 0 copies the input dim (allowzero = 0), -1 infers.
  std::string Reshape(const std::string& x, const std::string& name, const std::vector<int64_t>& shape);

  // Per-sample dims (batch excluded) of a tensor.
  const std::vector<int64_t>& Dims(const std::string& t) const { return dims_.at(t); }
  int64_t Channels(const std::string& t) const { return dims_.at(t).at(0); }
  int64_t num_params() const { return num_params_; }
  int64_t num_nodes() const;

  // Writes the model (ir_version 7, opset 13, producer "edgeinfer-zoo"). Error names the path.
  Status Save(const std::string& path, const std::string& doc) const;

 private:
  float Uniform(float lo, float hi);
  float Normal(float mean, float stddev);
  std::string AddFloatInit(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v,
                           bool is_param = true);
  std::string AddInt64Init(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int64_t>& v);
  // Adds a node with one output; returns the output name.
  std::string Node(const std::string& op, const std::string& name, const std::vector<std::string>& inputs,
                   const std::string& out, std::vector<int64_t> dims);
  void AttrInts(const std::string& name, const std::vector<int64_t>& v);
  void AttrInt(const std::string& name, int64_t v);
  void AttrFloat(const std::string& name, float v);
  void AttrString(const std::string& name, const std::string& v);
  const std::vector<int64_t>& Need4D(const std::string& x, const std::string& who) const;

  onnx::ModelProto* model_;
  onnx::GraphProto* graph_;
  std::mt19937 rng_;
  int64_t batch_;
  int64_t num_params_ = 0;
  std::map<std::string, std::vector<int64_t>> dims_;
  std::string clip_min_, clip_max_;
};

}  // namespace edgeinfer::zoo
