// Shape-building, indexing, normalisation and detector ops that real exports carry:
//   Expand (bidirectional broadcast to a shape input), Tile (repeats input), Range (start, limit,
//   delta scalars), Size, GatherElements, ScatterElements (reduction none/add/mul), GatherND
//   (batch_dims), ScatterND (reduction none/add/mul), DepthToSpace (DCR/CRD) and SpaceToDepth,
//   InstanceNormalization, LayerNormalization (opset 17: axis, epsilon, stash_type; optional Mean and
//   InvStdDev outputs), LRN, TopK (largest, sorted; ties by lower index), NonMaxSuppression
//   (center_point_box; greedy per batch and class, IoU > threshold suppresses, score must exceed
//   score_threshold), Trilu, CumSum, Hardmax (opset 13 form), EyeLike, OneHot, NonZero, Compress,
//   MeanVarianceNormalization (ONNX's function: (x - mean) / (sqrt(E[x^2] - mean^2) + 1e-9)),
//   RoiAlign (avg/max, sampling_ratio, coordinate_transformation_mode: half_pixel, or
//   output_half_pixel which the importer sets for opsets 10-15; max mode as ONNX's reference and
//   ONNX Runtime: the max of the weighted corner values of every sample), GridSample (opset 16:
//   bilinear/nearest/bicubic, zeros/border/reflection padding, align_corners; ONNX Runtime's
//   arithmetic: nearest rounds half to even, bicubic uses Keys' cubic with A = -0.75), Einsum
//   (explicit and implicit output, ellipsis with broadcasting, repeated labels = diagonals; a naive
//   loop over every label combination, accumulating in double or int64), NegativeLogLikelihoodLoss
//   and SoftmaxCrossEntropyLoss (reduction none/sum/mean, optional weight and ignore_index, the
//   optional log_prob output; the arithmetic of ONNX's reference: a weighted mean divides by the
//   sum of the gathered weights),
//   ONNX's integer and QOperator ops as ONNX Runtime's quantizer writes them: ConvInteger,
//   MatMulInteger (int32 out), QLinearConv, QLinearMatMul (requantised: round half to even of
//   acc * (x_scale * w_scale / y_scale) in float, plus y_zero_point, saturated; per-tensor or
//   per-output-channel weight scale and zero point), DynamicQuantizeLinear (uint8, the ONNX formula).
//   Accumulation is exact in int64; these are goldens for ONNX semantics, independent of the
//   engine's own INT8 arithmetic (graph/quant/int8_math.h),
//   RNN, GRU, LSTM (forward/reverse/bidirectional, sequence_lens, initial states, peepholes,
//   linear_before_reset, input_forget, clip, layout 0/1, the ONNX activation list with
//   activation_alpha/beta consumed in order), computed step by step in double,
//   HannWindow, HammingWindow, BlackmanWindow (periodic or symmetric), Det (LU with partial
//   pivoting in double), ReverseSequence, MaxUnpool (indices flat over the whole output, as
//   MaxPool writes them; optional output_shape), Unique (flattened or along an axis, sorted or in
//   order of first occurrence; Y, indices, inverse_indices, counts), DFT and STFT (opset 17: real
//   or complex input, dft_length, inverse, onesided; naive O(n^2) sums in double), MelWeightMatrix
//   (ONNX's reference construction: triangular filters on integer FFT-bin edges).
// Data movement (Expand, Tile, Gather*/Scatter*, DepthToSpace, SpaceToDepth, Trilu) copies
// DTypeSize bytes per element and takes any fixed-size dtype; arithmetic ops take float16/32/64
// (TopK, CumSum, Range also integers). Output shapes that depend on an input's VALUE (Expand, Tile,
// Range, TopK's K, NonMaxSuppression) are exact when the value is known (at run time every input
// is) and otherwise keep the right rank with dynamic dims.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "graph/op_table.h"

namespace edgeinfer::ops {

// NonMaxSuppression selection: [batch, class, box] triples in output order.
struct NmsParams {
  bool center_point_box = false;
  int64_t max_output_boxes_per_class = 0;
  float iou_threshold = 0.f;
  bool has_score_threshold = false;
  float score_threshold = 0.f;
};
std::vector<std::array<int64_t, 3>> NmsSelect(const NmsParams& p, const Tensor& boxes, const Tensor& scores);

// TopK along `axis`: values (x's dtype) and int64 indices with dims of x except k at axis.
void TopKRef(int64_t axis, int64_t k, bool largest, const Tensor& x, Tensor& values, Tensor& indices);

Status InferExpand(InferContext& ctx);
Status InferTile(InferContext& ctx);
Status InferRange(InferContext& ctx);
Status InferSize(InferContext& ctx);
Status InferGatherElements(InferContext& ctx);
Status InferScatterElements(InferContext& ctx);
Status InferGatherND(InferContext& ctx);
Status InferScatterND(InferContext& ctx);
Status InferDepthToSpace(InferContext& ctx);
Status InferSpaceToDepth(InferContext& ctx);
Status InferInstanceNorm(InferContext& ctx);
Status InferLayerNorm(InferContext& ctx);
Status InferLRN(InferContext& ctx);
Status InferTopK(InferContext& ctx);
Status InferNonMaxSuppression(InferContext& ctx);
Status InferTrilu(InferContext& ctx);
Status InferCumSum(InferContext& ctx);
Status InferHardmax(InferContext& ctx);
Status InferEyeLike(InferContext& ctx);
Status InferOneHot(InferContext& ctx);
Status InferNonZero(InferContext& ctx);
Status InferCompress(InferContext& ctx);
Status InferMeanVarianceNorm(InferContext& ctx);
Status InferRoiAlign(InferContext& ctx);
Status InferGridSample(InferContext& ctx);
Status InferEinsum(InferContext& ctx);
Status InferLoss(InferContext& ctx);
Status InferConvInteger(InferContext& ctx);      // ConvInteger, QLinearConv
Status InferMatMulInteger(InferContext& ctx);    // MatMulInteger, QLinearMatMul
Status InferDynamicQuantizeLinear(InferContext& ctx);
Status InferRecurrent(InferContext& ctx);   // RNN, GRU, LSTM
Status InferWindow(InferContext& ctx);      // Hann/Hamming/BlackmanWindow
Status InferDet(InferContext& ctx);
Status InferReverseSequence(InferContext& ctx);
Status InferMaxUnpool(InferContext& ctx);
Status InferUnique(InferContext& ctx);
Status InferDFT(InferContext& ctx);
Status InferSTFT(InferContext& ctx);
Status InferMelWeightMatrix(InferContext& ctx);   // NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss

Status ExpandReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status TileReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status RangeReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status SizeReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status GatherElementsReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status ScatterElementsReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status GatherNDReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status ScatterNDReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status DepthToSpaceReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status SpaceToDepthReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status InstanceNormReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status LayerNormReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status LRNReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status TopKReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status NonMaxSuppressionReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status TriluReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status CumSumReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status HardmaxReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status EyeLikeReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status OneHotReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status NonZeroReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status CompressReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status MeanVarianceNormReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status RoiAlignReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status GridSampleReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status EinsumReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status LossReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status ConvIntegerReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status MatMulIntegerReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status DynamicQuantizeLinearReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status RecurrentReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status WindowReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status DetReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status ReverseSequenceReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status MaxUnpoolReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status UniqueReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status DFTReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status STFTReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status MelWeightMatrixReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);

}  // namespace edgeinfer::ops
