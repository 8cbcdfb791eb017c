// Reductions and arg-reductions:
//   ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum,
//   ReduceLogSumExp, ReduceSumSquare (keepdims, noop_with_empty_axes); ArgMax, ArgMin (axis,
//   keepdims, select_last_index; int64 output).
// Axes: IR canonical form is opset 13's (RULES.md): ReduceSum takes them as input 1, the others as
// the `axes` attribute (the importer moves ReduceSum's attribute of opsets < 13 into an input). The
// kernels accept either place, input 1 first, so an opset-18 style node also runs. Empty axes mean
// every axis, or the identity when noop_with_empty_axes=1.
// Accumulation: floating inputs in double; integer Sum/Prod/Max/Min/L1/SumSquare exactly in 64-bit
// (wrapping like numpy on overflow), integer Mean/L2/LogSum/LogSumExp in double then truncated.
// LogSumExp subtracts the per-output max first (no overflow for large inputs).
#pragma once
#include <vector>

#include "graph/op_table.h"

namespace edgeinfer::ops {

enum class ReduceKind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

struct ReduceParams {
  ReduceKind kind = ReduceKind::kSum;
  std::vector<bool> reduced;   // per input dim
  bool keepdims = true;
};

// Kind from the op name; false for an op that is not a Reduce*.
bool ReduceKindFromOp(const std::string& op, ReduceKind* kind);

// y = reduction of x over the dims marked in p.reduced; y holds the kept dims in order (its dims with
// or without the reduced 1s: the element order is the same). Error on an unsupported dtype.
Status ReduceRef(const ReduceParams& p, const Tensor& x, Tensor& y);
// y[..] = index (int64) of the max (or min) along axis; ties: first index, or last when select_last.
void ArgReduceRef(bool is_max, int64_t axis, bool select_last, const Tensor& x, Tensor& y);

Status InferReduce(InferContext& ctx);
Status InferArgReduce(InferContext& ctx);

Status ReduceReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status ArgReduceReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);

}  // namespace edgeinfer::ops
