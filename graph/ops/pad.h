// Pad: params, a pure dtype-agnostic reference kernel (element bytes are copied), shape inference
// and the table adapter. Canonical IR form: pads (int64 [2*len(axes)]) as input 1, constant_value
// as input 2, axes (opset 18) as input 3; all optional inputs may be absent.
#pragma once
#include <vector>

#include "graph/op_table.h"

namespace edgeinfer::ops {

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

struct PadParams {
  PadMode mode = PadMode::kConstant;
  std::vector<int64_t> in_dims, pads_begin, pads_end, out_dims;  // one entry per input axis; pads may be < 0 (crop)
};

// Builds params from the node's mode and the pads/axes values (int64). Validates lengths, axes
// range, non-negative output extents, and reflect/wrap pads against the input extent.
Result<PadParams> ParsePad(const Node& node, const Shape& x, const std::vector<int64_t>& pads,
                           const std::vector<int64_t>& axes);
// y = pad(x). elem_size bytes per element; constant points to one element (nullptr = zero bytes).
// Dense caller-owned buffers; no allocation.
void PadRef(const PadParams& p, const void* x, void* y, size_t elem_size, const void* constant);

Status InferPad(InferContext& ctx);
Status PadReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);

}  // namespace edgeinfer::ops
