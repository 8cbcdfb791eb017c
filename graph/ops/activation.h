// Unary elementwise activations (Relu, LeakyRelu, Clip, Sigmoid, Tanh, HardSigmoid, HardSwish,
// Identity), PRelu and Dropout (inference): params, pure reference kernels, inference and table
// adapters. ApplyActivationT is the one definition of every activation's arithmetic; fused ops and
// every device reproduce it.
#pragma once
#include <algorithm>
#include <cmath>

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

// One activation of one value in precision T (float or double).
template <class T>
T ApplyActivationT(const ActParams& p, T x) {
  const T zero = T(0), one = T(1);
  switch (p.kind) {
    case ActKind::kRelu: return x > zero ? x : zero;
    case ActKind::kLeakyRelu: return x >= zero ? x : T(p.alpha) * x;
    case ActKind::kClip: return std::min(std::max(x, T(p.min)), T(p.max));
    case ActKind::kSigmoid: return one / (one + std::exp(-x));
    case ActKind::kTanh: return std::tanh(x);
    case ActKind::kHardSigmoid: return std::max(zero, std::min(one, T(p.alpha) * x + T(p.beta)));
    case ActKind::kHardSwish: return x * std::max(zero, std::min(one, x / T(6) + T(0.5)));
    case ActKind::kIdentity: return x;
  }
  return x;
}

// Applies one activation to one value (FP32); the definition shared by every kernel and fused op.
float ApplyActivation(const ActParams& p, float x);
// out[i] = act(in[i]) for n elements (FP32).
void ActivationRef(const ActParams& p, const float* in, float* out, int64_t n);

// Params of a unary activation node from its op name and attributes (Clip: from its constant
// inputs 1 and 2 when given, else +-inf). Error for an op that is not an activation.
Result<ActParams> ActParamsFromNode(const Node& node, const Tensor* clip_min = nullptr, const Tensor* clip_max = nullptr);

// Inference.
Status InferSameAsInput(InferContext& ctx);     // any dtype: output = input 0
Status InferFloatActivation(InferContext& ctx); // float16/32/64 input, same output
Status InferNumericActivation(InferContext& ctx);  // any numeric dtype (Relu)
Status InferClip(InferContext& ctx);
Status InferPRelu(InferContext& ctx);
Status InferDropout(InferContext& ctx);

// Table adapters.
Status ActivationReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status ReluReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status ClipReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status PReluReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status IdentityReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status DropoutReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);

}  // namespace edgeinfer::ops
