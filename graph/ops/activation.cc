#include "graph/ops/activation.h"

#include <algorithm>
#include <cmath>

namespace edgeinfer::ops {

float ApplyActivation(const ActParams& p, float x) {
  switch (p.kind) {
    case ActKind::kRelu: return x > 0.f ? x : 0.f;
    case ActKind::kLeakyRelu: return x >= 0.f ? x : p.alpha * x;
    case ActKind::kClip: return std::min(std::max(x, p.min), p.max);
    case ActKind::kSigmoid: return 1.f / (1.f + std::exp(-x));
    case ActKind::kTanh: return std::tanh(x);
    case ActKind::kHardSigmoid: return std::max(0.f, std::min(1.f, p.alpha * x + p.beta));
    case ActKind::kHardSwish: return x * std::max(0.f, std::min(1.f, x / 6.f + 0.5f));
    case ActKind::kIdentity: return x;
  }
  return x;
}

void ActivationRef(const ActParams& p, const float* in, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = ApplyActivation(p, in[i]);
}

Status InferSameAsInput(InferContext& ctx) {
  ctx.SetOutput(0, ctx.in_dtype[0], ctx.in_shape[0]);
  return Status::Ok();
}

Status ReluReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  if (in[0]->dtype() != DType::kFloat32) return Status::Error("Relu '" + node.name + "': reference runs float only");
  ActivationRef(ActParams{ActKind::kRelu}, in[0]->data<float>(), out[0]->data<float>(), in[0]->numel());
  return Status::Ok();
}

}  // namespace edgeinfer::ops
