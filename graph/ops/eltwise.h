// Binary elementwise arithmetic with numpy broadcasting: Add, Sub, Mul, Div.
// Inputs share one numeric dtype (float16/32/64, int8..int64, uint8..uint64); the output has it.
// Integer Div truncates toward zero (C++ and ONNX semantics); an integer division by zero is an
// error of the kernel. float16 is computed in float and rounded once per element.
#pragma once
#include "graph/op_table.h"

namespace edgeinfer::ops {

enum class EltwiseKind { kAdd, kSub, kMul, kDiv };

struct EltwiseParams {
  EltwiseKind kind = EltwiseKind::kAdd;
};

// Kind from the ONNX op name; false when the op is not one of the four.
bool EltwiseKindFromOp(const std::string& op, EltwiseKind* kind);

// y = a (op) b over the broadcast of a's and b's dims into y's dims (all contiguous, one dtype).
// Errors only on an unsupported dtype or an integer division by zero.
Status EltwiseRef(const EltwiseParams& p, const Tensor& a, const Tensor& b, Tensor& y);

Status InferEltwise(InferContext& ctx);
Status EltwiseReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);

}  // namespace edgeinfer::ops
