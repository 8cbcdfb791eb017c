// Unary elementwise activations: params, pure reference kernels, inference and table adapters.
#pragma once
#include "graph/op_table.h"

namespace edgeinfer::ops {

enum class ActKind { kRelu, kLeakyRelu, kClip, kSigmoid, kTanh, kHardSigmoid, kHardSwish, kIdentity };

struct ActParams {
  ActKind kind = ActKind::kRelu;
  float alpha = 0.f;   // LeakyRelu slope; HardSigmoid alpha
  float beta = 0.f;    // HardSigmoid beta
  float min = 0.f;     // Clip
  float max = 0.f;
};

// Applies one activation to one value; the definition shared by every kernel and fused op.
float ApplyActivation(const ActParams& p, float x);
// out[i] = act(in[i]) for n elements (FP32).
void ActivationRef(const ActParams& p, const float* in, float* out, int64_t n);

Status InferSameAsInput(InferContext& ctx);
Status ReluReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);

}  // namespace edgeinfer::ops
