// The reverse of convert_qdq: a compiled INT8 graph written as a standard Q/DQ ONNX graph (the
// QDQ format ONNX Runtime, TensorRT and PyTorch read), with our scales and integers, so another
// runtime makes the same decisions (ONNX Runtime fuses DQ -> Conv -> Q into QLinearConv) and
// `edgeinfer compile` of the written file gives back the same INT8 graph (convert_qdq).
//
//   int8 ConvEltwiseAct(Xq, Wq, Bq, Rq; x_scale, w_scale, y_scale, r_scale), activation Relu
//     => DQ(Xq, x_scale) ─► Conv(DQ(Wq, w_scale, axis 0), DQ(Bq, x_scale*w_scale, axis 0)) ─► Add(DQ(Rq, r_scale))
//        ─► Relu ─► Q(y_scale) ─► DQ(y_scale) ─► ...
//   int8 pass-through (MaxPool, AveragePool, GlobalAveragePool, Relu, Concat, Flatten, Reshape, ...)
//     => the same op on the dequantized inputs ─► Q(output scale) ─► DQ
//   a LUT activation (act_in_scale) gets its Q/DQ at act_in_scale before the activation op;
//   ConvBiasActPool pools after its output Q/DQ (our kernels pool int8 at y_scale).
// Every int8 tensor is written once as Q ─► DQ (zero point int8 0, symmetric), weights as int8
// initializers with per-output-channel scales (axis 0; Gemm B is [N, K], transB=1), biases as int32
// initializers at x_scale * w_scale[k]. Float nodes (refused by quantize_int8) are written as
// plain ONNX (fused float nodes as their parts). Graph inputs, outputs and their names stay.
// Opset 17 (HardSwish needs 14, per-axis DequantizeLinear 13).
// Errors: an FP16 node (QDQ export is for INT8 and FP32 graphs), a node carrying edgeinfer-only
// state that has no ONNX form (in-place concat offsets are simply dropped).
#pragma once
#include "graph/ir.h"
#include "graph/status.h"

namespace edgeinfer::fusions {

// Builds the Q/DQ form of compiled graph `g` (read only). Thread-safe.
Result<Graph> Int8GraphToQdq(const Graph& g);

// True when `g` has at least one int8 value (an INT8 compiled graph).
bool HasInt8(const Graph& g);

}  // namespace edgeinfer::fusions
