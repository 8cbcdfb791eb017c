// Data-movement ops: no arithmetic, dtype-agnostic (elements moved as bytes of DTypeSize), plus the
// source ops Shape and ConstantOfShape and the conversion Cast.
//   Flatten, Reshape (0 / -1, allowzero), Transpose (perm, default reversed), Concat, Split (sizes as
//   input 1, or num_outputs, or equal parts), Slice (starts/ends/axes/steps as inputs; negative,
//   clamped, negative steps), Squeeze / Unsqueeze (axes as input 1), Gather (any axis, negative
//   indices), Shape (start/end), Cast and CastLike (numeric, float16, bfloat16, bool), ConstantOfShape.
// Ops whose output shape depends on an input's VALUE (Reshape, Slice, Squeeze, Unsqueeze, Split,
// ConstantOfShape) read ctx.in_value; when it is unknown, inference gives the right rank with
// dynamic dims, or fails when even the rank is unknown.
#pragma once
#include "graph/op_table.h"

namespace edgeinfer::ops {

// Resolved Slice parameters for one input shape: per dim, first index, step and count.
struct SliceParams {
  std::vector<int64_t> start, step, count;
};
// Resolves ONNX Slice inputs against static input dims (negative and clamped indices).
Result<SliceParams> ResolveSlice(const std::vector<int64_t>& dims, const std::vector<int64_t>& starts,
                                 const std::vector<int64_t>& ends, const std::vector<int64_t>& axes,
                                 const std::vector<int64_t>& steps);

// out = in with dims permuted by perm (any dtype; out dims already permuted).
void TransposeRef(const std::vector<int64_t>& perm, const Tensor& in, Tensor& out);
// out element i = in element (start + idx*step) per dim.
void SliceRef(const SliceParams& p, const Tensor& in, Tensor& out);
// Casts every element to out's dtype (numeric, float16, bfloat16, bool). Error on string.
Status CastRef(const Tensor& in, Tensor& out);

Status InferFlatten(InferContext& ctx);
Status InferReshape(InferContext& ctx);
Status InferTranspose(InferContext& ctx);
Status InferConcat(InferContext& ctx);
Status InferSplit(InferContext& ctx);
Status InferSlice(InferContext& ctx);
Status InferSqueeze(InferContext& ctx);
Status InferUnsqueeze(InferContext& ctx);
Status InferGather(InferContext& ctx);
Status InferShapeOp(InferContext& ctx);
Status InferCast(InferContext& ctx);
Status InferCastLike(InferContext& ctx);   // CastLike (opset 15): to the dtype of input 1; CastReference runs it
Status InferConstantOfShape(InferContext& ctx);

// Flatten, Reshape, Squeeze, Unsqueeze: same bytes, new dims.
Status CopyReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status TransposeReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status ConcatReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status SplitReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status SliceReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status GatherReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status ShapeReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status CastReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status ConstantOfShapeReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);

}  // namespace edgeinfer::ops
