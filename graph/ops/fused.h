// The fused ops made by fusions/ (the contract devices code against). A fused node is one node;
// its reference is the chain of its parts' op-table references (FP32), or the INT8 reference in
// graph/quant/int8_kernels.h (arithmetic in docs/int8-arithmetic.md).
//
//   ConvBiasAct      (X, W, B?)        Y = act(Conv(X, W, B))
//   ConvBiasActPool  (X, W, B?)        Y = Pool(act(Conv(X, W, B)))
//   ConvEltwiseAct   (X, W, B?, R)     Y = act(Conv(X, W, B) + R)       R has exactly Conv's output shape
//   GemmBiasAct      (A, B, C?)        Y = act(Gemm(A, B, C))
//
// Attributes:
//   Conv's own: kernel_shape, strides, pads, dilations, group, auto_pad   (Gemm's: alpha, beta, transA, transB)
//   activation  string, one of Relu LeakyRelu Clip Sigmoid Tanh HardSigmoid HardSwish; absent = none
//   act_alpha   LeakyRelu slope (default 0.01), HardSigmoid alpha (default 0.2)
//   act_beta    HardSigmoid beta (default 0.5)
//   act_min, act_max   Clip bounds (default -inf, +inf); Relu6 is Clip with 0, 6
//   pool        MaxPool | AveragePool (ConvBiasActPool only), with pool_kernel_shape, pool_strides,
//               pool_pads, pool_ceil_mode, pool_count_include_pad (AveragePool) as the pool's own
//               attributes (auto_pad is not carried: the fusion resolves or refuses it)
//
// Precisions, chosen by X's dtype:
//   float32  the chain of FP32 references.
//   float16  every float input is FP16; computed as the FP32 chain (FP32 accumulation) and the
//            result rounded once to FP16 (round to nearest even).
//   int8     X (and R) int8 per-tensor, zero point 0; W int8 constant per output channel (axis 0 of a
//            Conv weight, the N axis of a Gemm B); B/C int32 constant; Y int8. The scales are node
//            attributes (the reference kernel sees only the node), mirrored on Value::quant:
//              x_scale (float), w_scale (floats, one per output channel or one), y_scale (float),
//              r_scale (float, ConvEltwiseAct), act_in_scale (float, LUT activations only: every
//              activation other than Relu/Clip; the scale of the pre-activation tensor, i.e. of the
//              unfused Conv/Add output as calibrated).
//            ConvBiasActPool pools at y_scale (max and average commute with one scale).
//            GemmBiasAct INT8 needs transA=0, alpha=1, beta=1 (the quantizer also writes B as [N, K]
//            with transB=1; the reference takes either layout).
//
// Informational attributes the passes add (devices may ignore them): `act_input` (strings: the
// pre-activation tensors a fusion absorbed, for calibration), `pool_input` (the pre-pool tensor),
// `concat_into` / `concat_offset` (per output: the in-place Concat it writes into, and where; see
// fusions/concat_in_place.cc), `in_place` (int, on a Concat whose producers write in place).
#pragma once
#include <optional>

#include "graph/op_table.h"
#include "graph/ops/activation.h"

namespace edgeinfer::ops {

// The fused activation of a node, or nullopt when it has none. Error on an unknown name.
Result<std::optional<ActParams>> ParseFusedActivation(const Attributes& attrs);
// Writes `activation` and the act_* attributes for an ONNX activation op. `op` is the ONNX name
// (Relu, LeakyRelu, Clip, Sigmoid, Tanh, HardSigmoid, HardSwish); false when it is not fusable.
bool SetFusedActivation(const std::string& op, const ActParams& p, Attributes* attrs);
// True for the ONNX activations a fused op can carry.
bool IsFusableActivation(const std::string& op);
// True for the four fused op names.
bool IsFusedOp(const std::string& op);

// The part nodes a fused node stands for (op, name and the part's own attributes; inputs numbered
// 0..n-1 as placeholders). Used by the references, by devices that run a fused node as its parts,
// and by the tests.
Node ConvPartOf(const Node& fused);
Node GemmPartOf(const Node& fused);
Node PoolPartOf(const Node& fused);   // op MaxPool or AveragePool

Status InferConvBiasAct(InferContext& ctx);
Status InferConvBiasActPool(InferContext& ctx);
Status InferConvEltwiseAct(InferContext& ctx);
Status InferGemmBiasAct(InferContext& ctx);

Status ConvBiasActReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status ConvBiasActPoolReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status ConvEltwiseActReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status GemmBiasActReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);

}  // namespace edgeinfer::ops
