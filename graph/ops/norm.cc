// BatchNormalization (inference form) and Softmax/LogSoftmax references. Softmax subtracts the row
// maximum before exponentiating and accumulates the sum in double; the legacy (opset < 13) form is
// the same kernel over a different [outer, axis_len, inner] view.
#include "graph/ops/norm.h"

#include <cmath>

#include "graph/ops/conv.h"

namespace edgeinfer::ops {
namespace {

Status Fail(const Node& n, const std::string& rule) { return Status::Error(n.op + " '" + n.name + "': " + rule); }

int64_t Prod(const std::vector<int64_t>& d, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) {
    if (d[i] < 0) return kDynamic;
    p *= d[i];
  }
  return p;
}

}  // namespace

Result<BatchNormParams> ParseBatchNorm(const Node& n, const Shape& x, const std::vector<Shape>& params) {
  if (n.attrs.GetInt("training_mode", 0) != 0) {
    return Fail(n, "training_mode=1 is not supported (inference only: running mean/var are used)");
  }
  if (n.outputs.size() > 1) {
    return Fail(n, "has " + std::to_string(n.outputs.size()) +
                       " outputs; only Y is supported (the running mean/var outputs are training-only)");
  }
  if (x.rank() < 2) return Fail(n, "input X " + x.ToString() + " must have rank >= 2 (channel axis 1)");
  BatchNormParams p;
  p.batch = x[0];
  p.channels = x[1];
  p.spatial_size = Prod(x.dims, 2, x.rank());
  p.epsilon = n.attrs.GetFloat("epsilon", 1e-5f);
  static const char* kNames[] = {"scale", "B", "input_mean", "input_var"};
  for (size_t i = 0; i < params.size() && i < 4; ++i) {
    if (params[i].rank() != 1 || (p.channels >= 0 && params[i][0] >= 0 && params[i][0] != p.channels)) {
      return Fail(n, std::string("input ") + kNames[i] + " " + params[i].ToString() + " must be [" +
                         std::to_string(p.channels) + "] (one per channel of X " + x.ToString() + ")");
    }
  }
  return p;
}

void BatchNormRef(const BatchNormParams& p, const float* x, const float* scale, const float* bias, const float* mean,
                  const float* var, float* y) {
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t c = 0; c < p.channels; ++c) {
      const float inv = 1.f / std::sqrt(var[c] + p.epsilon);
      const int64_t off = (n * p.channels + c) * p.spatial_size;
      for (int64_t i = 0; i < p.spatial_size; ++i) y[off + i] = scale[c] * (x[off + i] - mean[c]) * inv + bias[c];
    }
  }
}

Result<SoftmaxParams> ParseSoftmax(const Node& n, const Shape& x) {
  const bool legacy = n.attrs.GetInt("_legacy_2d", 0) != 0;
  const int64_t r = static_cast<int64_t>(x.rank());
  int64_t axis = n.attrs.GetInt("axis", legacy ? 1 : -1);
  if (r == 0) return Fail(n, "input is a scalar; softmax needs rank >= 1");
  if (axis < -r || axis >= r + (legacy ? 1 : 0)) {
    return Fail(n, "axis=" + std::to_string(axis) + " is out of range for rank " + std::to_string(r) + " input " +
                       x.ToString());
  }
  if (axis < 0) axis += r;
  SoftmaxParams p;
  p.log = n.op == "LogSoftmax";
  const size_t a = static_cast<size_t>(axis);
  p.outer = Prod(x.dims, 0, a);
  if (legacy) {
    p.axis_len = Prod(x.dims, a, x.rank());
    p.inner = 1;
  } else {
    p.axis_len = x[a];
    p.inner = Prod(x.dims, a + 1, x.rank());
  }
  return p;
}

void SoftmaxRef(const SoftmaxParams& p, const float* x, float* y) {
  for (int64_t o = 0; o < p.outer; ++o) {
    for (int64_t i = 0; i < p.inner; ++i) {
      const float* xs = x + o * p.axis_len * p.inner + i;
      float* ys = y + o * p.axis_len * p.inner + i;
      float mx = -INFINITY;
      for (int64_t a = 0; a < p.axis_len; ++a) mx = std::max(mx, xs[a * p.inner]);
      double sum = 0.0;
      for (int64_t a = 0; a < p.axis_len; ++a) sum += std::exp(static_cast<double>(xs[a * p.inner] - mx));
      if (p.log) {
        const float ls = static_cast<float>(std::log(sum));
        for (int64_t a = 0; a < p.axis_len; ++a) ys[a * p.inner] = xs[a * p.inner] - mx - ls;
      } else {
        for (int64_t a = 0; a < p.axis_len; ++a) {
          ys[a * p.inner] = static_cast<float>(std::exp(static_cast<double>(xs[a * p.inner] - mx)) / sum);
        }
      }
    }
  }
}

Status InferBatchNorm(InferContext& ctx) {
  for (size_t i = 0; i < 5; ++i) EI_RETURN_IF_ERROR(RequireFloat32(ctx, i, i == 0 ? "X" : "parameter"));
  std::vector<Shape> ps(ctx.in_shape.begin() + 1, ctx.in_shape.begin() + 5);
  EI_ASSIGN_OR_RETURN(BatchNormParams p, ParseBatchNorm(ctx.node, ctx.in_shape[0], ps));
  (void)p;
  ctx.SetOutput(0, DType::kFloat32, ctx.in_shape[0]);
  return Status::Ok();
}

Status InferSoftmax(InferContext& ctx) {
  EI_RETURN_IF_ERROR(RequireFloat32(ctx, 0, "X"));
  EI_ASSIGN_OR_RETURN(SoftmaxParams p, ParseSoftmax(ctx.node, ctx.in_shape[0]));
  (void)p;
  ctx.SetOutput(0, DType::kFloat32, ctx.in_shape[0]);
  return Status::Ok();
}

Status BatchNormReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  std::vector<Shape> ps;
  for (size_t i = 1; i < 5; ++i) ps.push_back(in[i]->shape());
  EI_ASSIGN_OR_RETURN(BatchNormParams p, ParseBatchNorm(node, in[0]->shape(), ps));
  BatchNormRef(p, in[0]->data<float>(), in[1]->data<float>(), in[2]->data<float>(), in[3]->data<float>(),
               in[4]->data<float>(), out[0]->data<float>());
  return Status::Ok();
}

Status SoftmaxReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  EI_ASSIGN_OR_RETURN(SoftmaxParams p, ParseSoftmax(node, in[0]->shape()));
  SoftmaxRef(p, in[0]->data<float>(), out[0]->data<float>());
  return Status::Ok();
}

}  // namespace edgeinfer::ops
