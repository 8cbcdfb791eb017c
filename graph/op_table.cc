// The op table: one entry per op, in order. Adding an op = one line here plus its file in ops/.
#include "graph/op_table.h"

#include "graph/ops/activation.h"
#include "graph/ops/fused.h"

namespace edgeinfer {

const std::vector<OpDef>& OpTable() {
  using namespace ops;  // NOLINT
  static const std::vector<OpDef> table = {
      // name        class                 in min/max  out min/max  inference          reference
      {"Relu", OpClass::kActivation, 1, 1, 1, 1, InferSameAsInput, ReluReference},
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
