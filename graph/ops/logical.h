// Comparison, logical and selection ops with numpy broadcasting:
//   Equal, Less, LessOrEqual, Greater, GreaterOrEqual: two numeric inputs of one dtype (Equal also
//     bool) -> bool;
//   And, Or, Xor: two bool inputs -> bool; Not: bool -> bool;
//   BitShift: two unsigned integer inputs of one dtype, direction LEFT or RIGHT (shifts of the bit
//     width or more give 0, where C++ would be undefined);
//   Where: bool condition, X, Y of one dtype (any fixed-size dtype) -> X's dtype, three-way broadcast.
// bool is one byte per element, 0 or 1 (what the importer and Cast write). float16 compares in float.
#pragma once
#include "graph/op_table.h"

namespace edgeinfer::ops {

enum class CompareKind { kEqual, kLess, kLessOrEqual, kGreater, kGreaterOrEqual };
enum class LogicKind { kAnd, kOr, kXor };

// y[i] = a[i] (cmp) b[i] over the broadcast into y's dims (y bool).
Status CompareRef(CompareKind kind, const Tensor& a, const Tensor& b, Tensor& y);
// y = a (op) b for bool tensors, broadcast.
void LogicRef(LogicKind kind, const Tensor& a, const Tensor& b, Tensor& y);
// y = cond ? x : z, three-way broadcast into y's dims; copies DTypeSize bytes per element.
void WhereRef(const Tensor& cond, const Tensor& x, const Tensor& z, Tensor& y);

Status InferCompare(InferContext& ctx);
Status InferLogic(InferContext& ctx);   // And, Or, Xor
Status InferNot(InferContext& ctx);
Status InferWhere(InferContext& ctx);
Status InferBitShift(InferContext& ctx);

Status CompareReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status LogicReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status NotReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status WhereReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status BitShiftReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);

}  // namespace edgeinfer::ops
