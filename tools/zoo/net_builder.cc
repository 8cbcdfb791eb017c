#include "tools/zoo/net_builder.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <onnx/onnx_pb.h>

namespace edgeinfer::zoo {
namespace {

static_assert(std::endian::native == std::endian::little, "raw_data is written as host floats: little-endian only");

// Architecture code is ours: a wrong channel count is our bug, not a user error.
[[noreturn]] void Bug(const std::string& what) {
  std::fprintf(stderr, "edgeinfer-zoo: internal error: %s\n", what.c_str());
  std::abort();
}

int64_t ConvOut(int64_t in, int64_t k, int64_t s, int64_t p) { return (in + 2 * p - k) / s + 1; }

}  // namespace

NetBuilder::NetBuilder(const std::string& graph_name, uint32_t seed, int64_t batch)
    : model_(new onnx::ModelProto()), rng_(seed), batch_(batch) {
  model_->set_ir_version(7);
  model_->set_producer_name("edgeinfer-zoo");
  model_->set_producer_version("0.1");
  auto* op = model_->add_opset_import();
  op->set_domain("");
  op->set_version(13);
  graph_ = model_->mutable_graph();
  graph_->set_name(graph_name);
}

NetBuilder::~NetBuilder() { delete model_; }

int64_t NetBuilder::num_nodes() const { return graph_->node_size(); }

float NetBuilder::Uniform(float lo, float hi) {
  // 32 random bits -> (0, 1), never 0 (Box-Muller takes its log).
  double u = (static_cast<double>(rng_()) + 0.5) / 4294967296.0;
  return static_cast<float>(lo + (hi - lo) * u);
}

float NetBuilder::Normal(float mean, float stddev) {
  double u1 = (static_cast<double>(rng_()) + 0.5) / 4294967296.0;
  double u2 = (static_cast<double>(rng_()) + 0.5) / 4294967296.0;
  double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  return static_cast<float>(mean + stddev * z);
}

std::string NetBuilder::AddFloatInit(const std::string& name, const std::vector<int64_t>& dims,
                                     const std::vector<float>& v, bool is_param) {
  onnx::TensorProto* t = graph_->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
  if (is_param) num_params_ += static_cast<int64_t>(v.size());
  return name;
}

std::string NetBuilder::AddInt64Init(const std::string& name, const std::vector<int64_t>& dims,
                                     const std::vector<int64_t>& v) {
  onnx::TensorProto* t = graph_->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(int64_t)));
  return name;
}

std::string NetBuilder::Node(const std::string& op, const std::string& name, const std::vector<std::string>& inputs,
                             const std::string& out, std::vector<int64_t> dims) {
  const std::string y = out.empty() ? name : out;
  if (dims_.count(y)) Bug("tensor name '" + y + "' used twice");
  onnx::NodeProto* n = graph_->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const std::string& i : inputs) n->add_input(i);
  n->add_output(y);
  dims_[y] = std::move(dims);
  return y;
}

void NetBuilder::AttrInts(const std::string& name, const std::vector<int64_t>& v) {
  auto* a = graph_->mutable_node(graph_->node_size() - 1)->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
void NetBuilder::AttrInt(const std::string& name, int64_t v) {
  auto* a = graph_->mutable_node(graph_->node_size() - 1)->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void NetBuilder::AttrFloat(const std::string& name, float v) {
  auto* a = graph_->mutable_node(graph_->node_size() - 1)->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
void NetBuilder::AttrString(const std::string& name, const std::string& v) {
  auto* a = graph_->mutable_node(graph_->node_size() - 1)->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

const std::vector<int64_t>& NetBuilder::Need4D(const std::string& x, const std::string& who) const {
  auto it = dims_.find(x);
  if (it == dims_.end()) Bug(who + ": unknown input tensor '" + x + "'");
  if (it->second.size() != 3) Bug(who + ": input '" + x + "' is not NCHW");
  return it->second;
}

std::string NetBuilder::Input(const std::string& name, int64_t c, int64_t h, int64_t w) {
  onnx::ValueInfoProto* vi = graph_->add_input();
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  auto* sh = tt->mutable_shape();
  auto* d0 = sh->add_dim();
  if (batch_ > 0) d0->set_dim_value(batch_); else d0->set_dim_param("N");
  for (int64_t d : {c, h, w}) sh->add_dim()->set_dim_value(d);
  dims_[name] = {c, h, w};
  return name;
}

void NetBuilder::Output(const std::string& tensor) {
  auto it = dims_.find(tensor);
  if (it == dims_.end()) Bug("Output: unknown tensor '" + tensor + "'");
  onnx::ValueInfoProto* vi = graph_->add_output();
  vi->set_name(tensor);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  auto* sh = tt->mutable_shape();
  auto* d0 = sh->add_dim();
  if (batch_ > 0) d0->set_dim_value(batch_); else d0->set_dim_param("N");
  for (int64_t d : it->second) sh->add_dim()->set_dim_value(d);
}

std::string NetBuilder::Conv(const std::string& x, const std::string& name, const ConvSpec& s, const std::string& out) {
  const std::vector<int64_t> in = Need4D(x, "Conv '" + name + "'");
  const int64_t c = in[0];
  if (s.group <= 0 || c % s.group != 0 || s.out % s.group != 0)
    Bug("Conv '" + name + "': group " + std::to_string(s.group) + " does not divide channels");
  const int64_t cg = c / s.group;
  const int64_t fan_in = cg * s.kh * s.kw;
  std::vector<float> w(static_cast<size_t>(s.out * fan_in));
  const float stddev = std::sqrt(2.f / static_cast<float>(fan_in));
  for (float& v : w) v = Normal(0.f, stddev);
  std::vector<std::string> inputs = {x, AddFloatInit(name + ".weight", {s.out, cg, s.kh, s.kw}, w)};
  if (s.bias) {
    std::vector<float> b(static_cast<size_t>(s.out));
    const float bound = 1.f / std::sqrt(static_cast<float>(fan_in));
    for (float& v : b) v = Uniform(-bound, bound);
    inputs.push_back(AddFloatInit(name + ".bias", {s.out}, b));
  }
  const int64_t oh = ConvOut(in[1], s.kh, s.sh, s.ph), ow = ConvOut(in[2], s.kw, s.sw, s.pw);
  if (oh <= 0 || ow <= 0) Bug("Conv '" + name + "': empty output");
  std::string y = Node("Conv", name, inputs, out, {s.out, oh, ow});
  AttrInts("dilations", {1, 1});
  AttrInt("group", s.group);
  AttrInts("kernel_shape", {s.kh, s.kw});
  AttrInts("pads", {s.ph, s.pw, s.ph, s.pw});
  AttrInts("strides", {s.sh, s.sw});
  return y;
}

std::string NetBuilder::BatchNorm(const std::string& x, const std::string& name, float eps, float gamma_scale) {
  const std::vector<int64_t> in = Need4D(x, "BatchNormalization '" + name + "'");
  const size_t c = static_cast<size_t>(in[0]);
  std::vector<float> gamma(c), beta(c), mean(c), var(c);
  for (size_t i = 0; i < c; ++i) {
    gamma[i] = gamma_scale * Uniform(0.9f, 1.1f);
    beta[i] = Uniform(-0.1f, 0.1f);
    mean[i] = Uniform(-0.1f, 0.1f);
    var[i] = Uniform(0.5f, 1.5f);
  }
  const int64_t ci = in[0];
  std::vector<std::string> inputs = {x, AddFloatInit(name + ".weight", {ci}, gamma),
                                     AddFloatInit(name + ".bias", {ci}, beta),
                                     AddFloatInit(name + ".running_mean", {ci}, mean, false),
                                     AddFloatInit(name + ".running_var", {ci}, var, false)};
  std::string y = Node("BatchNormalization", name, inputs, "", in);
  AttrFloat("epsilon", eps);
  AttrFloat("momentum", 0.9f);
  return y;
}

std::string NetBuilder::Relu(const std::string& x, const std::string& name) {
  return Node("Relu", name, {x}, "", dims_.at(x));
}

std::string NetBuilder::Relu6(const std::string& x, const std::string& name) {
  if (clip_min_.empty()) {
    // Scalars shared by every Clip (torch emits one pair per Clip; sharing changes nothing).
    std::vector<float> lo = {0.f}, hi = {6.f};
    clip_min_ = AddFloatInit("relu6.min", {}, lo, false);
    clip_max_ = AddFloatInit("relu6.max", {}, hi, false);
  }
  return Node("Clip", name, {x, clip_min_, clip_max_}, "", dims_.at(x));
}

std::string NetBuilder::Sigmoid(const std::string& x, const std::string& name, const std::string& out) {
  return Node("Sigmoid", name, {x}, out, dims_.at(x));
}

std::string NetBuilder::Softmax(const std::string& x, const std::string& name, int64_t axis, const std::string& out) {
  std::string y = Node("Softmax", name, {x}, out, dims_.at(x));
  AttrInt("axis", axis);
  return y;
}

std::string NetBuilder::ConvBnAct(const std::string& x, const std::string& conv_name, const std::string& bn_name,
                                  const std::string& act_name, const ConvSpec& s, const std::string& act, float eps,
                                  float gamma_scale) {
  ConvSpec nb = s;
  nb.bias = false;
  std::string y = BatchNorm(Conv(x, conv_name, nb), bn_name, eps, gamma_scale);
  if (act == "Relu") return Relu(y, act_name);
  if (act == "Relu6") return Relu6(y, act_name);
  if (!act.empty()) Bug("ConvBnAct: unknown activation " + act);
  return y;
}

std::string NetBuilder::MaxPool(const std::string& x, const std::string& name, int64_t k, int64_t s, int64_t p,
                                bool ceil_mode) {
  const std::vector<int64_t> in = Need4D(x, "MaxPool '" + name + "'");
  auto out = [&](int64_t i) {
    int64_t num = i + 2 * p - k;
    int64_t o = (ceil_mode ? (num + s - 1) / s : num / s) + 1;
    if (ceil_mode && (o - 1) * s >= i + p) --o;   // the last window must start inside the input
    return o;
  };
  std::string y = Node("MaxPool", name, {x}, "", {in[0], out(in[1]), out(in[2])});
  if (ceil_mode) AttrInt("ceil_mode", 1);
  AttrInts("kernel_shape", {k, k});
  AttrInts("pads", {p, p, p, p});
  AttrInts("strides", {s, s});
  return y;
}

std::string NetBuilder::AvgPool(const std::string& x, const std::string& name, int64_t k, int64_t s, int64_t p,
                                bool count_include_pad) {
  const std::vector<int64_t> in = Need4D(x, "AveragePool '" + name + "'");
  std::string y = Node("AveragePool", name, {x}, "", {in[0], ConvOut(in[1], k, s, p), ConvOut(in[2], k, s, p)});
  if (count_include_pad) AttrInt("count_include_pad", 1);
  AttrInts("kernel_shape", {k, k});
  AttrInts("pads", {p, p, p, p});
  AttrInts("strides", {s, s});
  return y;
}

std::string NetBuilder::GlobalAvgPool(const std::string& x, const std::string& name) {
  const std::vector<int64_t> in = Need4D(x, "GlobalAveragePool '" + name + "'");
  return Node("GlobalAveragePool", name, {x}, "", {in[0], 1, 1});
}

std::string NetBuilder::Flatten(const std::string& x, const std::string& name) {
  int64_t n = 1;
  for (int64_t d : dims_.at(x)) n *= d;
  std::string y = Node("Flatten", name, {x}, "", {n});
  AttrInt("axis", 1);
  return y;
}

std::string NetBuilder::Dropout(const std::string& x, const std::string& name, float ratio) {
  std::vector<float> r = {ratio};
  std::string rn = AddFloatInit(name + ".ratio", {}, r, false);
  return Node("Dropout", name, {x, rn}, "", dims_.at(x));
}

std::string NetBuilder::Gemm(const std::string& x, const std::string& name, int64_t out_features,
                             const std::string& out) {
  const std::vector<int64_t>& in = dims_.at(x);
  if (in.size() != 1) Bug("Gemm '" + name + "': input is not 2-D");
  const int64_t k = in[0];
  std::vector<float> w(static_cast<size_t>(out_features * k)), b(static_cast<size_t>(out_features));
  const float a = std::sqrt(6.f / static_cast<float>(k + out_features));
  for (float& v : w) v = Uniform(-a, a);
  const float bound = 1.f / std::sqrt(static_cast<float>(k));
  for (float& v : b) v = Uniform(-bound, bound);
  std::vector<std::string> inputs = {x, AddFloatInit(name + ".weight", {out_features, k}, w),
                                     AddFloatInit(name + ".bias", {out_features}, b)};
  std::string y = Node("Gemm", name, inputs, out, {out_features});
  AttrFloat("alpha", 1.f);
  AttrFloat("beta", 1.f);
  AttrInt("transB", 1);
  return y;
}

std::string NetBuilder::Add(const std::string& a, const std::string& b, const std::string& name) {
  if (dims_.at(a) != dims_.at(b)) Bug("Add '" + name + "': operand shapes differ");
  return Node("Add", name, {a, b}, "", dims_.at(a));
}

std::string NetBuilder::Concat(const std::vector<std::string>& xs, const std::string& name, int64_t axis,
                               const std::string& out) {
  if (xs.empty() || axis < 1) Bug("Concat '" + name + "': needs inputs and a non-batch axis");
  std::vector<int64_t> d = dims_.at(xs[0]);
  const size_t ax = static_cast<size_t>(axis - 1);
  for (size_t i = 1; i < xs.size(); ++i) {
    const std::vector<int64_t>& o = dims_.at(xs[i]);
    if (o.size() != d.size()) Bug("Concat '" + name + "': ranks differ");
    for (size_t j = 0; j < d.size(); ++j)
      if (j != ax && o[j] != d[j]) Bug("Concat '" + name + "': non-axis dims differ");
    d[ax] += o[ax];
  }
  std::string y = Node("Concat", name, xs, out, d);
  AttrInt("axis", axis);
  return y;
}

std::string NetBuilder::Transpose(const std::string& x, const std::string& name, const std::vector<int64_t>& perm) {
  const std::vector<int64_t>& in = dims_.at(x);
  if (perm.size() != in.size() + 1 || perm[0] != 0) Bug("Transpose '" + name + "': perm must keep the batch first");
  std::vector<int64_t> d;
  for (size_t i = 1; i < perm.size(); ++i) d.push_back(in[static_cast<size_t>(perm[i] - 1)]);
  std::string y = Node("Transpose", name, {x}, "", d);
  AttrInts("perm", perm);
  return y;
}

std::string NetBuilder::Reshape(const std::string& x, const std::string& name, const std::vector<int64_t>& shape) {
  const std::vector<int64_t>& in = dims_.at(x);
  if (shape.empty() || shape[0] != 0) Bug("Reshape '" + name + "': shape must keep the batch (0) first");
  int64_t total = 1, known = 1, infer = -1;
  for (int64_t d : in) total *= d;
  std::vector<int64_t> d(shape.begin() + 1, shape.end());
  for (size_t i = 0; i < d.size(); ++i) {
    if (d[i] == 0) d[i] = in.at(i);
    if (d[i] == -1) infer = static_cast<int64_t>(i); else known *= d[i];
  }
  if (infer >= 0) d[static_cast<size_t>(infer)] = total / known;
  std::string sn = AddInt64Init(name + ".shape", {static_cast<int64_t>(shape.size())}, shape);
  return Node("Reshape", name, {x, sn}, "", d);
}

Status NetBuilder::Save(const std::string& path, const std::string& doc) const {
  model_->set_doc_string(doc);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Status::Error("cannot open '" + path + "' for writing");
  if (!model_->SerializeToOstream(&f)) return Status::Error("writing '" + path + "' failed (serialization)");
  f.close();
  if (!f) return Status::Error("writing '" + path + "' failed (disk full?)");
  return Status::Ok();
}

}  // namespace edgeinfer::zoo
