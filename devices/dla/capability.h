// DLA capability rules: can the DLA of a SoC profile run this (fused) node, and if not, why?
//
// Every number comes from the profile (SocProfile::dla: precisions, native formats, and DlaLimits:
// ops, activations, kernel/stride/pad/dilation ranges, pool window, INT8 group rule, max dims,
// max batch); a refusal names the node, the rule and the profile key, e.g.
//   Conv 'layer1.0.conv1': stride 9 exceeds the DLA's maximum 8 (orin-agx dla.limits.stride_max)
// The rules, in the order they are checked (the first that fails is reported):
//   1. the profile has a DLA; the op is in dla.limits.ops;
//   2. precision: every non-constant input and output is one DLA precision (dla.precisions);
//      FP32 is never one (the graph must be compiled to int8 or fp16);
//   3. INT8 arithmetic must be defined for the op (docs/int8-arithmetic.md: the fused Conv/Gemm
//      ops, max pooling, ReLU and data movement; INT8 Concat needs one scale on all its tensors);
//   4. static shapes, batch <= max_batch, every other dim <= max_dim;
//   5. per op: convolutions 2-D with kernel/stride/dilation in range, pads <= pad_max and smaller
//      than the kernel, INT8 grouped convolutions with input and output channels per group a
//      multiple of int8_group_channel_multiple; pooling windows (standalone, fused, global) in
//      range; fused and standalone activations in dla.limits.activations; Gemm without transA;
//      Concat on channels.
// Pure functions; thread-safe.
#pragma once
#include <string>

#include "devices/device.h"
#include "devices/soc/soc_profile.h"
#include "graph/ir.h"

namespace edgeinfer::devices {

// Whether the DLA of `soc` runs node `id` of `g` (shapes inferred). The reason starts with the
// node's label ("Conv 'name': ...") and ends with the profile key it comes from.
Support DlaSupport(const SocProfile& soc, const Graph& g, NodeId id);

// The data type node `id` computes in: the dtype of its first non-constant input (its output's
// when it has none). DType::kUndefined when neither exists.
DType NodeDataType(const Graph& g, NodeId id);

// The DLA's native memory format for a dtype ("CHW32" for int8 on orin-agx), from
// dla.native_formats; "" when the profile names none for it.
std::string DlaNativeFormat(const SocProfile& soc, DType dtype);
// Channels per block of a native format ("CHW32" -> 32, "CHW16" -> 16); 1 for anything else.
int FormatChannelBlock(const std::string& format);

}  // namespace edgeinfer::devices
