// The op table: one entry per op, in order. Adding an op = one line here plus its file in ops/.
#include "graph/op_table.h"

#include "graph/ops/activation.h"

namespace edgeinfer {

const std::vector<OpDef>& OpTable() {
  using namespace ops;  // NOLINT
  static const std::vector<OpDef> table = {
      // name        class                 in min/max  out min/max  inference          reference
      {"Relu", OpClass::kActivation, 1, 1, 1, 1, InferSameAsInput, ReluReference},
  };
  return table;
}

const OpDef* FindOp(const std::string& op) {
  for (const OpDef& d : OpTable()) if (op == d.name) return &d;
  return nullptr;
}

}  // namespace edgeinfer
