// The one op table (STYLE rule 2). Each op has one entry: its ONNX name, its class (used by the
// fusions and the partitioner), arity, attribute parsing + shape/type inference, and its naive
// FP32 reference kernel (the golden every device is tested against). Entries are registered in
// order in op_table.cc: grep there to see the op set.
#pragma once
#include <string>
#include <vector>

#include "graph/ir.h"
#include "graph/status.h"
#include "graph/tensor.h"

namespace edgeinfer {

enum class OpClass {
  kConv,          // Conv, ConvTranspose and fused convolutions
  kActivation,    // unary elementwise activations
  kEltwise,       // binary elementwise with broadcasting
  kPool,          // windowed and global pooling
  kNormalization, // BatchNormalization, Softmax
  kGemm,          // Gemm, MatMul
  kDataMovement,  // Reshape, Transpose, Concat, Slice, ... (no arithmetic)
  kQuant,         // QuantizeLinear, DequantizeLinear
  kSource,        // Constant, Shape, ConstantOfShape: folded at import
  kFused,         // made by fusions/: reference is the chain of the parts' references
};

// What shape inference sees of a node: its inputs' dtypes and shapes and, where known (constants
// at compile time, every input at run time), their values. Inference fills out_dtype/out_shape.
struct InferContext {
  const Node& node;
  std::vector<DType> in_dtype;            // kUndefined for an absent optional input
  std::vector<Shape> in_shape;
  std::vector<const Tensor*> in_value;    // nullptr when not known
  std::vector<DType> out_dtype;           // sized to node.outputs.size() by the caller
  std::vector<Shape> out_shape;

  size_t num_inputs() const { return in_dtype.size(); }
  bool HasInput(size_t i) const { return i < in_dtype.size() && in_dtype[i] != DType::kUndefined; }
  void SetOutput(size_t i, DType t, Shape s) { out_dtype[i] = t; out_shape[i] = std::move(s); }
  // Error naming the node and the rule: "Conv 'layer1.conv': group=3 does not divide 64 channels".
  Status Fail(const std::string& rule) const { return Status::Error(node.op + " '" + node.name + "': " + rule); }
};

using InferFn = Status (*)(InferContext& ctx);
// Reference kernel adapter: reads the node's attributes into the kernel's params struct and calls
// the pure kernel. Outputs arrive allocated with the inferred dtype and shape. Single-threaded.
using ReferenceFn = Status (*)(const Node& node, const std::vector<const Tensor*>& inputs,
                               const std::vector<Tensor*>& outputs);

struct OpDef {
  const char* name;
  OpClass op_class;
  int min_inputs;
  int max_inputs;     // -1: variadic
  int min_outputs;
  int max_outputs;
  InferFn infer;
  ReferenceFn reference;
};

const std::vector<OpDef>& OpTable();
const OpDef* FindOp(const std::string& op);

}  // namespace edgeinfer
