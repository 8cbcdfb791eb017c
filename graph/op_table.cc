// The op table: one entry per op, in order. Adding an op = one line here plus its file in ops/.
#include "graph/op_table.h"

#include "graph/ops/activation.h"
#include "graph/ops/conv.h"
#include "graph/ops/data_movement.h"
#include "graph/ops/eltwise.h"
#include "graph/ops/fused.h"
#include "graph/ops/gemm.h"
#include "graph/ops/logical.h"
#include "graph/ops/misc.h"
#include "graph/ops/norm.h"
#include "graph/ops/pad.h"
#include "graph/ops/pool.h"
#include "graph/ops/quant.h"
#include "graph/ops/reduce.h"
#include "graph/ops/resize.h"
#include "graph/ops/unary_math.h"

namespace edgeinfer {

const std::vector<OpDef>& OpTable() {
  using namespace ops;  // NOLINT
  static const std::vector<OpDef> table = {
      // name        class                 in min/max  out min/max  inference          reference
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
      // ---- elementwise, activation, data-movement, quantization ops ----
      {"Relu", OpClass::kActivation, 1, 1, 1, 1, InferNumericActivation, ReluReference},
      {"LeakyRelu", OpClass::kActivation, 1, 1, 1, 1, InferFloatActivation, ActivationReference},
      {"Clip", OpClass::kActivation, 1, 3, 1, 1, InferClip, ClipReference},
      {"Sigmoid", OpClass::kActivation, 1, 1, 1, 1, InferFloatActivation, ActivationReference},
      {"Tanh", OpClass::kActivation, 1, 1, 1, 1, InferFloatActivation, ActivationReference},
      {"HardSigmoid", OpClass::kActivation, 1, 1, 1, 1, InferFloatActivation, ActivationReference},
      {"HardSwish", OpClass::kActivation, 1, 1, 1, 1, InferFloatActivation, ActivationReference},
      {"PRelu", OpClass::kEltwise, 2, 2, 1, 1, InferPRelu, PReluReference},  // binary: slope broadcasts
      {"Identity", OpClass::kDataMovement, 1, 1, 1, 1, InferSameAsInput, IdentityReference},
      {"Dropout", OpClass::kDataMovement, 1, 3, 1, 2, InferDropout, DropoutReference},  // inference: copy
      {"Add", OpClass::kEltwise, 2, 2, 1, 1, InferEltwise, EltwiseReference},
      {"Sub", OpClass::kEltwise, 2, 2, 1, 1, InferEltwise, EltwiseReference},
      {"Mul", OpClass::kEltwise, 2, 2, 1, 1, InferEltwise, EltwiseReference},
      {"Div", OpClass::kEltwise, 2, 2, 1, 1, InferEltwise, EltwiseReference},
      {"Flatten", OpClass::kDataMovement, 1, 1, 1, 1, InferFlatten, CopyReference},
      {"Reshape", OpClass::kDataMovement, 2, 2, 1, 1, InferReshape, CopyReference},
      {"Transpose", OpClass::kDataMovement, 1, 1, 1, 1, InferTranspose, TransposeReference},
      {"Concat", OpClass::kDataMovement, 1, -1, 1, 1, InferConcat, ConcatReference},
      {"Split", OpClass::kDataMovement, 1, 2, 1, -1, InferSplit, SplitReference},
      {"Slice", OpClass::kDataMovement, 3, 5, 1, 1, InferSlice, SliceReference},
      {"Squeeze", OpClass::kDataMovement, 1, 2, 1, 1, InferSqueeze, CopyReference},
      {"Unsqueeze", OpClass::kDataMovement, 2, 2, 1, 1, InferUnsqueeze, CopyReference},
      {"Gather", OpClass::kDataMovement, 2, 2, 1, 1, InferGather, GatherReference},
      {"Cast", OpClass::kDataMovement, 1, 1, 1, 1, InferCast, CastReference},
      {"CastLike", OpClass::kDataMovement, 2, 2, 1, 1, InferCastLike, CastReference},
      {"Shape", OpClass::kSource, 1, 1, 1, 1, InferShapeOp, ShapeReference},
      {"ConstantOfShape", OpClass::kSource, 1, 1, 1, 1, InferConstantOfShape, ConstantOfShapeReference},
      {"QuantizeLinear", OpClass::kQuant, 2, 3, 1, 1, InferQuantizeLinear, QuantizeLinearReference},
      {"DequantizeLinear", OpClass::kQuant, 2, 3, 1, 1, InferDequantizeLinear, DequantizeLinearReference},
      // ---- more ops for real models (graph/ops/{unary_math,reduce,logical,misc}) ----
      {"Abs", OpClass::kActivation, 1, 1, 1, 1, InferUnaryNumeric, UnaryReference},
      {"Neg", OpClass::kActivation, 1, 1, 1, 1, InferUnaryNumeric, UnaryReference},
      {"Sign", OpClass::kActivation, 1, 1, 1, 1, InferUnaryNumeric, UnaryReference},
      {"Exp", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Log", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Sqrt", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Reciprocal", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Floor", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Ceil", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Round", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Erf", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Sin", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Cos", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Tan", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Asin", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Acos", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Atan", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Sinh", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Cosh", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Asinh", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Acosh", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Atanh", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Elu", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Selu", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Softplus", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Softsign", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Mish", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"ThresholdedRelu", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Celu", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"Shrink", OpClass::kActivation, 1, 1, 1, 1, InferUnaryFloat, UnaryReference},
      {"IsNaN", OpClass::kActivation, 1, 1, 1, 1, InferIsNaNInf, IsNaNInfReference},
      {"IsInf", OpClass::kActivation, 1, 1, 1, 1, InferIsNaNInf, IsNaNInfReference},
      {"Pow", OpClass::kEltwise, 2, 2, 1, 1, InferPow, PowReference},
      {"Mod", OpClass::kEltwise, 2, 2, 1, 1, InferMod, ModReference},
      {"Max", OpClass::kEltwise, 1, -1, 1, 1, InferVariadic, VariadicReference},
      {"Min", OpClass::kEltwise, 1, -1, 1, 1, InferVariadic, VariadicReference},
      {"Sum", OpClass::kEltwise, 1, -1, 1, 1, InferVariadic, VariadicReference},
      {"Mean", OpClass::kEltwise, 1, -1, 1, 1, InferVariadic, VariadicReference},
      {"Equal", OpClass::kEltwise, 2, 2, 1, 1, InferCompare, CompareReference},
      {"Less", OpClass::kEltwise, 2, 2, 1, 1, InferCompare, CompareReference},
      {"LessOrEqual", OpClass::kEltwise, 2, 2, 1, 1, InferCompare, CompareReference},
      {"Greater", OpClass::kEltwise, 2, 2, 1, 1, InferCompare, CompareReference},
      {"GreaterOrEqual", OpClass::kEltwise, 2, 2, 1, 1, InferCompare, CompareReference},
      {"And", OpClass::kEltwise, 2, 2, 1, 1, InferLogic, LogicReference},
      {"Or", OpClass::kEltwise, 2, 2, 1, 1, InferLogic, LogicReference},
      {"Xor", OpClass::kEltwise, 2, 2, 1, 1, InferLogic, LogicReference},
      {"Not", OpClass::kActivation, 1, 1, 1, 1, InferNot, NotReference},
      {"Where", OpClass::kEltwise, 3, 3, 1, 1, InferWhere, WhereReference},
      {"ReduceSum", OpClass::kNormalization, 1, 2, 1, 1, InferReduce, ReduceReference},
      {"ReduceMean", OpClass::kNormalization, 1, 2, 1, 1, InferReduce, ReduceReference},
      {"ReduceMax", OpClass::kNormalization, 1, 2, 1, 1, InferReduce, ReduceReference},
      {"ReduceMin", OpClass::kNormalization, 1, 2, 1, 1, InferReduce, ReduceReference},
      {"ReduceProd", OpClass::kNormalization, 1, 2, 1, 1, InferReduce, ReduceReference},
      {"ReduceL1", OpClass::kNormalization, 1, 2, 1, 1, InferReduce, ReduceReference},
      {"ReduceL2", OpClass::kNormalization, 1, 2, 1, 1, InferReduce, ReduceReference},
      {"ReduceLogSum", OpClass::kNormalization, 1, 2, 1, 1, InferReduce, ReduceReference},
      {"ReduceLogSumExp", OpClass::kNormalization, 1, 2, 1, 1, InferReduce, ReduceReference},
      {"ReduceSumSquare", OpClass::kNormalization, 1, 2, 1, 1, InferReduce, ReduceReference},
      {"ArgMax", OpClass::kNormalization, 1, 1, 1, 1, InferArgReduce, ArgReduceReference},
      {"ArgMin", OpClass::kNormalization, 1, 1, 1, 1, InferArgReduce, ArgReduceReference},
      {"Expand", OpClass::kDataMovement, 2, 2, 1, 1, InferExpand, ExpandReference},
      {"Tile", OpClass::kDataMovement, 2, 2, 1, 1, InferTile, TileReference},
      {"Range", OpClass::kSource, 3, 3, 1, 1, InferRange, RangeReference},
      {"Size", OpClass::kSource, 1, 1, 1, 1, InferSize, SizeReference},
      {"GatherElements", OpClass::kDataMovement, 2, 2, 1, 1, InferGatherElements, GatherElementsReference},
      {"ScatterElements", OpClass::kDataMovement, 3, 3, 1, 1, InferScatterElements, ScatterElementsReference},
      {"GatherND", OpClass::kDataMovement, 2, 2, 1, 1, InferGatherND, GatherNDReference},
      {"ScatterND", OpClass::kDataMovement, 3, 3, 1, 1, InferScatterND, ScatterNDReference},
      {"DepthToSpace", OpClass::kDataMovement, 1, 1, 1, 1, InferDepthToSpace, DepthToSpaceReference},
      {"SpaceToDepth", OpClass::kDataMovement, 1, 1, 1, 1, InferSpaceToDepth, SpaceToDepthReference},
      {"Trilu", OpClass::kDataMovement, 1, 2, 1, 1, InferTrilu, TriluReference},
      {"InstanceNormalization", OpClass::kNormalization, 3, 3, 1, 1, InferInstanceNorm, InstanceNormReference},
      {"LayerNormalization", OpClass::kNormalization, 2, 3, 1, 3, InferLayerNorm, LayerNormReference},  // Y, Mean?, InvStdDev?
      {"LRN", OpClass::kNormalization, 1, 1, 1, 1, InferLRN, LRNReference},
      {"Hardmax", OpClass::kNormalization, 1, 1, 1, 1, InferHardmax, HardmaxReference},
      {"CumSum", OpClass::kNormalization, 2, 2, 1, 1, InferCumSum, CumSumReference},
      {"EyeLike", OpClass::kSource, 1, 1, 1, 1, InferEyeLike, EyeLikeReference},
      {"TopK", OpClass::kNormalization, 2, 2, 2, 2, InferTopK, TopKReference},
      {"NonMaxSuppression", OpClass::kNormalization, 2, 5, 1, 1, InferNonMaxSuppression, NonMaxSuppressionReference},
      {"Scatter", OpClass::kDataMovement, 3, 3, 1, 1, InferScatterElements, ScatterElementsReference},  // opset 9-10 name of ScatterElements
      {"OneHot", OpClass::kDataMovement, 3, 3, 1, 1, InferOneHot, OneHotReference},
      {"NonZero", OpClass::kDataMovement, 1, 1, 1, 1, InferNonZero, NonZeroReference},
      {"Compress", OpClass::kDataMovement, 2, 2, 1, 1, InferCompress, CompressReference},
      {"MeanVarianceNormalization", OpClass::kNormalization, 1, 1, 1, 1, InferMeanVarianceNorm, MeanVarianceNormReference},
      {"BitShift", OpClass::kEltwise, 2, 2, 1, 1, InferBitShift, BitShiftReference},
      {"RoiAlign", OpClass::kPool, 3, 3, 1, 1, InferRoiAlign, RoiAlignReference},
      {"GridSample", OpClass::kDataMovement, 2, 2, 1, 1, InferGridSample, GridSampleReference},
      {"Einsum", OpClass::kGemm, 1, -1, 1, 1, InferEinsum, EinsumReference},
      {"NegativeLogLikelihoodLoss", OpClass::kNormalization, 2, 3, 1, 1, InferLoss, LossReference},
      {"SoftmaxCrossEntropyLoss", OpClass::kNormalization, 2, 3, 1, 2, InferLoss, LossReference},  // output, log_prob?
      {"ConvInteger", OpClass::kConv, 2, 4, 1, 1, InferConvInteger, ConvIntegerReference},
      {"QLinearConv", OpClass::kQuant, 8, 9, 1, 1, InferConvInteger, ConvIntegerReference},  // kQuant: W is input 3, not a float conv
      {"MatMulInteger", OpClass::kGemm, 2, 4, 1, 1, InferMatMulInteger, MatMulIntegerReference},
      {"QLinearMatMul", OpClass::kQuant, 8, 8, 1, 1, InferMatMulInteger, MatMulIntegerReference},
      {"DynamicQuantizeLinear", OpClass::kQuant, 1, 1, 3, 3, InferDynamicQuantizeLinear, DynamicQuantizeLinearReference},
      {"RNN", OpClass::kGemm, 3, 6, 0, 2, InferRecurrent, RecurrentReference},   // Y?, Y_h?
      {"GRU", OpClass::kGemm, 3, 6, 0, 2, InferRecurrent, RecurrentReference},
      {"LSTM", OpClass::kGemm, 3, 8, 0, 3, InferRecurrent, RecurrentReference},  // Y?, Y_h?, Y_c?
      {"HannWindow", OpClass::kSource, 1, 1, 1, 1, InferWindow, WindowReference},
      {"HammingWindow", OpClass::kSource, 1, 1, 1, 1, InferWindow, WindowReference},
      {"BlackmanWindow", OpClass::kSource, 1, 1, 1, 1, InferWindow, WindowReference},
      {"Det", OpClass::kNormalization, 1, 1, 1, 1, InferDet, DetReference},
      {"ReverseSequence", OpClass::kDataMovement, 2, 2, 1, 1, InferReverseSequence, ReverseSequenceReference},
      {"MaxUnpool", OpClass::kDataMovement, 2, 3, 1, 1, InferMaxUnpool, MaxUnpoolReference},
      {"Unique", OpClass::kDataMovement, 1, 1, 1, 4, InferUnique, UniqueReference},  // Y, indices?, inverse_indices?, counts?
      {"DFT", OpClass::kGemm, 1, 2, 1, 1, InferDFT, DFTReference},
      {"STFT", OpClass::kGemm, 2, 4, 1, 1, InferSTFT, STFTReference},  // signal, frame_step, window?, frame_length?
      {"MelWeightMatrix", OpClass::kSource, 5, 5, 1, 1, InferMelWeightMatrix, MelWeightMatrixReference},
  };
  return table;
}

const OpDef* FindOp(const std::string& op) {
  for (const OpDef& d : OpTable()) if (op == d.name) return &d;
  return nullptr;
}

}  // namespace edgeinfer
