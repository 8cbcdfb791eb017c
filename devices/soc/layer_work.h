// LayerWork: the work of one (fused) layer as plain numbers, independent of the IR's node kinds.
// The DLA and GPU timing models read only this, so they can be tested with hand-written layers and
// fed from any graph. DescribeNode fills one from a graph node (plain or fused op).
//
// Conventions: NCHW; N is the batch; for Gemm/MatMul the layer is a 1x1 convolution over M "pixels"
// per batch item: C = reduction length, K = output features, OH = M, OW = H = W = 1. For
// ConvTranspose, H x W is the input map and OH x OW the output map; its MACs scatter each input
// pixel over the kernel (N*C*H*W*(K/g)*R*S). Byte counts use the layer's precision for
// activations and weights (bias and scales are ignored: they are < 1% of the weight bytes).
#pragma once
#include <cstdint>
#include <string>

#include "graph/ir.h"
#include "graph/status.h"

namespace edgeinfer::devices {

enum class LayerKind { kConv, kDeconv, kGemm, kPool, kEltwise, kActivation, kOther };
const char* LayerKindName(LayerKind k);

// What limits a layer in a roofline timing model.
enum class Bound { kCompute, kMemory };
const char* BoundName(Bound b);

struct LayerWork {
  std::string name;                  // node name, for reports
  LayerKind kind = LayerKind::kOther;
  int64_t N = 1, C = 0, H = 1, W = 1;   // input
  int64_t K = 0, OH = 1, OW = 1;        // output of the conv/gemm part (before a fused pool)
  int64_t R = 1, S = 1;                 // kernel (pool window for kPool)
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
  int precision_bytes = 1;              // 1 int8, 2 fp16, 4 fp32
  std::string activation;               // fused activation ("" = none)
  int64_t pool_window = 0;              // fused pool window (R = S), 0 = none
  int64_t pool_stride = 0;
  int64_t pool_OH = 0, pool_OW = 0;     // output map after the fused pool
  bool has_residual = false;            // reads a second tensor of the conv output's shape
  int64_t input_bytes = 0;              // all of the batch
  int64_t output_bytes = 0;             // final output (after a fused pool), all of the batch
  int64_t weight_bytes = 0;             // once, whatever the batch
  int64_t residual_bytes = 0;
  bool input_in_sram = false;           // set by the memory planner (SRAM chaining)
  bool output_in_sram = false;
  bool residual_in_sram = false;

  // Useful multiply-accumulates of the whole batch (0 for pool/eltwise/activation).
  int64_t Macs() const;
  // Output elements of the conv/gemm part before any pool (the SDP's work), all of the batch.
  int64_t ConvOutputElements() const { return N * K * OH * OW; }
  // Recomputes the byte counts from the dims and precision (keeps the SRAM flags).
  void FillBytes();
};

// Builds a LayerWork: convolution (groups, dilation), ConvTranspose, Gemm/MatMul, pools.
// Channel counts must divide by groups; all dims positive. Bytes are filled.
LayerWork ConvWork(std::string name, int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t S,
                   int64_t stride, int64_t pad, int precision_bytes, int64_t groups = 1, int64_t dilation = 1);
LayerWork GemmWork(std::string name, int64_t N, int64_t in_features, int64_t out_features, int precision_bytes);
// Adds a fused pool (window, stride, pad) after the conv part and refills bytes.
void FusePool(LayerWork* w, int64_t window, int64_t stride, int64_t pad);

// Describes node `id` of `g` (shapes inferred). Handles Conv, ConvTranspose, Gemm, MatMul,
// MaxPool/AveragePool/GlobalAveragePool/GlobalMaxPool, the elementwise and activation ops, and the
// fused ops ConvBiasAct, ConvBiasActPool, ConvEltwiseAct, GemmBiasAct. Any other op is kOther with
// its input/output bytes. Dynamic dims are taken as `dynamic_extent`. Error names the node.
Result<LayerWork> DescribeNode(const Graph& g, NodeId id, int64_t dynamic_extent = 1);

}  // namespace edgeinfer::devices
