// The op table: one entry per op, in order. Adding an op = one line here plus its file in ops/.
#include "graph/op_table.h"

#include "graph/ops/activation.h"
#include "graph/ops/conv.h"
#include "graph/ops/fused.h"
#include "graph/ops/gemm.h"
#include "graph/ops/norm.h"
#include "graph/ops/pad.h"
#include "graph/ops/pool.h"
#include "graph/ops/resize.h"

namespace edgeinfer {

const std::vector<OpDef>& OpTable() {
  using namespace ops;  // NOLINT
  static const std::vector<OpDef> table = {
      // name        class                 in min/max  out min/max  inference          reference
      {"Relu", OpClass::kActivation, 1, 1, 1, 1, InferSameAsInput, ReluReference},
      // ---- compute ops (reference: graph/ops/{conv,pool,gemm,norm,resize,pad}) ----
      {"Conv", OpClass::kConv, 2, 3, 1, 1, InferConv, ConvReference},
      {"ConvTranspose", OpClass::kConv, 2, 3, 1, 1, InferConvTranspose, ConvTransposeReference},
      {"BatchNormalization", OpClass::kNormalization, 5, 5, 1, 3, InferBatchNorm, BatchNormReference},  // >1 out: rejected
      {"MaxPool", OpClass::kPool, 1, 1, 1, 2, InferPool, PoolReference},  // optional Indices
      {"AveragePool", OpClass::kPool, 1, 1, 1, 1, InferPool, PoolReference},
      {"GlobalAveragePool", OpClass::kPool, 1, 1, 1, 1, InferGlobalPool, GlobalPoolReference},
      {"GlobalMaxPool", OpClass::kPool, 1, 1, 1, 1, InferGlobalPool, GlobalPoolReference},
      {"Gemm", OpClass::kGemm, 2, 3, 1, 1, InferGemm, GemmReference},
      {"MatMul", OpClass::kGemm, 2, 2, 1, 1, InferMatMul, MatMulReference},
      {"Softmax", OpClass::kNormalization, 1, 1, 1, 1, InferSoftmax, SoftmaxReference},
      {"LogSoftmax", OpClass::kNormalization, 1, 1, 1, 1, InferSoftmax, SoftmaxReference},
      {"Resize", OpClass::kDataMovement, 1, 4, 1, 1, InferResize, ResizeReference},  // X, roi, scales, sizes
      {"Pad", OpClass::kDataMovement, 1, 4, 1, 1, InferPad, PadReference},  // data, pads, constant_value, axes
      // ---- end compute ops ----
      // ---- fused ops (graph/ops/fused) ----
      {"ConvBiasAct", OpClass::kFused, 2, 3, 1, 1, InferConvBiasAct, ConvBiasActReference},
      {"ConvBiasActPool", OpClass::kFused, 2, 3, 1, 1, InferConvBiasActPool, ConvBiasActPoolReference},
      {"ConvEltwiseAct", OpClass::kFused, 2, 4, 1, 1, InferConvEltwiseAct, ConvEltwiseActReference},
      {"GemmBiasAct", OpClass::kFused, 2, 3, 1, 1, InferGemmBiasAct, GemmBiasActReference},
  };
  return table;
}

const OpDef* FindOp(const std::string& op) {
  for (const OpDef& d : OpTable()) if (op == d.name) return &d;
  return nullptr;
}

}  // namespace edgeinfer
