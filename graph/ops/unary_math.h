// Elementwise math beyond the activations of activation.h, as real CNN/detector exports carry it:
//   unary float ops   Exp, Log, Sqrt, Reciprocal, Floor, Ceil, Round (half to even), Erf, Sin, Cos,
//                     Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh, Elu, Selu, Softplus,
//                     Softsign, Mish, ThresholdedRelu, Celu, Shrink;
//   unary numeric ops Abs, Neg, Sign (integers too);
//   float -> bool     IsNaN, IsInf (detect_positive, detect_negative);
//   binary            Pow (base and exponent dtypes may differ; output has the base's), Mod (fmod);
//   variadic          Max, Min (numeric), Sum, Mean (float), all numpy-broadcast.
// float16 is computed in float and rounded once per element, like eltwise.h. Integer Mod with
// fmod=0 follows Python (the result takes the divisor's sign); fmod=1 follows C fmod; a float Mod
// must set fmod=1 (the ONNX rule), checked at inference.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "graph/op_table.h"

namespace edgeinfer::ops {

enum class UnaryKind {
  kAbs, kNeg, kSign, kExp, kLog, kSqrt, kReciprocal, kFloor, kCeil, kRound, kErf,
  kSin, kCos, kTan, kAsin, kAcos, kAtan, kSinh, kCosh, kAsinh, kAcosh, kAtanh,
  kElu, kSelu, kSoftplus, kSoftsign, kMish, kThresholdedRelu, kCelu, kShrink,
};

struct UnaryParams {
  UnaryKind kind = UnaryKind::kAbs;
  float alpha = 0.f;   // Elu, Selu, ThresholdedRelu, Celu
  float gamma = 0.f;   // Selu
  float lambd = 0.f;   // Shrink
  float bias = 0.f;    // Shrink
};

// Kind and attributes from the node; error for an op that is not one of the unary ops above.
Result<UnaryParams> UnaryParamsFromNode(const Node& node);
// True for the kinds that also take integer inputs (Abs, Neg, Sign).
bool UnaryTakesIntegers(UnaryKind kind);

// y[i] = f(x[i]) over x's elements; x and y share dtype and dims (contiguous). Error on a dtype the
// kind does not take.
Status UnaryRef(const UnaryParams& p, const Tensor& x, Tensor& y);

enum class VariadicKind { kMax, kMin, kSum, kMean };
// y = fold of the inputs broadcast into y's dims (all one dtype; y already has the broadcast dims).
Status VariadicRef(VariadicKind kind, const std::vector<const Tensor*>& in, Tensor& y);

// y = x ** e (x's dtype for y; e any numeric dtype), broadcast. Computed in double.
Status PowRef(const Tensor& x, const Tensor& e, Tensor& y);
// y = a mod b, broadcast; fmod as the ONNX attribute. Error on an integer division by zero.
Status ModRef(bool fmod, const Tensor& a, const Tensor& b, Tensor& y);

// Calls f(out_index, idx) for every element of out_dims in row-major order, where idx[k] is the
// element index of input k seen through broadcasting (strides from BroadcastStrides). N inputs.
template <class F>
void ForEachBroadcastN(const std::vector<int64_t>& out_dims, const std::vector<std::vector<int64_t>>& strides, F&& f) {
  const size_t r = out_dims.size(), k = strides.size();
  int64_t n = 1;
  for (int64_t d : out_dims) n *= d;
  if (n == 0) return;
  std::vector<int64_t> pos(r, 0), idx(k, 0);
  for (int64_t i = 0; i < n; ++i) {
    f(i, static_cast<const int64_t*>(idx.data()));
    for (size_t d = r; d-- > 0;) {
      ++pos[d];
      for (size_t j = 0; j < k; ++j) idx[j] += strides[j][d];
      if (pos[d] < out_dims[d]) break;
      for (size_t j = 0; j < k; ++j) idx[j] -= strides[j][d] * pos[d];
      pos[d] = 0;
    }
  }
}

Status InferUnaryFloat(InferContext& ctx);     // float16/32/64 -> same
Status InferUnaryNumeric(InferContext& ctx);   // any numeric -> same
Status InferIsNaNInf(InferContext& ctx);       // float -> bool
Status InferPow(InferContext& ctx);
Status InferMod(InferContext& ctx);
Status InferVariadic(InferContext& ctx);       // Max/Min numeric; Sum/Mean float

Status UnaryReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status IsNaNInfReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status PowReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status ModReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status VariadicReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);

}  // namespace edgeinfer::ops
